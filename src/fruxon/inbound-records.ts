import type { SecretStore } from '../secrets/index.js';
import type { Config, Store } from '../store/index.js';
import { configAccessRequests } from './access-requests.js';
import type { FruxonClient, FruxonFactory } from './client.js';
import { connectLinked } from './participants.js';
import { type AccessRequest, normalAddress, participantError } from './participants-api.js';

/**
 * Fruxon's side of an inbound message, for a linked config: whether Fruxon recorded it (its `/messages`, with the
 * conversation and the agent run, `executionRecordId`), holds it as a participant access request, or has no
 * record of it. Reading is strict about what matters (a record's text, sender and time) and tolerant of the rest:
 * one odd record is skipped, never hides the list.
 */

export interface FruxonMessageRecord {
  id: string;
  conversationId: string | null;
  integrationConfigId: string | null;
  agentId: string | null;
  from: string | null;
  message: string;
  /** Milliseconds since the epoch; null when Fruxon gave no time it could be read as. */
  createdAtMs: number | null;
  executionRecordId: string | null;
}

/** Fruxon's integer timestamps without a unit: seconds and milliseconds told apart by size; ISO text too. */
export function fruxonTimeMs(t: unknown): number | null {
  if (typeof t === 'number' && Number.isFinite(t) && t > 1e9) return t > 1e11 ? t : t * 1000;
  if (typeof t === 'string' && t.trim() !== '') {
    if (/^\d+$/.test(t.trim())) return fruxonTimeMs(Number(t));
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null;
}

/** One record of `/messages`; null for a record without an id or a text (skipped). */
export function readMessageRecord(v: unknown): FruxonMessageRecord | null {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  const id = str(o.id);
  const text = typeof o.message === 'string' ? o.message : typeof o.text === 'string' ? o.text : null;
  if (!id || text === null) return null;
  return {
    id,
    conversationId: str(o.conversationId),
    integrationConfigId: str(o.integrationConfigId),
    agentId: str(o.agentId),
    from: str(o.from),
    message: text,
    createdAtMs: fruxonTimeMs(o.createdAt),
    executionRecordId: str(o.executionRecordId),
  };
}

/** The newest messages Fruxon recorded for a Fruxon config (the list's other records filtered out here). */
export async function listFruxonMessages(
  client: FruxonClient,
  fruxonConfigId: string,
  pageSize = 100,
): Promise<FruxonMessageRecord[]> {
  const q = new URLSearchParams({ integrationConfigId: fruxonConfigId, PageSize: String(pageSize) });
  let body: unknown;
  try {
    body = await client.request('GET', client.tenantPath(`/messages?${q}`), 'list the messages Fruxon recorded');
  } catch (err) {
    throw participantError(err);
  }
  const items = Array.isArray(body)
    ? body
    : body && typeof body === 'object' && Array.isArray((body as { items?: unknown }).items)
      ? (body as { items: unknown[] }).items
      : [];
  return items
    .map(readMessageRecord)
    .filter((m): m is FruxonMessageRecord => m !== null)
    .filter((m) => m.integrationConfigId === null || m.integrationConfigId === fruxonConfigId);
}

export interface InboundQuery {
  /** Twilio's MessageSid (for the caller: Fruxon's records do not carry it). */
  sid: string;
  /** The sender, as Twilio wrote it (`whatsapp:` kept or not). */
  from: string;
  body: string;
  /** When Twilio created the message (ms). */
  at: number;
}

export type InboundFinding =
  | { kind: 'received'; record: FruxonMessageRecord }
  | { kind: 'held'; accessRequestId: string }
  | { kind: 'none' };

/**
 * Fruxon's record of an inbound message: the record with the same text from the same sender (an unknown sender
 * field matches too) created from a minute before Twilio's time on; the oldest such record wins.
 */
export function matchRecord(records: readonly FruxonMessageRecord[], q: InboundQuery): FruxonMessageRecord | null {
  const from = normalAddress(q.from);
  const found = records
    .filter((r) => r.message.trim() === q.body.trim())
    .filter((r) => r.from === null || normalAddress(r.from) === from || r.from === q.from)
    .filter((r) => r.createdAtMs === null || r.createdAtMs >= q.at - 60_000)
    .sort((a, b) => (a.createdAtMs ?? 0) - (b.createdAtMs ?? 0));
  return found[0] ?? null;
}

/** A linked config's Fruxon client and config id; null when the config is not linked. */
export function linkedFruxon(
  store: Store,
  config: Config,
  env: NodeJS.ProcessEnv,
  keychain: () => SecretStore,
  fruxon: FruxonFactory,
): { client: FruxonClient; fruxonConfigId: string } | null {
  if (!store.fruxon.link(config.id)) return null;
  const { client, link } = connectLinked(store, config, env, keychain, fruxon);
  return { client, fruxonConfigId: link.fruxonConfigId };
}

/** What Fruxon knows of each message: one list of its messages, and the access requests for those not in it. */
export async function findInbound(
  client: FruxonClient,
  fruxonConfigId: string,
  queries: readonly InboundQuery[],
  opts: { finalFor: (q: InboundQuery) => boolean },
): Promise<Map<string, InboundFinding>> {
  const out = new Map<string, InboundFinding>();
  if (queries.length === 0) return out;
  const records = await listFruxonMessages(client, fruxonConfigId);
  const missing: InboundQuery[] = [];
  for (const q of queries) {
    const record = matchRecord(records, q);
    if (record) out.set(q.sid, { kind: 'received', record });
    else missing.push(q);
  }
  if (missing.length === 0) return out;
  // The first message from a sender Fruxon does not know is held as an access request, not recorded.
  let pending: AccessRequest[];
  try {
    pending = await configAccessRequests(client, fruxonConfigId, 'PENDING');
  } catch (err) {
    throw participantError(err);
  }
  for (const q of missing) {
    const held = pending.find((r) => r.address === normalAddress(q.from));
    if (held) out.set(q.sid, { kind: 'held', accessRequestId: held.id });
    else if (opts.finalFor(q)) out.set(q.sid, { kind: 'none' });
  }
  return out;
}

/** `Fruxon received it (conversation …, at …) → run …`, `Fruxon has no record of it`, `Fruxon holds it as access request …`. */
export function findingText(f: InboundFinding, from: string): string {
  if (f.kind === 'held')
    return `Fruxon holds it as access request ${f.accessRequestId}: ${from} is no participant (fruxon-twilio fruxon access-requests approve ${f.accessRequestId})`;
  if (f.kind === 'none') return 'Fruxon has no record of it';
  const r = f.record;
  const at = r.createdAtMs ? `at ${new Date(r.createdAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z')}` : '';
  const where = r.conversationId ? `conversation ${r.conversationId}${at ? `, ${at}` : ''}` : at;
  return `Fruxon received it${where ? ` (${where})` : ''}${r.executionRecordId ? ` → run ${r.executionRecordId}` : ': no agent run recorded'}`;
}
