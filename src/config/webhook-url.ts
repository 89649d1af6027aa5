import { CliError, usageError } from '../errors.js';
import { type SecretStore, secretAccount } from '../secrets/index.js';
import type { Config, Store } from '../store/index.js';
import { maskWebhookUrl } from '../twilio/webhook.js';
import { isLoopbackUrl } from '../validate.js';
import { effectiveApiUrl } from './resolve.js';

/**
 * A config's production webhook URL: Fruxon's ingress URL for it, which carries a secret key. It lives in
 * the keychain beside the token (account `<config id>:webhook-url`), or, for a config that keeps no secret
 * (`--token-from-env`), in $FRUXON_TWILIO_WEBHOOK_URL at run time. SQLite keeps only its masked form.
 */

export const WEBHOOK_URL_ENV = 'FRUXON_TWILIO_WEBHOOK_URL';

/** The recorded production webhook URL, or null when none is recorded. */
export function loadProductionWebhookUrl(
  config: Config,
  env: NodeJS.ProcessEnv,
  keychain: () => SecretStore,
): string | null {
  if (config.secretSource === 'env') return env[WEBHOOK_URL_ENV]?.trim() || null;
  return keychain().get(secretAccount(config.id, 'webhook-url')) || null;
}

/**
 * Records (or, with null, forgets) the production webhook URL of a keychain-backed config: the keychain
 * entry and the masked hint in SQLite change together. Validate the URL first with checkWebhookUrl.
 */
export function saveProductionWebhookUrl(
  store: Store,
  config: Config,
  url: string | null,
  keychain: () => SecretStore,
): Config {
  if (config.secretSource === 'env') {
    throw usageError(
      `config ${JSON.stringify(config.name)} keeps no secret (it was added with --token-from-env), so its production webhook URL is not stored`,
      `set ${WEBHOOK_URL_ENV} in its environment instead`,
    );
  }
  const account = secretAccount(config.id, 'webhook-url');
  const kc = keychain();
  // The keychain write runs inside the transaction: if it fails, the hint is rolled back with it.
  return store.db
    .transaction(() => {
      const updated = store.configs.update(config.id, { webhookUrlHint: url ? maskWebhookUrl(url) : null });
      if (url) kc.set(account, url);
      else kc.delete(account);
      return updated;
    })
    .immediate();
}

/** Whether this run talks to a local stand-in for Twilio (the emulator), where loopback and http URLs are fine. */
export function usesLocalStandIn(config: Pick<Config, 'apiUrl'>, env: NodeJS.ProcessEnv): boolean {
  return effectiveApiUrl(config, env) !== null;
}

/**
 * A webhook URL Twilio can call: https on real Twilio (and not this machine); http(s) when the config
 * points at a local stand-in. Returns the URL as given (trimmed): Twilio signs the exact string.
 */
export function checkWebhookUrl(field: string, value: string, opts: { localStandIn: boolean }): string {
  const v = value.trim();
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw usageError(
      `${field} must be an absolute https URL, such as the webhook URL Fruxon shows for the config (got something that is not a URL)`,
    );
  }
  if (/\s/.test(v)) throw usageError(`${field} must be one URL without spaces`);
  if (opts.localStandIn) {
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw usageError(`${field} must be an http(s) URL (got ${JSON.stringify(url.protocol.replace(/:$/, ''))})`);
    return v;
  }
  if (url.protocol !== 'https:') {
    throw usageError(
      `${field} must be an https URL: Twilio calls it over the internet (got ${JSON.stringify(url.protocol.replace(/:$/, ''))})`,
      'http and loopback URLs are accepted only for a config with --api-url (a local stand-in such as the emulator)',
    );
  }
  if (isLoopbackUrl(v)) {
    throw new CliError(`${field} points at this machine (${url.host}), which Twilio cannot reach`, {
      exitCode: 2,
      reason: 'invalid_argument',
      hint: 'use the URL Fruxon shows for the config; loopback URLs are accepted only for a config with --api-url (a local stand-in such as the emulator)',
    });
  }
  return v;
}
