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
import { type TwilioClient, twilioError } from '../twilio/client.js';
import {
  fetchSenderWebhook,
  fetchServiceWebhook,
  setApplicationSmsUrl,
  setNumberApplication,
  setSenderWebhook,
  setServiceWebhook,
} from '../twilio/layers.js';
import { fetchNumber, setSmsWebhook } from '../twilio/numbers.js';
import { lookUpRoutes, numberNotFoundError, webhookStepError } from '../twilio/register-webhook.js';
import { type Channel, type Route, routeName } from '../twilio/route.js';
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

export interface Registration {
  /** null: nothing was changed (the WhatsApp Sandbox: only the Console can point it at us). */
  lease: Lease | null;
  /** The routes of the channels listened on; the first decides for SMS when the number has it. */
  routes: Route[];
  /** Every number whose messages arrive at the listener: the config's, and the other numbers of a leased Messaging Service. */
  accepts: string[];
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
  onStaleRestored?: (outcome: RestoreOutcome, lease: Lease) => void;
}): Promise<Registration> {
  const { store, client, config } = opts;
  const pid = opts.pid ?? process.pid;
  const errCtx = { apiUrl: opts.apiUrl, accountSid: config.accountSid };

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
    if (routes[0]?.layer === 'sandbox') return { lease: null, routes, accepts: [config.fromNumber] };
    throw numberNotFoundError(config, notFound.consequence, { exitCode: ExitCode.registration, hint: notFound.hint });
  }
  const main = routes.find((r) => r.layer !== 'whatsapp_sender');
  const sender = routes.find((r) => r.layer === 'whatsapp_sender');
  const viaService = main && (main.layer === 'messaging_service' || main.layer === 'none');
  if (main && viaService && !opts.allowMessagingService) throw serviceConsentError(main);

  const prod = opts.productionUrl;
  const keep = (url: string | null): LeasedUrl => (sameWebhookUrl(url, prod) ? { production: true } : url);
  const previous: LeasedValues = {};
  if (main?.layer === 'application') previous.application = { sid: main.sid! };
  if (main && viaService) {
    previous.messagingService = {
      sid: main.sid!,
      inboundRequestUrl: keep(main.url),
      inboundMethod: main.method,
      fallbackUrl: keep(main.fallbackUrl),
      fallbackMethod: main.fallbackMethod,
    };
  }
  if (sender)
    previous.whatsappSender = { sid: sender.sid!, callbackUrl: keep(sender.url), callbackMethod: sender.method };
  const layer: LeaseLayer = !main
    ? 'whatsapp_sender'
    : viaService
      ? 'messaging_service'
      : main.layer === 'application'
        ? 'application'
        : 'number';

  const wasProduction = sameWebhookUrl(number.smsUrl, prod);
  const taken = store.leases.acquire({
    configId: config.id,
    numberSid: number.sid,
    phoneNumber: number.phoneNumber,
    previousSmsUrl: wasProduction ? null : number.smsUrl,
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
      () => setSmsWebhook(client, number.sid, url, 'POST'),
    ]);
  if (layer === 'application')
    steps.push([
      `detach ${number.phoneNumber} from TwiML App ${maskSid(main!.sid!)}`,
      () => setNumberApplication(client, number.sid, null, url, 'POST'),
    ]);
  if (layer === 'messaging_service') {
    steps.push([
      `set the inbound URL of Messaging Service ${maskSid(main!.sid!)}`,
      () =>
        setServiceWebhook(client, main!.sid!, {
          inboundRequestUrl: url,
          inboundMethod: 'POST',
          fallbackUrl: null,
          fallbackMethod: 'POST',
        }),
    ]);
  }
  if (sender)
    steps.push([
      `set the webhook of WhatsApp sender ${maskSid(sender.sid!)}`,
      () => setSenderWebhook(client, sender.sid!, url, 'POST'),
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
  const accepts = [number.phoneNumber, ...(viaService ? main!.sharedWith : [])];
  return { lease: taken.lease, routes, accepts };
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
  const errCtx = { apiUrl: opts.apiUrl, accountSid: opts.config.accountSid };
  const show = (url: string | null) => displayWebhookUrl(url, productionUrl);
  const prev = lease.previous ?? {};
  const back = (v: LeasedUrl): string | null => {
    if (v === null || typeof v === 'string') return v;
    if (!productionUrl) throw productionMissing(lease, opts.config);
    return productionUrl;
  };
  const layer = lease.layer ?? 'number';
  let outcome: RestoreOutcome | null = null;
  try {
    if (prev.whatsappSender) {
      const w = prev.whatsappSender;
      const current = await gone404(fetchSenderWebhook(client, w.sid));
      if (current && current.callbackUrl === lease.ourUrl)
        await setSenderWebhook(client, w.sid, back(w.callbackUrl), w.callbackMethod);
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
    previous = productionUrl;
  }
  const plan = describeRestore(previous, productionUrl, opts.config.name);
  // `link` ran during the listen: the app the number goes back to is pointed at the production URL first.
  const appUrl = app?.smsUrl !== undefined ? back(app.smsUrl) : undefined;
  try {
    if (app && appUrl) await setApplicationSmsUrl(client, app.sid, appUrl);
    if (app)
      await setNumberApplication(client, lease.numberSid, app.sid, plan.restoreUrl, lease.previousSmsMethod ?? 'POST');
    else await setSmsWebhook(client, lease.numberSid, plan.restoreUrl, lease.previousSmsMethod ?? 'POST');
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
