import { connectConfig } from '../config/connect.js';
import { resolveConfig } from '../config/resolve.js';
import { loadProductionWebhookUrl } from '../config/webhook-url.js';
import { CliError } from '../errors.js';
import { connectFruxon } from '../fruxon/account.js';
import { type FruxonConfig, getConfig } from '../fruxon/api.js';
import type { SecretStore } from '../secrets/index.js';
import type { Config, FruxonLink } from '../store/index.js';
import { lookUpRoutes } from '../twilio/register-webhook.js';
import { classifyWebhook, displayWebhookUrl } from '../twilio/webhook.js';
import type { CoreDeps } from './deps.js';

/**
 * `fruxon status`: the Fruxon side of a config (its linked Fruxon config, published or draft, the webhook key)
 * and whether the number points at the stored production URL. Returns what it found; the command prints it.
 * The production URL (a secret) is not part of the value: only whether one is stored, and the number's
 * SmsUrl in its printable (masked) form.
 */

export interface FruxonStatusDeps extends Pick<CoreDeps, 'store' | 'env' | 'twilio' | 'fruxon'> {
  /** The secret store, loaded only when the config is linked (an unlinked config needs no keychain). */
  secrets: () => Promise<SecretStore>;
}

export interface FruxonStatusNumber {
  phoneNumber: string;
  /** classifyWebhook's kind of the winning layer's URL (production, listener, other, none). */
  kind: string;
  pointsAtFruxon: boolean;
  /** The number's SmsUrl, printable (the production URL masked). */
  smsUrl: string | null;
}

export type FruxonStatus =
  | { config: Config; linked: false }
  | {
      config: Config;
      linked: true;
      link: FruxonLink;
      /** null: Fruxon has no such config any more (the link is stale). */
      fx: FruxonConfig | null;
      state: 'missing' | 'published' | 'draft';
      /** Whether a production webhook URL is recorded (keychain, or FRUXON_TWILIO_WEBHOOK_URL). */
      webhookUrlStored: boolean;
      /** null when the number could not be looked up: `numberError` says why. */
      number: FruxonStatusNumber | null;
      numberError: string | null;
    };

export async function fruxonStatus(
  opts: { config?: string; apiUrl?: string },
  deps: FruxonStatusDeps,
): Promise<FruxonStatus> {
  const { store, env } = deps;
  const config = resolveConfig(store, opts.config);
  const link = store.fruxon.link(config.id);
  if (!link) return { config, linked: false };
  const secrets = await deps.secrets();
  const keychain = () => secrets;
  const { client } = connectFruxon(store, env, keychain, {
    tenant: link.tenant,
    apiUrl: opts.apiUrl,
    fruxon: deps.fruxon,
  });
  const fx = await getConfig(client, link.fruxonConfigId);
  const state = !fx ? 'missing' : fx.publishedRevisionId ? 'published' : 'draft';

  // The number: does it point at the stored production URL?
  const productionUrl = loadProductionWebhookUrl(config, env, keychain);
  let number: FruxonStatusNumber | null = null;
  let numberError: string | null = null;
  try {
    const { config: c, creds, client: twilio } = await connectConfig(store, config.name, env, keychain, deps.twilio);
    // The layer that wins decides (a Messaging Service's inbound URL over the number's SmsUrl).
    const route = (await lookUpRoutes(twilio, c, creds))[0]!;
    const kind = classifyWebhook(route.url, { productionUrl, lease: store.leases.get(config.id) ?? null });
    number = {
      phoneNumber: c.fromNumber,
      kind,
      pointsAtFruxon: kind === 'production',
      smsUrl: displayWebhookUrl(route.number?.smsUrl, productionUrl),
    };
  } catch (err) {
    numberError = err instanceof CliError ? err.message : String((err as Error)?.message ?? err);
  }
  return { config, linked: true, link, fx, state, webhookUrlStored: productionUrl !== null, number, numberError };
}
