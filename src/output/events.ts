import { optOutMark, type TriggerEnvelope } from '../listener/payload.js';
import type { StatusEvent, StoredEvent } from '../store/events.js';
import type { Output } from './index.js';
import { safe, truncate } from './index.js';
import { stdoutIsTerminal } from './iostreams.js';

/** One human line per trigger event: time, channel, sender (and name), text, media count, event id. */
/** `recovered`: fed by `listen --catch-up` (Twilio logged it while no listener ran), marked so. */
export function printEvent(out: Output, e: TriggerEnvelope, o: { recovered?: boolean } = {}): void {
  const c = out.color;
  const p = e.payload;
  const time = e.received_at.slice(11, 19);
  const who = safe(p.from_name ? `${p.from} (${p.from_name})` : (p.from ?? '?'));
  const media = p.media.length ? c.cyan(` [${p.media.length} media]`) : '';
  // Events stored before opt_out_type existed have none.
  const policy = optOutMark(p.message_attributes?.opt_out_type);
  const keyword = policy ? c.yellow(` [${policy}]`) : '';
  const recovered = o.recovered ? c.yellow(' [recovered]') : '';
  const width = Math.max(20, (out.io.stdout.columns ?? 120) - 50);
  const text =
    p.text === null || p.text === ''
      ? c.dim('(no text)')
      : stdoutIsTerminal(out.io)
        ? truncate(p.text, width)
        : safe(p.text.replace(/\n/g, ' '));
  out.line(
    `${c.dim(time)}  ${c.magenta(safe(p.channel).padEnd(8))}  ${c.bold(who)}  ${text}${media}${keyword}${recovered}  ${c.dim(`#${e.event_id}`)}`,
  );
}

/** An event row as `events list --json` prints it (snake_case; the trigger payload is an object, or null when refused). */
export function eventJson(e: StoredEvent): Record<string, unknown> {
  return {
    id: e.id,
    config: e.configName,
    received_at: e.receivedAt,
    status: e.status,
    reason: e.reason,
    channel: e.channel,
    from: e.fromNumber,
    message_sid: e.messageSid,
    text: e.body,
    signature_valid: e.signatureValid,
    payload: e.payload,
    forward: forwardJson(e.forward),
  };
}

/** Everything stored about an event (`events show --json`): the list row plus the raw form and kept headers. */
export function eventDetailJson(e: StoredEvent): Record<string, unknown> {
  return {
    ...eventJson(e),
    config_id: e.configId,
    idempotency_token: e.idempotencyToken,
    raw_form: e.rawForm,
    headers: e.headers,
    remote_address: e.remoteAddress,
    body_excerpt: e.bodyExcerpt,
  };
}

function forwardJson(f: StoredEvent['forward']): Record<string, unknown> | null {
  return f && { url: f.url, status: f.status, ms: f.ms === null ? null : Math.round(f.ms), error: f.error };
}

/** One line per event, newest first. */
export function printEventList(out: Output, rows: StoredEvent[]): void {
  const c = out.color;
  const width = Math.max(20, (out.io.stdout.columns ?? 120) - 90);
  out.table(
    ['ID', 'RECEIVED', 'CONFIG', 'STATUS', 'CHANNEL', 'FROM', 'TEXT / REASON'],
    rows.map((e) => [
      String(e.id),
      e.receivedAt.replace('T', ' ').slice(0, 19),
      safe(e.configName),
      e.status === 'accepted' ? c.green('accepted') : c.red('refused'),
      safe(e.channel ?? '-'),
      safe(e.fromNumber ?? '-'),
      e.status === 'refused'
        ? c.red(safe(e.reason ?? '?'))
        : e.body === null || e.body === ''
          ? c.dim('(no text)')
          : truncate(e.body, width),
    ]),
  );
}

