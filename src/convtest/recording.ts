import type { Channel } from '../phone.js';
import { shellQuote } from '../shell.js';
import { MAX_BODY } from '../twilio/send-rules.js';
import { type Expectation, expectationFor, maskNumber } from './expectations.js';

/**
 * A recorded conversation as a scenario file (the YAML `test` reads): each message from the correspondent a
 * `send`, each answer an `expect` built by the heuristic (expectations.ts), `within` from the observed answer
 * time. Pure: the messages and the facts of the header in, the file's text out. Every piece of outside text
 * is written double-quoted and escaped, comments included (on one line), so the file parses back to exactly
 * what was recorded and no recorded text can add a key or a step.
 */

export interface RecordedMessage {
  /** in: from the correspondent to the config's number (a `send`); out: an answer (an `expect`). */
  direction: 'in' | 'out';
  body: string;
  /** in: the media to send again; out: unused. */
  mediaUrls: string[];
  numMedia: number;
  channel: Channel;
  /** When it was sent or received (whole seconds are enough); null when unknown. */
  at: Date | null;
}

export interface RecordingHeader {
  /** Where the conversation was read: Twilio's Messages log, or this tool's event log with the replies from Twilio's. */
  source: 'twilio' | 'events';
  config: string;
  /** The config's number (E.164): the business side, not the customer's. */
  number: string;
  channel: Channel;
  recordedAt: Date;
  /** The correspondent's number (E.164): never written; answers that quote it have it masked (maskNumber). */
  customer?: string;
}

export interface Recording {
  yaml: string;
  sends: number;
  expects: number;
  /** Messages left out, each with why (answers before the customer's first message, a message with nothing to send). */
  skipped: string[];
  /** The expectation of each expect step, in order. */
  expectations: Expectation[];
}

/** The least `within` a recorded step gets, and the most (the scenario format's limit). */
export const MIN_WITHIN_MS = 10_000;
export const MAX_WITHIN_MS = 3_600_000;

/** Three times the observed answer time, at least 10 s, rounded up to a whole second (to 10 s past a minute). */
export function withinFor(observedMs: number | null): number {
  if (observedMs === null || !(observedMs >= 0)) return 30_000;
  const ms = Math.max(MIN_WITHIN_MS, Math.ceil((observedMs * 3) / 1000) * 1000);
  return Math.min(MAX_WITHIN_MS, ms > 60_000 ? Math.ceil(ms / 10_000) * 10_000 : ms);
}

