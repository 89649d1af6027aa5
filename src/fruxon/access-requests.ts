import { CliError, fieldUsageError, usageError } from '../errors.js';
import type { SecretStore } from '../secrets/index.js';
import type { Config, Store } from '../store/index.js';
import { type FruxonClient, type FruxonFactory, FruxonHttpError } from './client.js';
import { connectLinked } from './participants.js';
import {
  ACCESS_REQUEST_STATUSES,
  type AccessRequest,
  type AccessRequestStatus,
  APPROVE_MODES,
  type ApproveMode,
  getAccessRequest,
  listAccessRequests,
  normalAddress,
  participantError,
  processAccessRequest,
} from './participants-api.js';

/**
 * Participant access requests: the first message from a sender Fruxon does not know is held as a request
 * until someone approves it (as a new participant, as a channel of an existing one, or as a binding of the
 * participant it matched) or rejects it. Listed for one linked config; approved or rejected by id.
 */

export function checkStatus(field: string, value: string): AccessRequestStatus {
  const v = value.trim().toUpperCase();
  if (!(ACCESS_REQUEST_STATUSES as readonly string[]).includes(v))
    throw usageError(`${field} must be one of ${ACCESS_REQUEST_STATUSES.join(', ')} (got ${JSON.stringify(value)})`);
  return v as AccessRequestStatus;
}

export function checkMode(field: string, value: string): ApproveMode {
  const v = value.trim().toUpperCase().replace(/-/g, '_');
  if (!(APPROVE_MODES as readonly string[]).includes(v))
    throw usageError(`${field} must be one of ${APPROVE_MODES.join(', ')} (got ${JSON.stringify(value)})`);
  return v as ApproveMode;
}

/** The requests of one Fruxon config with a status (Fruxon filters by status; the config is filtered here). */
export async function configAccessRequests(
  client: FruxonClient,
  fruxonConfigId: string,
  status: AccessRequestStatus = 'PENDING',
): Promise<AccessRequest[]> {
  const all = await listAccessRequests(client, { status });
  return all
    .filter((r) => r.integrationConfigId === fruxonConfigId && r.status === status)
    .sort((a, b) => Number(b.createdAt ?? 0) - Number(a.createdAt ?? 0) || a.id.localeCompare(b.id));
}

/** The newest pending access request of a number on a Fruxon config, or null. */
export async function pendingRequestAt(
  client: FruxonClient,
  fruxonConfigId: string,
  number: string,
): Promise<AccessRequest | null> {
  const n = normalAddress(number);
  return (await configAccessRequests(client, fruxonConfigId, 'PENDING')).find((r) => r.address === n) ?? null;
}

/**
 * For a diagnosis ("the agent never answered"): the pending access request Fruxon holds for `number` on the
 * config's linked Fruxon config, or null when there is none or the config is not linked. Throws a CliError
 * when Fruxon cannot be asked (no token, unreachable, refused).
 */
export async function pendingAccessRequestFor(
  o: { store: Store; config: Config; env: NodeJS.ProcessEnv; keychain: () => SecretStore; fruxon: FruxonFactory },
  number: string,
): Promise<AccessRequest | null> {
  if (!o.store.fruxon.link(o.config.id)) return null;
  const { client, link } = connectLinked(o.store, o.config, o.env, o.keychain, o.fruxon);
  return pendingRequestAt(client, link.fruxonConfigId, number);
}

/** The local config linked to a Fruxon config on this tenant, if any. */
export function localConfigFor(store: Store, tenant: string, fruxonConfigId: string): Config | null {
  for (const c of store.configs.list()) {
    const l = store.fruxon.link(c.id);
    if (l && l.tenant === tenant && l.fruxonConfigId === fruxonConfigId) return c;
  }
  return null;
}

/** The local participant a request's sender is, by number (on the config linked to the request's config). */
export function localNameFor(store: Store, tenant: string, r: AccessRequest): string | null {
  const config = localConfigFor(store, tenant, r.integrationConfigId);
  return store.participants.findByPhone(r.address, config?.id ?? null)?.name ?? null;
}

function alreadyProcessed(r: AccessRequest): CliError {
  const when = r.processedAt !== null ? ` at ${formatTime(r.processedAt)}` : '';
  return new CliError(
    `access request ${r.id} (${r.address}) was already ${r.status.toLowerCase()}${r.processedBy ? ` by ${r.processedBy}` : ''}${when}`,
    {
      reason: 'already_processed',
    },
  );
}

async function pendingOrThrow(client: FruxonClient, id: string): Promise<AccessRequest> {
  const r = await getAccessRequest(client, id);
  if (!r) {
    throw new CliError(`no access request ${JSON.stringify(id)} on tenant ${client.tenant}`, {
      reason: 'not_found',
      hint: 'see the pending ones: fruxon-twilio fruxon access-requests --config NAME',
    });
  }
  if (r.status !== 'PENDING') throw alreadyProcessed(r);
  return r;
}

