import {
  configRemovedError,
  effectiveApiUrl,
  loadSecret,
  twilioCredentials,
  webhookSigningToken,
} from '../config/resolve.js';
import { loadProductionWebhookUrl } from '../config/webhook-url.js';
import { usageError } from '../errors.js';
import type { SecretStore } from '../secrets/index.js';
import type { Config, Store } from '../store/index.js';
import { regionLabel, type TwilioCredentials, twilioOrigin } from '../twilio/client.js';
import { isLoopbackUrl } from '../validate.js';
import type { TunnelKind } from './tunnel.js';

/**
 * listen's plan: from the parsed flags, the config and the environment, what to start. Which secret is
 * needed (the Twilio secret to register, the Auth Token to verify signatures), where each comes from, the
 * tunnel, and whether registering can work at all. It prints nothing and starts nothing: the command
 * parses the flags before; the listen operation (src/operations/listen.ts) starts the session after.
 */

export interface ListenPlanOptions {
  /** --tunnel (already checked to be ngrok or none). */
  tunnel?: 'ngrok' | 'none';
  /** --public-url, checked and without trailing slashes. */
  publicUrl?: string;
  ngrokAuthtokenStdin?: boolean;
  authTokenStdin?: boolean;
  /** false with --no-register. */
  register: boolean;
  skipVerify: boolean;
}

export interface ListenPlanDeps {
  /** The store the config was found in (to tell a concurrent `configs remove` from a missing secret). */
  store: Store;
  env: NodeJS.ProcessEnv;
  secrets: () => SecretStore;
  /** Reads a value piped to standard input (`what` names the flag, for its errors). */
  readStdin: (what: string) => Promise<string>;
}

/** How Twilio reaches the listener: what ListenSession's `tunnel` option takes. */
export interface TunnelSpec {
  kind: TunnelKind;
  publicUrl?: string;
  ngrokAuthtoken?: string;
  ngrokServerAddr?: string;
}

export interface ListenWarning {
  code: 'skip_verify' | 'region';
  message: string;
}

export interface ListenPlan {
  config: Config;
  /** The REST base of a local stand-in (the emulator), null for real Twilio. */
  apiUrl: string | null;
  /** The key signatures are checked with; null with --skip-verify. */
  authToken: string | null;
  tunnel: TunnelSpec;
  /** Whether the number's webhook is pointed at the listener (and put back). */
  register: boolean;
  /** The Twilio credentials of the client that registers; null with --no-register. */
  credentials: TwilioCredentials | null;
  /** The config's production webhook URL (read at restore time); always null with --no-register. */
  productionUrl: () => string | null;
  /** To say before starting (the command styles them). */
  warnings: ListenWarning[];
}

export async function planListen(opts: ListenPlanOptions, config: Config, deps: ListenPlanDeps): Promise<ListenPlan> {
  const { store, env, secrets } = deps;
  const apiUrl = effectiveApiUrl(config, env);
  const tunnelKind: TunnelKind = opts.publicUrl ? 'public-url' : (opts.tunnel ?? (apiUrl ? 'none' : 'ngrok'));

  // The config's secret: the Twilio client needs it to register, and for an Auth Token config it is also the signing key.
  const needSecret = opts.register || (!opts.skipVerify && config.authMethod === 'auth-token');
  let secret: string | null = null;
  if (needSecret) {
    try {
      secret = loadSecret(config, env, secrets);
    } catch (err) {
      // A missing secret right after the config was found: `configs remove` won the race; say that (once its
      // transaction has committed: it deletes the secret before the row).
      if (!store.configs.byIdAfterWrites(config.id)) throw configRemovedError(config);
      throw err;
    }
  }

  let authToken: string | null = null;
  if (!opts.skipVerify) {
    authToken =
      config.authMethod === 'auth-token'
        ? secret
        : await webhookSigningToken(
            config,
            env,
            secrets,
            opts.authTokenStdin ? () => deps.readStdin('--auth-token-stdin') : undefined,
            'or accept unsigned requests with --skip-verify (unsafe)',
          );
  }
  let ngrokAuthtoken: string | undefined;
  if (tunnelKind === 'ngrok')
    ngrokAuthtoken = opts.ngrokAuthtokenStdin ? await deps.readStdin('--ngrok-authtoken-stdin') : env.NGROK_AUTHTOKEN;

  if (opts.register && !apiUrl && (tunnelKind === 'none' || (opts.publicUrl && isLoopbackUrl(opts.publicUrl)))) {
    throw usageError(
      `Twilio cannot reach a loopback URL, so it will not be registered on ${config.fromNumber}`,
      'use the ngrok tunnel (default) or --public-url https://…, or pass --no-register',
    );
  }

  const warnings: ListenWarning[] = [];
  if (opts.skipVerify) {
    warnings.push({
      code: 'skip_verify',
      message:
        '--skip-verify: requests are accepted WITHOUT checking X-Twilio-Signature; anyone who finds the URL can fire triggers',
    });
  }

  const credentials = opts.register ? twilioCredentials(config, secret!, env) : null;
  // A number's inbound is processed in one region (US1 unless moved), and each region keeps its own webhook
  // configuration of the number: a webhook registered in IE1 is used only if the number's messaging is processed
  // in IE1. Twilio's API does not tell which one (docs/real-accounts.md, "Regions"): say where we register, once.
  const region = credentials ? regionLabel(credentials) : null;
  if (credentials && region?.startsWith('region ')) {
    warnings.push({
      code: 'region',
      message: `${region}: the webhook is set in that region's configuration of ${config.fromNumber} (${apiUrl ?? twilioOrigin(credentials)}); Twilio uses it only if the number's inbound messages are processed in ${region.split(',')[0]}, which its API does not say (a number stays in US1 unless its messaging region was moved)`,
    });
  }

  return {
    config,
    apiUrl,
    authToken,
    tunnel: {
      kind: tunnelKind,
      publicUrl: opts.publicUrl,
      ngrokAuthtoken,
      ngrokServerAddr: env.NGROK_SERVER_ADDR || undefined,
    },
    register: opts.register,
    credentials,
    productionUrl: () => (opts.register ? loadProductionWebhookUrl(config, env, secrets) : null),
    warnings,
  };
}
