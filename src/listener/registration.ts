import { configRemovedError } from '../config/resolve.js';
import { CliError, ExitCode, leaseHeldError } from '../errors.js';
import {
  type Config,
  isLeaseAlive,
  type Lease,
  type LeasedUrl,
  type LeasedValues,
  type LeaseLayer,
  type Store,
} from '../store/index.js';
import { clientCallSite, type TwilioClient, twilioError } from '../twilio/client.js';
import {
  fetchSenderWebhook,
  fetchServiceWebhook,
  listServiceNonPhoneSenders,
  setApplicationSmsUrl,
  setNumberApplication,
  setSenderWebhook,
  setServiceWebhook,
} from '../twilio/layers.js';
import { fetchNumber, setSmsWebhook } from '../twilio/numbers.js';
import { lookUpRoutes, numberNotFoundError, webhookStepError } from '../twilio/register-webhook.js';
import { type Channel, type Route, routeName } from '../twilio/route.js';
import {
  describeRestore,
  displayWebhookUrl,
  isListenerUrl,
  sameWebhookUrl,
  urlFragment,
  withFragment,
} from '../twilio/webhook.js';
import { isLoopbackUrl, maskSid } from '../validate.js';
import { LISTENER_HEADER } from './server.js';

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

export interface Registration {
  /** null: nothing was changed (the WhatsApp Sandbox: only the Console can point it at us). */
  lease: Lease | null;
  /** The routes of the channels listened on; the first decides for SMS when the number has it. */
  routes: Route[];
  /**
   * Every address whose messages arrive at the listener: the config's number, and the other numbers, short codes
   * and RCS/Messenger senders (as Twilio writes them in To) of a leased Messaging Service.
   */
  accepts: string[];
  /**
   * Where Twilio sends what the listener refuses (an error answer) or does not answer in time, per channel of
   * `routes`: the winning layer's fallback URL, kept for the run; null with none (or cleared: --no-fallback).
   * As Twilio answers it: a face masks it.
   */
  fallbacks: RunFallback[];
}

/** The fallback URL in force on one channel while the listener runs. */
export interface RunFallback {
  channel: Channel;
  url: string | null;
  method: string | null;
}

