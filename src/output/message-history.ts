import type { MediaInfo } from '../twilio/message-history.js';
import { type Message, otherParty, relativeDirection } from '../twilio/messages.js';
import type { Output } from './index.js';
import { safe, truncate } from './index.js';
import { terminalColumns } from './iostreams.js';

function when(m: Message): string {
  const d = m.dateCreated ?? m.dateSent;
  return d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}

/** TIME DIR CHANNEL PARTY STATUS BODY ERROR; on a terminal the body is cut so that each row fits its width. */
export function printMessageTable(out: Output, list: Message[]): void {
  const rows = list.map((m) => [
    when(m),
    relativeDirection(m),
    safe(m.channel),
    safe(otherParty(m) ?? ''),
    safe(m.status),
    safe(m.body.replace(/\s+/g, ' ')),
    m.errorCode === null ? '' : String(m.errorCode),
  ]);
  const columns = terminalColumns(out.io);
  if (columns) {
    const width = (i: number) =>
      Math.max(
        ['TIME', 'DIR', 'CHANNEL', 'FROM/TO', 'STATUS', 'BODY', 'ERROR'][i]!.length,
        ...rows.map((r) => r[i]!.length),
      );
    const fixed = [0, 1, 2, 3, 4, 6].reduce((sum, i) => sum + width(i) + 2, 0);
    const budget = Math.max(8, columns - fixed - 1);
    for (const r of rows) r[5] = truncate(r[5]!, budget);
  }
  out.table(['TIME', 'DIR', 'CHANNEL', 'FROM/TO', 'STATUS', 'BODY', 'ERROR'], rows);
}

export function printMessageDetail(out: Output, m: Message, media: MediaInfo[] | null): void {
  const c = out.color;
  const none = c.dim('none');
  const rows: [string, string][] = [
    ['sid', m.sid],
    ['direction', `${relativeDirection(m)} (${m.direction})`],
    ['channel', m.channel],
    ['from', m.from],
    ['to', m.to],
    ['status', m.status],
    ['created', m.dateCreated?.toISOString() ?? '-'],
    ['sent', m.dateSent?.toISOString() ?? '-'],
    ['updated', m.dateUpdated?.toISOString() ?? '-'],
    ['segments', m.numSegments === null ? '-' : String(m.numSegments)],
    ['price', m.price ? `${m.price} ${m.priceUnit ?? ''}`.trim() : '-'],
  ];
  if (m.errorCode !== null)
    rows.push([
      'error',
      `${m.errorCode}${m.errorMessage ? ` ${m.errorMessage}` : ''} (https://www.twilio.com/docs/errors/${m.errorCode})`,
    ]);
  if (m.messagingServiceSid) rows.push(['service', m.messagingServiceSid]);
  if (media === null) rows.push(['media', `${m.numMedia} item(s), not listed`]);
  else if (media.length === 0) rows.push(['media', none]);
  else for (const [i, x] of media.entries()) rows.push([i === 0 ? 'media' : '', `${x.url} (${x.contentType})`]);
  const w = Math.max(...rows.map(([k]) => k.length));
  // Escaped (see `safe`): every value here came from Twilio, the body from whoever texted the number.
  for (const [k, v] of rows) out.line(`${c.dim(k.padEnd(w))}  ${v === none ? v : safe(v)}`);
  out.line();
  out.line(safe(m.body, { multiline: true }));
}
