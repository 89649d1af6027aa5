import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ScenarioResult, SeenMessage, StepResult } from '../../src/convtest/runner.js';
import {
  type ExpectStep,
  MAX_SCENARIO_FILE_BYTES,
  MAX_SCENARIO_NODES,
  parseScenarioFile,
  readBounded,
  type SendStep,
} from '../../src/convtest/scenario.js';
import { junitXml } from '../../src/output/convtest.js';
import { LocalAgent, orderDesk } from '../helpers/agent.js';
import { runCliChildProcess, stopAllCliRuns } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER } from '../helpers/fixtures.js';
import { startListen } from '../helpers/listen.js';

const TESTER = '+15005550007';
/** What a terminal (or a CI page) obeys instead of showing: C0, DEL, C1, bidi overrides and isolates. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** An agent reply with what the audit sent: bidi, C1 CSI, DEL, ESC, and characters XML 1.0 forbids. */
const EVIL = 'bidi:\u202eevil.exe\u202c csi:\u009b31m del:\u007f esc:\u001b[2J ff:\u000c soh:\u0001 nonchar:\uffff end';

const problemOf = async (text: string, file = 'x.yaml') => {
  const r = await parseScenarioFile(file, text);
  assert.equal(r.ok, false, `expected a problem for:\n${text.slice(0, 300)}`);
  return (r as Extract<typeof r, { ok: false }>).problem;
};

