import { resolveConfig } from '../config/resolve.js';
import { CliError } from '../errors.js';
import { TRIGGER, type TriggerEnvelope, type TriggerPayload } from '../listener/payload.js';
import type { StatusEvent } from '../store/events.js';
import type { Config, EventStatus, Store, StoredEvent } from '../store/index.js';
import { sleepUnlessAborted } from '../twilio/messages.js';
import { runningListenerUrl } from './deliver.js';

/**
 * Reading what listeners recorded: the core of `events list/show/replay` and of the MCP `list_events`,
 * `get_event` and `wait_for_message` tools. Never prints.
 */

/** Newest first; `config` by name (an unknown one is an error), `since` an ISO time. */
export function listEvents(
  store: Store,
  q: { config?: string; status?: EventStatus; since?: string; limit: number },
): StoredEvent[] {
  const configId = q.config !== undefined ? resolveConfig(store, q.config).id : undefined;
  return store.events.list({ configId, status: q.status, since: q.since, limit: q.limit });
}

export function getEvent(store: Store, id: number): StoredEvent {
  const event = store.events.byId(id);
  if (!event)
    throw new CliError(`no event #${id}`, { reason: 'not_found', hint: 'list them with: fruxon-twilio events list' });
  return event;
}

/** One status event (`events show ID --kind status`); an unknown id is an error naming the list. */
export function getStatusEvent(store: Store, id: number): StatusEvent {
  const event = store.events.statusById(id);
  if (!event)
    throw new CliError(`no status event #${id}`, {
      reason: 'not_found',
      hint: 'list them with: fruxon-twilio events list --kind status',
    });
  return event;
}

/** The trigger envelope of an accepted event, as `listen --json` printed it and `--forward-to` posted it; null when refused. */
export function storedEnvelope(event: StoredEvent): TriggerEnvelope | null {
  if (event.status !== 'accepted' || event.payload === null) return null;
  return {
    trigger: TRIGGER,
    config: event.configName,
    event_id: event.id,
    received_at: event.receivedAt,
    payload: event.payload as unknown as TriggerPayload,
  };
}

export interface WaitForEventResult {
  config: Config;
  /** null when the time ran out (or the wait was cancelled) first. */
  envelope: TriggerEnvelope | null;
  /** The id after which events were awaited: pass it back as `afterId` to miss nothing. */
  afterId: number;
  /**
   * On a timeout of a wait that started at the newest event (no `afterId` given): the newest matching message
   * recorded shortly before the call (EARLIER_WINDOW_MS), which the wait did not count. Else null.
   */
  earlier: { id: number; from: string | null } | null;
}

/** How long before a wait's start a message counts as one the caller may have meant to wait for. */
export const EARLIER_WINDOW_MS = 120_000;

/**
 * The next accepted message a running `listen` of the config records after `afterId` (default: the log's
 * newest event now), from `from` when given. Reads the event log, so it sees what any listener process
 * writes. An event already in the log after `afterId` comes back at once; otherwise a config with no
 * running listener is an error that says how to start one, and a listener that stops meanwhile ends the
 * wait with that error too.
 */
export async function waitForEvent(
  store: Store,
  q: {
    config?: string;
    from?: string;
    afterId?: number;
    timeoutMs: number;
    signal?: AbortSignal;
    pollMs?: number;
    /** The clock the received times are compared with (`earlier`). */
    now?: () => Date;
  },
): Promise<WaitForEventResult> {
  const config = resolveConfig(store, ...(q.config !== undefined ? [q.config] : []));
  const afterId = q.afterId ?? store.events.lastId();
  const startedAt = q.now?.().getTime();
  const earlier = (): WaitForEventResult['earlier'] => {
    if (q.afterId !== undefined || startedAt === undefined) return null;
    const e = store.events.lastAccepted({ configId: config.id, atOrBefore: afterId, fromNumber: q.from });
    if (!e || startedAt - Date.parse(e.receivedAt) > EARLIER_WINDOW_MS) return null;
    return { id: e.id, from: e.fromNumber };
  };
  const deadline = Date.now() + q.timeoutMs;
  const pollMs = q.pollMs ?? 100;
  let checkedListenerAt = 0;
  for (;;) {
    const event = store.events.nextAccepted({ configId: config.id, afterId, fromNumber: q.from });
    if (event) return { config, envelope: storedEnvelope(event), afterId, earlier: null };
    // The lease says whether a listener runs; looked at once a second, not on every poll.
    if (Date.now() - checkedListenerAt >= 1000) {
      checkedListenerAt = Date.now();
      const found = runningListenerUrl(store, config.id);
      if (found.url === null) throw noListener(config, found.reason === 'stale_lease' ? found.lease?.pid : undefined);
    }
    const left = deadline - Date.now();
    if (left <= 0 || q.signal?.aborted) return { config, envelope: null, afterId, earlier: earlier() };
    await sleepUnlessAborted(Math.min(pollMs, left), q.signal);
  }
}

function noListener(config: Config, stalePid: number | undefined): CliError {
  return new CliError(
    stalePid !== undefined
      ? `the listener of config ${JSON.stringify(config.name)} (pid ${stalePid}) is no longer running: no message can arrive`
      : `no listener is running for config ${JSON.stringify(config.name)}: no message can arrive`,
    {
      reason: 'no_listener',
      hint: `start one with: fruxon-twilio listen --config ${JSON.stringify(config.name)} (it records each inbound message, which this reads)`,
    },
  );
}
