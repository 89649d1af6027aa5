import { stripChannel, WHATSAPP_PREFIX } from '../phone.js';
import type { TwilioClient } from '../twilio/client.js';
import { FINAL_STATUSES, type Message, sleepUnlessAborted, toMessage } from '../twilio/messages.js';

/**
 * The agent's side of a listen: outbound messages from the listened number that the listener did not send
 * itself (the agent answering through the Messages API, Fruxon's dispatcher, a TwiML answer), read from Twilio's
 * Messages list (From= the number, each channel) and matched to the inbound message they answer (the newest
 * one from their recipient). An idle listener makes no API calls: the list is read only while something arrived
 * in the last `activeForMs` (or a reply is not final yet), every `intervalMs`. Each reply is reported once, then
 * each of its status changes once, until final. Never prints; a failed read goes to `onError` and is tried again.
 * (Not wired into listen's faces yet: the listen rewrite of issue 29 takes it from here.)
 */

export interface ReplyEvent {
  kind: 'reply' | 'status';
  message: Message;
  /** The inbound message it answers (the newest from its recipient before it), or null. */
  inReplyTo: string | null;
  previousStatus?: string;
}

export interface ReplyWatcher {
  /** An inbound message arrived (the listener recorded it): the watcher wakes for `activeForMs`. */
  noteInbound(m: { sid: string; from: string; at: Date }): void;
  /** A message the listener itself sent (never reported as the agent's). */
  noteOwn(sid: string): void;
  stop(): Promise<void>;
  /** List requests made so far (for tests and the bench). */
  readonly requests: number;
}

export function watchReplies(opts: {
  client: TwilioClient;
  /** The listened number, E.164. */
  number: string;
  channels?: ('sms' | 'whatsapp')[];
  activeForMs?: number;
  intervalMs?: number;
  onReply: (e: ReplyEvent) => void;
  onError?: (err: unknown) => void;
}): ReplyWatcher {
  const activeFor = opts.activeForMs ?? 5 * 60_000;
  const interval = opts.intervalMs ?? 2000;
  const addresses = (opts.channels ?? ['sms', 'whatsapp']).map(
    (c) => (c === 'whatsapp' ? WHATSAPP_PREFIX : '') + opts.number,
  );
  const controller = new AbortController();
  const inbound: { sid: string; from: string; at: number }[] = [];
  const own = new Set<string>();
  const seen = new Map<string, Message>();
  let activeUntil = 0;
  let requests = 0;
  let wake: (() => void) | null = null;

  const pending = () => [...seen.values()].some((m) => !FINAL_STATUSES.has(m.status));
  const answered = (m: Message): string | null => {
    const to = stripChannel(m.to);
    const at = (m.dateCreated ?? new Date()).getTime();
    let best: { sid: string; at: number } | null = null;
    for (const i of inbound)
      if (stripChannel(i.from) === to && i.at <= at + 1000 && (!best || i.at > best.at)) best = i;
    return best?.sid ?? null;
  };

  const loop = (async () => {
    while (!controller.signal.aborted) {
      const now = Date.now();
      if (now >= activeUntil && !pending()) {
        // Idle: no API calls until an inbound message wakes the watcher.
        await new Promise<void>((resolve) => {
          wake = resolve;
          controller.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        wake = null;
        continue;
      }
      const since = Math.min(...inbound.map((i) => i.at), now) - 1000;
      for (const from of addresses) {
        if (controller.signal.aborted) break;
        try {
          requests++;
          const page = await opts.client.messages.page({ from, pageSize: 50 });
          const list = page.instances.map(toMessage).reverse(); // oldest first
          for (const m of list) {
            if (own.has(m.sid) || (m.dateCreated?.getTime() ?? 0) < Math.floor(since / 1000) * 1000) continue;
            const before = seen.get(m.sid);
            if (!before) {
              seen.set(m.sid, m);
              opts.onReply({ kind: 'reply', message: m, inReplyTo: answered(m) });
            } else if (before.status !== m.status) {
              seen.set(m.sid, m);
              opts.onReply({ kind: 'status', message: m, inReplyTo: answered(m), previousStatus: before.status });
            }
          }
        } catch (err) {
          if (!controller.signal.aborted) opts.onError?.(err);
        }
      }
      await sleepUnlessAborted(interval, controller.signal);
    }
  })();

  return {
    noteInbound(m) {
      inbound.push({ sid: m.sid, from: m.from, at: m.at.getTime() });
      // Inbound messages older than the active window answer nothing new.
      const cutoff = Date.now() - activeFor;
      while (inbound.length > 1 && inbound[0]!.at < cutoff) inbound.shift();
      activeUntil = Date.now() + activeFor;
      wake?.();
    },
    noteOwn(sid) {
      own.add(sid);
    },
    async stop() {
      controller.abort();
      await loop;
    },
    get requests() {
      return requests;
    },
  };
}
