/**
 * What `npm run live` records and what the contract test (`npm run test:shared`, test/shared/live-contract.test.ts)
 * compares: Twilio's answers, as the API trace of a live run wrote them (already redacted), with SIDs, numbers
 * and dates normalised, one file per call under test/fixtures/live/; and the comparison of an answer of the
 * emulator to one of them: status, Twilio's error code, and every field's name and type (not values).
 * No I/O here: the runner and the test read and write the files.
 */

export interface LiveFixture {
  /** `hand-written`, or `npm run live <date>`: who made it. */
  recorded: string;
  /** What the tool was doing (the CLI step of the live run). */
  step?: string;
  request: {
    method: string;
    /** Path and query, with placeholders: {AccountSid}, {From}, {Tester}, {PN}, {SM}, ... (see PLACEHOLDER_SIDS). */
    path: string;
    /** The form sent (urlencoded), with the same placeholders; absent for a GET. */
    form?: string | null;
  };
  response: { status: number; body: unknown };
  /** Fields (dotted paths, `[]` for array items) the emulator deliberately does not have: not compared. */
  ignore?: string[];
}

/** A call as one trace line describes it (`[api] twilio -> METHOD URL STATUS MSms ...`). */
export interface TracedCall {
  service: string;
  direction: '->' | '<-';
  method: string;
  url: string;
  status: number | null;
  requestBody: string | null;
  responseBody: string | null;
}

const LINE = /^\[api\] (\w+) (->|<-) ([A-Z]+) (\S+) (\d{3}|ok|failed)/;
const JSON_STRING = /"(?:[^"\\]|\\.)*"/y;

/** Reads one line of the API trace (FRUXON_TWILIO_DEBUG=api,body); null for anything else. */
export function parseTraceLine(line: string): TracedCall | null {
  const m = LINE.exec(line);
  if (!m) return null;
  const quoted = (name: 'request' | 'response'): string | null => {
    const at = line.indexOf(` ${name}="`);
    if (at === -1) return null;
    JSON_STRING.lastIndex = at + name.length + 2;
    const s = JSON_STRING.exec(line);
    return s ? (JSON.parse(s[0]) as string) : null;
  };
  return {
    service: m[1]!,
    direction: m[2] as '->' | '<-',
    method: m[3]!,
    url: m[4]!,
    status: /^\d{3}$/.test(m[5]!) ? Number(m[5]) : null,
    requestBody: quoted('request'),
    responseBody: quoted('response'),
  };
}

/** SID prefixes and the placeholder a path gets for them. */
export const PLACEHOLDER_SIDS: Record<string, string> = {
  AC: '{AccountSid}',
  PN: '{PN}',
  SM: '{SM}',
  MM: '{SM}',
  MG: '{MG}',
  AP: '{AP}',
  XE: '{XE}',
  SK: '{SK}',
};

const SID = /\b([A-Z]{2})[0-9a-f]{32}\b/g;
const RFC2822 = /\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}\b/g;
const ISO = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z\b/g;

/** The normalised form of text: the run's numbers as placeholders, every SID zeroed, every date the same. */
function normalizeText(text: string, ids: LiveIds, inPath: boolean): string {
  let t = text;
  for (const [value, name] of [
    [ids.from, '{From}'],
    [ids.tester, '{Tester}'],
  ] as const) {
    if (!value) continue;
    t = t.split(value).join(name).split(encodeURIComponent(value)).join(encodeURIComponent(name));
  }
  t = t.replace(SID, (_sid, prefix: string) =>
    inPath ? (PLACEHOLDER_SIDS[prefix] ?? `{${prefix}}`) : `${prefix}${'0'.repeat(32)}`,
  );
  return t.replace(RFC2822, 'Thu, 01 Jan 2026 00:00:00 +0000').replace(ISO, '2026-01-01T00:00:00Z');
}

export interface LiveIds {
  from: string;
  tester: string;
}

/** A traced Twilio call as a fixture; null when it cannot be one (no answer, or a body that is not JSON). */
export function fixtureFromTrace(call: TracedCall, ids: LiveIds, recorded: string, step?: string): LiveFixture | null {
  if (call.service !== 'twilio' || call.status === null || !call.responseBody) return null;
  let body: unknown;
  try {
    body = JSON.parse(normalizeText(call.responseBody, ids, false));
  } catch {
    return null;
  }
  let path: string;
  try {
    const u = new URL(call.url);
    path = u.pathname + u.search;
  } catch {
    return null;
  }
  return {
    recorded,
    ...(step ? { step } : {}),
    request: {
      method: call.method,
      path: normalizeText(path, ids, true),
      ...(call.requestBody ? { form: normalizeText(call.requestBody, ids, false) } : {}),
    },
    response: { status: call.status, body },
  };
}

