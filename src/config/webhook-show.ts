import { isLeaseAlive, type Config, type Lease } from '../store/index.js';
import type { PhoneNumberInfo } from '../twilio/numbers.js';
import { classifyWebhook, type WebhookKind } from '../twilio/webhook.js';
import { connectConfig, type ConfigDeps } from './connect.js';
import { lookUpNumber } from './register-webhook.js';
import { loadProductionWebhookUrl } from './webhook-url.js';

/**
 * What the config's number points at now: the core of `webhook show` and of the MCP `webhook_route` tool.
 * The production URL is a secret: whoever shows the view masks it (output/webhook.ts).
 */
export interface WebhookView {
  config: Config;
  number: PhoneNumberInfo;
  kind: WebhookKind;
  fallbackKind: WebhookKind;
  productionUrl: string | null;
  lease: Lease | null;
  leaseAlive: boolean;
}

export async function inspectWebhook(deps: ConfigDeps, configName?: string): Promise<WebhookView> {
  const { store, env } = deps;
  const { config, creds, client } = await connectConfig(store, configName, env, deps.secrets, deps.twilio);
  const number = await lookUpNumber(client, config, creds);
  const productionUrl = loadProductionWebhookUrl(config, env, deps.secrets);
  const lease = store.leases.get(config.id) ?? null;
  return {
    config,
    number,
    kind: classifyWebhook(number.smsUrl, { productionUrl, lease }),
    fallbackKind: classifyWebhook(number.smsFallbackUrl, { productionUrl, lease }),
    productionUrl,
    lease,
    leaseAlive: lease ? isLeaseAlive(lease) : false,
  };
}
