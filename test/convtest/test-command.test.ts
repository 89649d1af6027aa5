import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LocalAgent, orderDesk } from '../helpers/agent.js';
import { CliChildProcess, stopAllCliRuns } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER } from '../helpers/fixtures.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { all, validateJunit } from '../helpers/junit-schema.js';
import { osKeychain } from '../helpers/keychains.js';
import { jsonLines, startListen } from '../helpers/listen.js';

// In-process runs share the (test) keychain with the `listen` children this file starts.
const testKeychain = osKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

const TESTER = '+15005550007';
/** The emulator marks messages to this number undelivered with 30003: the agent's reply fails at Twilio. */
const UNREACHABLE_TESTER = '+15005553003';

let dir: string;
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('fruxon-twilio test, against the emulator with a local agent behind listen --forward-to', () => {
  let f: EmulatorFixture;
  let agent: LocalAgent;
  let listener: CliChildProcess;
  const run = (args: string[]) => runCliInProcess(['test', ...args], { env: f.env, timeoutMs: 60_000 });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fruxon-twilio-convtest-'));
    f = await emulatorWithConfig({ keychain: 'os', numbers: [OUR_NUMBER, TESTER, UNREACHABLE_TESTER] });
    // WhatsApp's 24-hour window: the agent's number wrote to the tester's, so the tester may write free-form.
    await f.emulator.deliverInbound({ from: OUR_NUMBER, to: TESTER, whatsapp: true, body: 'opens the window' });
    agent = await LocalAgent.start(f.emulator, (p) => {
      if (/slow/i.test(p.text ?? '')) return { body: 'sorry for the wait', delayMs: 1500 };
      if (/by sms/i.test(p.text ?? '')) return { body: 'texting you instead', sms: true };
      return orderDesk(p);
    });
    ({ p: listener } = await startListen(f, ['--forward-to', agent.url]));
  });
  after(async () => {
    await stopAllCliRuns();
    await agent?.stop();
    await f?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a passing multi-step SMS scenario: each step ✔ with the agent time, a summary, exit 0', async () => {
    const path = file(
      'order.yaml',
      `name: order status
from: "${TESTER}"
steps:
  - send: "Hi, where is my order #1042?"
  - expect: { contains: "1042", matches: "(?i)SHIPPED", channel: sms, within: 10s }
  - send: "thanks"
    media_urls: ["https://example.com/receipt.jpg"]
  - expect: { matches: "(?i)you're welcome|anytime", contains: "1 file", within: 10s }
  - send: "bye"
  - expect: { none: true, within: 1s }
`,
    );
    const r = await run([path]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(r.stdout, /^order status \(.*order\.yaml:1; config emu, \+15005550007 -> \+15005550006 on sms\)/m);
    assert.match(r.stdout, /✔ 1\. send "Hi, where is my order #1042\?" \(\d+\.\ds\)/);
    assert.match(
      r.stdout,
      /✔ 2\. expect contains "1042", matches \(\?i\)SHIPPED, on sms within 10s: "Your order #1042 shipped yesterday\." \(agent \d+\.\ds\)/,
    );
    assert.match(r.stdout, /✔ 4\. expect .*: "You're welcome! Got your 1 file\(s\)\."/);
    assert.match(r.stdout, /✔ 6\. expect no message within 1s/);
    assert.equal(lines.filter((l) => l.includes('✔')).length, 6);
    assert.match(r.stdout, /1 scenario in 1 file: 1 passed \(\d+\.\ds\)/);
    // The agent really got the tester's messages through listen, media included.
    const thanks = agent.received.find((p) => p.text === 'thanks');
    assert.equal(thanks?.from, TESTER);
    assert.equal(thanks?.media.length, 1);
  });

  test('a WhatsApp scenario (JSON file): the tester whatsapp:+…, the reply checked for channel and media; --json', async () => {
    const path = file(
      'whatsapp.json',
      JSON.stringify(
        {
          name: 'photo on whatsapp',
          from: `whatsapp:${TESTER}`,
          steps: [{ send: 'a photo please' }, { expect: { channel: 'whatsapp', media: 1, contains: 'Here' } }],
        },
        null,
        2,
      ),
    );
    const r = await run([path, '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const [result, ...rest] = jsonLines(r.stdout);
    assert.equal(rest.length, 0, 'one object per scenario');
    assert.equal(result.status, 'passed');
    assert.equal(result.channel, 'whatsapp');
    assert.equal(result.scenario, 'photo on whatsapp');
    assert.equal(result.steps.length, 2);
    const [send, expect] = result.steps;
    assert.equal(send.message.from, `whatsapp:${TESTER}`);
    assert.equal(send.message.to, `whatsapp:${OUR_NUMBER}`);
    assert.equal(expect.status, 'passed');
    assert.equal(expect.message.from, `whatsapp:${OUR_NUMBER}`);
    assert.equal(expect.message.channel, 'whatsapp');
    assert.equal(expect.message.num_media, 1);
    assert.ok(['delivered', 'read'].includes(expect.message.status), expect.message.status);
    assert.equal(typeof expect.latency_ms, 'number');
    assert.equal(expect.within_ms, 30_000, 'within defaults to 30s');
    assert.deepEqual(
      result.messages.map((m: { sid: string }) => m.sid),
      [send.message.sid, expect.message.sid],
    );
    assert.equal(agent.received.at(-1)?.channel, 'whatsapp');
  });

  test('a WhatsApp message answered by SMS fails channel: whatsapp, naming the channel it came on', async () => {
    const path = file(
      'channel.yaml',
      `name: wrong channel\nfrom: "whatsapp:${TESTER}"\nsteps:\n  - send: "answer by sms"\n  - expect: { channel: whatsapp, within: 10s }\n`,
    );
    const r = await run([path, '--json']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const [result] = jsonLines(r.stdout);
    assert.equal(result.steps[1].failure, 'expected a reply on whatsapp; got "texting you instead" on sms');
    assert.equal(result.steps[1].message.from, OUR_NUMBER);
  });

  test('a failing contains: exit 1, the output shows what arrived, the JUnit failure names the step; later steps skipped', async () => {
    const path = file(
      'wrong.yaml',
      `name: wrong order number
from: "${TESTER}"
steps:
  - send: "where is #1042"
  - expect:
      contains: "9999"
  - send: "thanks"
  - expect: { contains: "welcome" }
`,
    );
    const junit = join(dir, 'wrong.xml');
    const r = await run([path, '--junit', junit]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /✖ 2\. expect contains "9999" within 30s: expected a reply containing "9999"; got "Your order #1042 shipped yesterday\." on sms/,
    );
    assert.match(r.stdout, /- 3\. send "thanks" \(skipped\)/);
    assert.match(r.stdout, /✖ wrong order number \(.*wrong\.yaml\): step 2 \(line 5\)/);
    assert.match(r.stdout, /1 scenario in 1 file: 0 passed, 1 failed/);
    const doc = validateJunit(readFileSync(junit, 'utf8'));
    const [failure] = all(doc, 'failure');
    assert.ok(failure, 'a <failure>');
    assert.match(
      failure.attrs.message!,
      /^step 2 \(line 5\) expect contains "9999" within 30s: expected a reply containing "9999"; got "Your order #1042/,
    );
    assert.equal(failure.attrs.type, 'expect');
    assert.match(failure.text, /what arrived: "Your order #1042 shipped yesterday\." \(SM[0-9a-f]{32}, /);
    assert.equal(all(doc, 'testcase')[0]!.attrs.name, 'wrong order number');
    assert.equal(
      agent.received.filter((p) => p.text === 'thanks' && p.from === TESTER).length,
      1,
      "the skipped send was not sent (only the first scenario's thanks)",
    );
  });

  test('none: true passes on silence and fails when the agent answers, showing the answer', async () => {
    const path = file(
      'silence.yaml',
      `scenarios:
  - name: silent on bye
    from: "${TESTER}"
    steps:
      - send: bye
      - expect: { none: true, within: 1s }
  - name: not silent on hello
    from: "${TESTER}"
    steps:
      - send: hello
      - expect: { none: true, within: 3s }
`,
    );
    const r = await run([path, '--json']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const [silent, chatty] = jsonLines(r.stdout);
    assert.equal(silent.status, 'passed');
    assert.equal(silent.steps[1].message, null);
    assert.ok(silent.steps[1].ms >= 1000, `waited the whole second (${silent.steps[1].ms} ms)`);
    assert.equal(chatty.status, 'failed');
    assert.match(
      chatty.steps[1].failure,
      /^expected no message within 3s, but \+15005550006 sent "Sorry, I did not get that: hello"/,
    );
    assert.equal(chatty.steps[1].message.body, 'Sorry, I did not get that: hello');
  });

  test('--timeout-scale multiplies within: a 1.5 s agent fails within: 1s (no reply, with the route), passes with --timeout-scale 3', async () => {
    const path = file(
      'slow.yaml',
      `name: slow agent
from: "${TESTER}"
steps:
  - send: "slow question"
  - expect: { contains: "wait", within: 1s }
`,
    );
    const fast = await run([path]);
    assert.equal(fast.code, 1, fast.stdout + fast.stderr);
    assert.match(
      fast.stdout,
      /✖ 2\. expect contains "wait" within 1s: no reply from \+15005550006 to \+15005550007 within 1s/,
    );
    assert.match(
      fast.stdout,
      /cause: no reply at all; inbound to \+15005550006 goes to fruxon-twilio listen \(pid \d+\) at http:\/\/127\.0\.0\.1:\d+\/webhooks\/twilio\/\S+: check that its --forward-to agent answers/,
    );
    // The late reply of that run must not count as the answer in the next one.
    await new Promise((r) => setTimeout(r, 1000));
    const scaled = await run([path, '--timeout-scale', '3', '--json']);
    assert.equal(scaled.code, 0, scaled.stdout + scaled.stderr);
    const [result] = jsonLines(scaled.stdout);
    assert.equal(result.steps[1].within_ms, 3000);
    assert.match(result.steps[1].description, /within 3s$/);
    assert.ok(result.steps[1].latency_ms >= 1400, `the agent took its 1.5 s (${result.steps[1].latency_ms} ms)`);
    assert.equal(result.steps[1].message.body, 'sorry for the wait');
  });

  test('two files in one run, three scenarios; JUnit: one testsuite per file, one testcase per scenario, valid', async () => {
    const a = file(
      'a.yaml',
      `name: first\nfrom: "${TESTER}"\nsteps:\n  - send: "order #7"\n  - expect: { contains: "#7" }\n`,
    );
    const b = file(
      'b.yaml',
      `scenarios:\n  - name: second\n    from: "${TESTER}"\n    steps:\n      - send: "order #8"\n      - expect: { contains: "#8" }\n  - name: third & <last>\n    from: "${TESTER}"\n    steps:\n      - send: "thanks"\n      - expect: { matches: "(?i)welcome" }\n`,
    );
    const junit = join(dir, 'two.xml');
    const r = await run([a, b, '--junit', junit]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /3 scenarios in 2 files: 3 passed/);
    assert.match(r.stderr, /JUnit XML written to .*two\.xml/);
    const doc = validateJunit(readFileSync(junit, 'utf8'));
    assert.equal(doc.attrs.tests, '3');
    const suites = all(doc, 'testsuite');
    assert.deepEqual(
      suites.map((s) => s.attrs.name),
      [a, b],
    );
    assert.deepEqual(
      suites.map((s) => all(s, 'testcase').map((c) => c.attrs.name)),
      [['first'], ['second', 'third & <last>']],
    );
    assert.equal(all(doc, 'failure').length, 0);
    assert.match(all(doc, 'system-out')[0]!.text, /^ok 1\. send "order #7"/);
  });

  test('the runner sends at most about one message per second from a number, and says so when a scenario asks for more', async () => {
    const path = file(
      'burst.yaml',
      `name: burst\nfrom: "${TESTER}"\nsteps:\n  - send: "bye"\n  - send: "bye again"\n  - expect: { none: true, within: 500ms }\n`,
    );
    const r = await run([path, '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const [result] = jsonLines(r.stdout);
    assert.equal(result.steps[0].note, null);
    assert.match(
      result.steps[1].note,
      /^waited \d\.\ds before sending: Twilio sends about 1 message per second from a number/,
    );
    const sent = f.emulator
      .messages()
      .filter((m) => m.from === TESTER && m.direction === 'outbound-api' && /^bye/.test(m.body))
      .slice(-2);
    assert.equal(sent.length, 2);
    const gap = sent[1]!.dateCreated.getTime() - sent[0]!.dateCreated.getTime();
    assert.ok(gap >= 950, `the second send came ${gap} ms after the first`);
  });

  test("the agent's reply failing at Twilio fails the step with its error code and the fix", async () => {
    const path = file(
      'unreachable.yaml',
      `name: unreachable handset\nfrom: "${UNREACHABLE_TESTER}"\nsteps:\n  - send: "order #5"\n  - expect: { contains: "#5", within: 10s }\n`,
    );
    const r = await run([path]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /✖ 2\. expect contains "#5" within 10s: the agent's reply SM[0-9a-f]{32} undelivered at Twilio/,
    );
    assert.match(
      r.stdout,
      /cause: the agent's reply undelivered at Twilio with 30003 .*https:\/\/www\.twilio\.com\/docs\/errors\/30003/,
    );
    assert.match(r.stdout, /fix: the handset is unreachable/);
  });

  test('a listener that is gone: the expect says where inbound goes', async () => {
    listener.kill('SIGKILL');
    await listener.exited;
    const path = file(
      'gone.yaml',
      `name: listener gone\nfrom: "${TESTER}"\nsteps:\n  - send: "order #1"\n  - expect: { contains: "#1", within: 1s }\n`,
    );
    const r = await run([path]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /cause: inbound to \+15005550006 goes to a fruxon-twilio listen that is not running \(pid \d+\)/,
    );
  });
});

describe('fruxon-twilio test: files and scenarios that cannot run (exit 2, nothing sent)', () => {
  let f: EmulatorFixture;
  const run = (args: string[]) => runCliInProcess(['test', ...args], { env: f.env, timeoutMs: 30_000 });
  const sentCount = () => f.emulator.messages().length;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fruxon-twilio-convtest-'));
    f = await emulatorWithConfig({ keychain: 'os', numbers: [OUR_NUMBER, TESTER] });
  });
  after(async () => {
    await f?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a malformed file: exit 2 naming the file, the line and the field; every malformed file is named', async () => {
    const bad = file(
      'bad.yaml',
      `name: bad within\nfrom: "${TESTER}"\nsteps:\n  - send: hi\n  - expect:\n      contains: hi\n      within: soon\n`,
    );
    const unknown = file(
      'unknown.yaml',
      `name: typo\nfrom: "${TESTER}"\nsteps:\n  - send: hi\n  - expect: { contain: hi }\n`,
    );
    const syntax = file('syntax.yaml', `name: broken\nsteps:\n  - send: "unclosed\n`);
    const regex = file(
      'regex.json',
      JSON.stringify({ from: TESTER, steps: [{ send: 'x' }, { expect: { matches: '(?i)[unclosed' } }] }, null, 1),
    );
    const fromNum = file('plain.yaml', `from: 15005550007\nsteps:\n  - send: hi\n`);
    const junit = join(dir, 'never.xml');
    const r = await run([bad, unknown, syntax, regex, fromNum, '--junit', junit]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /error: .*bad\.yaml:7: steps\[1\]\.expect\.within must be a duration like 30s, 15m, 2h or 7d \(got "soon"\)/,
    );
    assert.match(
      r.stderr,
      /error: .*unknown\.yaml:5: steps\[1\]\.expect\.contain is not a known field here \(expected contains, matches, channel, media, none, any, within\)/,
    );
    assert.match(r.stderr, /error: .*syntax\.yaml:\d+: not valid YAML/);
    assert.match(r.stderr, /error: .*regex\.json:\d+: steps\[1\]\.expect\.matches is not a valid regular expression/);
    assert.match(r.stderr, /error: .*plain\.yaml:1: from must be an E\.164 number like "\+15005550007"/);
    assert.equal(existsSync(junit), false, 'no JUnit file for a run that did not run');
    assert.equal(sentCount(), 0);
  });

  test('a plain +1… in YAML (a number to YAML) is read as written', async () => {
    const path = file('unquoted.yaml', `from: +15005550099\nsteps:\n  - send: hi\n`);
    const r = await run([path]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /the tester \+15005550099 is not a number of account AC…[0-9a-f]{4} \(config "emu"\)/);
  });

  test("a tester not on the account, the config's own number, an unknown config, no tester: errors, not failures; nothing sent", async () => {
    const path = file(
      'unrunnable.yaml',
      `scenarios:\n  - name: stranger\n    from: "+15005550099"\n    steps: [{ send: hi }]\n  - name: itself\n    from: "${OUR_NUMBER}"\n    steps: [{ send: hi }]\n  - name: no such config\n    config: nope\n    from: "${TESTER}"\n    steps: [{ send: hi }]\n  - name: fine\n    from: "${TESTER}"\n    steps: [{ send: hi }]\n`,
    );
    const r = await run([path, '--json']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.equal(r.stdout, '', '--json prints nothing when nothing ran');
    assert.match(
      r.stderr,
      /unrunnable\.yaml:3: scenario "stranger" cannot run: the tester \+15005550099 is not a number of account/,
    );
    assert.match(
      r.stderr,
      /unrunnable\.yaml:6: scenario "itself" cannot run: the tester \+15005550006 is the config's own number/,
    );
    assert.match(r.stderr, /unrunnable\.yaml:9: scenario "no such config" cannot run: config: no config named "nope"/);
    assert.match(r.stderr, /Nothing was sent\./);
    assert.doesNotMatch(r.stderr, /"fine"/);
    assert.equal(sentCount(), 0, 'the runnable scenario was not run either');

    const noFrom = file('nofrom.yaml', 'steps:\n  - send: hi\n');
    const r2 = await run([noFrom]);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /nofrom\.yaml:1: scenario "nofrom" cannot run: no tester number/);
    // --from gives it one, and --config an unknown config is an error too.
    const r3 = await run([noFrom, '--from', TESTER, '--config', 'nope']);
    assert.equal(r3.code, 2);
    assert.match(r3.stderr, /no config named "nope"/);
    const r4 = await run([noFrom, '--from', 'not-a-number']);
    assert.equal(r4.code, 2);
    assert.match(r4.stderr, /--from must be an E\.164 number/);
    const r5 = await run([noFrom, '--timeout-scale', '0']);
    assert.equal(r5.code, 2);
    assert.match(r5.stderr, /--timeout-scale must be a number more than 0/);
    assert.equal(sentCount(), 0);
  });

  test('Ctrl-C stops the wait: the scenario is an error (interrupted), the JUnit file is still written, exit 2', async () => {
    const path = file(
      'long.yaml',
      `name: long wait\nfrom: "${TESTER}"\nsteps:\n  - expect: { none: true, within: 60s }\n  - send: never\n`,
    );
    const junit = join(dir, 'long.xml');
    const p = new CliChildProcess(['test', path, '--junit', junit], { env: f.env });
    await p.waitFor(/^long wait \(/m, { stream: 'stdout' });
    const t0 = Date.now();
    p.kill('SIGINT');
    const { code } = await p.exited;
    assert.equal(code, 2, p.stdout + p.stderr);
    assert.ok(Date.now() - t0 < 10_000, 'it stopped without waiting out the 60 s');
    assert.match(p.stdout, /could not run: interrupted/);
    assert.match(p.stdout, /- 2\. send "never" \(skipped\)/);
    assert.equal(all(validateJunit(readFileSync(junit, 'utf8')), 'error').length, 1);
  });

  test('with no listener the number has no webhook: the expect says inbound goes nowhere; another URL is named', async () => {
    const path = file(
      'nowhere.yaml',
      `name: nowhere\nfrom: "${TESTER}"\nsteps:\n  - send: hi\n  - expect: { within: 500ms }\n`,
    );
    const r = await run([path]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /✖ 2\. expect a reply within 0\.5s: no reply from \+15005550006 to \+15005550007 within 0\.5s/,
    );
    assert.match(
      r.stdout,
      /cause: inbound to \+15005550006 goes nowhere: the number has no "A MESSAGE COMES IN" webhook/,
    );
    f.emulator.setSmsUrl(OUR_NUMBER, 'https://hooks.example.com/sms');
    const r2 = await run([path]);
    assert.equal(r2.code, 1);
    assert.match(
      r2.stdout,
      /cause: inbound to \+15005550006 goes to https:\/\/hooks\.example\.com\/sms, not to Fruxon/,
    );
    // A tester whose webhook goes where the agent's number's does would have the agent answer its own replies.
    const before = sentCount();
    f.emulator.setSmsUrl(TESTER, 'https://hooks.example.com/sms');
    const r3 = await run([path]);
    assert.equal(r3.code, 2, r3.stdout + r3.stderr);
    assert.match(
      r3.stderr,
      /nowhere\.yaml:2: scenario "nowhere" cannot run: the tester \+15005550007's webhook points where \+15005550006's does/,
    );
    assert.equal(sentCount(), before);
  });
});

test('the JUnit validator rejects what the schema does not allow (so the checks above can fail)', () => {
  const ok =
    '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites tests="1" failures="1"><testsuite name="a" tests="1" failures="1"><testcase name="x" time="0.1"><failure message="m" type="t">d</failure></testcase></testsuite></testsuites>';
  validateJunit(ok);
  assert.throws(
    () => validateJunit(ok.replace('tests="1" failures="1"><testcase', 'tests="2" failures="1"><testcase')),
    /tests="2" but has 1 testcases/,
  );
  assert.throws(() => validateJunit(ok.replace('<testcase name="x"', '<testcase line="3" name="x"')), /attribute line/);
  assert.throws(() => validateJunit(ok.replace('>d<', '>a & b<')), /bare &/);
  assert.throws(
    () => validateJunit(ok.replace('<testsuites', '<testsuite').replace('</testsuites>', '</testsuite>')),
    /root is <testsuite>/,
  );
  assert.throws(() => validateJunit(ok.replace('time="0.1"', 'time="1,5"')), /not of the schema's type/);
  assert.throws(
    () => validateJunit(ok.replace('</testsuite>', '<testcase name="y"/></testsuite><testsuite>')),
    /XML|tests=/,
  );
});

describe('fruxon-twilio test: Twilio refuses a send mid-run', () => {
  // The emulator refuses every message to +15005550004 with 21610 (the recipient unsubscribed).
  const REFUSING = '+15005550004';
  // ... and marks messages to +15005553005 undelivered (30005): the tester's message never reaches the agent.
  const UNDELIVERABLE = '+15005553005';
  let f: EmulatorFixture;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fruxon-twilio-convtest-'));
    f = await emulatorWithConfig({ keychain: 'os', numbers: [REFUSING, TESTER, UNDELIVERABLE] });
    const add = await runCliInProcess(
      [
        'add-config',
        '--name',
        'undeliverable',
        '--from',
        UNDELIVERABLE,
        '--account-sid',
        f.emulator.accountSid,
        '--api-url',
        f.emulator.url,
        '--auth-token-stdin',
        '--json',
      ],
      { env: f.env, input: f.emulator.authToken },
    );
    assert.equal(add.code, 0, add.stderr);
  });
  after(async () => {
    await f?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the scenario is an error (exit 2, JSON status error, a JUnit <error>), not a failure; the next scenario still runs', async () => {
    const path = file(
      'refused.yaml',
      `scenarios:\n  - name: refused\n    from: "${TESTER}"\n    steps:\n      - send: hi\n      - expect: { contains: x }\n  - name: quiet\n    from: "${TESTER}"\n    steps:\n      - expect: { none: true, within: 200ms }\n`,
    );
    const junit = join(dir, 'refused.xml');
    const r = await runCliInProcess(['test', path, '--json', '--junit', junit], { env: f.env, timeoutMs: 30_000 });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const [refused, quiet] = jsonLines(r.stdout);
    assert.equal(refused.status, 'error');
    assert.match(
      refused.error.message,
      /^Twilio refused to send an SMS to \+15005550004: .*\(21610, https:\/\/www\.twilio\.com\/docs\/errors\/21610\)/,
    );
    assert.match(refused.error.hint, /replied STOP/);
    assert.deepEqual(
      refused.steps.map((s: { status: string }) => s.status),
      ['error', 'skipped'],
    );
    assert.equal(quiet.status, 'passed');
    const doc = validateJunit(readFileSync(junit, 'utf8'));
    const [error] = all(doc, 'error');
    assert.match(error!.attrs.message!, /^step 1 \(line 5\): Twilio refused to send an SMS/);
    assert.equal(all(doc, 'failure').length, 0);
    assert.equal(doc.attrs.errors, '1');
  });

  test("the tester's own message undelivered: the cause says the agent never got it, with the code and the fix; config: picks the config", async () => {
    const path = file(
      'undeliverable.yaml',
      `name: undeliverable\nconfig: undeliverable\nfrom: "${TESTER}"\nsteps:\n  - send: hi\n  - expect: { within: 1s }\n`,
    );
    const r = await runCliInProcess(['test', path], { env: f.env, timeoutMs: 30_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /config undeliverable, \+15005550007 -> \+15005553005 on sms/);
    assert.match(
      r.stdout,
      /cause: the tester's message SM[0-9a-f]{32} to \+15005553005 undelivered at Twilio \(30005: .*https:\/\/www\.twilio\.com\/docs\/errors\/30005\): the agent never got it/,
    );
    assert.match(r.stdout, /fix: the number is unknown to the carrier/);
  });
});
