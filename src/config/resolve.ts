import { CliError, ExitCode, usageError } from '../errors.js';
import type { SecretStore } from '../secrets/index.js';
import { shellQuote } from '../shell.js';
import type { Config, Store } from '../store/index.js';
import type { TwilioCredentials } from '../twilio/client.js';

/**
 * Finding a config and its secret: shared by every command that talks to Twilio. Loads nothing heavy
 * itself; the caller passes the store and, for keychain-backed configs, the keychain.
 */

/** The environment variable an env-sourced config reads its secret from. */
export function secretEnvVar(config: Pick<Config, 'authMethod'>): 'TWILIO_AUTH_TOKEN' | 'TWILIO_API_SECRET' {
  return config.authMethod === 'api-key' ? 'TWILIO_API_SECRET' : 'TWILIO_AUTH_TOKEN';
}

/** The named config, else the default one. */
export function resolveConfig(store: Store, name?: string): Config {
  if (name !== undefined) {
    const c = store.configs.byName(name);
    if (!c) {
      const names = store.configs.list({ limit: 5 }).map((x) => x.name);
      throw new CliError(`no config named ${JSON.stringify(name)}`, {
        exitCode: ExitCode.failure,
        reason: 'not_found',
        hint: names.length
          ? `known configs: ${names.join(', ')}${store.configs.count() > 5 ? ', …' : ''}`
          : 'add one with: fruxon-twilio add-config',
      });
    }
    return c;
  }
  const c = store.configs.defaultConfig();
  if (!c) {
    throw new CliError('no config given and no default config exists', {
      reason: 'not_found',
      hint: 'add one with: fruxon-twilio add-config (or pass --config NAME)',
    });
  }
  return c;
}

/** For a command that found its config, then lost it to a concurrent `configs remove`. */
export function configRemovedError(config: Pick<Config, 'name'>): CliError {
  return new CliError(`config ${JSON.stringify(config.name)} was removed while the listener was starting`, {
    reason: 'config_removed',
    hint: 'add it again with: fruxon-twilio add-config',
  });
}

/** The config's Auth Token (or API Key Secret), from the keychain or its environment variable. */
export function loadSecret(config: Config, env: NodeJS.ProcessEnv, secrets: () => SecretStore): string {
  if (config.secretSource === 'env') {
    const name = secretEnvVar(config);
    const v = env[name];
    if (!v) {
      throw new CliError(`config ${JSON.stringify(config.name)} reads its secret from ${name}, which is not set`, {
        reason: 'missing_secret',
        hint: `export ${name}=… (the ${config.authMethod === 'api-key' ? 'API Key Secret' : 'Auth Token'} from the Twilio Console)`,
      });
    }
    return v;
  }
  const v = secrets().get(config.id);
  if (!v) {
    throw new CliError(
      `the keychain has no ${config.authMethod === 'api-key' ? 'API Key Secret' : 'Auth Token'} for config ${JSON.stringify(config.name)}`,
      {
        reason: 'missing_secret',
        hint: `add it again: fruxon-twilio configs remove ${shellQuote(config.name)} && fruxon-twilio add-config`,
      },
    );
  }
  return v;
}

/**
 * The key Twilio signs webhooks with: the Auth Token. An API Key config has none stored, so it comes from
 * `readGiven` (`--auth-token-stdin`) when the caller has one, else TWILIO_AUTH_TOKEN. `alternative` is the
 * hint when there is none: what else the caller's command can do (default: simulate's --bad-signature).
 */
export async function webhookSigningToken(
  config: Config,
  env: NodeJS.ProcessEnv,
  secrets: () => SecretStore,
  readGiven?: () => Promise<string>,
  alternative = 'or send a forged signature with --bad-signature',
): Promise<string> {
  if (config.authMethod === 'auth-token') return loadSecret(config, env, secrets);
  if (readGiven) return readGiven();
  if (env.TWILIO_AUTH_TOKEN) return env.TWILIO_AUTH_TOKEN;
  throw usageError(
    `config ${JSON.stringify(config.name)} uses an API Key, but Twilio signs webhooks with the account's Auth Token: set TWILIO_AUTH_TOKEN or pass --auth-token-stdin`,
    alternative,
  );
}

/** The REST base for this run: FRUXON_TWILIO_API_URL wins over the config's saved --api-url. */
export function effectiveApiUrl(config: Pick<Config, 'apiUrl'>, env: NodeJS.ProcessEnv): string | null {
  return env.FRUXON_TWILIO_API_URL || config.apiUrl || null;
}

export function twilioCredentials(config: Config, secret: string, env: NodeJS.ProcessEnv): TwilioCredentials {
  return {
    accountSid: config.accountSid,
    authMethod: config.authMethod,
    apiKeySid: config.apiKeySid,
    secret,
    apiUrl: effectiveApiUrl(config, env),
    // As twilio-node reads them (its own env reading is off: the client's env is the command's).
    region: env.TWILIO_REGION || config.region || null,
    edge: env.TWILIO_EDGE || config.edge || null,
  };
}
