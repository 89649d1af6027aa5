import { configRemovedError } from '../config/resolve.js';
import { CliError, ExitCode } from '../errors.js';
import { isLeaseAlive, type Config, type Lease, type Store } from '../store/index.js';
import { twilioError, type TwilioClient } from '../twilio/client.js';
import { fetchNumber, findNumber, setSmsWebhook } from '../twilio/numbers.js';
import { describeRestore, displayWebhookUrl, sameWebhookUrl } from '../twilio/webhook.js';
import { maskSid } from '../validate.js';

/**
 * Pointing the config's number at the listener and putting it back. The lease (SQLite) is written before
 * the number is changed and deleted only after it is restored, so a crash at any point leaves what
 * `restore` needs to finish the job.
 */

export interface RestoreOutcome {
  /** restored: the previous webhook is back. left: someone changed the number since; we did not clobber it. */
  action: 'restored' | 'left';
  phoneNumber: string;
  /** Printable forms: the production URL and anything that looks like a key are masked. */
  restoredUrl: string | null;
  currentUrl: string | null;
  /** Said when what was put back is nothing, or not the recorded production URL. */
  note: string | null;
}

/**
 * Takes the config's lease and points its number's Messaging webhook at `webhookUrl` (POST).
 * A live lease of another process is a conflict; a stale one (its process is gone) is restored first.
 */
export async function registerWebhook(opts: {
  store: Store;
  client: TwilioClient;
  config: Config;
  webhookUrl: string;
  apiUrl: string | null;
  /** The config's recorded production webhook URL (Fruxon's), if any: never written to the lease. */
  productionUrl: string | null;
  pid?: number;
  onStaleRestored?: (outcome: RestoreOutcome, lease: Lease) => void;
}): Promise<Lease> {
  const { store, client, config } = opts;
  const pid = opts.pid ?? process.pid;
  const errCtx = { apiUrl: opts.apiUrl, accountSid: config.accountSid };

  const held = store.leases.get(config.id);
  if (held) {
    if (isLeaseAlive(held) && held.pid !== pid) throw leaseConflict(config, held);
    const outcome = await restoreWebhook({ store, client, lease: held, apiUrl: opts.apiUrl, config, productionUrl: opts.productionUrl });
    opts.onStaleRestored?.(outcome, held);
  }

  let number;
  try {
    number = await findNumber(client, config.fromNumber);
  } catch (err) {
    throw asRegistrationError(twilioError(err, `look up ${config.fromNumber}`, errCtx));
  }
  if (!number) {
    throw new CliError(`${config.fromNumber} is not a phone number of account ${maskSid(config.accountSid)}, so its webhook cannot be set`, {
      exitCode: ExitCode.registration,
      reason: 'number_not_found',
      hint: 'check the From number of the config (fruxon-twilio configs show), or listen with --no-register',
    });
  }

  const wasProduction = sameWebhookUrl(number.smsUrl, opts.productionUrl);
  const taken = store.leases.acquire({
    configId: config.id,
    numberSid: number.sid,
    phoneNumber: number.phoneNumber,
    previousSmsUrl: wasProduction ? null : number.smsUrl,
    previousSmsMethod: number.smsMethod,
    previousIsProduction: wasProduction,
    ourUrl: opts.webhookUrl,
    pid,
  });
  if (!taken.acquired) {
    if (taken.existing) throw leaseConflict(config, taken.existing);
    throw configRemovedError(config);
  }

  try {
    await setSmsWebhook(client, number.sid, opts.webhookUrl, 'POST');
  } catch (err) {
    store.leases.release(config.id); // nothing was changed on the number: nothing to restore
    throw asRegistrationError(twilioError(err, `set the Messaging webhook of ${number.phoneNumber}`, errCtx));
  }
  return taken.lease;
}

/**
 * Puts the number's previous webhook back, but only if it still points at the lease's URL: a change
 * someone made since is left alone. The lease is released either way once Twilio has answered; on a
 * Twilio failure it is kept, so that `restore` can finish later.
 */
export async function restoreWebhook(opts: {
  store: Store;
  client: TwilioClient;
  lease: Lease;
  apiUrl: string | null;
  config: Config;
  productionUrl: string | null;
}): Promise<RestoreOutcome> {
  const { store, client, lease, productionUrl } = opts;
  const errCtx = { apiUrl: opts.apiUrl, accountSid: opts.config.accountSid };
  const show = (url: string | null) => displayWebhookUrl(url, productionUrl);
  let current;
  try {
    current = await fetchNumber(client, lease.numberSid);
  } catch (err) {
    if ((err as { status?: number }).status === 404) {
      store.leases.release(lease.configId); // the number left the account: nothing to put back
      return { action: 'left', phoneNumber: lease.phoneNumber, restoredUrl: null, currentUrl: null, note: null };
    }
    throw asRegistrationError(twilioError(err, `fetch ${lease.phoneNumber} to restore its webhook`, errCtx));
  }
  if (current.smsUrl !== lease.ourUrl) {
    store.leases.release(lease.configId);
    return { action: 'left', phoneNumber: lease.phoneNumber, restoredUrl: null, currentUrl: show(current.smsUrl), note: null };
  }
  let previous = lease.previousSmsUrl;
  if (lease.previousIsProduction) {
    if (!productionUrl) {
      throw new CliError(`${lease.phoneNumber} pointed at the production webhook URL before listen, and that URL is no longer recorded; the lease is kept`, {
        exitCode: ExitCode.registration,
        reason: 'production_url_missing',
        hint: `record it again (fruxon-twilio configs set ${JSON.stringify(opts.config.name)} --webhook-url-stdin), then: fruxon-twilio restore --config ${JSON.stringify(opts.config.name)}`,
      });
    }
    previous = productionUrl;
  }
  const plan = describeRestore(previous, productionUrl, opts.config.name);
  try {
    await setSmsWebhook(client, lease.numberSid, plan.restoreUrl, lease.previousSmsMethod ?? 'POST');
  } catch (err) {
    throw asRegistrationError(twilioError(err, `restore the Messaging webhook of ${lease.phoneNumber}`, errCtx));
  }
  store.leases.release(lease.configId);
  return { action: 'restored', phoneNumber: lease.phoneNumber, restoredUrl: show(previous), currentUrl: show(previous), note: plan.note };
}

function leaseConflict(config: Config, lease: Lease): CliError {
  return new CliError(`another listener (pid ${lease.pid}) already holds ${lease.phoneNumber} for config ${JSON.stringify(config.name)}`, {
    exitCode: ExitCode.conflict,
    reason: 'lease_held',
    hint: `stop it first (kill -INT ${lease.pid}), or listen with --no-register`,
  });
}

function asRegistrationError(err: CliError): CliError {
  return new CliError(err.message, { exitCode: ExitCode.registration, reason: err.reason, hint: err.hint, cause: err });
}
