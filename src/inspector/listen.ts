import type { ListenInfo } from '../listener/session.js';
import { inspectWebhook } from '../operations/webhook-show.js';
import { webhookAlertsJson } from '../output/webhook.js';
import type { SecretStore } from '../secrets/index.js';
import type { Config, Store } from '../store/index.js';
import type { ApiTrace } from '../trace.js';
import type { TwilioFactory } from '../twilio/client.js';
import { conversationsNotes } from '../twilio/route.js';
import { inspectorActions } from './actions.js';
import { DEFAULT_INSPECT_PORT, Inspector } from './index.js';

/** The inspector of a running `listen`: its actions reply through the config and replay to this listener. */
export async function startListenInspector(opts: {
  store: Store;
  config: Config;
  env: NodeJS.ProcessEnv;
  secrets: () => Promise<SecretStore>;
  twilio: TwilioFactory;
  info: ListenInfo;
  authToken: string | null;
  forwardTo: string | undefined;
  /** The API trace (FRUXON_TWILIO_DEBUG=api), null when off. */
  trace: ApiTrace | null;
  /** --inspect-port; undefined: the default, or any free port when it is taken. */
  port: number | undefined;
  /** A reply sent from the inspector (its SID): listen leaves it out of the agent's replies. */
  onSent?: (sid: string) => void;
  /** The clock of the route panel's alerts window (the last 24 h). */
  now: () => Date;
}): Promise<Inspector> {
  const { info } = opts;
  const inspector = new Inspector({
    store: opts.store,
    config: opts.config,
    mode: 'listen',
    route: {
      webhookUrl: info.webhookUrl,
      registered: info.lease !== null,
      tunnel: info.tunnel,
      conversations: conversationsNotes(info.routes),
    },
    statusCallbackUrl: info.statusCallbackUrl,
    forwardTo: opts.forwardTo ?? null,
    // The route panel's webhook alerts: the same look-up as `webhook show` (its routes, production URL, lease).
    webhookAlerts: async () => {
      const keychain = await opts.secrets();
      const v = await inspectWebhook(
        {
          store: opts.store,
          env: opts.env,
          secrets: () => keychain,
          twilio: opts.twilio,
          trace: opts.trace,
          now: opts.now,
        },
        opts.config.name,
      );
      return v.alerts ? webhookAlertsJson(v.alerts, v.productionUrl) : { error: v.alertsError ?? 'not read' };
    },
    actions: inspectorActions({
      store: opts.store,
      config: opts.config,
      env: opts.env,
      secrets: opts.secrets,
      twilio: opts.twilio,
      statusCallbackUrl: info.webhookUrl,
      listenerUrl: info.webhookUrl,
      authToken: async () => opts.authToken,
      forwardTo: opts.forwardTo ?? null,
      trace: opts.trace,
      ...(opts.onSent && { onSent: opts.onSent }),
    }),
  });
  await inspector.start(opts.port ?? DEFAULT_INSPECT_PORT, opts.port !== undefined);
  return inspector;
}
