import { type Channel, WHATSAPP_PREFIX } from '../phone.js';
import { MAX_BODY } from '../twilio/send-rules.js';
import { checkHttpUrl, E164, parseDuration } from '../validate.js';

/**
 * Scenario files: YAML (JSON is YAML too), one scenario per file or a list under `scenarios`. Parsing never
 * prints and never throws for bad content: it returns the first problem as `file:line: field …`, so the
 * command can name every malformed file. The `yaml` package is loaded on first use.
 */

export const DEFAULT_WITHIN_MS = 30_000;
/** A scenario file over this many bytes is refused before it is parsed. */
export const MAX_SCENARIO_FILE_BYTES = 1024 * 1024;
/**
 * A document over this many YAML nodes is refused, and so is one whose aliases would make the scenarios read
 * more than this many (an alias is read as the value it names, once per use).
 */
export const MAX_SCENARIO_NODES = 20_000;
/**
 * How deep a document may nest: flow collections (`[`, `{`) and block indentation (in columns, counting `- `,
 * `? ` and `: ` that open a level on the same line). The YAML parser recurses per level and runs out of stack
 * near 1,000 (which can leave V8 unable to compile a regular expression afterwards); a scenario needs about 6.
 */
export const MAX_FLOW_DEPTH = 64;
export const MAX_BLOCK_COLUMNS = 256;

export interface SendStep {
  kind: 'send';
  /** 1-based step number and the line of the step in its file. */
  index: number;
  line: number;
  body: string;
  mediaUrls: string[];
  /** `send: {content_sid: HX…, content_variables: {…}}`: a Content API template instead of a body. */
  contentSid?: string;
  contentVariables?: Record<string, string>;
}

export interface ExpectStep {
  kind: 'expect';
  index: number;
  line: number;
  contains: string | null;
  /** The regular expression as written in the file (with a leading `(?i)` and the like), and compiled. */
  matches: { source: string; regex: RegExp } | null;
  channel: Channel | null;
  /** At least this many media. */
  media: number | null;
  none: boolean;
  /** `any: true`: a reply must arrive, whatever its text (channel and media may still be checked). */
  any: boolean;
  withinMs: number;
}

export type Step = SendStep | ExpectStep;

export interface Scenario {
  file: string;
  /** 0-based position in its file. */
  position: number;
  name: string;
  line: number;
  config: string | null;
  /** As written: `+1…` or `whatsapp:+1…`; null when the file leaves it to --from. */
  from: string | null;
  fromLine: number;
  configLine: number;
  steps: Step[];
}

export interface ScenarioFileProblem {
  file: string;
  line: number;
  /** The field's path, e.g. `steps[2].expect.within`. */
  field: string;
  message: string;
}

export type ParsedFile =
  | { file: string; ok: true; scenarios: Scenario[] }
  | { file: string; ok: false; problem: ScenarioFileProblem };

class Problem extends Error {
  constructor(
    readonly line: number,
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

type Yaml = typeof import('yaml');
type Node = unknown;

/** A tester (or config) address as a scenario may give it: E.164, or `whatsapp:` + E.164. */
export const TESTER_ADDRESS = new RegExp(`^(${WHATSAPP_PREFIX})?${E164.source.replace(/^\^/, '')}`);

export async function parseScenarioFile(file: string, text: string): Promise<ParsedFile> {
  const refuse = (line: number, message: string): ParsedFile => ({
    file,
    ok: false,
    problem: { file, line, field: '(file)', message },
  });
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_SCENARIO_FILE_BYTES) return refuse(1, tooLarge(bytes));
  const deep = tooDeep(text);
  if (deep) return refuse(deep.line, deep.message);
  const Y: Yaml = await import('yaml');
  const lineCounter = new Y.LineCounter();
  const doc = Y.parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (node: Node): number => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? lineCounter.linePos(range[0]).line : 1;
  };
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0]?.line ?? lineCounter.linePos(first.pos[0]).line;
    const what =
      first.code === 'DUPLICATE_KEY'
        ? 'a key appears twice'
        : `not valid YAML (${first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')})`;
    return refuse(line, what);
  }
  let nodes = 0;
  let over: Node = null;
  Y.visit(doc, (_key, node) => {
    if (++nodes <= MAX_SCENARIO_NODES) return undefined;
    over = node;
    return Y.visit.BREAK;
  });
  if (over !== null) return refuse(lineOf(over), tooManyNodes());
  reading = { Y, doc, lineOf, read: nodes, sizes: new Map() };
  try {
    return { file, ok: true, scenarios: readFile(Y, file, doc.contents, lineOf) };
  } catch (err) {
    if (!(err instanceof Problem)) throw err;
    return { file, ok: false, problem: { file, line: err.line, field: err.field, message: err.message } };
  } finally {
    reading = null;
  }
}

