import { loadProductionWebhookUrl } from '../config/webhook-url.js';
import { withoutWhatsAppPrefix } from '../phone.js';
import type { SecretStore } from '../secrets/index.js';
import { type Config, isLeaseAlive, type Lease, type Store, type StoredEvent } from '../store/index.js';
import { alertFix, describeAlert, listWebhookAlerts } from '../twilio/alerts.js';
import type { TwilioClient } from '../twilio/client.js';
import { resolveRoute, routeName } from '../twilio/route.js';
import { classifyWebhookUrl, displayWebhookUrl } from '../twilio/webhook.js';

/**
 * Where inbound messages to the config's number go, as one sentence for a failed expect. This is the one
 * place the runner asks; it uses what the tool knows today (the number's SmsUrl, this machine's listener
 * leases, the recorded production URL). A full route resolver (Messaging Services, fallbacks) replaces
 * `inboundRoute` without touching the runner.
 */
export interface RouteFinding {
  /** true: it reaches Fruxon or a listener; false: it cannot reach the agent; null: unknown. */
  reachesAgent: boolean | null;
  text: string;
  /** The layer that wins points at Fruxon (the recorded production URL, or another Fruxon ingress URL). */
  toFruxon?: boolean;
}

export interface RouteFacts {
  number: string;
  /** null: the account has no such number; '' or null smsUrl: no webhook. */
  found: boolean;
  smsUrl: string | null;
  lease: Lease | null;
  leaseAlive: boolean;
  productionUrl: string | null;
  /**
   * What a running listener recorded of the tester's message: its event (and forward outcome), null when it
   * recorded none; undefined when not looked up.
   */
  recorded?: Pick<StoredEvent, 'id' | 'forward'> | null;
}

/** The sentence for a set of facts. Pure: never prints the production URL unmasked. */
export function describeRoute(f: RouteFacts): RouteFinding {
  const to = `inbound to ${f.number}`;
  if (!f.found)
    return {
      reachesAgent: false,
      text: `${to} goes nowhere this tool can see: the number is not on the config's account`,
    };
  const { kind, fruxon } = classifyWebhookUrl(f.smsUrl, { productionUrl: f.productionUrl, lease: f.lease });
  const shown = displayWebhookUrl(f.smsUrl, f.productionUrl) ?? '';
  switch (kind) {
    case 'none':
      return {
        reachesAgent: false,
        text: `${to} goes nowhere: the number has no "A MESSAGE COMES IN" webhook (fruxon-twilio webhook set, or run listen)`,
      };
    case 'production':
      return {
        reachesAgent: true,
        toFruxon: true,
        text: `${to} goes to Fruxon (${shown}): the agent got the message but sent no reply`,
      };
    case 'listener':
      return f.leaseAlive
        ? listenerFinding(`${to} goes to fruxon-twilio listen (pid ${f.lease!.pid}) at ${shown}`, f.recorded)
        : {
            reachesAgent: false,
            text: `${to} goes to a fruxon-twilio listen that is not running (pid ${f.lease!.pid}): start it again, or fruxon-twilio restore`,
          };
    default:
      return fruxon
        ? {
            reachesAgent: true,
            toFruxon: true,
            text: `${to} goes to Fruxon (${shown}), but not to the URL recorded for this config: check fruxon-twilio webhook show`,
          }
        : { reachesAgent: false, text: `${to} goes to ${shown}, not to Fruxon` };
  }
}

/** A running listener got (or not) the tester's message: what its event and forward say, as `listen` logged it. */
function listenerFinding(route: string, recorded: RouteFacts['recorded']): RouteFinding {
  if (recorded === undefined)
    return { reachesAgent: true, text: `${route}: check that its --forward-to agent answers` };
  if (recorded === null)
    return {
      reachesAgent: false,
      text: `${route}, which has recorded no event for the tester's message yet: see what it refused (fruxon-twilio events list --status refused)`,
    };
  const f = recorded.forward;
  const event = `event #${recorded.id}`;
  // No forward outcome: none is configured, or it has not completed yet (the listener keeps no other trace).
  if (!f)
    return {
      reachesAgent: true,
      text: `${route}: check that its --forward-to agent answers (it recorded the message as ${event}; no forward of it has completed)`,
    };
  if (f.error)
    return {
      reachesAgent: false,
      text: `${route}, whose forward of ${event} to ${f.url} failed: ${f.error} (is the agent running there?)`,
    };
  if (f.status !== null && (f.status < 200 || f.status >= 300))
    return {
      reachesAgent: false,
      text: `${route}, whose forward of ${event} to ${f.url} was answered HTTP ${f.status}: the agent refused it`,
    };
  return {
    reachesAgent: true,
    text: `${route}: check that its --forward-to agent answers (it took ${event} at ${f.url} with HTTP ${f.status ?? '?'}, and has sent no reply yet)`,
  };
}