/** `messages` oldest first. */
export function renderRecording(messages: RecordedMessage[], header: RecordingHeader): Recording {
  const skipped: string[] = [];
  const lines: string[] = [];
  const expectations: Expectation[] = [];
  let sends = 0;
  let previous: Date | null = null;
  /**
   * What an answer answers: a send; nothing yet (before the customer's first message); or a message left out
   * (its answers are left out with it, said once by that message's reason).
   */
  let answering: 'send' | 'nothing' | 'left-out' = 'nothing';
  for (const m of messages) {
    if (m.direction === 'in') {
      const at = m.at;
      if (m.body.trim() === '' && m.mediaUrls.length === 0) {
        skipped.push(
          `a message with no text${m.numMedia ? ` and ${m.numMedia} media whose URLs could not be read` : ''}, and the answers to it`,
        );
        answering = 'left-out';
        previous = at;
        continue;
      }
      if ([...m.body].length > MAX_BODY) {
        skipped.push(
          `a message of ${[...m.body].length} characters, more than the ${MAX_BODY} Twilio sends in one, and the answers to it`,
        );
        answering = 'left-out';
        previous = at;
        continue;
      }
      lines.push(`  - send: ${yamlQuote(m.body)}`);
      if (m.mediaUrls.length) lines.push(`    media_urls: [${m.mediaUrls.map(yamlQuote).join(', ')}]`);
      sends++;
      answering = 'send';
      previous = at;
      continue;
    }
    if (answering !== 'send') {
      if (answering === 'nothing') skipped.push("an answer before the customer's first message");
      previous = m.at;
      continue;
    }
    const e = expectationFor({ body: m.body, channel: m.channel, numMedia: m.numMedia }, { customer: header.customer });
    expectations.push(e);
    const observed = m.at && previous ? m.at.getTime() - previous.getTime() : null;
    previous = m.at;
    const shown = header.customer ? maskNumber(m.body, header.customer) : m.body;
    lines.push(`  # reply: ${yamlQuote(shown)}${m.numMedia ? ` with ${m.numMedia} media` : ''}`);
    if (e.notes.length)
      lines.push(
        `  # not checked (reworded freely): ${e.notes.map((n) => `${n.kind} ${yamlQuote(n.text)}`).join(', ')}`,
      );
    const fields: string[] = [];
    if (e.contains !== null) fields.push(`contains: ${yamlQuote(e.contains)}`);
    if (e.matches !== null) fields.push(`matches: ${yamlQuote(e.matches)}`);
    if (e.any) fields.push('any: true');
    fields.push(`channel: ${e.channel}`);
    if (e.media !== null) fields.push(`media: ${e.media}`);
    fields.push(`within: ${withinFor(observed) / 1000}s`);
    lines.push(`  - expect: { ${fields.join(', ')} }`);
  }
  const times = messages.flatMap((m) => (m.at ? [m.at] : []));
  const first = times[0];
  const last = times.at(-1);
  const where =
    header.source === 'twilio'
      ? "Twilio's Messages log"
      : "this tool's event log (the customer's messages, as listen recorded them) and Twilio's Messages log (the answers)";
  const name = `recorded ${(first ?? header.recordedAt).toISOString().slice(0, 16).replace('T', ' ')} UTC on ${header.channel}`;
  const head = [
    `# Recorded by fruxon-twilio test record at ${header.recordedAt.toISOString()} from ${where}:`,
    `# config ${yamlQuote(header.config)} (${header.number}) and one correspondent on ${header.channel}, ${messages.length} message${messages.length === 1 ? '' : 's'}${first && last ? ` from ${first.toISOString()} to ${last.toISOString()}` : ''}.`,
    '# This file contains recorded customer messages: review it before you commit or share it.',
    "# The customer's number is not in it: the tester is set when it runs, with a number of the account:",
    `#   fruxon-twilio test FILE --config ${yamlCommentSafe(shellQuote(header.config))} --from ${header.channel === 'whatsapp' ? 'whatsapp:+1…' : '+1…'}`,
    '# Each expect checks what must stay true of the answer (its identifiers), not its wording; amounts and dates',
    '# are comments (an agent rewrites them). See "Recording a conversation" in docs/conversation-tests.md.',
    ...skipped.map((s) => `# Left out: ${s}.`),
    `name: ${yamlQuote(name)}`,
    'steps:',
  ];
  return { yaml: [...head, ...lines, ''].join('\n'), sends, expects: expectations.length, skipped, expectations };
}

/**
 * `text` as a YAML double-quoted scalar on one line: printable characters as they are, everything else (line
 * breaks, controls, U+2028/9, bidirectional overrides, the BOM, lone surrogates: see HIDDEN) escaped. Parses back to exactly `text`, and is safe in a
 * comment (no line break can end it).
 */
export function yamlQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (cp >= 0x20 && cp <= 0x7e) out += ch;
    else if (cp >= 0xa0 && !HIDDEN.test(ch)) out += ch;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/**
 * What a reader of the file would not see as it is: controls, line and paragraph separators, lone surrogates,
 * private use, unassigned code points and format characters (bidirectional overrides, zero-width spaces, the
 * BOM; the zero-width joiner of emoji sequences excepted), noncharacters.
 */
const HIDDEN = /^(?!\u200d)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]$/u;

/** A value inside a YAML comment stays on its line: line breaks (never in a config name, but said) become spaces. */
function yamlCommentSafe(s: string): string {
  return s.replace(/[\r\n\u0085\u2028\u2029]/g, ' ');
}