describe('scenario files from a stranger (issue 28)', () => {
  test('an alias is read as the value it names: text, a whole expect, a step', async () => {
    const r = await parseScenarioFile(
      'alias.yaml',
      `from: "+15005550007"
steps:
  - send: &greet "Hi, where is my order #1042?"
  - expect: &shipped { contains: "1042", within: 10s }
  - &thanks
    send: "thanks"
  - send: *greet
  - expect: *shipped
  - *thanks
`,
    );
    assert.ok(r.ok, JSON.stringify(r));
    const steps = r.scenarios[0]!.steps;
    // Before: `send: *greet` sent the literal "(a mapping)" and the scenario passed.
    assert.equal((steps[3] as SendStep).body, 'Hi, where is my order #1042?');
    assert.equal((steps[4] as ExpectStep).contains, '1042');
    assert.equal((steps[4] as ExpectStep).withinMs, 10_000);
    assert.equal((steps[5] as SendStep).body, 'thanks');
    assert.deepEqual(
      steps.map((s) => s.line),
      [3, 4, 6, 7, 8, 9],
      'a step given by an alias has the line of the alias',
    );
  });

  test('an alias (or a value) that is not text where text belongs is refused with its line, never sent as "(a mapping)"', async () => {
    const p = await problemOf(`from: "+15005550007"\nsteps:\n  - expect: &e { contains: "x" }\n  - send: *e\n`);
    assert.equal(p.line, 4);
    assert.equal(p.field, 'steps[1].send');
    assert.match(p.message, /^must be text/);
    const q = await problemOf(`from: "+15005550007"\nsteps:\n  - send: { text: hi }\n`);
    assert.equal(q.field, 'steps[0].send');
    assert.match(q.message, /^must be text/);
    const u = await problemOf(`from: "+15005550007"\nsteps:\n  - send: *nowhere\n`);
    assert.equal(u.line, 3);
  });

  test('aliases that multiply a document past the node limit are refused in one line', async () => {
    const steps = Array.from({ length: 200 }, (_, i) => `      - send: "m${i}"`).join('\n');
    const uses = Array.from({ length: 200 }, () => '  - *s').join('\n');
    const text = `scenarios:\n  - &s\n    name: one\n    from: "+15005550007"\n    steps:\n${steps}\n${uses}\n`;
    assert.ok(text.length < 10_000);
    const t0 = performance.now();
    const p = await problemOf(text);
    assert.match(p.message, new RegExp(`^too many YAML values \\(over ${MAX_SCENARIO_NODES}, an alias counted`));
    assert.doesNotMatch(p.message, /\n/);
    assert.ok(p.line > 200, `the line of the alias that went over (${p.line})`);
    assert.ok(performance.now() - t0 < 5000);
  });

  test('a document of more than the node limit is refused in one line, before it is read', async () => {
    const steps = Array.from({ length: 6000 }, () => '  - send: x').join('\n');
    const text = `from: "+15005550007"\nsteps:\n${steps}\n`;
    assert.ok(Buffer.byteLength(text) < MAX_SCENARIO_FILE_BYTES);
    const p = await problemOf(text);
    assert.equal(p.field, '(file)');
    assert.match(p.message, /^too many YAML values/);
  });

  test('a document nested deeper than a scenario needs is refused in one line before the parser recurses', async () => {
    // Before: the YAML parser ran out of stack near 1,000 levels, and the next parse could abort the process
    // (V8: "RegExpCompiler Allocation failed").
    const cases = [
      '['.repeat(100_000) + ']'.repeat(100_000),
      '{a: '.repeat(50_000) + '1' + '}'.repeat(50_000),
      `from: "+15005550007"\nsteps:\n  - send: it's\n  - send: ${'['.repeat(5000)}'\n`,
      Array.from({ length: 1000 }, (_, i) => `${' '.repeat(i)}a:`).join('\n'),
      `steps:\n  ${'- '.repeat(2000)}x\n`,
    ];
    for (const text of [...cases, ...cases]) {
      const p = await problemOf(text);
      assert.equal(p.field, '(file)');
      assert.match(
        p.message,
        /^nests deeper than (64 levels of \[ \] and \{ \}|256 columns of indentation): a scenario needs a few$/,
      );
    }
    const fine = await parseScenarioFile(
      'fine.yaml',
      `name: "it's [fine]"\nfrom: "+15005550007"\nsteps:\n  - send: it's [1] {ok} # [[[[\n  - send: 'don''t [ { '\n`,
    );
    assert.ok(fine.ok, JSON.stringify(fine));
    assert.deepEqual(
      fine.scenarios[0]!.steps.map((x) => (x as SendStep).body),
      ["it's [1] {ok}", "don't [ { "],
    );
  });

  test('a file over 1 MB is refused in one line without being parsed; an endless one is not read to its end', async () => {
    const big = `from: "+15005550007"\nsteps:\n  - send: "${'x'.repeat(MAX_SCENARIO_FILE_BYTES)}"\n`;
    const t0 = performance.now();
    const p = await problemOf(big);
    assert.ok(performance.now() - t0 < 1000, 'refused before parsing');
    assert.equal(p.line, 1);
    assert.match(p.message, /^too large \(1\.0 MB\): a scenario file is at most 1 MB; split it into several files$/);
    // Before: a 50 MB file took 13 s and 1.9 GB to refuse; /dev/zero was read until memory ran out.
    assert.deepEqual(await readBounded('/dev/zero'), { bytes: MAX_SCENARIO_FILE_BYTES + 1 });
    const dir = mkdtempSync(join(tmpdir(), 'fruxon-twilio-big-'));
    try {
      const file = join(dir, 'big.yaml');
      writeFileSync(file, Buffer.alloc(50 * 1024 * 1024, 'a'));
      assert.deepEqual(await readBounded(file), { bytes: 50 * 1024 * 1024 });
      writeFileSync(file, 'from: x\n');
      assert.deepEqual(await readBounded(file), { text: 'from: x\n' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('JUnit XML of a reply holding every code point (lone surrogates too) is accepted by a strict XML 1.0 parser', () => {
  const body = Array.from({ length: 0x110000 }, (_, c) =>
    c >= 0xd800 && c <= 0xdfff ? String.fromCharCode(c) : String.fromCodePoint(c),
  ).join('');
  const message = {
    sid: 'SM' + '0'.repeat(32),
    direction: 'outbound-api',
    from: OUR_NUMBER,
    to: TESTER,
    channel: 'sms',
    body,
    num_media: 0,
    status: 'delivered',
    error_code: null,
    error_message: body.slice(0, 2000),
    date_created: null,
    seen_at_ms: 1,
  } as SeenMessage;
  const step: StepResult = {
    index: 2,
    line: 5,
    kind: 'expect',
    description: `expect contains ${JSON.stringify(body.slice(0, 300))}`,
    status: 'failed',
    ms: 1,
    latencyMs: 1,
    withinMs: 1000,
    message,
    failure: `expected …; got ${body.slice(0, 5000)}`,
    cause: body.slice(0, 70_000),
    fix: body.slice(0x2000, 0x2100),
    note: null,
  };
  const result = {
    file: `x${body.slice(0, 64)}.yaml`,
    name: body.slice(0, 200),
    line: 1,
    config: 'c',
    tester: TESTER,
    number: OUR_NUMBER,
    channel: 'sms',
    status: 'failed',
    durationMs: 1,
    startedAt: '2026-12-07T10:00:00.000Z',
    steps: [step],
    messages: [message],
    error: null,
  } as unknown as ScenarioResult;
  const dir = mkdtempSync(join(tmpdir(), 'fruxon-twilio-junit-'));
  try {
    const path = join(dir, 'all.xml');
    writeFileSync(path, junitXml([{ file: result.file, results: [result] }], 1));
    // expat, through Python's standard library: a well-formedness error is an exception and a non-zero exit.
    const out = execFileSync(
      'python3',
      ['-c', 'import sys, xml.etree.ElementTree as ET; print(len(list(ET.parse(sys.argv[1]).iter())))', path],
      { encoding: 'utf8' },
    );
    assert.match(out, /^\d+\n$/);
    assert.doesNotMatch(readFileSync(path, 'utf8'), CONTROL);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('fruxon-twilio test: an agent reply that a `matches` pattern backtracks on', () => {
  let f: EmulatorFixture;
  let agent: LocalAgent;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fruxon-twilio-convtest-hostile-'));
    f = await emulatorWithConfig({ keychain: 'os', numbers: [OUR_NUMBER, TESTER] });
    agent = await LocalAgent.start(f.emulator, (p) =>
      /redos/i.test(p.text ?? '')
        ? { body: `${'a'.repeat(36)}!` }
        : /evil/i.test(p.text ?? '')
          ? { body: EVIL }
          : orderDesk(p),
    );
    await startListen(f, ['--forward-to', agent.url]);
  });
  after(async () => {
    await stopAllCliRuns();
    await agent?.stop();
    await f?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('^(a+)+$ against 36 a and ! fails the step by its within instead of hanging the run; the next file still runs', async () => {
    const redos = join(dir, 'redos.yaml');
    writeFileSync(
      redos,
      `name: catastrophic\nfrom: "${TESTER}"\nsteps:\n  - send: "redos please"\n  - expect: { matches: "^(a+)+$", within: 3s }\n`,
    );
    const fine = join(dir, 'fine.yaml');
    writeFileSync(
      fine,
      `name: still runs\nfrom: "${TESTER}"\nsteps:\n  - send: "where is #1042"\n  - expect: { matches: "(?i)shipped", within: 10s }\n`,
    );
    // A child process: on the old code the run never ends (a synchronous regex cannot be interrupted), and the
    // child is killed at the timeout: the 3 s within, the sends and replies, and a wide margin for a loaded machine.
    const r = await runCliChildProcess(['test', redos, fine], { env: f.env, timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /✖ 2\. expect matches \^\(a\+\)\+\$ within 3s: matches \^\(a\+\)\+\$ did not finish on the reply within \d+(\.\d)?s \(the pattern backtracks without end on this text\); got "a{36}!" on sms/,
    );
    assert.match(r.stdout, /fix: rewrite the pattern without nested repetition/);
    assert.match(r.stdout, /✔ 2\. expect matches \(\?i\)shipped within 10s/);
    assert.match(r.stdout, /2 scenarios in 2 files: 1 passed, 1 failed/);
  });

  test('an agent reply with control and bidi characters: shown escaped on stdout and in the JUnit file, which a strict XML 1.0 parser accepts', async () => {
    const path = join(dir, 'evil.yaml');
    writeFileSync(
      path,
      `name: evil reply\nfrom: "${TESTER}"\nsteps:\n  - send: "evil please"\n  - expect: { contains: "never", within: 10s }\n`,
    );
    const junit = join(dir, 'evil.xml');
    const r = await runCliChildProcess(['test', path, '--junit', junit], { env: f.env, timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    // Before: U+202E, U+009B and DEL reached stdout as they are.
    assert.doesNotMatch(r.stdout, CONTROL, r.stdout);
    assert.match(r.stdout, /bidi:\\u202eevil\.exe\\u202c csi:\\x9b31m del:\\x7f/);
    const xml = readFileSync(junit, 'utf8');
    assert.doesNotMatch(xml, CONTROL);
    assert.doesNotMatch(xml, /\uffff/);
    assert.match(xml, /bidi:\\u202eevil\.exe\\u202c/);
    // A real XML 1.0 parser (expat, through Python's standard library): well-formed or it throws.
    const parsed = execFileSync(
      'python3',
      [
        '-c',
        'import sys, xml.etree.ElementTree as ET; t = ET.parse(sys.argv[1]); print(t.getroot().tag, len(t.getroot().iter("failure").__next__().get("message")))',
        junit,
      ],
      { encoding: 'utf8' },
    );
    assert.match(parsed, /^testsuites \d+\n$/);
  });
});