/**
 * Takes the config's lease and points the layer that receives the number's inbound messages at `webhookUrl`
 * (POST): the number's SmsUrl; its TwiML App (detached in one update, SmsUrl set); its Messaging Service's
 * inbound URL (only with `allowMessagingService`: it serves every number of the service); its WhatsApp sender's
 * callback URL too. A live lease of another process is a conflict; a stale one is restored first.
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
  /** Channels to receive (default: every channel the number has). */
  channels?: Channel[];
  allowMessagingService?: boolean;
  /**
   * --no-fallback: clear the winning layer's fallback URL for the run (the lease records it; put back on stop,
   * crash and restore). By default it is kept: a listener that refuses a message or dies lets Twilio fall back.
   */
  noFallback?: boolean;
  onStaleRestored?: (outcome: RestoreOutcome, lease: Lease) => void;
  /**
   * Asked before taking a layer that points at a production URL (the config's recorded one, or any URL that is
   * neither loopback nor a listener's): true takes it, false refuses (exit 4). Absent: nobody can be asked (no
   * terminal), so it is taken and `onWarning` says so.
   */
  confirmTakeOver?: (q: TakeOverQuestion) => Promise<boolean>;
  /** A warning about what registering found or did (a listener taken over, a production URL taken unasked). */
  onWarning?: (message: string) => void;
  /** Whether the listener at a URL runs (default: probeListener, one GET). */
  probe?: (url: string) => Promise<ListenerProbe>;
}): Promise<Registration> {
  const { store, client, config } = opts;
  const pid = opts.pid ?? process.pid;
  const errCtx = clientCallSite(client, opts.apiUrl, config.accountSid);

  const held = store.leases.get(config.id);
  if (held) {
    if (isLeaseAlive(held) && held.pid !== pid) throw leaseConflict(config, held);
    const outcome = await restoreWebhook({
      store,
      client,
      lease: held,
      apiUrl: opts.apiUrl,
      config,
      productionUrl: opts.productionUrl,
    });
    opts.onStaleRestored?.(outcome, held);
  }

  const notFound = {
    consequence: 'its webhook cannot be set',
    hint: 'check the From number of the config (fruxon-twilio configs show), or listen with --no-register',
  };
  const routes = await lookUpRoutes(client, config, errCtx, {
    exitCode: ExitCode.registration,
    channels: opts.channels,
    notFound,
  });
  const number = routes.find((r) => r.number)?.number;
  if (!number) {
    if (routes[0]?.layer === 'sandbox')
      return { lease: null, routes, accepts: [config.fromNumber], fallbacks: runFallbacks(routes, false) };
    throw numberNotFoundError(config, notFound.consequence, { exitCode: ExitCode.registration, hint: notFound.hint });
  }
  const main = routes.find((r) => r.layer !== 'whatsapp_sender');
  const sender = routes.find((r) => r.layer === 'whatsapp_sender');
  const viaService = main && (main.layer === 'messaging_service' || main.layer === 'none');
  if (main && viaService && !opts.allowMessagingService) throw serviceConsentError(main);
  // The service's own short codes and RCS/Messenger senders reach the listener too: listed once, here, before
  // anything changes. Not fatal: without them only those messages are refused (unsupported_address), as before.
  let serviceSenders: string[] = [];
  if (main && viaService) {
    try {
      serviceSenders = await listServiceNonPhoneSenders(client, main.sid!);
    } catch (err) {
      opts.onWarning?.(
        `the short codes and RCS/Messenger senders of ${routeName(main, 'full')} could not be listed (${twilioError(err, 'list them', errCtx).message}): messages to them are refused`,
      );
    }
  }

  const prod = opts.productionUrl;
  const noFallback = Boolean(opts.noFallback);
  // A listener's URL (another lease's of this store, or any URL of a listener's shape: another machine's or data
  // home's) is never what to put back: the production URL the config knows stands in for it, or else the last
  // value another lease here recorded for the number that is no listener's, or none.
  const others = store.leases.list().filter((l) => l.configId !== config.id);
  const localLease = (url: string | null) => (url ? (others.find((l) => sameWebhookUrl(l.ourUrl, url)) ?? null) : null);
  const isListener = (url: string | null) => isListenerUrl(url) || localLease(url) !== null;
  const lastKnown =
    others.find((l) => l.numberSid === number.sid && l.previousSmsUrl && !isListener(l.previousSmsUrl))
      ?.previousSmsUrl ?? null;
  const standIn: LeasedUrl = prod ? { production: true } : lastKnown;
  // The production URL is never written to the lease; the overrides in its fragment (not secret) are, when they differ.
  const asProduction = (url: string | null): LeasedUrl => {
    const fragment = urlFragment(url);
    return fragment !== urlFragment(prod) ? { production: true, fragment } : { production: true };
  };
  const keep = (url: string | null): LeasedUrl =>
    sameWebhookUrl(url, prod) ? asProduction(url) : isListener(url) ? standIn : url;
  const keepFallback = (url: string | null): LeasedUrl => (sameWebhookUrl(url, prod) ? asProduction(url) : url);
  // Asked again here (listen asked before binding its port): two listens of one config started together, the
  // second may find the first's URL on the number before the lease claim would say it, in the same words.
  const heldHere = heldByAnotherListener(store, config);
  if (heldHere) throw heldHere;
  await judgeHolders({
    routes: [main, sender].filter((r): r is Route => r !== undefined),
    config,
    prod,
    standIn,
    localLease,
    isListener,
    number: number.phoneNumber,
    probe: opts.probe ?? probeListener,
    confirm: opts.confirmTakeOver,
    warn: (m) => opts.onWarning?.(m),
  });
  const previous: LeasedValues = {};
  if (main?.layer === 'application') previous.application = { sid: main.sid! };
  if (main && viaService) {
    previous.messagingService = {
      sid: main.sid!,
      inboundRequestUrl: keep(main.url),
      inboundMethod: main.method,
      fallbackUrl: keepFallback(main.fallbackUrl),
      fallbackMethod: main.fallbackMethod,
    };
  }
  // The sender's fallback is recorded only when it is cleared for the run.
  const senderFallback =
    sender && noFallback && sender.fallbackUrl ? { url: null, method: sender.fallbackMethod } : undefined;
  if (sender)
    previous.whatsappSender = {
      sid: sender.sid!,
      callbackUrl: keep(sender.url),
      callbackMethod: sender.method,
      ...(senderFallback && { fallbackUrl: keepFallback(sender.fallbackUrl), fallbackMethod: sender.fallbackMethod }),
    };
  // The number's own fallback while it receives for the listener: its own (number layer), or the detached TwiML
  // App's (the layer that won keeps its fallback); none with --no-fallback. Recorded only when it changes.
  let numberFallback: { url: string | null; method: string | null } | undefined;
  if (main?.layer === 'number' && noFallback && number.smsFallbackUrl)
    numberFallback = { url: null, method: number.smsFallbackMethod };
  if (main?.layer === 'application') {
    const want = { url: noFallback ? null : main.fallbackUrl, method: main.fallbackMethod ?? number.smsFallbackMethod };
    if (
      (want.url ?? null) !== (number.smsFallbackUrl ?? null) ||
      (want.url && want.method !== number.smsFallbackMethod)
    )
      numberFallback = want;
  }
  if (numberFallback)
    previous.numberFallback = { url: keepFallback(number.smsFallbackUrl), method: number.smsFallbackMethod };
  const layer: LeaseLayer = !main
    ? 'whatsapp_sender'
    : viaService
      ? 'messaging_service'
      : main.layer === 'application'
        ? 'application'
        : 'number';

  const numberPrevious = keep(number.smsUrl);
  const wasProduction = numberPrevious !== null && typeof numberPrevious === 'object';
  if (wasProduction && numberPrevious.fragment !== undefined) previous.numberUrlFragment = numberPrevious.fragment;
  const taken = store.leases.acquire({
    configId: config.id,
    numberSid: number.sid,
    phoneNumber: number.phoneNumber,
    previousSmsUrl: wasProduction ? null : (numberPrevious as string | null),
    previousSmsMethod: number.smsMethod,
    previousIsProduction: wasProduction,
    ourUrl: opts.webhookUrl,
    pid,
    layer,
    layerSid: layer === 'number' ? number.sid : layer === 'whatsapp_sender' ? sender!.sid : main!.sid,
    previous: Object.keys(previous).length ? previous : null,
  });
  if (!taken.acquired) {
    if (taken.existing) throw leaseConflict(config, taken.existing);
    throw configRemovedError(config);
  }

  const url = opts.webhookUrl;
  const steps: [string, () => Promise<unknown>][] = [];
  if (layer === 'number')
    steps.push([
      `set the Messaging webhook of ${number.phoneNumber}`,
      () => setSmsWebhook(client, number.sid, url, 'POST', numberFallback),
    ]);
  if (layer === 'application')
    steps.push([
      `detach ${number.phoneNumber} from TwiML App ${maskSid(main!.sid!)}`,
      () => setNumberApplication(client, number.sid, null, url, 'POST', numberFallback),
    ]);
  if (layer === 'messaging_service') {
    steps.push([
      `set the inbound URL of Messaging Service ${maskSid(main!.sid!)}`,
      () =>
        setServiceWebhook(client, main!.sid!, {
          inboundRequestUrl: url,
          inboundMethod: 'POST',
          fallbackUrl: noFallback ? null : main!.fallbackUrl,
          fallbackMethod: main!.fallbackMethod ?? 'POST',
        }),
    ]);
  }
  if (sender)
    steps.push([
      `set the webhook of WhatsApp sender ${maskSid(sender.sid!)}`,
      () => setSenderWebhook(client, sender.sid!, url, 'POST', senderFallback),
    ]);
  for (const [i, [what, step]] of steps.entries()) {
    try {
      await step();
    } catch (err) {
      const e = webhookStepError(twilioError(err, what, errCtx));
      if (i === 0)
        store.leases.release(config.id); // nothing was changed yet: nothing to restore
      else
        await restoreWebhook({
          store,
          client,
          lease: taken.lease,
          apiUrl: opts.apiUrl,
          config,
          productionUrl: prod,
        }).catch(() => undefined);
      throw e;
    }
  }
  const accepts = [number.phoneNumber, ...(viaService ? main!.sharedWith : []), ...serviceSenders];
  return { lease: taken.lease, routes, accepts, fallbacks: runFallbacks(routes, noFallback) };
}

