import { CliError } from '../errors.js';
import type { TriggerEnvelope } from '../listener/payload.js';
import { forwardEvent } from '../listener/session.js';
import type { Config, Store, StoredEvent } from '../store/index.js';
import type { ApiTrace } from '../trace.js';
import { postSignedForm, runningListenerUrl, withNewMessageSid } from './deliver.js';
import { storedEnvelope } from './events.js';

/**
 * The replay core (`events replay`, the interactive listen's p and n): a stored event delivered again, as
 * its trigger JSON to a URL or as its Twilio form, freshly signed, to a listener. Never prints: an answer
 * of any HTTP status is an outcome; no answer at all, or nothing to replay, is a CliError.
 */

export interface ReplayOutcome {
  url: string;
  status: number;
  /** 2xx. */
  ok: boolean;
}

/** The trigger envelope of a stored accepted event; a refused one has none to forward. */
function envelopeToForward(event: StoredEvent): TriggerEnvelope {
  const envelope = storedEnvelope(event);
  if (envelope === null) {
    throw new CliError(
      `event #${event.id} was refused (${event.reason ?? 'unknown reason'}): it has no trigger payload to forward`,
      {
        reason: 'refused_event',
        hint: `see what came in with: fruxon-twilio events show ${event.id}`,
      },
    );
  }
  return envelope;
}

/** POSTs the event's trigger envelope to `url`, told to the API trace (null: off). */
export async function replayForward(
  event: StoredEvent,
  url: string,
  trace: ApiTrace | null,
): Promise<ReplayOutcome & { ms: number }> {
  const r = await forwardEvent(url, envelopeToForward(event), undefined, trace);
  if (r.status === null)
    throw new CliError(`no answer from ${url}: ${r.error}`, {
      reason: 'unreachable',
      hint: 'is your server listening there?',
    });
  return { url, status: r.status, ok: r.status >= 200 && r.status < 300, ms: r.ms };
}

export interface ListenerReplay {
  store: Store;
  event: StoredEvent;
  /** A fresh MessageSid, so the listener takes it as a new message. */
  newSid: boolean;
  /** The listener's URL (signed over); default: the URL the config's running listener registered. */
  url?: string;
  /** The key to sign with: the Auth Token (null signs with a random key, for a --skip-verify listener). */
  authToken: (config: Config) => Promise<string | null>;
  /** The API trace (FRUXON_TWILIO_DEBUG=api), null when off. */
  trace: ApiTrace | null;
}

/** Re-sends the event's stored form to a listener, signed as Twilio would sign it. */
export async function replayToListener(
  r: ListenerReplay,
): Promise<ReplayOutcome & { statusText: string; body: string; messageSid: string | null }> {
  const { store, event } = r;
  // Signing a refused request with the real Auth Token would launder it: whoever sent it would get a trigger.
  if (event.status !== 'accepted') {
    throw new CliError(
      `event #${event.id} was refused (${event.reason ?? 'unknown reason'}): a refused request is never replayed, since signing it would accept what the listener refused`,
      {
        reason: 'refused_event',
        hint: `see what came in with: fruxon-twilio events show ${event.id}`,
      },
    );
  }
  const config = store.configs.byId(event.configId);
  if (!config) {
    throw new CliError(
      `event #${event.id} belongs to config ${JSON.stringify(event.configName)}, which no longer exists`,
      {
        reason: 'not_found',
        hint: `replay its trigger JSON instead: fruxon-twilio events replay ${event.id} --forward-to URL`,
      },
    );
  }
  let url = r.url;
  if (url === undefined) {
    const found = runningListenerUrl(store, config.id);
    if (found.url === null) {
      throw new CliError(`no listener is running for config ${JSON.stringify(config.name)}`, {
        reason: 'no_listener',
        hint: `start one with: fruxon-twilio listen --config ${JSON.stringify(config.name)} (or replay the trigger JSON with --forward-to URL)`,
      });
    }
    url = found.url;
  }
  const authToken = await r.authToken(config);
  const form = r.newSid ? withNewMessageSid(event.rawForm) : event.rawForm;
  const res = await postSignedForm({ url, form, authToken, trace: r.trace });
  if (res.status === null) {
    throw new CliError(`no answer from ${url}: ${res.error}`, {
      reason: 'unreachable',
      hint: `is the listener still running? Start one with: fruxon-twilio listen --config ${JSON.stringify(config.name)}`,
    });
  }
  return {
    url,
    status: res.status,
    ok: res.status >= 200 && res.status < 300,
    statusText: res.statusText,
    body: res.body,
    messageSid: res.messageSid,
  };
}