/** POSTs :approve or :reject; a refusal because someone processed it meanwhile becomes the one-line error. */
async function submit(
  client: FruxonClient,
  id: string,
  action: 'approve' | 'reject',
  body: Record<string, string>,
): Promise<AccessRequest> {
  let answer: AccessRequest | null;
  try {
    answer = await processAccessRequest(client, id, action, body);
  } catch (err) {
    if (err instanceof FruxonHttpError && (err.status === 409 || err.status === 400)) {
      const now = await getAccessRequest(client, id);
      if (now && now.status !== 'PENDING') throw alreadyProcessed(now);
    }
    throw participantError(err);
  }
  const after = answer && answer.status !== 'PENDING' ? answer : await getAccessRequest(client, id);
  if (!after)
    throw new CliError(`Fruxon accepted the ${action} of access request ${id}, then no longer knows it (404)`, {
      reason: 'fruxon_unexpected',
    });
  return after;
}

export interface ApproveOptions {
  store: Store;
  client: FruxonClient;
  id: string;
  /** Default CREATE_NEW; not given and the request matched a participant: refused (say which one). */
  mode?: ApproveMode;
  /** CREATE_NEW: the participant's display name (default: the local participant at that number, else the request's own). */
  name?: string;
  /** ADD_TO_EXISTING, BIND_ONLY: the participant (default: the one the request matched). */
  participantId?: string;
  note?: string;
}

export interface ProcessResult {
  request: AccessRequest;
  mode: ApproveMode | null;
  /** What was sent: the display name (CREATE_NEW) and where it came from, or the participant id. */
  displayName: string | null;
  nameSource: 'flag' | 'local' | 'request' | null;
  participantId: string | null;
}

export async function approveAccessRequest(o: ApproveOptions): Promise<ProcessResult> {
  const mode = o.mode ?? 'CREATE_NEW';
  if (mode === 'CREATE_NEW' && o.participantId !== undefined) {
    throw fieldUsageError('participant', (n) => ({
      message: `${n('participant')} is for ${n('mode')} ADD_TO_EXISTING or BIND_ONLY: CREATE_NEW makes a new participant (name it with ${n('name')})`,
    }));
  }
  if (mode !== 'CREATE_NEW' && o.name !== undefined) {
    throw fieldUsageError('name', (n) => ({
      message: `${n('name')} is for ${n('mode')} CREATE_NEW: ${mode} uses an existing participant (${n('participant')} ID)`,
    }));
  }
  const r = await pendingOrThrow(o.client, o.id);
  if (o.mode === undefined && r.matchedParticipantId) {
    // A second participant for a known sender is rarely what is meant: the default asks first.
    const matched = r.matchedParticipantId;
    throw fieldUsageError('mode', (n) => ({
      message: `access request ${r.id} matched the existing participant ${matched}: pass ${n('mode')} BIND_ONLY to bind it${r.agentId ? ` to ${r.agentId}` : ''}, or ${n('mode')} CREATE_NEW for a second participant`,
    }));
  }
  const body: Record<string, string> = { mode };
  let displayName: string | null = null;
  let nameSource: ProcessResult['nameSource'] = null;
  let participantId: string | null = null;
  if (mode === 'CREATE_NEW') {
    const local = o.name === undefined ? localNameFor(o.store, o.client.tenant, r) : null;
    displayName = o.name ?? local ?? r.displayName ?? r.conversationName;
    nameSource = o.name !== undefined ? 'flag' : local ? 'local' : displayName ? 'request' : null;
    if (displayName) body.displayName = displayName;
  } else {
    participantId = o.participantId ?? r.matchedParticipantId;
    if (!participantId) {
      throw fieldUsageError('participant', (n) => ({
        message: `${n('mode')} ${mode} needs a participant: the request matched none, so pass ${n('participant')} ID (see fruxon-twilio participants pull, or Fruxon's Network → Participants)`,
      }));
    }
    body.participantId = participantId;
  }
  if (o.note) body.note = o.note;
  const request = await submit(o.client, o.id, 'approve', body);
  return { request, mode, displayName, nameSource, participantId: request.approvedParticipantId ?? participantId };
}

export async function rejectAccessRequest(o: {
  client: FruxonClient;
  id: string;
  note?: string;
}): Promise<ProcessResult> {
  await pendingOrThrow(o.client, o.id);
  const request = await submit(o.client, o.id, 'reject', o.note ? { note: o.note } : {});
  return { request, mode: null, displayName: null, nameSource: null, participantId: null };
}

/**
 * A Fruxon timestamp for people. The docs give integers without a unit: seconds and milliseconds since
 * the epoch are told apart by size; anything else is shown as it came.
 */
export function formatTime(t: string | number): string {
  if (typeof t === 'number' && Number.isFinite(t) && t > 1e9) {
    const ms = t > 1e11 ? t : t * 1000;
    return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return String(t);
}
