import type { Config, Store } from '../store/index.js';
import type { TwilioClient } from '../twilio/client.js';
import { type Route, routeName } from '../twilio/route.js';

/**
 * Messages Twilio logged as inbound to the listened numbers since the listener started, that the listener
 * never received: routing this tool does not model (Conversations, Studio) or a change someone made
 * meanwhile. Checked every `intervalMs` off the hot path; each such message is reported once.
 */
export interface MissedMessage {
  messageSid: string;
  to: string;
  dateSent: string;
  /** The Messaging Service Twilio reports for it, if any (on Twilio every message has one: a default for a number in no service). */
  messagingServiceSid: string | null;
  /** It did reach this listener, which refused it: that event (`events show`) and its reason. */
  refused: { eventId: number; reason: string | null } | null;
}

/** A message this recent may still be on its way to the listener: it is looked at again next round. */
const GRACE_MS = 5_000;

export function watchMissed(opts: {
  client: TwilioClient;
  store: Store;
  config: Config;
  /** The addresses to check, as Twilio writes them (`+1…`, `whatsapp:+1…`). */
  addresses: string[];
  since: Date;
  intervalMs: number;
  /** The clock of the stamp of a message Twilio gives no date (the grace period runs on real time). */
  now: () => Date;
  onMissed: (m: MissedMessage) => void;
  onError: (err: unknown) => void;
}): () => void {
  const reported = new Set<string>();
  let running = false;
  const check = async () => {
    if (running) return; // a slow Twilio answer never piles up rounds
    running = true;
    try {
      const now = Date.now();
      for (const to of opts.addresses) {
        const listed = await opts.client.messages.list({ to, dateSentAfter: opts.since, limit: 200 });
        for (const m of listed) {
          if (!m.direction?.startsWith('inbound') || reported.has(m.sid)) continue;
          const sent = m.dateSent ?? m.dateCreated;
          if (sent && now - sent.getTime() < GRACE_MS) continue;
          if (sent && sent.getTime() < opts.since.getTime() - 1000) continue;
          if (opts.store.events.hasMessage(opts.config.id, m.sid)) continue;
          reported.add(m.sid);
          const refused = opts.store.events.refusedMessage(opts.config.id, m.sid);
          opts.onMissed({
            messageSid: m.sid,
            to,
            dateSent: (sent ?? opts.now()).toISOString(),
            messagingServiceSid: m.messagingServiceSid || null,
            refused: refused ? { eventId: refused.id, reason: refused.reason } : null,
          });
        }
      }
    } catch (err) {
      opts.onError(err);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void check(), opts.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Why a message never became an event: the listener refused it, another layer took it, or unknown. */
export interface MissedCause {
  kind: 'refused' | 'other_layer' | 'unknown';
  /** One phrase: `this listener refused it (invalid_signature, event #12)`, the layer (`messaging service MG…`), `unknown: …`. */
  text: string;
}

/**
 * Why a missed message never reached the listener as a message, for the warning (listen's line, the inspector's
 * route panel): the listener refused it (its reason and event), the layer that receives the number's messages
 * now when that is not this listener (`listenerPath`), or unknown (a layer this tool does not model). The
 * Messaging Service Twilio reports is named only when the number is in a service: for a number in none it is
 * the account's default one, which is no service anyone made.
 */
export function missedCause(m: MissedMessage & { route: Route | null }, listenerPath: string): MissedCause {
  if (m.refused) {
    return {
      kind: 'refused',
      text: `this listener refused it (${m.refused.reason ?? 'refused'}, event #${m.refused.eventId})`,
    };
  }
  const r = m.route;
  if (!r) return { kind: 'unknown', text: 'unknown (the route could not be looked up)' };
  if (r.url?.endsWith(listenerPath)) {
    const inService = r.defersToNumber !== null && m.messagingServiceSid;
    return {
      kind: 'unknown',
      text: `unknown: not a layer this tool models (Conversations, Studio?)${inService ? `; Twilio reports Messaging Service ${m.messagingServiceSid}` : ''}`,
    };
  }
  return { kind: 'other_layer', text: routeName(r, 'took') };
}

/** missedCause's phrase alone (the inspector's `took`). */
export function tookMissed(m: MissedMessage & { route: Route | null }, listenerPath: string): string {
  return missedCause(m, listenerPath).text;
}
