import { CliError, ExitCode } from '../errors.js';
import { isLeaseAlive, type Config, type Lease, type Store } from '../store/index.js';
import { twilioError, type TwilioClient, type TwilioCredentials } from '../twilio/client.js';
import { findNumber, setSmsWebhook, type PhoneNumberInfo } from '../twilio/numbers.js';
import { sameWebhookUrl } from '../twilio/webhook.js';
import { maskSid } from '../validate.js';
import { shellQuote } from '../shell.js';

/**
 * Pointing a config's number at a webhook URL outside a listener: the core of `webhook set`, shared with
 * `link`. A listener's lease on the number (alive, or crashed and not restored) makes it a conflict.
 */

/** The lease that holds the config's number, if any: the config's own, or another config's on the same number. */
export function leaseOnNumber(store: Store, config: Config): Lease | null {
  return store.leases.get(config.id) ?? store.leases.list().find((l) => l.phoneNumber === config.fromNumber) ?? null;
}

/** A listener's lease on the number, alive or awaiting restore, makes changing the webhook a conflict (exit 5). */
export function refuseUnderLease(store: Store, config: Config): void {
  const lease = leaseOnNumber(store, config);
  if (!lease) return;
  if (isLeaseAlive(lease)) {
    throw new CliError(`${lease.phoneNumber} is held by a running listen (pid ${lease.pid}); its webhook is not changed while it runs`, {
      exitCode: ExitCode.conflict,
      reason: 'lease_held',
      hint: `stop that listener first (kill -INT ${lease.pid}): it puts the previous webhook back, then run webhook set again`,
    });
  }
  throw new CliError(`${lease.phoneNumber} has a listener lease that was never restored (pid ${lease.pid} is gone)`, {
    exitCode: ExitCode.conflict,
    reason: 'lease_stale',
    hint: `put the number's webhook back first: fruxon-twilio restore --config ${JSON.stringify(config.name)}`,
  });
}

/** The config's From number on the account; a CliError (with `exitCode`) when Twilio fails or the account does not own it. */
export async function lookUpNumber(
  client: TwilioClient,
  config: Config,
  creds: TwilioCredentials,
  opts: { exitCode?: number } = {},
): Promise<PhoneNumberInfo> {
  let number;
  try {
    number = await findNumber(client, config.fromNumber);
  } catch (err) {
    const e = twilioError(err, `look up ${config.fromNumber}`, { apiUrl: creds.apiUrl, accountSid: creds.accountSid });
    if (opts.exitCode === undefined) throw e;
    throw new CliError(e.message, { exitCode: opts.exitCode, hint: e.hint, reason: e.reason, cause: err });
  }
  if (!number) {
    throw new CliError(`${config.fromNumber} is not a phone number of account ${maskSid(config.accountSid)}, so it has no webhook to show or set`, {
      exitCode: opts.exitCode ?? ExitCode.failure,
      reason: 'number_not_found',
      hint: `check the From number of config ${JSON.stringify(config.name)} (fruxon-twilio configs set NAME --from +1…) or the account in the Twilio Console`,
    });
  }
  return number;
}

/** Whether the number already points at `url` with POST. */
export function pointsAt(number: PhoneNumberInfo, url: string): boolean {
  return sameWebhookUrl(number.smsUrl, url) && (number.smsMethod ?? 'POST').toUpperCase() === 'POST';
}

/** Sets the number's SmsUrl (POST); a Twilio failure exits 4. */
export async function applySmsUrl(client: TwilioClient, creds: TwilioCredentials, number: PhoneNumberInfo, url: string, hint?: string): Promise<PhoneNumberInfo> {
  try {
    return await setSmsWebhook(client, number.sid, url, 'POST');
  } catch (err) {
    const e = twilioError(err, `set the webhook of ${number.phoneNumber}`, { apiUrl: creds.apiUrl, accountSid: creds.accountSid });
    throw new CliError(e.message, { exitCode: ExitCode.registration, hint: hint ?? e.hint, reason: e.reason, cause: err });
  }
}

/**
 * Points the number at `url` unless it already does (no prompt: the caller asks first if it must). Refuses
 * under a lease (exit 5); Twilio failures exit 4 with `hint` (default: how to retry with webhook set).
 */
export async function pointNumberAt(opts: {
  store: Store;
  config: Config;
  client: TwilioClient;
  creds: TwilioCredentials;
  url: string;
  hint?: string;
}): Promise<{ before: PhoneNumberInfo; after: PhoneNumberInfo; changed: boolean }> {
  const hint = opts.hint ?? `retry: fruxon-twilio webhook set --config ${shellQuote(opts.config.name)} --yes`;
  refuseUnderLease(opts.store, opts.config);
  const before = await lookUpNumber(opts.client, opts.config, opts.creds, { exitCode: ExitCode.registration });
  if (pointsAt(before, opts.url)) return { before, after: before, changed: false };
  refuseUnderLease(opts.store, opts.config);
  const after = await applySmsUrl(opts.client, opts.creds, before, opts.url, hint);
  return { before, after, changed: true };
}
