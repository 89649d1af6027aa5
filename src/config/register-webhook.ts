import { CliError, ExitCode, leaseHeldError, leaseStaleError } from '../errors.js';
import { isLeaseAlive, type Config, type Lease, type Store } from '../store/index.js';
import { twilioError, type TwilioClient, type TwilioCredentials } from '../twilio/client.js';
import { setApplicationSmsUrl, setSenderWebhook, setServiceWebhook } from '../twilio/layers.js';
import { fetchNumber, setSmsWebhook, type PhoneNumberInfo } from '../twilio/numbers.js';
import { resolveRoute, resolveRoutes, type Channel, type Route } from '../twilio/route.js';
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
    throw leaseHeldError(`${lease.phoneNumber} is held by a running listen (pid ${lease.pid}); its webhook is not changed while it runs`, lease.pid, {
      hintTail: ': it puts the previous webhook back, then run webhook set again',
    });
  }
  throw leaseStaleError(`${lease.phoneNumber} has a listener lease that was never restored (pid ${lease.pid} is gone)`, config.name);
}

/** Where a Twilio failure names the account and the API it called. */
type TwilioWhere = Pick<TwilioCredentials, 'apiUrl' | 'accountSid'>;

/**
 * A failed webhook step (a lookup, a change, a restore) as the CliError the command exits with: the error's
 * message and reason, exit 4 (or `exitCode`), `hint` over its own. The one home of "a webhook step exits 4".
 */
export function webhookStepError(e: CliError, opts: { exitCode?: number; hint?: string } = {}): CliError {
  return new CliError(e.message, { exitCode: opts.exitCode ?? ExitCode.registration, hint: opts.hint ?? e.hint, reason: e.reason, cause: e });
}

/** "The account does not own the config's number" (reason `number_not_found`), with what it means for the caller (`so …`). */
export function numberNotFoundError(config: Config, consequence: string, opts: { exitCode?: number; hint?: string } = {}): CliError {
  return new CliError(`${config.fromNumber} is not a phone number of account ${maskSid(config.accountSid)}, so ${consequence}`, {
    exitCode: opts.exitCode ?? ExitCode.failure,
    reason: 'number_not_found',
    hint: opts.hint ?? `check the From number of config ${JSON.stringify(config.name)} (fruxon-twilio configs set NAME --from +1…) or the account in the Twilio Console`,
  });
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
    throw webhookStepError(twilioError(err, `set the webhook of ${number.phoneNumber}`, { apiUrl: creds.apiUrl, accountSid: creds.accountSid }), { hint });
  }
}

/**
 * The routes of the config's number (its SMS route first; with `channels`, those channels' routes); a CliError
 * when Twilio fails (exit `exitCode`, else the error's own) or the number is neither on the account nor the
 * Sandbox (`notFound`: what that means for the caller, and the hint).
 */
export async function lookUpRoutes(
  client: TwilioClient,
  config: Config,
  creds: TwilioWhere,
  opts: { exitCode?: number; channels?: Channel[]; notFound?: { consequence: string; hint?: string } } = {},
): Promise<Route[]> {
  let routes: Route[];
  try {
    routes = opts.channels
      ? (await Promise.all(opts.channels.map((ch) => resolveRoute(client, config.fromNumber, ch)))).filter((r): r is Route => r !== null)
      : await resolveRoutes(client, config.fromNumber);
  } catch (err) {
    const e = twilioError(err, `look up where inbound messages to ${config.fromNumber} go`, { apiUrl: creds.apiUrl, accountSid: creds.accountSid });
    throw webhookStepError(e, { exitCode: opts.exitCode ?? e.exitCode });
  }
  if (routes.length === 0) {
    throw numberNotFoundError(config, opts.notFound?.consequence ?? 'it has no webhook to show or set', { exitCode: opts.exitCode, hint: opts.notFound?.hint });
  }
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
      throw webhookStepError(twilioError(err, `point the ${r.layer.replace('_', ' ')} of ${number.phoneNumber} at the webhook`, { apiUrl: creds.apiUrl, accountSid: creds.accountSid }), { hint });
    }
  }
  const after = todo.some((r) => r.layer === 'number') ? await fetchNumber(client, number.sid) : number;
  return { before: number, after, changed: true, routes };
}
