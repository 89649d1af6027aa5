import { usageError } from '../errors.js';
import type { Db } from './db.js';

export type EventStatus = 'accepted' | 'refused';

/** One request a listener answered: an accepted trigger event, or a refused request (bad signature...). */
export interface StoredEvent {
  id: number;
  configId: string;
  configName: string;
  receivedAt: string;
  status: EventStatus;
  /** Why a request was refused (e.g. 'invalid_signature'); null when accepted. */
  reason: string | null;
  messageSid: string | null;
  idempotencyToken: string | null;
  channel: string | null;
  fromNumber: string | null;
  body: string | null;
  signatureValid: boolean | null;
  rawForm: Record<string, string | string[]>;
  headers: Record<string, string>;
  /** The trigger payload; null for refused requests, which fire no trigger. */
  payload: Record<string, unknown> | null;
  forward: { url: string; status: number | null; ms: number | null; error: string | null } | null;
  /** The address the request came from (kept for refused requests). */
  remoteAddress: string | null;
  /** A refused request's first bytes (at most 1 KiB): all it keeps of its body. Null when accepted. */
  bodyExcerpt: string | null;
}

export type NewEvent = Omit<StoredEvent, 'id' | 'forward' | 'remoteAddress' | 'bodyExcerpt'> & {
  remoteAddress?: string | null;
  bodyExcerpt?: string | null;
  /** `JSON.stringify(payload)` when the caller already has it (the listener prints the same bytes): not encoded twice. */
  payloadJson?: string;
};

interface Row {
  id: number;
  config_id: string;
  config_name: string;
  received_at: string;
  status: EventStatus;
  reason: string | null;
  message_sid: string | null;
  idempotency_token: string | null;
  channel: string | null;
  from_number: string | null;
  body: string | null;
  signature_valid: number | null;
  raw_form: string;
  headers: string;
  payload: string | null;
  forward_url: string | null;
  forward_status: number | null;
  forward_ms: number | null;
  forward_error: string | null;
  remote_address: string | null;
  body_excerpt: string | null;
}

function fromRow(r: Row): StoredEvent {
  return {
    id: r.id,
    configId: r.config_id,
    configName: r.config_name,
    receivedAt: r.received_at,
    status: r.status,
    reason: r.reason,
    messageSid: r.message_sid,
    idempotencyToken: r.idempotency_token,
    channel: r.channel,
    fromNumber: r.from_number,
    body: r.body,
    signatureValid: r.signature_valid === null ? null : r.signature_valid === 1,
    rawForm: JSON.parse(r.raw_form),
    headers: JSON.parse(r.headers),
    payload: r.payload === null ? null : JSON.parse(r.payload),
    forward: r.forward_url
      ? { url: r.forward_url, status: r.forward_status, ms: r.forward_ms, error: r.forward_error }
      : null,
    remoteAddress: r.remote_address ?? null,
    bodyExcerpt: r.body_excerpt ?? null,
  };
}

export interface EventQuery {
  configId?: string;
  status?: EventStatus;
  /** ISO-8601: only events received at or after. */
  since?: string;
  limit?: number;
  /** Keyset paging: only events older than this one (the last row of the previous page). */
  before?: Pick<StoredEvent, 'receivedAt' | 'id'>;
}

/** How many events a list shows by default, and at most (`events list --limit`, the MCP `list_events`). */
export const DEFAULT_EVENTS_LIMIT = 20;
export const MAX_EVENTS_LIMIT = 10_000;

/** Events older than this many days are pruned when a listener starts, unless FRUXON_TWILIO_RETENTION_DAYS says otherwise. */
export const DEFAULT_RETENTION_DAYS = 30;
export const RETENTION_ENV = 'FRUXON_TWILIO_RETENTION_DAYS';

