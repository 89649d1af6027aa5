import { connectConfig } from '../config/connect.js';
import { CliError } from '../errors.js';
import type { Config } from '../store/index.js';
import { callSite, twilioError } from '../twilio/client.js';
import { listMessageMedia, listNumberMessages, type MediaInfo } from '../twilio/message-history.js';
import { fetchMessage, isNotFound, type Message } from '../twilio/messages.js';
import type { ConfigDeps } from './deps.js';

/**
 * Twilio's message log for a config's number: the core of `messages list/show` and of the MCP
 * `list_messages`/`get_message` tools. Never prints.
 */

type Deps = ConfigDeps;

/** The most `messages list --limit` takes. */
export const MAX_MESSAGES_LIMIT = 1000;
export const DEFAULT_MESSAGES_LIMIT = 20;

/** The newest messages to and from the config's number (SMS and WhatsApp), newest first. */
export async function listConfigMessages(
  deps: Deps,
  opts: { config?: string; limit: number; direction?: 'in' | 'out' },
): Promise<{ config: Config; messages: Message[] }> {
  const { config, creds, client } = await connectConfig(deps.store, opts.config, deps.env, deps.secrets, deps.twilio);
  try {
    return {
      config,
      messages: await listNumberMessages(client, config.fromNumber, { limit: opts.limit, direction: opts.direction }),
    };
  } catch (err) {
    throw twilioError(err, `list the messages of ${config.fromNumber}`, callSite(creds));
  }
}

/**
 * One message by SID, with its media. A failure to list the media is not fatal: `media` is then null and
 * `mediaError` says why (the command prints it as a warning).
 */
export async function getConfigMessage(
  deps: Deps,
  opts: { config?: string; sid: string },
): Promise<{ config: Config; message: Message; media: MediaInfo[] | null; mediaError: string | null }> {
  const { config, creds, client } = await connectConfig(deps.store, opts.config, deps.env, deps.secrets, deps.twilio);
  const where = callSite(creds);
  let message: Message;
  try {
    message = await fetchMessage(client, opts.sid, where);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    throw new CliError(`no message ${opts.sid} on the account of config ${JSON.stringify(config.name)}`, {
      reason: 'not_found',
      hint: 'list the recent ones with: fruxon-twilio messages list',
    });
  }
  let media: MediaInfo[] | null = [];
  let mediaError: string | null = null;
  if (message.numMedia > 0) {
    try {
      media = await listMessageMedia(client, message.sid, creds.apiUrl ?? 'https://api.twilio.com');
    } catch (err) {
      media = null;
      mediaError = twilioError(err, `list the media of ${message.sid}`, where).message;
    }
  }
  return { config, message, media, mediaError };
}
