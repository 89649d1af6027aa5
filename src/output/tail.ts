import { findingText } from '../fruxon/inbound-records.js';
import type { TailEvent } from '../operations/tail.js';
import { type Alert, alertFix, describeAlert } from '../twilio/alerts.js';
import { type Message, otherParty, relativeDirection } from '../twilio/messages.js';
import type { Output } from './index.js';
import { safe } from './index.js';

/**
 * `messages tail` lines. `--json`: one object per line, `kind` first, then Twilio's values under Twilio's names;
 * human: one line per event (and the fix under an error), every outside value escaped.
 */

export function tailEventJson(e: TailEvent): Record<string, unknown> {
  if (e.kind === 'alert') return alertJson(e.alert);
  if (e.kind === 'fruxon') return fruxonJson(e);
  const m = e.message;
  return {
    kind: e.kind,
    sid: m.sid,
    direction: m.direction,
    from: m.from,
    to: m.to,
    channel: m.channel,
    body: m.body,
    status: m.status,
    ...(e.kind === 'status' && { previous_status: e.previousStatus }),
    error_code: m.errorCode,
    error_message: m.errorMessage,
    fix: e.fix ?? null,
    date_created: iso(m.dateCreated),
    date_updated: iso(m.dateUpdated),
    participant: e.participant,
    ...(e.kind === 'message' && { sent_by: e.sentBy }),
  };
}

export function alertJson(a: Alert): Record<string, unknown> {
  return {
    kind: 'alert',
    sid: a.sid,
    error_code: a.errorCode,
    log_level: a.logLevel,
    message_sid: a.resourceSid,
    url: a.url,
    http_status: a.httpStatus,
    reason: a.reason,
    text: describeAlert(a),
    fix: alertFix(a.errorCode, a.resourceSid) ?? null,
    date_created: iso(a.dateCreated),
  };
}

/** Fruxon's side of an inbound message: `status` is received, held (an access request) or none. */
export function fruxonJson(e: Extract<TailEvent, { kind: 'fruxon' }>): Record<string, unknown> {
  const f = e.finding;
  const record = f.kind === 'received' ? f.record : null;
  return {
    kind: 'fruxon',
    sid: e.message.sid,
    status: f.kind,
    conversation_id: record?.conversationId ?? null,
    execution_record_id: record?.executionRecordId ?? null,
    agent_id: record?.agentId ?? null,
    fruxon_message_id: record?.id ?? null,
    date_created: record?.createdAtMs ? new Date(record.createdAtMs).toISOString() : null,
    access_request_id: f.kind === 'held' ? f.accessRequestId : null,
    text: fruxonText(e),
  };
}

/** Fruxon's side of an inbound message, one sentence. */
export function fruxonText(e: Extract<TailEvent, { kind: 'fruxon' }>): string {
  return findingText(e.finding, e.message.from);
}

export function printTailEvent(out: Output, e: TailEvent): void {
  const c = out.color;
  if (e.kind === 'fruxon') {
    const mark = e.finding.kind === 'received' ? c.green('◆') : c.yellow('◆');
    out.line(`${' '.repeat(8)}  ${mark} ${c.dim(e.message.sid)} ${safe(fruxonText(e))}`);
    return;
  }
  if (e.kind === 'alert') {
    const a = e.alert;
    out.line(`${c.dim(clock(a.dateCreated))}  ${c.red('!')} ${safe(describeAlert(a))}`);
    const fix = alertFix(a.errorCode, a.resourceSid);
    if (fix) out.line(`${' '.repeat(10)}${c.dim('fix:')} ${safe(fix)}`);
    return;
  }
  const m = e.message;
  const party = who(m, e.participant);
  const status = statusText(out, m.status);
  const error =
    m.errorCode !== null ? ` ${c.red(`(${m.errorCode}${m.errorMessage ? ` ${safe(m.errorMessage)}` : ''})`)}` : '';
  if (e.kind === 'message') {
    const arrow = relativeDirection(m) === 'in' ? c.cyan('←') : c.green('→');
    const by = e.sentBy === 'customer' ? '' : ` ${c.dim(`[${e.sentBy}]`)}`;
    out.line(
      `${c.dim(clock(m.dateCreated))}  ${arrow} ${party} ${c.dim(m.channel)}${by} "${safe(m.body.replace(/\s+/g, ' '))}"  ${status}${error}  ${c.dim(m.sid)}`,
    );
  } else {
    out.line(
      `${c.dim(clock(m.dateUpdated))}  ${c.dim('·')} ${c.dim(m.sid)} to ${party}: ${safe(e.previousStatus)} → ${status}${error}`,
    );
  }
  if (e.fix) out.line(`${' '.repeat(10)}${c.dim('fix:')} ${safe(e.fix)}`);
}

function who(m: Message, participant: string | null): string {
  const phone = otherParty(m);
  return safe(participant ? `${participant} (${phone})` : phone);
}

function statusText(out: Output, status: string): string {
  const c = out.color;
  if (status === 'failed' || status === 'undelivered') return c.red(safe(status));
  if (status === 'delivered' || status === 'read' || status === 'received') return c.green(safe(status));
  return safe(status);
}

function clock(d: Date | null): string {
  return d ? d.toISOString().slice(11, 19) : '--:--:--';
}

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}
