import { resolveConfig, webhookSigningToken } from '../config/resolve.js';
import { CliError } from '../errors.js';
import type { Config } from '../store/index.js';
import { DEFAULT_SIMULATED_BODY } from '../twilio/inbound-form.js';
import { displayWebhookUrl } from '../twilio/webhook.js';
import { type PostOutcome, postSignedForm, runningListenerUrl, simulatedForm } from './deliver.js';
import type { CoreDeps } from './deps.js';

/**
 * A simulated inbound message, posted as Twilio would post it to the config's running listener (or `url`):
 * the core of `simulate` and of the MCP `simulate_inbound` tool. The caller has checked the input's shape.
 * A target that answers with any status is a result (`ok` says whether it was 2xx); no listener, or no
 * answer at all, is an error. Never prints.
 */

export interface SimulateInput {
  config?: string;
  /** The sender, E.164. */
  from: string;
  /** Default: a greeting, or empty with media. */
  body?: string;
  whatsapp: boolean;
  profileName?: string;
  mediaUrls: string[];
  /** Post here instead of the running listener's URL. */
  url?: string;
  badSignature?: boolean;
  /** `--auth-token-stdin`: how an API Key config gets the Auth Token that signs (else TWILIO_AUTH_TOKEN). */
  readAuthToken?: () => Promise<string>;
}

export interface SimulateResult {
  config: Config;
  outcome: PostOutcome & { status: number };
  /** The target as it may be printed (a --url has any key-like part cut). */
  shownUrl: string;
  ok: boolean;
}

export async function simulateInbound(
  deps: Pick<CoreDeps, 'store' | 'env' | 'secrets'>,
  input: SimulateInput,
): Promise<SimulateResult> {
  const { store } = deps;
  const config = resolveConfig(store, ...(input.config !== undefined ? [input.config] : []));
  let target = input.url;
  if (target === undefined) {
    const found = runningListenerUrl(store, config.id);
    if (found.url === null) throw noListener(config.name, found.reason, found.lease?.pid);
    target = found.url;
  }
  const authToken = input.badSignature
    ? null
    : await webhookSigningToken(config, deps.env, deps.secrets, input.readAuthToken);
  const body = input.body ?? (input.mediaUrls.length ? '' : DEFAULT_SIMULATED_BODY);
  const form = simulatedForm({
    config,
    from: input.from,
    body,
    whatsapp: input.whatsapp,
    profileName: input.profileName,
    mediaUrls: input.mediaUrls,
  });
  const outcome = await postSignedForm({ url: target, form, authToken, forge: Boolean(input.badSignature) });
  const shownUrl = input.url !== undefined ? displayWebhookUrl(target)! : target;
  if (outcome.status === null) {
    throw new CliError(`no answer from ${shownUrl}: ${outcome.error}`, {
      reason: 'unreachable',
      hint:
        input.url !== undefined
          ? 'is a server listening there?'
          : `is the listener still running? Start one with: fruxon-twilio listen --config ${JSON.stringify(config.name)}`,
    });
  }
  return {
    config,
    outcome: outcome as PostOutcome & { status: number },
    shownUrl,
    ok: outcome.status >= 200 && outcome.status < 300,
  };
}

function noListener(configName: string, reason: 'no_lease' | 'stale_lease', pid?: number): CliError {
  return new CliError(
    reason === 'stale_lease'
      ? `the listener of config ${JSON.stringify(configName)} (pid ${pid}) is no longer running, and --url was not given`
      : `no listener is running for config ${JSON.stringify(configName)}, and --url was not given`,
    {
      reason: 'no_listener',
      hint: `start one with: fruxon-twilio listen --config ${JSON.stringify(configName)} (or pass --url http://127.0.0.1:PORT/PATH)`,
    },
  );
}
