import { formatTime, type ProcessResult } from '../fruxon/access-requests.js';
import type { PullResult, PushResult } from '../fruxon/participants.js';
import type { AccessRequest } from '../fruxon/participants-api.js';
import type { SenderHint } from '../fruxon/sender-hint.js';
import { shellQuote } from '../shell.js';
import type { Output } from './index.js';

/** How `participants push/pull` and `fruxon access-requests` print (one line per participant or request). */

function mark(out: Output, action: string): string {
  const c = out.errColor;
  if (action === 'failed') return c.red('✖');
  if (action === 'conflict') return c.yellow('!');
  if (action === 'skipped') return c.dim('–');
  return c.green('✔');
}

export function printPushResult(out: Output, r: PushResult): void {
  out.status(
    `${mark(out, r.action)} ${r.name} ${r.phone} ${r.action === 'unchanged' ? 'already there' : r.action}: ${r.detail}`,
  );
}

export function pushJson(config: string, fruxonConfigId: string, results: PushResult[]): Record<string, unknown> {
  return {
    config,
    fruxon_config_id: fruxonConfigId,
    participants: results.map((r) => ({
      name: r.name,
      phone: r.phone,
      action: r.action,
      fruxon_participant_id: r.fruxonParticipantId,
      bound_agents: r.boundAgents,
      detail: r.detail,
    })),
  };
}

export function printPullResult(out: Output, r: PullResult): void {
  const who = r.name ?? JSON.stringify(r.fruxonDisplayName);
  out.status(
    `${mark(out, r.action)} ${who} ${r.phone} ${r.action === 'unchanged' ? 'already there' : r.action}: ${r.detail}`,
  );
}

export function pullJson(config: string, fruxonConfigId: string, results: PullResult[]): Record<string, unknown> {
  return {
    config,
    fruxon_config_id: fruxonConfigId,
    participants: results.map((r) => ({
      name: r.name,
      phone: r.phone,
      action: r.action,
      fruxon_participant_id: r.fruxonParticipantId,
      fruxon_display_name: r.fruxonDisplayName,
      detail: r.detail,
    })),
    conflicts: results.filter((r) => r.action === 'conflict').length,
  };
}

export function accessRequestJson(r: AccessRequest, localParticipant: string | null): Record<string, unknown> {
  return {
    id: r.id,
    status: r.status,
    address: r.address,
    display_name: r.displayName,
    conversation_name: r.conversationName,
    agent_id: r.agentId,
    integration_config_id: r.integrationConfigId,
    provider: r.provider,
    matched_participant_id: r.matchedParticipantId,
    approved_participant_id: r.approvedParticipantId,
    processed_by: r.processedBy,
    processed_at: r.processedAt,
    processing_note: r.processingNote,
    created_at: r.createdAt,
    local_participant: localParticipant,
  };
}

export function accessRequestTable(out: Output, rows: { request: AccessRequest; local: string | null }[]): void {
  const dim = out.color.dim;
  out.table(
    ['ID', 'STATUS', 'FROM', 'NAME', 'LOCAL', 'AGENT', 'MATCHED', 'CREATED'],
    rows.map(({ request: r, local }) => [
      r.id,
      r.status,
      r.address,
      r.displayName ?? r.conversationName ?? dim('-'),
      local ?? dim('-'),
      r.agentId ?? dim('-'),
      r.matchedParticipantId ?? dim('-'),
      r.createdAt !== null ? formatTime(r.createdAt) : dim('-'),
    ]),
  );
}

export function processedJson(p: ProcessResult, localParticipant: string | null): Record<string, unknown> {
  return {
    ...accessRequestJson(p.request, localParticipant),
    mode: p.mode,
    sent_display_name: p.displayName,
    name_source: p.nameSource,
    participant_id: p.participantId,
  };
}

export function processedLine(p: ProcessResult): string {
  const r = p.request;
  if (p.mode === null)
    return `Rejected access request ${r.id} from ${r.address}${r.processingNote ? ` (note: ${r.processingNote})` : ''}.`;
  const who = p.participantId ? `participant ${p.participantId}` : 'a participant';
  const what =
    p.mode === 'CREATE_NEW'
      ? `new ${who}${p.displayName ? ` ${JSON.stringify(p.displayName)}${p.nameSource === 'local' ? ", the local participant's name" : ''}` : ''}`
      : p.mode === 'ADD_TO_EXISTING'
        ? `added as a channel of ${who}`
        : `${who} bound${r.agentId ? ` to agent ${r.agentId}` : ''}`;
  return `Approved access request ${r.id} from ${r.address}: ${what}.`;
}

/** The listen hint: one line, once per number. */
export function senderHintLine(h: SenderHint, configName: string, localName: string | null): string {
  const config = shellQuote(configName);
  const todo = h.pendingRequestId
    ? `Fruxon holds its request ${h.pendingRequestId}: fruxon-twilio fruxon access-requests approve ${h.pendingRequestId}`
    : `Fruxon holds its messages as access requests until approved: fruxon-twilio fruxon access-requests --config ${config}`;
  const push = localName
    ? `; or add the local participant: fruxon-twilio participants push ${shellQuote(localName)} --config ${config}`
    : '';
  return `hint: ${h.number} is no participant on Fruxon for this config; ${todo}${push}`;
}
