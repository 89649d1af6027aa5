import type { Channel } from '../phone.js';

/**
 * What a recorded reply must still say when the agent answers again in other words: the heuristic of
 * `test record`. Pure: text in, expectation out.
 *
 * - Verbatim identifiers (order and tracking IDs, codes, URLs, e-mail addresses) are checked: an agent repeats
 *   them as they are. The first becomes `contains`; further ones a `matches` of lookaheads (all of them, in any
 *   order), since a step has one `contains`.
 * - Amounts, dates, times and phone numbers, which an LLM rewrites (`$12.50` / `12.50 USD`, `Dec 7` /
 *   `7 December`), are notes for the reader, never checked.
 * - `channel` always; `media` when the reply had media; `any: true` when nothing identifying is left.
 */

export interface RecordedReply {
  body: string;
  channel: Channel;
  numMedia: number;
}

export type NoteKind = 'amount' | 'date' | 'time' | 'phone';

export interface Expectation {
  /** The identifiers found, in the order of the reply, each once. */
  identifiers: string[];
  /** The first identifier, or null. */
  contains: string | null;
  /** The other identifiers as one regular expression of lookaheads (the runner's `matches`), or null. */
  matches: string | null;
  /** True when the reply had no identifier: any reply passes (channel and media still checked). */
  any: boolean;
  channel: Channel;
  /** At least this many media: the recorded count, or null when the reply had none. */
  media: number | null;
  /** Facts that are reworded freely: kept as comments, not checked. */
  notes: { kind: NoteKind; text: string }[];
}

const MONTH =
  '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
const WEEKDAY = '(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?';
const ORD = '(?:st|nd|rd|th)?';
const CURRENCY_CODE = '(?:USD|EUR|GBP|CAD|AUD|CHF|JPY|INR|NZD|SEK|NOK|DKK|PLN|MXN|BRL|ZAR)';
const NUMBER = '\\d{1,3}(?:[,.\\s]\\d{3})*(?:[.,]\\d{1,2})?|\\d+(?:[.,]\\d{1,2})?';

/** Free-form facts, tried in this order; what one takes, the next never sees. */
const NOTE_PATTERNS: { kind: NoteKind; re: RegExp }[] = [
  {
    kind: 'amount',
    re: new RegExp(
      [
        `[$€£¥₹]\\s?(?:${NUMBER})(?:\\s?${CURRENCY_CODE})?`,
        `\\b${CURRENCY_CODE}\\s?(?:${NUMBER})`,
        `\\b(?:${NUMBER})\\s?(?:${CURRENCY_CODE}\\b|[$€£¥₹]|(?:dollars?|euros?|pounds?|cents?|bucks)\\b)`,
      ].join('|'),
      'gi',
    ),
  },
  {
    kind: 'date',
    re: new RegExp(
      [
        '\\b\\d{4}-\\d{2}-\\d{2}\\b',
        `\\b(?:${WEEKDAY},?\\s+)?${MONTH}\\.?\\s+\\d{1,2}${ORD}\\b(?:,?\\s+\\d{4}\\b)?`,
        `\\b(?:${WEEKDAY},?\\s+)?(?:the\\s+)?\\d{1,2}${ORD}\\s+(?:of\\s+)?${MONTH}\\b\\.?(?:,?\\s+\\d{4}\\b)?`,
        '\\b\\d{1,2}/\\d{1,2}(?:/\\d{2,4})?\\b|\\b\\d{1,2}\\.\\d{1,2}\\.\\d{2,4}\\b',
        '\\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\\b',
        `\\b${MONTH}\\s+\\d{4}\\b`,
      ].join('|'),
      'gi',
    ),
  },
  {
    kind: 'time',
    re: /\b\d{1,2}(?::\d{2}){1,2}\s?(?:[ap]\.?m\.?)?(?![\w])|\b\d{1,2}\s?[ap]\.?m\b\.?/gi,
  },
  {
    kind: 'phone',
    re: /(?:\+\d[\d ().-]{6,}\d)|(?:\(\d{3}\)\s?\d{3}[\s.-]\d{4})|\b\d{3}[.-]\d{3}[.-]\d{4}\b/g,
  },
];

