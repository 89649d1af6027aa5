import { stripChannel } from '../phone.js';
import { describeShape, expectObject, unexpected } from './api.js';
import { type FruxonClient, FruxonHttpError, fruxonError } from './client.js';

/**
 * Fruxon's participant and participant-access-request endpoints (../shared/fruxon-api.md section 4), with
 * the shapes the docs give. What a feature here decides on (a participant's channels, a request's config
 * and status) is read strictly: an answer without it stops with a message naming what came back, because
 * guessing would create duplicates on Fruxon or approve the wrong sender.
 */

const HINT =
  'this version of fruxon-twilio may not match the Fruxon API; manage participants in the Fruxon UI (Network → Participants) instead';

export interface FruxonChannel {
  integrationConfigId: string;
  /** E.164 (a `whatsapp:` prefix, if Fruxon ever sent one, is removed). */
  address: string;
  disabled: boolean;
}

export interface FruxonParticipant {
  id: string;
  kind: string | null;
  displayName: string;
  agentIds: string[];
  channels: FruxonChannel[];
}

export const ACCESS_REQUEST_STATUSES = ['PENDING', 'APPROVED', 'REJECTED'] as const;
export type AccessRequestStatus = (typeof ACCESS_REQUEST_STATUSES)[number];
export const APPROVE_MODES = ['CREATE_NEW', 'ADD_TO_EXISTING', 'BIND_ONLY'] as const;
export type ApproveMode = (typeof APPROVE_MODES)[number];

export interface AccessRequest {
  id: string;
  integrationConfigId: string;
  provider: string | null;
  address: string;
  agentId: string | null;
  matchedParticipantId: string | null;
  displayName: string | null;
  conversationName: string | null;
  /** PENDING, APPROVED, REJECTED (or whatever else Fruxon says, kept as is). */
  status: string;
  processedBy: string | null;
  processedAt: string | number | null;
  processingNote: string | null;
  approvedParticipantId: string | null;
  createdAt: string | number | null;
}

const str = (o: Record<string, unknown>, k: string): string | null =>
  typeof o[k] === 'string' && o[k] !== '' ? (o[k] as string) : null;
const time = (o: Record<string, unknown>, k: string): string | number | null =>
  typeof o[k] === 'string' || typeof o[k] === 'number' ? (o[k] as string | number) : null;

/** The address as this tool compares it: E.164 without `whatsapp:` and without spaces. */
export function normalAddress(address: string): string {
  return stripChannel(address.trim()).replace(/[\s()-]/g, '');
}

export function readParticipant(v: unknown, where: string): FruxonParticipant {
  const o = expectObject(v, where, HINT);
  if (typeof o.id !== 'string' || !o.id) throw unexpected(where, 'a participant without an id', HINT);
  if (!Array.isArray(o.channels)) {
    throw unexpected(
      where,
      `participant ${o.id} has no "channels" list, so its channels cannot be compared (keys: ${Object.keys(o).join(', ')})`,
      HINT,
    );
  }
  const channels = o.channels.map((c, i) => {
    const co = expectObject(c, `${where}.channels[${i}]`, HINT);
    if (typeof co.integrationConfigId !== 'string' || typeof co.address !== 'string') {
      throw unexpected(
        where,
        `participant ${o.id}'s channel ${i} has no integrationConfigId or address (keys: ${Object.keys(co).join(', ')})`,
        HINT,
      );
    }
    return {
      integrationConfigId: co.integrationConfigId,
      address: normalAddress(co.address),
      disabled: co.disabled === true,
    };
  });
  return {
    id: o.id,
    kind: str(o, 'kind'),
    displayName: typeof o.displayName === 'string' ? o.displayName : '',
    agentIds: Array.isArray(o.agentIds) ? o.agentIds.filter((a): a is string => typeof a === 'string') : [],
    channels,
  };
}

export function readAccessRequest(v: unknown, where: string): AccessRequest {
  const o = expectObject(v, where, HINT);
  if (typeof o.id !== 'string' || !o.id) throw unexpected(where, 'an access request without an id', HINT);
  for (const k of ['integrationConfigId', 'address', 'status']) {
    if (typeof o[k] !== 'string' || !o[k])
      throw unexpected(where, `access request ${o.id} has no ${k} (keys: ${Object.keys(o).join(', ')})`, HINT);
  }
  return {
    id: o.id,
    integrationConfigId: o.integrationConfigId as string,
    provider: str(o, 'provider'),
    address: normalAddress(o.address as string),
    agentId: str(o, 'agentId'),
    matchedParticipantId: str(o, 'matchedParticipantId'),
    displayName: str(o, 'displayName'),
    conversationName: str(o, 'conversationName'),
    status: (o.status as string).toUpperCase(),
    processedBy: str(o, 'processedBy'),
    processedAt: time(o, 'processedAt'),
    processingNote: str(o, 'processingNote'),
    approvedParticipantId: str(o, 'approvedParticipantId'),
    createdAt: time(o, 'createdAt'),
  };
}