/** The fixture's file name: method, path (no query) and status, e.g. `post-2010-04-01-accounts-messages-201.json`. */
export function fixtureName(f: LiveFixture): string {
  const path = f.request.path.split('?')[0]!;
  const slug = `${f.request.method} ${path} ${f.response.status}`
    .toLowerCase()
    .replace(/\{(\w+)\}/g, '')
    .replace(/\.json\b/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `${slug}.json`;
}

/** Puts the values of a replay in place of the placeholders ({AccountSid}, {From}, ...; encoded forms too). */
export function fillPlaceholders(text: string, values: Record<string, string>): string {
  let t = text;
  for (const [name, value] of Object.entries(values)) {
    t = t
      .split(`{${name}}`)
      .join(value)
      .split(encodeURIComponent(`{${name}}`))
      .join(encodeURIComponent(value));
  }
  return t;
}

/** The placeholders a fixture's request needs (to tell a replay what it must provide). */
export function placeholdersOf(f: LiveFixture): string[] {
  const text = `${f.request.path} ${f.request.form ?? ''}`.replace(/%7B(\w+)%7D/gi, '{$1}');
  return [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!))];
}

export interface Difference {
  /** Dotted path of the field (`incoming_phone_numbers[].sms_url`), or `status` / `code`. */
  where: string;
  kind: 'status' | 'code' | 'missing' | 'extra' | 'type';
  recorded: string;
  emulator: string;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/**
 * How the emulator's answer differs from the recorded one: the status, Twilio's error code (`code` of an
 * error body), then field by field: a field the recording has and the emulator lacks (`missing`), the other way
 * round (`extra`), or of another type (`type`; null matches anything: one recording cannot tell a field's type
 * when it was null). Arrays: their first items are compared. Fields in `fixture.ignore` are skipped.
 */
export function compareAnswer(fixture: LiveFixture, emulated: { status: number; body: unknown }): Difference[] {
  const out: Difference[] = [];
  const rec = fixture.response;
  if (rec.status !== emulated.status)
    out.push({ where: 'status', kind: 'status', recorded: String(rec.status), emulator: String(emulated.status) });
  const code = (b: unknown) =>
    b && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>).code : undefined;
  if (rec.status >= 400 && code(rec.body) !== code(emulated.body))
    out.push({ where: 'code', kind: 'code', recorded: String(code(rec.body)), emulator: String(code(emulated.body)) });
  const ignored = new Set(fixture.ignore ?? []);
  const walk = (a: unknown, b: unknown, where: string) => {
    if (ignored.has(where)) return;
    const ta = typeOf(a);
    const tb = typeOf(b);
    if (ta === 'null' || tb === 'null') return;
    if (ta !== tb) {
      out.push({ where: where || '(body)', kind: 'type', recorded: ta, emulator: tb });
      return;
    }
    if (ta === 'array') {
      const xa = a as unknown[];
      const xb = b as unknown[];
      if (xa.length > 0 && xb.length > 0) walk(xa[0], xb[0], `${where}[]`);
      return;
    }
    if (ta !== 'object') return;
    const oa = a as Record<string, unknown>;
    const ob = b as Record<string, unknown>;
    const at = (k: string) => (where ? `${where}.${k}` : k);
    for (const k of Object.keys(oa)) {
      if (ignored.has(at(k))) continue;
      if (!(k in ob)) out.push({ where: at(k), kind: 'missing', recorded: typeOf(oa[k]), emulator: '(none)' });
      else walk(oa[k], ob[k], at(k));
    }
    for (const k of Object.keys(ob))
      if (!(k in oa) && !ignored.has(at(k)))
        out.push({ where: at(k), kind: 'extra', recorded: '(none)', emulator: typeOf(ob[k]) });
  };
  walk(rec.body, emulated.body, '');
  return out;
}

/** One line per difference, for a failure message or the live run's summary. */
export function describeDifferences(name: string, diffs: Difference[]): string {
  return diffs
    .map((d) =>
      d.kind === 'missing'
        ? `${name}: the emulator lacks ${d.where} (${d.recorded} in the recording)`
        : d.kind === 'extra'
          ? `${name}: the emulator has ${d.where} (${d.emulator}), the recording does not`
          : `${name}: ${d.where} is ${d.recorded} in the recording, ${d.emulator} in the emulator`,
    )
    .join('\n');
}
