import { effectiveApiUrl, loadSecret, twilioCredentials } from '../config/resolve.js';
import { replayForward, replayToListener } from '../listener/replay.js';
import type { SecretStore } from '../secrets/index.js';
import type { Config, StoredEvent, Store } from '../store/index.js';
import { isLoopbackUrl } from '../validate.js';
import type { InspectorActions, ReplyRequest } from './index.js';

/**
 * The inspector's buttons, wired to the cores the CLI calls: `sendMessage` (send), `replayToListener` and
 * `replayForward` (events replay). Secrets are read when a button needs them, and never leave this module.
 */
export function inspectorActions(opts: {
  store: Store;
  config: Config;
  env: NodeJS.ProcessEnv;
  secrets: () => Promise<SecretStore>;
  /** listen: its webhook URL, where Twilio posts the replies' status callbacks; null: no replies. */
  statusCallbackUrl: string | null;
  /** The URL replays to the listener go to (the running listener's own), else its lease's. */
  listenerUrl?: string;
  /** The key Twilio signs webhooks with, for replays to the listener. */
  authToken: (config: Config) => Promise<string | null>;
  forwardTo: string | null;
}): InspectorActions {
  const { store, config, env } = opts;
  const apiUrl = effectiveApiUrl(config, env);
  let client: Promise<import('../twilio/client.js').TwilioClient> | null = null;
  const twilio = () =>
    (client ??= (async () => {
      const keychain = config.secretSource === 'keychain' ? await opts.secrets() : undefined;
      const secret = loadSecret(config, env, () => keychain!);
      const { createTwilioClient } = await import('../twilio/client.js');
      return createTwilioClient(twilioCredentials(config, secret, env));
    })().catch((err) => {
      client = null;
      throw err;
    }));
  const actions: InspectorActions = {
    replayToListener: (event: StoredEvent, newSid: boolean) =>
      replayToListener({ store, event, newSid, authToken: opts.authToken, ...(opts.listenerUrl && { url: opts.listenerUrl }) }),
  };
  if (opts.forwardTo) {
    const url = opts.forwardTo;
    actions.replayForward = (event: StoredEvent) => replayForward(event, url);
  }
  if (opts.statusCallbackUrl !== null) {
    // Real Twilio cannot post to this machine's loopback address (send refuses it too): no callback then.
    const statusCallback = !apiUrl && isLoopbackUrl(opts.statusCallbackUrl) ? null : opts.statusCallbackUrl;
    actions.reply = async (r: ReplyRequest) => {
      const { sendMessage } = await import('../twilio/messages.js');
      const m = await sendMessage(await twilio(), { from: config.fromNumber, to: r.to, body: r.body, mediaUrls: [], statusCallback, whatsapp: r.channel === 'whatsapp' }, { apiUrl, accountSid: config.accountSid });
      return { sid: m.sid, status: m.status, to: m.to, from: m.from };
    };
  }
  return actions;
}