/**
 * The first line that nests deeper than MAX_FLOW_DEPTH flow collections or MAX_BLOCK_COLUMNS of indentation,
 * found in one pass before parsing. Quoted scalars and comments are skipped; a bracket inside a plain scalar
 * counts (so the limit is far above what a scenario uses).
 */
function tooDeep(text: string): { line: number; message: string } | null {
  let line = 1;
  let depth = 0;
  let lineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (lineStart) {
      lineStart = false;
      const lead = /^(?:[ ]|[-?:](?=[ ]|\r?\n|$))*/.exec(text.slice(i, i + MAX_BLOCK_COLUMNS + 2))![0].length;
      if (lead > MAX_BLOCK_COLUMNS)
        return {
          line,
          message: `nests deeper than ${MAX_BLOCK_COLUMNS} columns of indentation: a scenario needs a few`,
        };
    }
    if (c === '\n') {
      line++;
      lineStart = true;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const end = text.indexOf('\n', i);
      i = (end === -1 ? text.length : end) - 1;
    } else if ((c === '"' || c === "'") && startsScalar(text, i)) {
      // A quoted scalar: to its closing quote ('' and \" escape one), lines counted.
      for (i++; i < text.length; i++) {
        const d = text[i]!;
        if (d === '\n') line++;
        else if (c === '"' && d === '\\') i++;
        else if (d === c) {
          if (c === "'" && text[i + 1] === "'") i++;
          else break;
        }
      }
    } else if (c === '[' || c === '{') {
      if (++depth > MAX_FLOW_DEPTH)
        return { line, message: `nests deeper than ${MAX_FLOW_DEPTH} levels of [ ] and { }: a scenario needs a few` };
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return null;
}

/** Whether a quote at `i` opens a quoted scalar (after a line start, `[ { ,`, or `: - ?` and a space), not one in a plain scalar. */
function startsScalar(text: string, i: number): boolean {
  let j = i - 1;
  while (j >= 0 && (text[j] === ' ' || text[j] === '\t')) j--;
  if (j < 0 || '\n[{,'.includes(text[j]!)) return true;
  return j < i - 1 && ':-?'.includes(text[j]!);
}

function tooLarge(bytes: number): string {
  return `too large (${(bytes / 1024 / 1024).toFixed(1)} MB): a scenario file is at most ${MAX_SCENARIO_FILE_BYTES / 1024 / 1024} MB; split it into several files`;
}

function tooManyNodes(): string {
  return `too many YAML values (over ${MAX_SCENARIO_NODES}, an alias counted each time it is used): split it into several files`;
}

/**
 * The document being read (the reading is synchronous: one at a time). `read` counts the values read: every
 * node of the document once, and an alias's value (all of it) each time the alias is used, so aliases of
 * aliases cannot multiply the work past MAX_SCENARIO_NODES.
 */
let reading: {
  Y: Yaml;
  doc: import('yaml').Document.Parsed;
  lineOf: (n: Node) => number;
  read: number;
  sizes: Map<Node, number>;
} | null = null;

/** The value a node stands for: an alias is read as the node it names (refused with its line if it names none). */
function deref(node: Node): Node {
  const r = reading;
  if (!r?.Y.isAlias(node)) return node;
  const target = node.resolve(r.doc) as Node;
  if (!target) throw new Problem(r.lineOf(node), '(file)', `the alias *${node.source} names no anchor before it`);
  let size = r.sizes.get(target);
  if (size === undefined) {
    size = 0;
    r.Y.visit(target as Parameters<Yaml['visit']>[0], () =>
      ++size! > MAX_SCENARIO_NODES ? r.Y.visit.BREAK : undefined,
    );
    r.sizes.set(target, size);
  }
  r.read += size;
  if (r.read > MAX_SCENARIO_NODES) throw new Problem(r.lineOf(node), '(file)', tooManyNodes());
  return target;
}

/** Reads a file of at most `max` bytes, and no more of one that is larger (or endless): then its size. */
export async function readBounded(
  file: string,
  max = MAX_SCENARIO_FILE_BYTES,
): Promise<{ text: string } | { bytes: number }> {
  const { open } = await import('node:fs/promises');
  const h = await open(file, 'r');
  try {
    const buf = Buffer.alloc(max + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await h.read(buf, n, buf.length - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n > max) {
        const st = await h.stat();
        return { bytes: st.isFile() ? st.size : n };
      }
    }
    return { text: buf.subarray(0, n).toString('utf8') };
  } finally {
    await h.close();
  }
}

/** The one-line refusal of a file over MAX_SCENARIO_FILE_BYTES. */
export function fileTooLarge(file: string, bytes: number): ParsedFile {
  return { file, ok: false, problem: { file, line: 1, field: '(file)', message: tooLarge(bytes) } };
}

function readFile(Y: Yaml, file: string, root: Node, lineOf: (n: Node) => number): Scenario[] {
  if (root === null || root === undefined)
    throw new Problem(
      1,
      '(file)',
      'the file is empty: expected a scenario (name, from, steps) or a list under scenarios',
    );
  const top = asMap(Y, root, '(file)', lineOf, 'a scenario (name, from, steps) or a list under scenarios');
  if (top.has('scenarios')) {
    const extra = [...top.keys()].filter((k) => k !== 'scenarios');
    if (extra.length)
      throw new Problem(
        top.keyLine(extra[0]!),
        extra[0]!,
        `unexpected beside scenarios: put ${JSON.stringify(extra[0])} inside each scenario`,
      );
    const list = top.get('scenarios')!;
    if (!Y.isSeq(list) || list.items.length === 0)
      throw new Problem(lineOf(list), 'scenarios', 'must be a non-empty list of scenarios');
    const scenarios = list.items.map((item, i) => readScenario(Y, file, i, item, `scenarios[${i}]`, lineOf));
    const names = new Set<string>();
    for (const s of scenarios) {
      if (names.has(s.name.toLowerCase()))
        throw new Problem(
          s.line,
          `scenarios[${s.position}].name`,
          `${JSON.stringify(s.name)} is the name of an earlier scenario in this file: names must be unique`,
        );
      names.add(s.name.toLowerCase());
    }
    return scenarios;
  }
  return [readScenario(Y, file, 0, root, '', lineOf)];
}

const SCENARIO_KEYS = ['name', 'config', 'from', 'steps'];
const EXPECT_KEYS = ['contains', 'matches', 'channel', 'media', 'none', 'any', 'within'];

function readScenario(
  Y: Yaml,
  file: string,
  position: number,
  node: Node,
  path: string,
  lineOf: (n: Node) => number,
): Scenario {
  const at = (k: string) => (path ? `${path}.${k}` : k);
  const m = asMap(Y, node, path || '(file)', lineOf, 'a scenario: a mapping with name, from and steps');
  m.onlyKeys(SCENARIO_KEYS, path);
  const name = m.has('name')
    ? m.string('name', at('name'))
    : position === 0 && !path
      ? baseName(file)
      : `scenario ${position + 1}`;
  if (name.trim() === '' || name.length > 200)
    throw new Problem(m.keyLine('name'), at('name'), 'must be 1 to 200 characters');
  const config = m.has('config') ? m.string('config', at('config')).trim() : null;
  if (config === '')
    throw new Problem(
      m.keyLine('config'),
      at('config'),
      'must be the name of a config (fruxon-twilio configs list), or left out',
    );
  let from: string | null = null;
  if (m.has('from')) {
    from = m.string('from', at('from')).trim();
    if (!TESTER_ADDRESS.test(from))
      throw new Problem(
        m.keyLine('from'),
        at('from'),
        `must be an E.164 number like "+15005550007", or "whatsapp:+15005550007" (got ${JSON.stringify(from)}; quote it in YAML)`,
      );
  }
  if (!m.has('steps'))
    throw new Problem(lineOf(node), at('steps'), 'missing: a scenario needs a list of steps (send, expect)');
  const list = m.get('steps')!;
  if (!Y.isSeq(list) || list.items.length === 0)
    throw new Problem(
      m.keyLine('steps'),
      at('steps'),
      'must be a non-empty list of steps (- send: "…" or - expect: {…})',
    );
  const steps = list.items.map((item, i) => readStep(Y, item, i, at(`steps[${i}]`), lineOf));
  return {
    file,
    position,
    name: name.trim(),
    line: lineOf(node),
    config,
    from,
    fromLine: m.has('from') ? m.keyLine('from') : lineOf(node),
    configLine: m.has('config') ? m.keyLine('config') : lineOf(node),
    steps,
  };
}

function readStep(Y: Yaml, node: Node, i: number, path: string, lineOf: (n: Node) => number): Step {
  const m = asMap(Y, node, path, lineOf, 'a step: send: "text" or expect: {…}');
  const line = lineOf(node);
  const kinds = ['send', 'expect'].filter((k) => m.has(k));
  if (kinds.length !== 1)
    throw new Problem(
      line,
      path,
      kinds.length ? 'has both send and expect: one step does one thing' : 'must have send or expect',
    );
  // A mapping under send is a template only when it says so (content_sid/content_variables); any other mapping,
  // an alias to an expect's included, is refused below as "must be text" with the line where it is used.
  const sendNode = kinds[0] === 'send' ? m.get('send') : undefined;
  if (
    Y.isMap(sendNode) &&
    sendNode.items.some((p) =>
      ['content_sid', 'content_variables'].includes(String(Y.isScalar(p.key) ? p.key.value : p.key)),
    )
  )
    return readTemplateSend(Y, m, i, line, path, lineOf);
  if (kinds[0] === 'send') {
    m.onlyKeys(['send', 'media_urls'], path);
    const body = m.string('send', `${path}.send`, { allowEmpty: true });
    const mediaUrls: string[] = [];
    if (m.has('media_urls')) {
      const list = m.get('media_urls')!;
      if (!Y.isSeq(list))
        throw new Problem(m.keyLine('media_urls'), `${path}.media_urls`, 'must be a list of http(s) URLs');
      list.items.forEach((given, j) => {
        const item = deref(given);
        const field = `${path}.media_urls[${j}]`;
        if (!Y.isScalar(item) || typeof item.value !== 'string')
          throw new Problem(lineOf(given), field, 'must be an http(s) URL');
        mediaUrls.push(wrap(lineOf(given), field, () => checkHttpUrl(field, item.value as string)));
      });
    }
    if (body.trim() === '' && mediaUrls.length === 0)
      throw new Problem(m.keyLine('send'), `${path}.send`, 'is empty: give the message text (or media_urls)');
    if ([...body].length > MAX_BODY)
      throw new Problem(
        m.keyLine('send'),
        `${path}.send`,
        `must be at most ${MAX_BODY} characters (got ${[...body].length})`,
      );
    return { kind: 'send', index: i + 1, line, body, mediaUrls };
  }
  if (m.has('media_urls'))
    throw new Problem(m.keyLine('media_urls'), `${path}.media_urls`, 'belongs to a send step, not an expect');
  m.onlyKeys(['expect'], path);
  const ePath = `${path}.expect`;
  const raw = m.get('expect')!;
  const e = Y.isMap(raw) ? asMap(Y, raw, ePath, lineOf, '') : null;
  if (!e)
    throw new Problem(
      m.keyLine('expect'),
      ePath,
      'must be a mapping like { contains: "1042", within: 30s } (keys: contains, matches, channel, media, none, any, within)',
    );
  e.onlyKeys(EXPECT_KEYS, ePath);
  const contains = e.has('contains') ? e.string('contains', `${ePath}.contains`) : null;
  let matches: ExpectStep['matches'] = null;
  if (e.has('matches')) {
    const source = e.string('matches', `${ePath}.matches`);
    matches = {
      source,
      regex: wrap(e.keyLine('matches'), `${ePath}.matches`, () => compileRegex(`${ePath}.matches`, source)),
    };
  }
  let channel: Channel | null = null;
  if (e.has('channel')) {
    const c = e.string('channel', `${ePath}.channel`).trim().toLowerCase();
    if (c !== 'sms' && c !== 'whatsapp')
      throw new Problem(e.keyLine('channel'), `${ePath}.channel`, `must be sms or whatsapp (got ${JSON.stringify(c)})`);
    channel = c;
  }
  let media: number | null = null;
  if (e.has('media')) {
    const v = e.scalar('media');
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 10)
      throw new Problem(
        e.keyLine('media'),
        `${ePath}.media`,
        `must be a whole number of media from 0 to 10 (the reply has at least that many; got ${JSON.stringify(v)})`,
      );
    media = v;
  }
  let none = false;
  if (e.has('none')) {
    const v = e.scalar('none');
    if (typeof v !== 'boolean')
      throw new Problem(e.keyLine('none'), `${ePath}.none`, `must be true or false (got ${JSON.stringify(v)})`);
    none = v;
    if (none) {
      const other = ['contains', 'matches', 'channel', 'media'].find((k) => e.has(k));
      if (other)
        throw new Problem(
          e.keyLine(other),
          `${ePath}.${other}`,
          'cannot be checked with none: true (which expects no message at all)',
        );
    }
  }
  const any = readAny(e, ePath);
  let withinMs = DEFAULT_WITHIN_MS;
  if (e.has('within')) {
    const v = e.scalar('within');
    const field = `${ePath}.within`;
    if (typeof v === 'number') withinMs = Math.round(v * 1000);
    else if (typeof v === 'string') withinMs = wrap(e.keyLine('within'), field, () => parseDuration(field, v));
    else
      throw new Problem(
        e.keyLine('within'),
        field,
        `must be a duration like 30s, 2m or 500ms (got ${JSON.stringify(v)})`,
      );
    if (!(withinMs > 0) || withinMs > 3_600_000)
      throw new Problem(e.keyLine('within'), field, `must be more than 0 and at most 1h (got ${JSON.stringify(v)})`);
  }
  return { kind: 'expect', index: i + 1, line, contains, matches, channel, media, none, any, withinMs };
}

