import { CliError, ExitCode } from '../errors.js';
import { isLeaseAlive, type Config, type Lease, type Store } from '../store/index.js';
import { twilioError, type TwilioClient, type TwilioCredentials } from '../twilio/client.js';
import { setApplicationSmsUrl, setSenderWebhook, setServiceWebhook } from '../twilio/layers.js';
import { fetchNumber, findNumber, setSmsWebhook, type PhoneNumberInfo } from '../twilio/numbers.js';
import { resolveRoutes, type Route } from '../twilio/route.js';
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

/** The routes of the config's number (its SMS route first); a CliError when Twilio fails or it is neither on the account nor the Sandbox. */
export async function lookUpRoutes(client: TwilioClient, config: Config, creds: TwilioCredentials, opts: { exitCode?: number } = {}): Promise<Route[]> {
  let routes: Route[];
  try {
    routes = await resolveRoutes(client, config.fromNumber);
  } catch (err) {
    const e = twilioError(err, `look up where inbound messages to ${config.fromNumber} go`, { apiUrl: creds.apiUrl, accountSid: creds.accountSid });
    throw new CliError(e.message, { exitCode: opts.exitCode ?? e.exitCode, hint: e.hint, reason: e.reason, cause: err });
  }
  if (routes.length === 0) await lookUpNumber(client, config, creds, opts); // throws number_not_found
  return routes;
}

/** Whether the route's layer already points at `url` with POST. */
export function routePointsAt(route: Route, url: string): boolean {
  return sameWebhookUrl(route.url, url) && (route.method ?? 'POST').toUpperCase() === 'POST';
}

/**
 * Points the layer that receives the number's messages at `url` (POST), on every channel, unless it already
 * does: the number's SmsUrl, its TwiML App's SMS URL (only when the app serves no other number), its
 * Messaging Service's inbound URL (only with `allowMessagingService`: it serves every number in it), its
 * WhatsApp sender's callback URL. Refuses under a lease (exit 5); the rest exits 4 with `hint`.
 */
export async function pointNumberAt(opts: {
  store: Store;
  config: Config;
  client: TwilioClient;
  creds: TwilioCredentials;
  url: string;
  hint?: string;
  allowMessagingService?: boolean;
}): Promise<{ before: PhoneNumberInfo; after: PhoneNumberInfo; changed: boolean; routes: Route[] }> {
  const { client, config, creds, url } = opts;
  const hint = opts.hint ?? `retry: fruxon-twilio webhook set --config ${shellQuote(config.name)} --yes`;
  refuseUnderLease(opts.store, config);
  const routes = await lookUpRoutes(client, config, creds, { exitCode: ExitCode.registration });
  const refuse = (message: string, reason: string, h: string) => new CliError(message, { exitCode: ExitCode.registration, reason, hint: h });
  for (const r of routes) {
    if (r.layer === 'sandbox') {
      throw refuse(`${config.fromNumber} is the WhatsApp Sandbox: no API can set its webhook`, 'sandbox', 'set it in the Twilio Console: Messaging → Try it out → WhatsApp sandbox settings → "When a message comes in"');
    }
    if ((r.layer === 'messaging_service' || r.layer === 'none') && !opts.allowMessagingService) {
      const others = r.sharedWith.length ? ` and also serves ${r.sharedWith.join(', ')}` : '';
      throw refuse(
        `Messaging Service ${r.friendlyName ? `'${r.friendlyName}' ` : ''}(${r.sid}) receives the messages of ${config.fromNumber}${others}: its inbound URL wins over the number's SmsUrl, so that is what must point at Fruxon`,
        'messaging_service_consent',
        'pass --messaging-service to point the service\'s inbound URL there (every number in it follows)',
      );
    }
    if (r.layer === 'application' && r.sharedWith.length) {
      throw refuse(
        `TwiML App ${r.friendlyName ? `'${r.friendlyName}' ` : ''}(${r.sid}) receives the messages of ${config.fromNumber} and also serves ${r.sharedWith.join(', ')}: it is not changed for one of them`,
        'application_shared',
        'detach the number from the app in the Twilio Console (or point the app at Fruxon there), then run this again',
      );
    }
  }
  const number = routes[0]!.number!;
  const todo = routes.filter((r) => !routePointsAt(r, url));
  if (todo.length === 0) return { before: number, after: number, changed: false, routes };
  refuseUnderLease(opts.store, config);
  for (const r of todo) {
    try {
      if (r.layer === 'number') await setSmsWebhook(client, number.sid, url, 'POST');
      else if (r.layer === 'application') await setApplicationSmsUrl(client, r.sid!, url);
      else if (r.layer === 'whatsapp_sender') await setSenderWebhook(client, r.sid!, url, 'POST');
      else await setServiceWebhook(client, r.sid!, { inboundRequestUrl: url, inboundMethod: 'POST', fallbackUrl: r.fallbackUrl, fallbackMethod: r.fallbackMethod });
    } catch (err) {
      const e = twilioError(err, `point the ${r.layer.replace('_', ' ')} of ${number.phoneNumber} at the webhook`, { apiUrl: creds.apiUrl, accountSid: creds.accountSid });
      throw new CliError(e.message, { exitCode: ExitCode.registration, hint, reason: e.reason, cause: err });
    }
  }
  const after = todo.some((r) => r.layer === 'number') ? await fetchNumber(client, number.sid) : number;
  return { before: number, after, changed: true, routes };
}
