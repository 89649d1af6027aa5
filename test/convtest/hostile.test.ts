import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type ExpectStep,
  MAX_SCENARIO_FILE_BYTES,
  MAX_SCENARIO_NODES,
  parseScenarioFile,
  readBounded,
  type SendStep,
} from '../../src/convtest/scenario.js';
import { LocalAgent, orderDesk } from '../helpers/agent.js';
import { runCli as runChild, stopAllCliProcesses } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER } from '../helpers/fixtures.js';
import { startListen } from '../helpers/listen.js';

const TESTER = '+15005550007';

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

describe('fruxon-twilio test: an agent reply that a `matches` pattern backtracks on', () => {
  let f: EmulatorFixture;
  let agent: LocalAgent;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fruxon-twilio-convtest-hostile-'));
    f = await emulatorWithConfig({ numbers: [OUR_NUMBER, TESTER] });
    agent = await LocalAgent.start(f.emulator, (p) =>
      /redos/i.test(p.text ?? '') ? { body: `${'a'.repeat(36)}!` } : orderDesk(p),
    );
    await startListen(f, ['--forward-to', agent.url]);
  });
  after(async () => {
    await stopAllCliProcesses();
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
    const r = await runChild(['test', redos, fine], { env: f.env, timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /✖ 2\. expect matches \^\(a\+\)\+\$ within 3s: matches \^\(a\+\)\+\$ did not finish on the reply within \d+(\.\d)?s \(the pattern backtracks without end on this text\); got "a{36}!" on sms/,
    );
    assert.match(r.stdout, /fix: rewrite the pattern without nested repetition/);
    assert.match(r.stdout, /✔ 2\. expect matches \(\?i\)shipped within 10s/);
    assert.match(r.stdout, /2 scenarios in 2 files: 1 passed, 1 failed/);
  });
});