/**
 * Gathers the facts (one number lookup) and describes them; a failure to look is a finding too. `sent`: the
 * tester's last message (its sender and when it was sent), looked up in a running listener's events.
 */
export async function inboundRoute(
  deps: { store: Store; env: NodeJS.ProcessEnv; secrets: () => SecretStore },
  config: Config,
  client: TwilioClient,
  sent?: { from: string; at: number },
): Promise<RouteFinding> {
  try {
    const route = await resolveRoute(client, config.fromNumber, 'sms');
    const lease = deps.store.leases.get(config.id) ?? null;
    let productionUrl: string | null = null;
    try {
      productionUrl = loadProductionWebhookUrl(config, deps.env, deps.secrets);
    } catch {
      productionUrl = null; // keychain unavailable: compare without it
    }
    const finding = describeRoute({
      number: config.fromNumber,
      found: route !== null,
      // The layer that wins (a Messaging Service's inbound URL over the number's SmsUrl).
      smsUrl: route?.url ?? null,
      lease,
      leaseAlive: lease ? isLeaseAlive(lease) : false,
      productionUrl,
      recorded: sent === undefined ? undefined : recordedEvent(deps.store, config, sent),
    });
    // Another layer than the number's own decides: say which.
    if (route && route.layer !== 'number' && route.layer !== 'sandbox')
      return { ...finding, text: `${finding.text} (the layer that receives them: ${routeName(route, 'label')})` };
    return finding;
  } catch (err) {
    return {
      reachesAgent: null,
      text: `could not look up where inbound to ${config.fromNumber} goes: ${(err as Error).message}`,
    };
  }
}

/**
 * The newest message event of the config from the tester since its last send (the inbound leg has a MessageSid
 * of its own, so the sender and the time find it).
 */
function recordedEvent(
  store: Store,
  config: Config,
  sent: { from: string; at: number },
): Pick<StoredEvent, 'id' | 'forward'> | null {
  const from = withoutWhatsAppPrefix(sent.from);
  const since = new Date(sent.at - 2000).toISOString();
  const event = store.events
    .list({ configId: config.id, status: 'accepted', since, limit: 50 })
    .find((e) => e.fromNumber === from);
  return event ? { id: event.id, forward: event.forward } : null;
}

/**
 * The webhook failure Twilio logged since `since` for the number's inbound route (its URL, its fallback, the
 * recorded production URL, a listener's), as the cause of a silence: "Twilio could not deliver SM… to https://…:
 * HTTP 502 (11200) at 10:42:07 UTC" beats "no reply". Null when Twilio logged none (or the alerts cannot be read:
 * a diagnosis never fails the run).
 */
export async function webhookFailure(
  deps: { store: Store; env: NodeJS.ProcessEnv; secrets: () => SecretStore },
  config: Config,
  client: TwilioClient,
  since: Date,
): Promise<{ text: string; fix: string | null } | null> {
  try {
    const route = await resolveRoute(client, config.fromNumber, 'sms');
    let productionUrl: string | null = null;
    try {
      productionUrl = loadProductionWebhookUrl(config, deps.env, deps.secrets);
    } catch {
      productionUrl = null;
    }
    const lease = deps.store.leases.get(config.id) ?? null;
    const urls = [route?.url, route?.fallbackUrl, productionUrl, lease?.ourUrl];
    const start = new Date(Math.floor(since.getTime() / 1000) * 1000);
    const [latest] = await listWebhookAlerts(client, { urls }, { since: start, limit: 200 });
    if (!latest) return null;
    const at = latest.dateCreated ? ` at ${latest.dateCreated.toISOString().slice(11, 19)} UTC` : '';
    const line = describeAlert({ ...latest, url: displayWebhookUrl(latest.url, productionUrl) });
    return {
      text: `${line}${at}: the agent never got the message`,
      fix: alertFix(latest.errorCode, latest.resourceSid) ?? null,
    };
  } catch {
    return null;
  }
}
