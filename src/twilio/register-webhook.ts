import { CliError, ExitCode, leaseHeldError, leaseStaleError } from '../errors.js';
import { shellQuote } from '../shell.js';
import { type Config, isBeingRestored, isLeaseAlive, type Lease, type Store, sameLease } from '../store/index.js';
import { maskSid } from '../validate.js';
import { callSite, type TwilioCallSite, type TwilioClient, type TwilioCredentials, twilioError } from './client.js';
import { setApplicationSmsUrl, setSenderWebhook, setServiceWebhook } from './layers.js';
import { sleepUnlessAborted } from './messages.js';
import { fetchNumber, type PhoneNumberInfo, setSmsWebhook } from './numbers.js';
import { applicationRoute, type Channel, type Route, resolveChannels, routeName } from './route.js';
import { sameWebhookUrl } from './webhook.js';

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
    throw leaseHeldError(
      `${lease.phoneNumber} is held by a running listen (pid ${lease.pid}); its webhook is not changed while it runs`,
      lease.pid,
      {
        hintTail: ': it puts the previous webhook back, then run webhook set again',
      },
    );
  }
  throw leaseStaleError(
    `${lease.phoneNumber} has a listener lease that was never restored (pid ${lease.pid} is gone)`,
    config.name,
  );
}

/** Where a Twilio failure names the account and the API it called. */
type TwilioWhere = TwilioCallSite;

/**
 * A failed webhook step (a lookup, a change, a restore) as the CliError the command exits with: the error's
 * message and reason, exit 4 (or `exitCode`), `hint` over its own. The one home of "a webhook step exits 4".
 */
export function webhookStepError(e: CliError, opts: { exitCode?: number; hint?: string } = {}): CliError {
  return new CliError(e.message, {
    exitCode: opts.exitCode ?? ExitCode.registration,
    hint: opts.hint ?? e.hint,
    reason: e.reason,
    cause: e,
  });
}

/** "The account does not own the config's number" (reason `number_not_found`), with what it means for the caller (`so …`). */
export function numberNotFoundError(
  config: Config,
  consequence: string,
  opts: { exitCode?: number; hint?: string } = {},
): CliError {
  return new CliError(
    `${config.fromNumber} is not a phone number of account ${maskSid(config.accountSid)}, so ${consequence}`,
    {
      exitCode: opts.exitCode ?? ExitCode.failure,
      reason: 'number_not_found',
      hint:
        opts.hint ??
        `check the From number of config ${JSON.stringify(config.name)} (fruxon-twilio configs set NAME --from +1…) or the account in the Twilio Console`,
    },
  );
}

/** Whether the number already points at `url` with POST. */
export function pointsAt(number: PhoneNumberInfo, url: string): boolean {
  return sameWebhookUrl(number.smsUrl, url) && (number.smsMethod ?? 'POST').toUpperCase() === 'POST';
}