/** `any: true`: any reply passes, so it says nothing about the text (contains, matches) nor silence (none). */
function readAny(e: MapView, ePath: string): boolean {
  if (!e.has('any')) return false;
  const v = e.scalar('any');
  if (typeof v !== 'boolean')
    throw new Problem(e.keyLine('any'), `${ePath}.any`, `must be true or false (got ${JSON.stringify(v)})`);
  const other = v ? ['contains', 'matches', 'none'].find((k) => e.has(k)) : undefined;
  if (other)
    throw new Problem(
      e.keyLine(other),
      `${ePath}.${other}`,
      'cannot be checked with any: true (which accepts a reply whatever it says)',
    );
  return v;
}

/**
 * A regular expression as scenario authors write it (PCRE/Go style): a leading inline flag group such as
 * `(?i)` or `(?is)` becomes JavaScript flags. Other syntax is JavaScript's (Unicode mode).
 */
export function compileRegex(field: string, source: string): RegExp {
  const m = /^\(\?([ims]+)\)/.exec(source);
  const flags = new Set(m ? [...m[1]!] : []);
  const body = m ? source.slice(m[0].length) : source;
  try {
    return new RegExp(body, [...flags].join('') + 'u');
  } catch (err) {
    throw new Error(
      `${field} is not a valid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`,
    );
  }
}