/** A documented bare array; a page ({items}) is read too. Anything else is refused. */
function readList<T>(body: unknown, where: string, read: (v: unknown, where: string) => T): T[] {
  const items = Array.isArray(body)
    ? body
    : body && typeof body === 'object' && Array.isArray((body as Record<string, unknown>).items)
      ? (body as { items: unknown[] }).items
      : null;
  if (!items) throw unexpected(where, `neither a list nor {items: [...]} (got ${describeShape(body)})`, HINT);
  return items.map((v, i) => read(v, `${where}[${i}]`));
}

const enc = encodeURIComponent;

/** The generic 403 hint names integrations:write; the scopes of these endpoints are not documented. */
export function participantError(err: unknown): Error {
  if (err instanceof FruxonHttpError && err.status === 403) {
    return fruxonError(
      err,
      "the token lacks a scope this needs (Fruxon's docs do not say which for participants: try a Builder or Admin token), or belongs to another tenant",
    );
  }
  return fruxonError(err);
}

/** GET /participants[?agentId=] (documented as an unpaged array). */
export async function listParticipants(
  client: FruxonClient,
  opts: { agentId?: string } = {},
): Promise<FruxonParticipant[]> {
  let body: unknown;
  try {
    body = await client.request(
      'GET',
      client.tenantPath(`/participants${opts.agentId ? `?agentId=${enc(opts.agentId)}` : ''}`),
      'list the participants',
    );
  } catch (err) {
    throw participantError(err);
  }
  return readList(body, 'participants', readParticipant);
}

export interface NewFruxonParticipant {
  displayName: string;
  channels: { integrationConfigId: string; address: string }[];
  agentIds: string[];
}

/** POST /participants: a PERSON with its channels (and agent bindings) in one atomic call. */
export async function createParticipant(client: FruxonClient, p: NewFruxonParticipant): Promise<FruxonParticipant> {
  const body = {
    kind: 'PERSON',
    displayName: p.displayName,
    channels: p.channels.map((c, i) => ({
      integrationConfigId: c.integrationConfigId,
      address: c.address,
      priority: i,
      disabled: false,
    })),
    agentIds: p.agentIds,
  };
  try {
    return readParticipant(
      await client.request(
        'POST',
        client.tenantPath('/participants'),
        `create the participant ${JSON.stringify(p.displayName)}`,
        body,
      ),
      'POST participants',
    );
  } catch (err) {
    throw participantError(err);
  }
}

/** PUT /participants/{id}/bindings/{agentId} (idempotent). The answer's shape is not relied on. */
export async function bindParticipant(client: FruxonClient, participantId: string, agentId: string): Promise<void> {
  try {
    await client.request(
      'PUT',
      client.tenantPath(`/participants/${enc(participantId)}/bindings/${enc(agentId)}`),
      `bind participant ${participantId} to agent ${agentId}`,
    );
  } catch (err) {
    throw participantError(err);
  }
}

/** GET /participantAccessRequests[?Status=&AgentId=]. */
export async function listAccessRequests(
  client: FruxonClient,
  opts: { status?: string; agentId?: string } = {},
): Promise<AccessRequest[]> {
  const q = new URLSearchParams();
  if (opts.agentId) q.set('AgentId', opts.agentId);
  if (opts.status) q.set('Status', opts.status);
  const query = q.toString() ? `?${q.toString()}` : '';
  let body: unknown;
  try {
    body = await client.request(
      'GET',
      client.tenantPath(`/participantAccessRequests${query}`),
      'list the participant access requests',
    );
  } catch (err) {
    throw participantError(err);
  }
  return readList(body, 'participantAccessRequests', readAccessRequest);
}

/** GET /participantAccessRequests/{id}; null on 404. */
export async function getAccessRequest(client: FruxonClient, id: string): Promise<AccessRequest | null> {
  try {
    return readAccessRequest(
      await client.request(
        'GET',
        client.tenantPath(`/participantAccessRequests/${enc(id)}`),
        `read access request ${id}`,
      ),
      'participantAccessRequests/{id}',
    );
  } catch (err) {
    if (err instanceof FruxonHttpError && err.status === 404) return null;
    throw participantError(err);
  }
}

/**
 * POST /participantAccessRequests/{id}:approve or :reject. Returns the request as Fruxon answered it, or
 * null when the answer is not a request (the caller reads it again). HTTP errors come back as
 * FruxonHttpError, for the caller to tell "already processed" (409) from the rest.
 */
export async function processAccessRequest(
  client: FruxonClient,
  id: string,
  action: 'approve' | 'reject',
  body: Record<string, string>,
): Promise<AccessRequest | null> {
  const answer = await client.request(
    'POST',
    client.tenantPath(`/participantAccessRequests/${enc(id)}:${action}`),
    `${action} access request ${id}`,
    body,
  );
  try {
    return readAccessRequest(answer, `participantAccessRequests/{id}:${action}`);
  } catch {
    return null;
  }
}