/** Sets the number's SmsUrl (POST); a Twilio failure exits 4. */
export async function applySmsUrl(
  client: TwilioClient,
  creds: TwilioCredentials,
  number: PhoneNumberInfo,
  url: string,
  hint?: string,
): Promise<PhoneNumberInfo> {
  try {
    return await setSmsWebhook(client, number.sid, url, 'POST');
  } catch (err) {
    throw webhookStepError(twilioError(err, `set the webhook of ${number.phoneNumber}`, callSite(creds)), { hint });
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
    routes = await resolveChannels(client, config.fromNumber, opts.channels ?? null);
  } catch (err) {
    const e = twilioError(err, `look up where inbound messages to ${config.fromNumber} go`, callSite(creds));
    throw webhookStepError(e, { exitCode: opts.exitCode ?? e.exitCode });
  }
  if (routes.length === 0) {
    throw numberNotFoundError(config, opts.notFound?.consequence ?? 'it has no webhook to show or set', {
      exitCode: opts.exitCode,
      hint: opts.notFound?.hint,
    });
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
  refuseRoutes(config, routes, opts.allowMessagingService);
  const number = routes[0]!.number!;
  const todo = routes.filter((r) => !routePointsAt(r, url));
  if (todo.length === 0) return { before: number, after: number, changed: false, routes };
  refuseUnderLease(opts.store, config);
  for (const r of todo) await pointRouteAt(client, creds, number, r, url, hint);
  const after = todo.some((r) => r.layer === 'number') ? await fetchNumber(client, number.sid) : number;
  return { before: number, after, changed: true, routes };
}

/** What pointing `routes` at a URL outside a listener refuses (exit 4): the Sandbox, a Messaging Service without consent, a shared TwiML App. */
function refuseRoutes(config: Config, routes: Route[], allowMessagingService: boolean | undefined): void {
  const refuse = (message: string, reason: string, h: string) =>
    new CliError(message, { exitCode: ExitCode.registration, reason, hint: h });
  for (const r of routes) {
    if (r.layer === 'sandbox') {
      throw refuse(
        `${config.fromNumber} is the WhatsApp Sandbox: no API can set its webhook`,
        'sandbox',
        'set it in the Twilio Console: Messaging → Try it out → WhatsApp sandbox settings → "When a message comes in"',
      );
    }
    if ((r.layer === 'messaging_service' || r.layer === 'none') && !allowMessagingService) {
      const others = r.sharedWith.length ? ` and also serves ${r.sharedWith.join(', ')}` : '';
      throw refuse(
        `${routeName(r, 'full')} receives the messages of ${config.fromNumber}${others}: its inbound URL wins over the number's SmsUrl, so that is what must point at Fruxon`,
        'messaging_service_consent',
        "pass --messaging-service to point the service's inbound URL there (every number in it follows)",
      );
    }
    if (r.layer === 'application' && r.sharedWith.length) {
      throw refuse(
        `${routeName(r, 'full')} receives the messages of ${config.fromNumber} and also serves ${r.sharedWith.join(', ')}: it is not changed for one of them`,
        'application_shared',
        'detach the number from the app in the Twilio Console (or point the app at Fruxon there), then run this again',
      );
    }
  }
}

/** Points one route's layer at `url` (POST); a Twilio failure exits 4 with `hint`. */
async function pointRouteAt(
  client: TwilioClient,
  creds: TwilioCredentials,
  number: PhoneNumberInfo,
  r: Route,
  url: string,
  hint: string,
): Promise<void> {
  try {
    if (r.layer === 'number') await setSmsWebhook(client, number.sid, url, 'POST');
    else if (r.layer === 'application') await setApplicationSmsUrl(client, r.sid!, url);
    else if (r.layer === 'whatsapp_sender') await setSenderWebhook(client, r.sid!, url, 'POST');
    else
      await setServiceWebhook(client, r.sid!, {
        inboundRequestUrl: url,
        inboundMethod: 'POST',
        fallbackUrl: r.fallbackUrl,
        fallbackMethod: r.fallbackMethod,
      });
  } catch (err) {
    throw webhookStepError(
      twilioError(
        err,
        `point the ${r.layer.replace('_', ' ')} of ${number.phoneNumber} at the webhook`,
        callSite(creds),
      ),
      { hint },
    );
  }
}

/** Whether the listener's lease holds this route's layer (restoring the lease puts that layer back). */
function heldByLease(lease: Lease, r: Route): boolean {
  const layer = lease.layer ?? 'number';
  const prev = lease.previous ?? {};
  if (r.layer === 'whatsapp_sender') return prev.whatsappSender?.sid === r.sid;
  if (r.layer === 'messaging_service' || r.layer === 'none')
    return layer === 'messaging_service' && prev.messagingService?.sid === r.sid;
  // A TwiML App lease detached the number from its app: the number's route is the lease's until it is restored.
  if (r.layer === 'number') return (layer === 'number' || layer === 'application') && r.sid === lease.numberSid;
  return false;
}

/**
 * Production wiring (`link`) while a listener's lease holds the config's number, alive or crashed: the account
 * must end as `pointNumberAt` would have left it had no listener been running. So the routes are judged as they
 * will be once the lease is restored (a detached TwiML App counts again, shared or not) and refused exactly as
 * pointNumberAt refuses, before anything is recorded; the layers the lease holds that still point at the
 * listener then get the production URL when the lease is restored (the lease records it: its number, its app's
 * SMS URL, its service's inbound URL, its sender's callback URL; each still only if that layer points at the
 * listener then); any other route (a channel the listen left alone, a layer a failed restore already put back,
 * one changed during the listen) is pointed at `url` now, as without a listener. Returns null when the lease is
 * gone by the time it is recorded (the listener stopped meanwhile): then pointNumberAt does the job.
 * A lease that a restore has claimed (a listen stopping, `restore`) already read what it puts back: marking it
 * would be lost. Then this waits (polling the store every `pollMs`, at most `restoreWaitMs`) until it is gone,
 * and returns null; a restore that failed and kept the lease is marked as usual. Nothing is changed on Twilio
 * while it waits; a wait that times out (or `signal` aborts) is a conflict (exit 5, reason `lease_restoring`).
 */
export async function deferToProduction(opts: {
  store: Store;
  config: Config;
  lease: Lease;
  client: TwilioClient;
  creds: TwilioCredentials;
  url: string;
  hint?: string;
  allowMessagingService?: boolean;
  /** How long to wait for a restore that claimed the lease (default 15 s), and how often to look (default 100 ms). */
  restoreWaitMs?: number;
  pollMs?: number;
  signal?: AbortSignal;
  /** Called once when the wait for such a restore begins, with the lease as claimed. */
  onRestoreWait?: (lease: Lease) => void;
}): Promise<{ held: Route[]; pointedNow: Route[]; routes: Route[] } | null> {
  const { client, config, creds, lease, url } = opts;
  const hint = opts.hint ?? `retry: fruxon-twilio webhook set --config ${shellQuote(config.name)} --yes`;
  // The production URL belongs to the config: another config's lease on the same number restores its own.
  if (lease.configId !== config.id) refuseUnderLease(opts.store, opts.store.configs.byId(lease.configId) ?? config);
  const current = await lookUpRoutes(client, config, creds, { exitCode: ExitCode.registration });
  // A layer the lease holds is the restore's only while it still points at the listener: one that a restore
  // already put back (it failed on a later layer and kept the lease) would be left alone by the next restore.
  const held = current.map((r) => heldByLease(lease, r) && routePointsAt(r, lease.ourUrl));
  const detachedApp = lease.layer === 'application' ? lease.previous?.application?.sid : undefined;
  let routes: Route[];
  try {
    routes = await Promise.all(
      current.map((r, i) =>
        held[i] && detachedApp && r.number ? applicationRoute(client, r.number, detachedApp, r.channel) : r,
      ),
    );
  } catch (err) {
    throw webhookStepError(
      twilioError(
        err,
        `look up TwiML App ${detachedApp} that the listener detached ${config.fromNumber} from`,
        callSite(creds),
      ),
    );
  }
  refuseRoutes(config, routes, opts.allowMessagingService);
  const number = current[0]!.number!;
  const store = opts.store;
  // A restore under way already read the lease: wait for it (one bound for both waits below). The first wait
  // comes before anything is changed, so one that times out leaves Twilio as it was.
  const waitMs = opts.restoreWaitMs ?? DEFAULT_RESTORE_WAIT_MS;
  const deadline = Date.now() + waitMs;
  let told = false;
  const wait = <T extends string>(attempt: () => T | 'restoring') =>
    untilNotRestoring(attempt, { ...opts, deadline }, () => {
      const now = store.leases.get(config.id);
      if (!told && now?.restoring) opts.onRestoreWait?.(now);
      told = true;
    }).catch((err: unknown) => {
      throw err === ABORTED
        ? restoreWaitError(lease, config, null)
        : err === TIMED_OUT
          ? restoreWaitError(lease, config, waitMs)
          : err;
    });
  const peek = await wait(() => {
    const now = store.leases.get(config.id);
    return !now || !sameLease(now, lease) ? 'gone' : isBeingRestored(now) ? 'restoring' : 'idle';
  });
  if (peek === 'gone') return null;
  const pointedNow = routes.filter((r, i) => !held[i] && !routePointsAt(r, url));
  for (const r of pointedNow) await pointRouteAt(client, creds, number, r, url, hint);
  if ((await wait(() => store.leases.restoreToProduction(config.id, lease))) === 'gone') return null;
  return { held: routes.filter((_, i) => held[i]), pointedNow, routes };
}

/** How long `link` waits by default for a restore under way (a stopping listen puts back a few layers: seconds at most). */
export const DEFAULT_RESTORE_WAIT_MS = 15_000;

const ABORTED = Symbol('aborted');
const TIMED_OUT = Symbol('timed out');

/** Runs `attempt` every `pollMs` (default 100 ms) until it answers something other than 'restoring'; `onWait` before each wait. Rejects with TIMED_OUT after `deadline`, ABORTED on `signal`. */
async function untilNotRestoring<T extends string>(
  attempt: () => T | 'restoring',
  opts: { deadline: number; pollMs?: number; signal?: AbortSignal },
  onWait: () => void,
): Promise<T> {
  const pollMs = opts.pollMs ?? 100;
  for (;;) {
    const r = attempt();
    if (r !== 'restoring') return r;
    if (opts.signal?.aborted) throw ABORTED;
    if (Date.now() >= opts.deadline) throw TIMED_OUT;
    onWait();
    await sleepUnlessAborted(Math.min(pollMs, Math.max(0, opts.deadline - Date.now())), opts.signal);
  }
}

/** A restore of the lease did not finish while we waited (`waitMs` null: the command was stopped). */
function restoreWaitError(lease: Lease, config: Config, waitMs: number | null): CliError {
  const current = `${lease.phoneNumber} is being put back by a stopping listen (or a restore)`;
  return new CliError(
    waitMs === null
      ? `${current}; stopped while waiting for it to finish, so it was not pointed at the production URL`
      : `${current} that did not finish within ${Math.round(waitMs / 100) / 10} s, so it was not pointed at the production URL`,
    {
      exitCode: ExitCode.conflict,
      reason: 'lease_restoring',
      hint: `once it has finished: fruxon-twilio webhook set --config ${shellQuote(config.name)} --yes`,
    },
  );
}
