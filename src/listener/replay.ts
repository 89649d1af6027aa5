import { CliError } from '../errors.js';
import type { Config, StoredEvent, Store } from '../store/index.js';
import { runningListenerUrl, postSignedForm, withNewMessageSid } from './deliver.js';
import { TRIGGER, type TriggerEnvelope, type TriggerPayload } from './payload.js';
import { forwardEvent } from './session.js';

/**
 * Delivering a stored event again, for `events replay` and the inspector: one home for the rules (a refused
 * event has no trigger to forward; a replay to the listener goes to the URL its lease registered, freshly
 * signed). Returns what happened; throws CliError when it could not be tried at all.
 */

export interface ForwardReplay {
  event_id: number;
  target: 'forward';
  url: string;
  status: number;
  ms: number;
  ok: boolean;
}

export interface ListenerReplay {
  event_id: number;
  target: 'listener';
  url: string;
  status: number;
  status_text: string;
  /** The first line of the listener's answer (at most 200 characters). */
  detail: string;
  message_sid: string | null;
  new_sid: boolean;
  ok: boolean;
  /** An accepted event replayed under its own MessageSid: recorded once by the listener, no new trigger. */
  duplicate_expected: boolean;
}

export async function replayForward(event: StoredEvent, url: string): Promise<ForwardReplay> {
  if (event.status !== 'accepted' || event.payload === null) {
    throw new CliError(`event #${event.id} was refused (${event.reason ?? 'unknown reason'}): it has no trigger payload to forward`, {
      reason: 'refused_event',
      hint: `see what came in with: fruxon-twilio events show ${event.id} (or re-send its form signed: events replay ${event.id} --to-listener)`,
    });
  }
  const envelope: TriggerEnvelope = {
    trigger: TRIGGER,
    config: event.configName,
    event_id: event.id,
    received_at: event.receivedAt,
    payload: event.payload as unknown as TriggerPayload,
  };
  const r = await forwardEvent(url, envelope);
  if (r.status === null) {
    throw new CliError(`no answer from ${url}: ${r.error}`, { reason: 'unreachable', hint: 'is your server listening there?' });
  }
  return { event_id: event.id, target: 'forward', url, status: r.status, ms: Math.round(r.ms), ok: r.status >= 200 && r.status < 300 };
}

/** The config an event belongs to, for a replay to its listener. */
export function replayConfig(store: Store, event: StoredEvent): Config {
  const config = store.configs.byId(event.configId);
  if (!config) {
    throw new CliError(`event #${event.id} belongs to config ${JSON.stringify(event.configName)}, which no longer exists`, {
      reason: 'not_found',
      hint: `replay its trigger JSON instead: fruxon-twilio events replay ${event.id} --forward-to URL`,
    });
  }
  return config;
}

export async function replayToListener(opts: {
  store: Store;
  event: StoredEvent;
  newSid: boolean;
  /** The key Twilio signs webhooks with, asked for only once a listener is found. */
  authToken: (config: Config) => Promise<string | null>;
  /** The listener's URL when the caller is that listener (it may hold no lease: --no-register). */
  url?: string;
}): Promise<ListenerReplay> {
  const { store, event } = opts;
  const config = replayConfig(store, event);
  const found = opts.url ? { url: opts.url } : runningListenerUrl(store, config.id);
  if (found.url === null) {
    throw new CliError(`no listener is running for config ${JSON.stringify(config.name)}`, {
      reason: 'no_listener',
      hint: `start one with: fruxon-twilio listen --config ${JSON.stringify(config.name)} (or replay the trigger JSON with --forward-to URL)`,
    });
  }
  const authToken = await opts.authToken(config);
  const form = opts.newSid ? withNewMessageSid(event.rawForm) : event.rawForm;
  const r = await postSignedForm({ url: found.url, form, authToken });
  if (r.status === null) {
    throw new CliError(`no answer from ${found.url}: ${r.error}`, {
      reason: 'unreachable',
      hint: `is the listener still running? Start one with: fruxon-twilio listen --config ${JSON.stringify(config.name)}`,
    });
  }
  const ok = r.status >= 200 && r.status < 300;
  return {
    event_id: event.id,
    target: 'listener',
    url: found.url,
    status: r.status,
    status_text: r.statusText,
    detail: r.body.trim() ? r.body.trim().split('\n')[0]!.slice(0, 200) : '',
    message_sid: r.messageSid,
    new_sid: opts.newSid,
    ok,
    duplicate_expected: ok && !opts.newSid && event.status === 'accepted',
  };
}
