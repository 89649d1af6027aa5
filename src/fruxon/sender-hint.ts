import { CliError } from '../errors.js';
import { configAccessRequests } from './access-requests.js';
import type { FruxonClient } from './client.js';
import { participantsAt } from './participants.js';
import { type FruxonParticipant, listParticipants, normalAddress } from './participants-api.js';

/**
 * For `listen` on a linked config: tells, once per number, that a sender is no participant on Fruxon (so
 * Fruxon would hold its messages as an access request). `observe` is what the listener calls for each
 * message: a Set lookup for a number seen before, and for a new one a place in a queue that is worked off
 * after the replies have gone (setImmediate), with one participants list per batch of new numbers (kept for
 * `cacheMs`) and no request in flight twice. A lookup that fails is reported once and turns the hints off:
 * the listener never waits for Fruxon and never retries against it per message.
 */

export interface SenderHint {
  number: string;
  /** A pending access request of that number on the Fruxon config, if Fruxon holds one. */
  pendingRequestId: string | null;
}

export interface SenderHintOptions {
  /** Made on the first lookup (reads the token); a CliError turns the hints off with one report. */
  connect: () => FruxonClient;
  fruxonConfigId: string;
  onHint: (h: SenderHint) => void;
  onError: (message: string) => void;
  cacheMs?: number;
}

export interface SenderHints {
  observe(number: string | null): void;
  /** Resolves when the queue is empty. */
  idle(): Promise<void>;
  /** No more lookups or hints (a lookup in flight ends within the client's timeout, silently). */
  close(): void;
}

export function senderHints(o: SenderHintOptions): SenderHints {
  const seen = new Set<string>();
  let queue: string[] = [];
  let running: Promise<void> | null = null;
  let off = false;
  let client: FruxonClient | null = null;
  let cache: { at: number; participants: FruxonParticipant[] } | null = null;
  const cacheMs = o.cacheMs ?? 30_000;

  const work = async () => {
    while (queue.length && !off) {
      const batch = queue;
      queue = [];
      try {
        client ??= o.connect();
        if (!cache || Date.now() - cache.at > cacheMs)
          cache = { at: Date.now(), participants: await listParticipants(client) };
        const strangers = batch.filter((n) => participantsAt(cache!.participants, o.fruxonConfigId, n).length === 0);
        if (strangers.length === 0) continue;
        const pending = await configAccessRequests(client, o.fruxonConfigId, 'PENDING');
        if (off) return;
        for (const n of strangers)
          o.onHint({ number: n, pendingRequestId: pending.find((r) => r.address === n)?.id ?? null });
      } catch (err) {
        if (off) return;
        off = true;
        queue = [];
        o.onError(err instanceof CliError ? err.message : String((err as Error)?.message ?? err));
      }
    }
  };

  const schedule = () => {
    running ??= new Promise<void>((resolve) => setImmediate(resolve)).then(work).finally(() => {
      running = null;
      if (queue.length && !off) schedule();
    });
  };

  return {
    observe(number) {
      if (off || !number || seen.has(number)) return;
      seen.add(number);
      queue.push(normalAddress(number));
      schedule();
    },
    async idle() {
      while (running !== null) await running;
    },
    close() {
      off = true;
      queue = [];
    },
  };
}