/** The fallback in force on each route's channel during the run: the winning layer's, unless cleared. */
function runFallbacks(routes: Route[], noFallback: boolean): RunFallback[] {
  return routes.map((r) => ({
    channel: r.channel,
    url: noFallback ? null : r.fallbackUrl,
    method: noFallback ? null : r.fallbackMethod,
  }));
}

/** What `listen` asks before taking a layer that points at a production URL. */
export interface TakeOverQuestion {
  /** The layer, as a face names it ('its SmsUrl', else route.ts routeName 'label'; Twilio's text: escape it). */
  layer: string;
  phoneNumber: string;
  /** Printable (masked like any webhook URL). */
  url: string;
  /** The config's recorded production URL (else: a URL that is neither loopback nor a listener's). */
  recorded: boolean;
}

/** What a GET of a listener's URL told: it runs (a listener's 405), and who it is (its `x-fruxon-twilio-listener`). */
export interface ListenerProbe {
  alive: boolean;
  holder: string | null;
}

/**
 * Whether a fruxon-twilio listener answers at `url`: one GET (a listener answers 405 with its header, or, before
 * the header, with its 405 body). Anything else (refused, a tunnel's "offline" page, a timeout) is a listener that
 * is gone.
 */
export async function probeListener(url: string, timeoutMs = 3000): Promise<ListenerProbe> {
  try {
    const res = await fetch(url, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    const body = await res.text().catch(() => '');
    const holder = res.headers.get(LISTENER_HEADER);
    return { alive: res.status === 405 && (holder !== null || body === 'method not allowed: use POST\n'), holder };
  } catch {
    return { alive: false, holder: null };
  }
}

/**
 * Before the lease is taken, what the layers to lease point at now: another listener that runs is a conflict
 * (exit 5, naming it); one that is gone is taken over (a warning says what the lease records instead); a
 * production URL is taken only with consent (`confirm`), or, with nobody to ask, with a warning.
 */
async function judgeHolders(o: {
  routes: Route[];
  config: Config;
  prod: string | null;
  standIn: LeasedUrl;
  localLease: (url: string | null) => Lease | null;
  isListener: (url: string | null) => boolean;
  number: string;
  probe: (url: string) => Promise<ListenerProbe>;
  confirm: ((q: TakeOverQuestion) => Promise<boolean>) | undefined;
  warn: (message: string) => void;
}): Promise<void> {
  const show = (url: string) => displayWebhookUrl(url, o.prod) ?? url;
  const instead =
    o.standIn === null
      ? 'no webhook (no production URL is recorded for the config: fruxon-twilio configs set NAME --webhook-url-stdin)'
      : typeof o.standIn === 'object'
        ? 'the recorded production URL'
        : show(o.standIn);
  for (const r of o.routes) {
    const url = r.url;
    if (!url) continue;
    const label = r.layer === 'number' ? 'its SmsUrl' : routeName(r, 'label');
    if (o.isListener(url)) {
      const local = o.localLease(url);
      const held = local
        ? { alive: isLeaseAlive(local), holder: `pid ${local.pid} on ${local.hostname}` }
        : await o.probe(url);
      if (held.alive) {
        const who = held.holder ? held.holder.replace(/^pid=/, 'pid ') : 'a listener';
        throw new CliError(
          `${o.number}: ${label} points at another fruxon-twilio listener that is running (${who}, at ${show(url)}): it holds the number`,
          {
            exitCode: ExitCode.conflict,
            reason: 'lease_held',
            hint: 'stop that listen first (it puts the number back when it stops), or listen with --no-register',
          },
        );
      }
      o.warn(
        `${o.number}: ${label} pointed at a fruxon-twilio listener that is not running (${show(url)}): taken over; the lease records ${instead} to put back on stop, never that listener's URL`,
      );
      continue;
    }
    const recorded = sameWebhookUrl(url, o.prod);
    if (!recorded && isLoopbackUrl(url)) continue;
    const q: TakeOverQuestion = { layer: label, phoneNumber: o.number, url: show(url), recorded };
    if (!o.confirm) {
      o.warn(
        `${o.number}: ${label} points at ${q.url}${recorded ? ' (the recorded production URL)' : ''}: taken for this listen, so the live agent gets no messages until it stops (--take-over says so in advance)`,
      );
      continue;
    }
    if (!(await o.confirm(q))) {
      throw new CliError(`${o.number} was not taken: ${label} still points at ${q.url}`, {
        exitCode: ExitCode.registration,
        reason: 'take_over_declined',
        hint: 'listen with --no-register to point something else at the listener yourself, or --take-over to take it',
      });
    }
  }
}

function serviceConsentError(route: Route): CliError {
  const others = route.sharedWith.length ? `, which also serves ${route.sharedWith.join(', ')}` : '';
  return new CliError(
    `${route.number!.phoneNumber} receives its messages through ${routeName(route, 'full')}${others}: listening means pointing the service's inbound URL here; pass --messaging-service to do that`,
    {
      exitCode: ExitCode.registration,
      reason: 'messaging_service_consent',
      hint: 'the service and its numbers are untouched; everything is put back when listen stops',
    },
  );
}

/**
 * Puts back what the lease changed, layer by layer, but each only if it still points at the lease's URL: a
 * change someone made since is left alone. The lease is claimed first (claimRestore), and what is put back is
 * the lease as claimed: `link` cannot mark it any more from then on, so nothing it records is lost between
 * this read and the release. The lease is released once Twilio has answered; on a Twilio failure it is kept
 * (and the claim dropped), so that `restore` can finish later. A claim held by another live process is a
 * conflict (exit 5). `productionUrl` as a function is read after the claim: `link` may record it until then.
 */
export async function restoreWebhook(opts: {
  store: Store;
  client: TwilioClient;
  lease: Lease;
  apiUrl: string | null;
  config: Config;
  productionUrl: string | null | (() => string | null);
  /** The restoring process (default: this one). */
  pid?: number;
}): Promise<RestoreOutcome> {
  const { store } = opts;
  const pid = opts.pid ?? process.pid;
  const claim = store.leases.claimRestore(opts.lease.configId, pid);
  if (!claim.claimed && claim.lease) throw restoreInProgress(claim.lease, opts.config);
  try {
    // No lease any more (dropped since the caller read it): the caller's copy, each layer still only if it points at us.
    const lease = claim.claimed ? claim.lease : opts.lease;
    const productionUrl = typeof opts.productionUrl === 'function' ? opts.productionUrl() : opts.productionUrl;
    return await restoreClaimed({ ...opts, lease, productionUrl });
  } finally {
    if (claim.claimed) store.leases.unclaimRestore(opts.lease.configId, pid); // released: nothing to drop
  }
}

/** "Another process is putting this lease back right now" (exit 5): it claimed the lease first. */
function restoreInProgress(lease: Lease, config: Config): CliError {
  const by = lease.restoring!;
  return new CliError(
    `${lease.phoneNumber} is being put back right now by another process (pid ${by.pid}, since ${by.since})`,
    {
      exitCode: ExitCode.conflict,
      reason: 'lease_restoring',
      hint: `wait for it to finish (a moment), then check: fruxon-twilio webhook show --config ${JSON.stringify(config.name)}`,
    },
  );
}

async function restoreClaimed(opts: {
  store: Store;
  client: TwilioClient;
  lease: Lease;
  apiUrl: string | null;
  config: Config;
  productionUrl: string | null;
}): Promise<RestoreOutcome> {
  const { store, client, lease, productionUrl } = opts;
  const errCtx = clientCallSite(client, opts.apiUrl, opts.config.accountSid);
  const show = (url: string | null) => displayWebhookUrl(url, productionUrl);
  const prev = lease.previous ?? {};
  const back = (v: LeasedUrl): string | null => {
    if (v === null || typeof v === 'string') return v;
    if (!productionUrl) throw productionMissing(lease, opts.config);
    return withFragment(productionUrl, v.fragment);
  };
  const layer = lease.layer ?? 'number';
  let outcome: RestoreOutcome | null = null;
  try {
    if (prev.whatsappSender) {
      const w = prev.whatsappSender;
      const current = await gone404(fetchSenderWebhook(client, w.sid));
      if (current && current.callbackUrl === lease.ourUrl)
        await setSenderWebhook(
          client,
          w.sid,
          back(w.callbackUrl),
          w.callbackMethod,
          w.fallbackUrl !== undefined ? { url: back(w.fallbackUrl), method: w.fallbackMethod ?? null } : undefined,
        );
      if (layer === 'whatsapp_sender') {
        outcome =
          current && current.callbackUrl === lease.ourUrl
            ? {
                action: 'restored',
                phoneNumber: lease.phoneNumber,
                restoredUrl: show(back(w.callbackUrl)),
                currentUrl: show(back(w.callbackUrl)),
                note: null,
              }
            : {
                action: 'left',
                phoneNumber: lease.phoneNumber,
                restoredUrl: null,
                currentUrl: show(current?.callbackUrl ?? null),
                note: null,
              };
      }
    }
    if (layer === 'messaging_service' && prev.messagingService) {
      const m = prev.messagingService;
      const current = await gone404(fetchServiceWebhook(client, m.sid));
      if (current && current.inboundRequestUrl === lease.ourUrl) {
        const restored = {
          inboundRequestUrl: back(m.inboundRequestUrl),
          inboundMethod: m.inboundMethod,
          fallbackUrl: back(m.fallbackUrl),
          fallbackMethod: m.fallbackMethod,
        };
        await setServiceWebhook(client, m.sid, restored);
        outcome = {
          action: 'restored',
          phoneNumber: lease.phoneNumber,
          restoredUrl: show(restored.inboundRequestUrl),
          currentUrl: show(restored.inboundRequestUrl),
          note: null,
        };
      } else {
        outcome = {
          action: 'left',
          phoneNumber: lease.phoneNumber,
          restoredUrl: null,
          currentUrl: show(current?.inboundRequestUrl ?? null),
          note: null,
        };
      }
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw webhookStepError(twilioError(err, `restore the webhooks listen changed for ${lease.phoneNumber}`, errCtx));
  }
  if (outcome) {
    store.leases.release(lease.configId);
    return outcome;
  }

  let current: Awaited<ReturnType<typeof fetchNumber>>;
  try {
    current = await fetchNumber(client, lease.numberSid);
  } catch (err) {
    if ((err as { status?: number }).status === 404) {
      store.leases.release(lease.configId); // the number left the account: nothing to put back
      return { action: 'left', phoneNumber: lease.phoneNumber, restoredUrl: null, currentUrl: null, note: null };
    }
    throw webhookStepError(twilioError(err, `fetch ${lease.phoneNumber} to restore its webhook`, errCtx));
  }
  const app = layer === 'application' ? prev.application : undefined;
  if (current.smsUrl !== lease.ourUrl || (app && current.smsApplicationSid)) {
    store.leases.release(lease.configId);
    return {
      action: 'left',
      phoneNumber: lease.phoneNumber,
      restoredUrl: null,
      currentUrl: show(current.smsUrl),
      note: null,
    };
  }
  let previous = lease.previousSmsUrl;
  if (lease.previousIsProduction) {
    if (!productionUrl) throw productionMissing(lease, opts.config);
    previous = withFragment(productionUrl, prev.numberUrlFragment);
  }
  const plan = describeRestore(previous, productionUrl, opts.config.name);
  // `link` ran during the listen: the app the number goes back to is pointed at the production URL first.
  const appUrl = app?.smsUrl !== undefined ? back(app.smsUrl) : undefined;
  // The number's own fallback, when the listen changed it (--no-fallback, or a detached app's put on it).
  const nf = prev.numberFallback;
  const fallback = nf ? { url: back(nf.url), method: nf.method } : undefined;
  try {
    if (app && appUrl) await setApplicationSmsUrl(client, app.sid, appUrl);
    if (app)
      await setNumberApplication(
        client,
        lease.numberSid,
        app.sid,
        plan.restoreUrl,
        lease.previousSmsMethod ?? 'POST',
        fallback,
      );
    else await setSmsWebhook(client, lease.numberSid, plan.restoreUrl, lease.previousSmsMethod ?? 'POST', fallback);
  } catch (err) {
    throw webhookStepError(twilioError(err, `restore the Messaging webhook of ${lease.phoneNumber}`, errCtx));
  }
  store.leases.release(lease.configId);
  // Behind a TwiML App the number's own SmsUrl is ignored: nothing to say about it.
  if (app)
    return {
      action: 'restored',
      phoneNumber: lease.phoneNumber,
      restoredUrl: show(appUrl ?? previous),
      currentUrl: show(appUrl ?? previous),
      note: null,
    };
  return {
    action: 'restored',
    phoneNumber: lease.phoneNumber,
    restoredUrl: show(previous),
    currentUrl: show(previous),
    note: plan.note,
  };
}

/** A layer that is gone (404) has nothing to put back. */
async function gone404<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (err) {
    if ((err as { status?: number }).status === 404) return null;
    throw err;
  }
}

function productionMissing(lease: Lease, config: Config): CliError {
  return new CliError(
    `${lease.phoneNumber} pointed at the production webhook URL before listen, and that URL is no longer recorded; the lease is kept`,
    {
      exitCode: ExitCode.registration,
      reason: 'production_url_missing',
      hint: `record it again (fruxon-twilio configs set ${JSON.stringify(config.name)} --webhook-url-stdin), then: fruxon-twilio restore --config ${JSON.stringify(config.name)}`,
    },
  );
}

/**
 * The conflict of a listen whose config another live listener already holds (exit 5). `listen` asks it first,
 * before it binds its port: the port the other listener holds would otherwise be reported instead.
 */
export function heldByAnotherListener(store: Store, config: Config, pid: number = process.pid): CliError | null {
  const held = store.leases.get(config.id);
  return held && isLeaseAlive(held) && held.pid !== pid ? leaseConflict(config, held) : null;
}

function leaseConflict(config: Config, lease: Lease): CliError {
  return leaseHeldError(
    `another listener (pid ${lease.pid}) already holds ${lease.phoneNumber} for config ${JSON.stringify(config.name)}`,
    lease.pid,
    {
      who: 'it',
      hintTail: ', or listen with --no-register',
    },
  );
}