/** `send: {content_sid: HX…, content_variables: {"1": "Ann"}}`: the tester sends a Content API template. */
function readTemplateSend(
  Y: Yaml,
  m: MapView,
  i: number,
  line: number,
  path: string,
  lineOf: (n: Node) => number,
): SendStep {
  m.onlyKeys(['send'], path);
  const sPath = `${path}.send`;
  const t = asMap(Y, m.get('send'), sPath, lineOf, 'text, or {content_sid, content_variables}');
  t.onlyKeys(['content_sid', 'content_variables'], sPath);
  if (!t.has('content_sid'))
    throw new Problem(m.keyLine('send'), `${sPath}.content_sid`, 'is missing: a Content API template SID (HX…)');
  const contentSid = t.string('content_sid', `${sPath}.content_sid`).trim();
  if (!/^HX[0-9a-fA-F]{32}$/.test(contentSid))
    throw new Problem(
      t.keyLine('content_sid'),
      `${sPath}.content_sid`,
      `must be HX followed by 32 hex digits (got ${JSON.stringify(contentSid)}; see fruxon-twilio templates list)`,
    );
  let contentVariables: Record<string, string> | undefined;
  if (t.has('content_variables')) {
    const vPath = `${sPath}.content_variables`;
    const v = asMap(Y, t.get('content_variables'), vPath, lineOf, 'a mapping of template variables, like {"1": "Ann"}');
    contentVariables = {};
    for (const k of v.keys()) contentVariables[k] = v.string(k, `${vPath}.${k}`);
  }
  return { kind: 'send', index: i + 1, line, body: '', mediaUrls: [], contentSid, contentVariables };
}

