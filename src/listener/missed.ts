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
  /** The Messaging Service Twilio reports for it, if any. */
  messagingServiceSid: string | null;
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
          opts.onMissed({
            messageSid: m.sid,
            to,
            dateSent: (sent ?? opts.now()).toISOString(),
            messagingServiceSid: m.messagingServiceSid || null,
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

/**
 * Who took a missed message, for the warning (listen's line, the inspector's route panel): the layer that
 * receives the number's messages now, or, when that is this listener (`listenerPath`), a layer this tool does not model.
 */
export function tookMissed(m: MissedMessage & { route: Route | null }, listenerPath: string): string {
  const r = m.route;
  if (!r) return 'unknown';
  if (r.url?.endsWith(listenerPath)) {
    return `not a layer this tool models (Conversations, Studio?)${m.messagingServiceSid ? `; Twilio reports Messaging Service ${m.messagingServiceSid}` : ''}`;
  }
  return routeName(r, 'took');
}
