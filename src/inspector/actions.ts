import { effectiveApiUrl } from '../config/resolve.js';
import { replayForward, replayToListener } from '../operations/replay.js';
import { reachableStatusCallback, sendReply } from '../operations/reply.js';
import type { SecretStore } from '../secrets/index.js';
import type { Config, Store, StoredEvent } from '../store/index.js';
import type { ApiTrace } from '../trace.js';
import type { TwilioFactory } from '../twilio/client.js';
import { checkBodyLength } from '../twilio/send-rules.js';
import type { ForwardReplay, InspectorActions, ListenerReplay, ReplyRequest } from './index.js';

/**
 * The inspector's buttons, wired to the cores the CLI calls: `sendFromConfig` (send), `replayToListener` and
 * `replayForward` (events replay). Secrets are read when a button needs them, and never leave this module.
 */
export function inspectorActions(opts: {
  store: Store;
  config: Config;
  env: NodeJS.ProcessEnv;
  secrets: () => Promise<SecretStore>;
  /** The command context's Twilio client factory (the replies). */
  twilio: TwilioFactory;
  /** listen: its webhook URL, where Twilio posts the replies' status callbacks; null: no replies. */
  statusCallbackUrl: string | null;
  /** The URL replays to the listener go to (the running listener's own), else its lease's. */
  listenerUrl?: string;
  /** The key Twilio signs webhooks with, for replays to the listener. */
  authToken: (config: Config) => Promise<string | null>;
  forwardTo: string | null;
  /** The API trace (FRUXON_TWILIO_DEBUG=api), null when off: told of each replay's POST. */
  trace: ApiTrace | null;
  /** A reply sent from here (its SID): listen leaves it out of the agent's replies. */
  onSent?: (sid: string) => void;
}): InspectorActions {
  const { store, config, env } = opts;
  const apiUrl = effectiveApiUrl(config, env);
  const actions: InspectorActions = {
    replayToListener: async (event: StoredEvent, newSid: boolean): Promise<ListenerReplay> => {
      const r = await replayToListener({
        store,
        event,
        newSid,
        authToken: opts.authToken,
        trace: opts.trace,
        ...(opts.listenerUrl && { url: opts.listenerUrl }),
      });
      return {
        event_id: event.id,
        target: 'listener',
        url: r.url,
        status: r.status,
        status_text: r.statusText,
        detail: r.body.trim() ? r.body.trim().split('\n')[0]!.slice(0, 200) : '',
        message_sid: r.messageSid,
        new_sid: newSid,
        ok: r.ok,
        duplicate_expected: r.ok && !newSid && event.status === 'accepted',
      };
    },
  };
  if (opts.forwardTo) {
    const url = opts.forwardTo;
    actions.replayForward = async (event: StoredEvent): Promise<ForwardReplay> => {
      const r = await replayForward(event, url, opts.trace);
      return { event_id: event.id, target: 'forward', url, status: r.status, ms: Math.round(r.ms), ok: r.ok };
    };
  }
  if (opts.statusCallbackUrl !== null) {
    // Real Twilio cannot post to this machine's loopback address (send refuses it too): no callback then.
    const statusCallback = reachableStatusCallback(opts.statusCallbackUrl, apiUrl);
    actions.reply = async (r: ReplyRequest) => {
      // The keychain is opened only for a config whose secret is in it (checkBodyLength first, as the CLI does).
      checkBodyLength('body', r.body);
      const keychain = config.secretSource === 'keychain' ? await opts.secrets() : undefined;
      const m = await sendReply(
        { store, env, secrets: () => keychain!, twilio: opts.twilio },
        {
          config,
          to: r.to,
          channel: r.channel === 'whatsapp' ? 'whatsapp' : 'sms',
          body: r.body,
          statusCallback,
          field: 'body',
        },
      );
      opts.onSent?.(m.sid);
      return { sid: m.sid, status: m.status, to: m.to, from: m.from };
    };
  }
  return actions;
}