const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/gi;
const EMAIL_RE = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;
/** A token that may be an ID: letters, digits, and - or _ inside; a # before it counts. */
const TOKEN_RE = /(#\s?)?([A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?)/g;
/** Words that announce an identifier: "order 1042", "code 482", "ticket no. 77". */
const ID_WORD =
  /\b(?:order|orders|ticket|case|ref|reference|code|pin|otp|number|no|nr|num|confirmation|booking|reservation|invoice|tracking|shipment|parcel|package|id|account|acct|member|voucher|coupon|promo)\b\.?\s*(?:(?:number|no|nr|num|id|is|was|code|#)\b\.?\s*){0,2}[:#]?\s*$/i;

/**
 * `customer`: the correspondent's number (E.164). An answer that quotes it would quote the tester's on playback:
 * it is no fact to check (nor a note), see maskNumber.
 */
export function expectationFor(reply: RecordedReply, opts: { customer?: string } = {}): Expectation {
  // Masked text: a span that one rule took is blanked (same length), so offsets stay and no other rule sees it.
  let text = opts.customer ? maskNumber(reply.body, opts.customer) : reply.body;
  const found: { at: number; value: string }[] = [];
  const notes: { at: number; kind: NoteKind; text: string }[] = [];
  const blank = (start: number, length: number) => {
    text = text.slice(0, start) + ' '.repeat(length) + text.slice(start + length);
  };
  const take = (re: RegExp, each: (value: string, at: number) => string | null) => {
    for (const m of [...text.matchAll(re)]) {
      const value = each(m[0], m.index);
      if (value !== null) blank(m.index, value.length);
    }
  };

  take(URL_RE, (raw, at) => {
    const url = trimTrailing(raw);
    found.push({ at, value: url });
    return url;
  });
  take(EMAIL_RE, (raw, at) => {
    const email = raw.replace(/\.+$/, '');
    found.push({ at, value: email });
    return email;
  });
  for (const { kind, re } of NOTE_PATTERNS) {
    take(re, (raw, at) => {
      const t = raw.trim();
      if (kind === 'time' && /^\d{1,2}:\d{2}$/.test(t) && !/^([01]?\d|2[0-3]):[0-5]\d$/.test(t)) return null;
      notes.push({ at, kind, text: t });
      return raw;
    });
  }
  for (const m of text.matchAll(TOKEN_RE)) {
    const hash = m[1] !== undefined;
    const token = m[2]!;
    if (isIdentifier(token, hash, text.slice(0, m.index))) found.push({ at: m.index, value: token });
  }

  const identifiers: string[] = [];
  for (const f of found.sort((a, b) => a.at - b.at)) if (!identifiers.includes(f.value)) identifiers.push(f.value);
  const [first, ...rest] = identifiers;
  return {
    identifiers,
    contains: first ?? null,
    matches: rest.length ? rest.map((id) => `(?=[\\s\\S]*${escapeRegex(id)})`).join('') : null,
    any: identifiers.length === 0,
    channel: reply.channel,
    media: reply.numMedia > 0 ? reply.numMedia : null,
    notes: notes.sort((a, b) => a.at - b.at).map(({ kind, text: t }) => ({ kind, text: t })),
  };
}

/** A quantity, not an ID: 5kg, 10min, 24h, 3rd, 24-hour, 2nd-day, 100GB. */
const QUANTITY = /^\d{1,3}(?:[.,]\d+)?[-_]?(?:[a-z]+|GB|MB|KB|TB|KG|LBS?|ML|CM|MM|KM|MPH|HP)(?:[-_][a-z]+)*$/;
/** Words that announce a code of letters only: "use code SAVEBIG". */
const CODE_WORD = /\b(?:code|promo|coupon|voucher|password)\b\.?\s*(?:is\s*)?[:#]?\s*$/i;

function isIdentifier(token: string, hash: boolean, before: string): boolean {
  if (!/\d/.test(token)) return /^[A-Z0-9]{4,}$/.test(token) && CODE_WORD.test(before.slice(-30));
  if (!/^[\d_-]+$/.test(token)) {
    // Letters and digits: an ID or a code unless it reads as a quantity or is too short to mean anything (4G, B2).
    if (QUANTITY.test(token)) return hash;
    return hash || token.length >= 4;
  }
  const digits = token.replace(/\D/g, '');
  if (hash || digits.length >= 5) return true;
  // 3-4 digits: a year, a count or an ID: an ID only when a word says so ("order 1042", "code 482").
  return digits.length >= 3 && ID_WORD.test(before.slice(-40));
}

function trimTrailing(url: string): string {
  let u = url.replace(/[.,;:!?'"]+$/, '');
  // A closing bracket the URL did not open belongs to the sentence: "(see https://x.co/a)".
  while (/[)\]}]$/.test(u)) {
    const close = u.at(-1)!;
    const open = { ')': '(', ']': '[', '}': '{' }[close]!;
    if (u.split(open).length >= u.split(close).length) break;
    u = u.slice(0, -1).replace(/[.,;:!?'"]+$/, '');
  }
  return u;
}

export const NUMBER_PLACEHOLDER = "(the customer's number)";

/**
 * `text` with `e164` replaced by NUMBER_PLACEHOLDER wherever it is written, in international or national form,
 * with or without spaces, dots, dashes and brackets between the digits (+1 (555) 123-0000, 555.123.0000).
 * The national part is taken as the last 10 digits (what the numbering plans of North America and most of
 * Europe use), after the country code or a trunk 0.
 */
export function maskNumber(text: string, e164: string): string {
  const digits = e164.replace(/\D/g, '');
  if (digits.length < 7) return text;
  const national = digits.slice(-10);
  const cc = digits.slice(0, digits.length - national.length);
  const sep = '[\\s().-]*';
  const re = new RegExp(
    `(?<![\\d+])(?:${cc ? `\\+?${cc}` : '\\+'}${sep}|\\(?0\\)?${sep})?\\(?${[...national].join(sep)}(?!\\d)`,
    'g',
  );
  return text.replace(re, NUMBER_PLACEHOLDER);
}

/** `text` as a regular expression that matches it literally (Unicode mode: only syntax characters are escaped; / needs none outside a literal). */
export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}
