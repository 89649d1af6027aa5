import { connectConfig } from '../config/connect.js';
import { loadProductionWebhookUrl } from '../config/webhook-url.js';
import { type Config, isLeaseAlive, type Lease } from '../store/index.js';
import { type AlertSummary, summarizeWebhookAlerts } from '../twilio/alerts.js';
import { callSite, twilioError } from '../twilio/client.js';
import type { PhoneNumberInfo } from '../twilio/numbers.js';
import { lookUpRoutes } from '../twilio/register-webhook.js';
import type { Route } from '../twilio/route.js';
import { sandboxJoinCode } from '../twilio/sandbox.js';
import { classifyWebhook, listenerState, type WebhookKind } from '../twilio/webhook.js';
import type { ConfigDeps, CoreDeps } from './deps.js';

/**
 * What the config's number points at now: the core of `webhook show` and of the MCP `webhook_route` tool.
 * The production URL is a secret: whoever shows the view masks it (output/webhook.ts).
 */
export interface WebhookView {
  config: Config;
  /** The account's number; null for the WhatsApp Sandbox (not on the account). */
  number: PhoneNumberInfo | null;
  /** Every channel's route; the first is the one `kind` is computed from (SMS when the number has it). */
  routes: Route[];
  kind: WebhookKind;
  fallbackKind: WebhookKind;
  /**
   * The winning layer's fallback URL when it is a listener's: one that runs, one that is gone (its lease is
   * stale), or one no lease of this store holds (another machine's: it may be gone); null otherwise.
   */
  fallbackListener: { state: 'alive' | 'gone' | 'unknown'; pid: number | null } | null;
  productionUrl: string | null;
  lease: Lease | null;
  leaseAlive: boolean;
  /**
   * Twilio's Monitor alerts about the number's webhook URLs in the last 24 h (a failed delivery); null when not
   * looked up (no clock given) or when the account's alerts could not be read (`alertsError` says why).
   */
  alerts: AlertSummary | null;
  alertsError: string | null;
  /** The WhatsApp Sandbox's `join <code>` when a route is the Sandbox and the code can be known (an emulator), else null. */
  sandboxJoinCode: string | null;
}

const ALERT_WINDOW_MS = 24 * 60 * 60 * 1000;

export async function inspectWebhook(
  deps: ConfigDeps & Pick<CoreDeps, 'trace'> & { now?: () => Date },
  configName?: string,
): Promise<WebhookView> {
  const { store, env } = deps;
  const { config, creds, client } = await connectConfig(store, configName, env, deps.secrets, deps.twilio);
  const routes = await lookUpRoutes(client, config, creds);
  const productionUrl = loadProductionWebhookUrl(config, env, deps.secrets);
  const lease = store.leases.get(config.id) ?? null;
  const winner = routes[0]!;
  const fb = listenerState(winner.fallbackUrl, { productionUrl, lease, leases: store.leases.list() }, isLeaseAlive);
  let alerts: AlertSummary | null = null;
  let alertsError: string | null = null;
  if (deps.now) {
    const urls = [
      ...routes.flatMap((r) => [r.url, r.fallbackUrl]),
      winner.number?.smsUrl,
      winner.number?.smsFallbackUrl,
      productionUrl,
      lease?.ourUrl,
      // While a listener holds the number: the URL it puts back on stop is the number's webhook too.
      lease?.previousSmsUrl,
    ];
    try {
      alerts = await summarizeWebhookAlerts(client, urls, new Date(deps.now().getTime() - ALERT_WINDOW_MS));
    } catch (err) {
      alertsError = twilioError(err, "read the account's Monitor alerts", callSite(creds)).message;
    }
  }
  return {
    config,
    number: winner.number,
    routes,
    kind: classifyWebhook(winner.url, { productionUrl, lease }),
    fallbackKind: classifyWebhook(winner.fallbackUrl, { productionUrl, lease }),
    fallbackListener: fb && { state: fb.state, pid: fb.lease?.pid ?? null },
    productionUrl,
    lease,
    leaseAlive: lease ? isLeaseAlive(lease) : false,
    alerts,
    alertsError,
    sandboxJoinCode: routes.some((r) => r.layer === 'sandbox') ? await sandboxJoinCode(creds.apiUrl, deps.trace) : null,
  };
}
