import { usageError } from '../errors.js';
import type { SecretStore } from '../secrets/index.js';
import type { Config } from '../store/index.js';
import { createTwilioClient, type TwilioClient } from '../twilio/client.js';
import { sendMessage, type CallContext, type Message } from '../twilio/messages.js';
import { isLoopbackUrl } from '../validate.js';
import { effectiveApiUrl, loadSecret, twilioCredentials } from './resolve.js';

/** Twilio's limit for one message body (21617 above it). */
export const MAX_BODY = 1600;

/** The body rule of every send (`send --body`, the interactive reply): at most MAX_BODY characters. */
export function checkBody(body: string, field = '--body'): void {
  const n = [...body].length;
  if (n > MAX_BODY) throw usageError(`${field} must be at most ${MAX_BODY} characters (got ${n})`);
}

/** Real Twilio cannot fetch media from, or post callbacks to, this machine's loopback address. */
export function checkReachableUrls(apiUrl: string | null, urls: readonly (readonly [flag: string, url: string])[]): void {
  if (apiUrl) return;
  for (const [flag, url] of urls) {
    if (isLoopbackUrl(url)) throw usageError(`${flag} must be a public URL Twilio can reach (got ${JSON.stringify(url)}, which is this machine)`, 'expose it through a tunnel (ngrok) first');
  }
}

export interface SendFromConfig {
  config: Config;
  env: NodeJS.ProcessEnv;
  /** The keychain, asked only when the config's secret lives there. */
  secrets: () => SecretStore;
  /** E.164 (a `whatsapp:` prefix is ignored: `whatsapp` says the channel). */
  to: string;
  body: string;
  mediaUrls?: string[];
  statusCallback?: string | null;
  whatsapp: boolean;
  /** How the body is named in its error (default `--body`). */
  bodyField?: string;
}

/**
 * The send core (`send`, the interactive listen's reply): from the config's number, on the channel asked,
 * with its Twilio credentials. Twilio's refusal is one CliError line with its code, doc link and fix.
 * Returns the client too, for whoever follows the message's status.
 */
export async function sendFromConfig(req: SendFromConfig): Promise<{ message: Message; client: TwilioClient; callCtx: CallContext }> {
  checkBody(req.body, req.bodyField);
  const apiUrl = effectiveApiUrl(req.config, req.env);
  const mediaUrls = req.mediaUrls ?? [];
  checkReachableUrls(apiUrl, [...mediaUrls.map((u) => ['--media-url', u] as const), ...(req.statusCallback ? [['--status-callback', req.statusCallback] as const] : [])]);
  const secret = loadSecret(req.config, req.env, req.secrets);
  const client = await createTwilioClient(twilioCredentials(req.config, secret, req.env));
  const callCtx = { apiUrl, accountSid: req.config.accountSid };
  const message = await sendMessage(
    client,
    { from: req.config.fromNumber, to: req.to, body: req.body, mediaUrls, statusCallback: req.statusCallback ?? null, whatsapp: req.whatsapp },
    callCtx,
  );
  return { message, client, callCtx };
}