/** The retention in days from the environment (0 = keep everything), or the default. */
export function retentionDays(env: NodeJS.ProcessEnv): number {
  const raw = env[RETENTION_ENV];
  if (raw === undefined || raw.trim() === '') return DEFAULT_RETENTION_DAYS;
  const n = Number(raw.trim());
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || !Number.isFinite(n)) {
    throw usageError(`${RETENTION_ENV} must be a number of days, 0 to keep every event (got ${JSON.stringify(raw)})`);
  }
  return n;
}

/** Deletes the events older than the retention (see retentionDays); returns how many. */
export function applyRetention(events: EventRepo, env: NodeJS.ProcessEnv, now = Date.now()): number {
  const days = retentionDays(env);
  return days > 0 ? events.pruneBefore(new Date(now - days * 86_400_000).toISOString()) : 0;
}

/** A delivery-status callback a listener received: a status event, never a trigger. */
export interface StatusEvent {
  id: number;
  configId: string;
  configName: string;
  receivedAt: string;
  messageSid: string | null;
  status: string;
  errorCode: number | null;
  to: string | null;
  from: string | null;
}

export class EventRepo {
  readonly #insert;
  readonly #bySid;
  readonly #batch;

  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
    // Prepared once: the listener records every webhook through these.
    this.#insert = db.prepare(
      `INSERT OR IGNORE INTO events (config_id, config_name, received_at, status, reason, message_sid, idempotency_token, channel,
         from_number, body, signature_valid, raw_form, headers, payload, remote_address, body_excerpt)
       VALUES (@configId, @configName, @receivedAt, @status, @reason, @messageSid, @idempotencyToken, @channel,
         @fromNumber, @body, @signatureValid, @rawForm, @headers, @payload, @remoteAddress, @bodyExcerpt)`,
    );
    this.#bySid = db.prepare(`SELECT id FROM events WHERE config_id = ? AND message_sid = ? AND status = 'accepted'`);
    this.#batch = db.transaction((events: readonly NewEvent[]) => events.map((e) => this.#recordOne(e)));
  }

  /**
   * Records a request. An accepted event whose MessageSid this config already has (a Twilio retry) is not
   * recorded again: the first event's id comes back with `duplicate: true`.
   */
  record(e: NewEvent): { id: number; duplicate: boolean } {
    return this.#recordOne(e);
  }

  /**
   * Records several requests in ONE transaction (group commit: one WAL commit for the webhooks that
   * arrived together), in order, each with `record`'s rules; a MessageSid repeated within the batch is a
   * duplicate of its first occurrence. All or nothing: on an error no event of the batch is recorded.
   */
  recordBatch(events: readonly NewEvent[]): { id: number; duplicate: boolean }[] {
    if (events.length === 1) return [this.#recordOne(events[0]!)];
    return this.#batch(events);
  }

  #recordOne(e: NewEvent): { id: number; duplicate: boolean } {
    const info = this.#insert.run({
      configId: e.configId,
      configName: e.configName,
      receivedAt: e.receivedAt,
      status: e.status,
      reason: e.reason,
      messageSid: e.messageSid,
      idempotencyToken: e.idempotencyToken,
      channel: e.channel,
      fromNumber: e.fromNumber,
      body: e.body,
      signatureValid: e.signatureValid === null ? null : e.signatureValid ? 1 : 0,
      rawForm: JSON.stringify(e.rawForm),
      headers: JSON.stringify(e.headers),
      payload: e.payload === null ? null : (e.payloadJson ?? JSON.stringify(e.payload)),
      remoteAddress: e.remoteAddress ?? null,
      bodyExcerpt: e.bodyExcerpt ?? null,
    });
    if (info.changes === 1) return { id: Number(info.lastInsertRowid), duplicate: false };
    const existing = this.#bySid.get(e.configId, e.messageSid) as { id: number } | undefined;
    if (!existing) throw new Error('event insert ignored without an existing event');
    return { id: existing.id, duplicate: true };
  }

  setForwardOutcome(
    id: number,
    f: { url: string; status: number | null; ms: number | null; error: string | null },
  ): void {
    this.#db
      .prepare('UPDATE events SET forward_url = ?, forward_status = ?, forward_ms = ?, forward_error = ? WHERE id = ?')
      .run(f.url, f.status, f.ms, f.error, id);
  }

  byId(id: number): StoredEvent | undefined {
    const r = this.#db.prepare('SELECT * FROM events WHERE id = ?').get(id) as Row | undefined;
    return r && fromRow(r);
  }

  /**
   * Newest first (by time received, then id). Each filter combination walks one index (see migration 6),
   * so a page costs the same with a million events as with ten.
   */
  /** Whether a message with this MessageSid was accepted for the config. */
  hasMessage(configId: string, messageSid: string): boolean {
    return this.#bySid.get(configId, messageSid) !== undefined;
  }

  /** The newest refused request of the config that carried this MessageSid (its event id and reason), if any. */
  refusedMessage(configId: string, messageSid: string): { id: number; reason: string | null } | undefined {
    return this.#db
      .prepare(
        `SELECT id, reason FROM events WHERE config_id = ? AND message_sid = ? AND status = 'refused' ORDER BY id DESC LIMIT 1`,
      )
      .get(configId, messageSid) as { id: number; reason: string | null } | undefined;
  }

  /** How many refused requests of the config had this reason (within the retention). */
  countRefused(configId: string, reason: string): number {
    return (
      this.#db
        .prepare(`SELECT count(*) AS n FROM events WHERE config_id = ? AND status = 'refused' AND reason = ?`)
        .get(configId, reason) as { n: number }
    ).n;
  }

  /** The refused requests of the config received at or after `since` (ISO-8601), newest first, at most `limit`. */
  refusedSince(configId: string, since: string, limit = 5): { id: number; reason: string | null }[] {
    return this.#db
      .prepare(
        `SELECT id, reason FROM events WHERE config_id = ? AND status = 'refused' AND received_at >= ? ORDER BY id DESC LIMIT ?`,
      )
      .all(configId, since, limit) as { id: number; reason: string | null }[];
  }

  /** The id of the accepted event of this MessageSid for the config, if there is one. */
  acceptedId(configId: string, messageSid: string): number | undefined {
    return (this.#bySid.get(configId, messageSid) as { id: number } | undefined)?.id;
  }

  /** The newest accepted event of the config at or before `atOrBefore` (from `fromNumber`, when given). */
  lastAccepted(q: { configId: string; atOrBefore: number; fromNumber?: string }): StoredEvent | undefined {
    const r = (
      q.fromNumber === undefined
        ? this.#db
            .prepare(
              `SELECT * FROM events WHERE id <= ? AND config_id = ? AND status = 'accepted' ORDER BY id DESC LIMIT 1`,
            )
            .get(q.atOrBefore, q.configId)
        : this.#db
            .prepare(
              `SELECT * FROM events WHERE id <= ? AND config_id = ? AND status = 'accepted' AND from_number = ? ORDER BY id DESC LIMIT 1`,
            )
            .get(q.atOrBefore, q.configId, q.fromNumber)
    ) as Row | undefined;
    return r && fromRow(r);
  }

  addStatus(e: Omit<StatusEvent, 'id'>): number {
    return Number(
      this.#db
        .prepare(
          'INSERT INTO status_events (config_id, config_name, received_at, message_sid, status, error_code, to_address, from_address) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(e.configId, e.configName, e.receivedAt, e.messageSid, e.status, e.errorCode, e.to, e.from).lastInsertRowid,
    );
  }

  /** Status events, newest first. */
  listStatuses(q: Pick<EventQuery, 'configId' | 'since' | 'limit'> = {}): StatusEvent[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.configId) {
      where.push('config_id = ?');
      args.push(q.configId);
    }
    if (q.since) {
      where.push('received_at >= ?');
      args.push(q.since);
    }
    const rows = this.#db
      .prepare(
        `SELECT * FROM status_events ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY received_at DESC, id DESC LIMIT ?`,
      )
      .all(...args, q.limit ?? 50) as StatusRow[];
    return rows.map(fromStatusRow);
  }

  /** One status event by its id (its own sequence: status #6 and message #6 are two events). */
  statusById(id: number): StatusEvent | undefined {
    const r = this.#db.prepare('SELECT * FROM status_events WHERE id = ?').get(id) as StatusRow | undefined;
    return r && fromStatusRow(r);
  }

  list(q: EventQuery = {}): StoredEvent[] {
    const { sql, args } = listQuery(q);
    return (this.#db.prepare(sql).all(...args) as Row[]).map(fromRow);
  }

  /** SQLite's plan for a list query, one step a line (for tests that keep list() on an index). */
  listPlan(q: EventQuery = {}): string[] {
    const { sql, args } = listQuery(q);
    return (this.#db.prepare('EXPLAIN QUERY PLAN ' + sql).all(...args) as { detail: string }[]).map((r) => r.detail);
  }

  /** The newest event id of the whole log (ids only grow), 0 when it is empty: where a wait for new events starts. */
  lastId(): number {
    return (this.#db.prepare('SELECT coalesce(max(id), 0) AS id FROM events').get() as { id: number }).id;
  }

  /** The oldest accepted event of the config after `afterId` (from `fromNumber`, plain E.164, when given), if any. */
  nextAccepted(q: { configId: string; afterId: number; fromNumber?: string }): StoredEvent | undefined {
    const r = (
      q.fromNumber === undefined
        ? this.#db
            .prepare(`SELECT * FROM events WHERE id > ? AND config_id = ? AND status = 'accepted' ORDER BY id LIMIT 1`)
            .get(q.afterId, q.configId)
        : this.#db
            .prepare(
              `SELECT * FROM events WHERE id > ? AND config_id = ? AND status = 'accepted' AND from_number = ? ORDER BY id LIMIT 1`,
            )
            .get(q.afterId, q.configId, q.fromNumber)
    ) as Row | undefined;
    return r && fromRow(r);
  }

  count(q: Pick<EventQuery, 'configId' | 'status'> = {}): number {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.configId) {
      where.push('config_id = ?');
      args.push(q.configId);
    }
    if (q.status) {
      where.push('status = ?');
      args.push(q.status);
    }
    const sql = `SELECT count(*) AS n FROM events ${where.length ? 'WHERE ' + where.join(' AND ') : ''}`;
    return (this.#db.prepare(sql).get(...args) as { n: number }).n;
  }

  /** Deletes events received before `isoTime`; returns how many. */
  pruneBefore(isoTime: string): number {
    this.#db.prepare('DELETE FROM status_events WHERE received_at < ?').run(isoTime);
    return this.#db.prepare('DELETE FROM events WHERE received_at < ?').run(isoTime).changes;
  }
}

function listQuery(q: EventQuery): { sql: string; args: unknown[] } {
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.configId) {
    where.push('config_id = ?');
    args.push(q.configId);
  }
  // A literal, not a parameter: only then can SQLite use the partial index on refused events.
  if (q.status === 'accepted' || q.status === 'refused') where.push(`status = '${q.status}'`);
  if (q.since) {
    where.push('received_at >= ?');
    args.push(q.since);
  }
  if (q.before) {
    where.push('(received_at, id) < (?, ?)');
    args.push(q.before.receivedAt, q.before.id);
  }
  const sql = `SELECT * FROM events ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY received_at DESC, id DESC LIMIT ?`;
  return { sql, args: [...args, q.limit ?? 50] };
}

/** A row of status_events, as SQLite returns it. */
interface StatusRow {
  id: number;
  config_id: string;
  config_name: string;
  received_at: string;
  message_sid: string | null;
  status: string;
  error_code: number | null;
  to_address: string | null;
  from_address: string | null;
}

function fromStatusRow(r: StatusRow): StatusEvent {
  return {
    id: r.id,
    configId: r.config_id,
    configName: r.config_name,
    receivedAt: r.received_at,
    messageSid: r.message_sid,
    status: r.status,
    errorCode: r.error_code,
    to: r.to_address,
    from: r.from_address,
  };
}