function wrap<T>(line: number, field: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    // The shared validators name the field first; the problem carries the field on its own.
    const msg = (err as Error).message;
    throw new Problem(line, field, msg.startsWith(field + ' ') ? msg.slice(field.length + 1) : msg);
  }
}

function baseName(file: string): string {
  return (file.split(/[\\/]/).pop() ?? file).replace(/\.(ya?ml|json)$/i, '');
}

interface MapView {
  has(k: string): boolean;
  get(k: string): Node | undefined;
  keys(): IterableIterator<string>;
  keyLine(k: string): number;
  string(k: string, field: string, opts?: { allowEmpty?: boolean }): string;
  scalar(k: string): unknown;
  onlyKeys(allowed: string[], path: string): void;
}

function asMap(Y: Yaml, given: Node, field: string, lineOf: (n: Node) => number, expected: string): MapView {
  const node = deref(given);
  if (!Y.isMap(node)) throw new Problem(lineOf(given), field, `must be ${expected}`);
  const values = new Map<string, Node>();
  const lines = new Map<string, number>();
  for (const pair of node.items) {
    const k = deref(pair.key);
    const key = Y.isScalar(k) ? k.value : k;
    if (typeof key !== 'string')
      throw new Problem(lineOf(pair.key), field, `has a key that is not a plain name (${JSON.stringify(String(key))})`);
    values.set(key, deref(pair.value));
    lines.set(key, lineOf(pair.key));
  }
  const view: MapView = {
    has: (k) => values.has(k),
    get: (k) => values.get(k),
    keys: () => values.keys(),
    keyLine: (k) => lines.get(k) ?? lineOf(node),
    scalar: (k) => {
      const v = values.get(k);
      return Y.isScalar(v) ? v.value : v === null || v === undefined ? null : Y.isSeq(v) ? '(a list)' : '(a mapping)';
    },
    string: (k, f, opts = {}) => {
      const v = view.scalar(k);
      // A list or a mapping is not text, whatever scalar() calls it.
      if ((typeof v !== 'string' && typeof v !== 'number') || !Y.isScalar(values.get(k)))
        throw new Problem(view.keyLine(k), f, `must be text (got ${v === null ? 'nothing' : JSON.stringify(v)})`);
      // A plain +15005550007 is a number to YAML: the text as written is what the author meant.
      const node = values.get(k) as { source?: unknown };
      const s = typeof v === 'number' && typeof node.source === 'string' ? node.source : String(v);
      if (!opts.allowEmpty && s === '') throw new Problem(view.keyLine(k), f, 'must not be empty');
      return s;
    },
    onlyKeys: (allowed, path) => {
      for (const k of values.keys()) {
        if (!allowed.includes(k)) {
          const where = path ? `${path}.${k}` : k;
          throw new Problem(lines.get(k)!, where, `is not a known field here (expected ${allowed.join(', ')})`);
        }
      }
    },
  };
  return view;
}