/** The whole event, for a person: summary, verification, forward outcome, trigger payload and raw form (escaped: see `safe`). */
export function printEventDetail(out: Output, e: StoredEvent): void {
  const c = out.color;
  const row = (k: string, v: string) => out.line(`${c.dim(k.padEnd(13))} ${v}`);
  out.line(c.bold(`Event #${e.id}`));
  row('Received', safe(e.receivedAt));
  row('Config', safe(e.configName));
  row('Status', e.status === 'accepted' ? c.green('accepted') : `${c.red('refused')} (${safe(e.reason ?? '?')})`);
  if (e.channel) row('Channel', safe(e.channel));
  row('From', safe(e.fromNumber ?? '-'));
  row('MessageSid', safe(e.messageSid ?? '-'));
  if (e.remoteAddress) row('Remote', safe(e.remoteAddress));
  row(
    'Signature',
    e.signatureValid === null
      ? c.yellow('not checked (--skip-verify)')
      : e.signatureValid
        ? c.green('valid')
        : c.red('invalid'),
  );
  if (e.forward) {
    const f = e.forward;
    const ms = f.ms === null ? '' : ` in ${Math.round(f.ms)} ms`;
    row(
      'Forwarded',
      f.error
        ? `${c.red('failed')} -> ${safe(f.url)}: ${safe(f.error)}${ms}`
        : `${c.green(String(f.status))} -> ${safe(f.url)}${ms}`,
    );
  } else {
    row('Forwarded', c.dim('no'));
  }
  out.line();
  out.line(c.bold('Trigger payload'));
  // JSON escapes C0 controls but not C1, DEL or the bidi controls: the pretty JSON is escaped line by line.
  out.line(
    e.payload
      ? safe(JSON.stringify(e.payload, null, 2), { multiline: true })
      : c.dim('(none: refused requests fire no trigger)'),
  );
  if (e.status === 'refused') {
    out.line();
    out.line(c.bold('Body (first 1 KiB; a refused request keeps no form)'));
    out.line(e.bodyExcerpt ? `  ${safe(e.bodyExcerpt)}` : c.dim('(none)'));
  }
  const keys = Object.keys(e.rawForm);
  if (e.status === 'accepted' || keys.length > 0) {
    out.line();
    out.line(c.bold('Raw form'));
    if (keys.length === 0) out.line(c.dim('(empty)'));
    const w = Math.max(...keys.map((k) => safe(k).length), 0);
    for (const k of keys) {
      const v = e.rawForm[k]!;
      out.line(
        `  ${safe(k).padEnd(w)}  ${safe(Array.isArray(v) ? v.map((x) => JSON.stringify(x)).join(', ') : JSON.stringify(v))}`,
      );
    }
  }
  if (Object.keys(e.headers).length) {
    out.line();
    out.line(c.bold('Headers'));
    for (const [k, v] of Object.entries(e.headers)) out.line(`  ${safe(k)}: ${safe(v)}`);
  }
}

/** A status event as `listen --json --statuses` and `events list --kind status --json` print it; to/from as Twilio posted them. */
export function statusEventJson(
  config: string,
  s: Pick<StatusEvent, 'receivedAt' | 'messageSid' | 'status' | 'errorCode' | 'to' | 'from'> & {
    eventId?: number;
    id?: number;
  },
): Record<string, unknown> {
  return {
    event: 'message.status',
    config,
    event_id: s.eventId ?? s.id ?? null,
    received_at: s.receivedAt,
    message_sid: s.messageSid,
    status: s.status,
    error_code: s.errorCode,
    to: s.to,
    from: s.from,
  };
}

type StatusRow = {
  id: number;
  receivedAt: string;
  configName: string;
  messageSid: string | null;
  status: string;
  errorCode: number | null;
  to: string | null;
};

/** One row per status event, newest first: a table with a header and local-style times, as the message list. */
export function printStatusList(out: Output, rows: StatusRow[]): void {
  out.table(
    ['ID', 'RECEIVED', 'CONFIG', 'MESSAGE SID', 'STATUS', 'TO'],
    rows.map((r) => [
      String(r.id),
      r.receivedAt.replace('T', ' ').slice(0, 19),
      safe(r.configName),
      safe(r.messageSid ?? '-'),
      statusColor(out, r.status)(safe(r.status) + (r.errorCode ? ` (error ${r.errorCode})` : '')),
      safe(r.to ?? '-'),
    ]),
  );
}

/** One status event in full (`events show ID --kind status`). */
export function printStatusDetail(out: Output, r: StatusRow & { from: string | null }): void {
  const c = out.color;
  const row = (k: string, v: string) => out.line(`${c.dim(k.padEnd(13))} ${v}`);
  out.line(c.bold(`Status event #${r.id}`));
  row('Received', safe(r.receivedAt));
  row('Config', safe(r.configName));
  row('MessageSid', safe(r.messageSid ?? '-'));
  row('Status', statusColor(out, r.status)(safe(r.status)));
  if (r.errorCode) row('Error code', String(r.errorCode));
  row('To', safe(r.to ?? '-'));
  row('From', safe(r.from ?? '-'));
}

function statusColor(out: Output, status: string): (s: string) => string {
  const c = out.color;
  if (status === 'delivered' || status === 'read' || status === 'sent') return c.green;
  if (status === 'failed' || status === 'undelivered' || status === 'canceled') return c.red;
  return (s) => s;
}
