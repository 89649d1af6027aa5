import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ExpectStep, parseScenarioFile, type SendStep } from '../../src/convtest/scenario.js';
import { type AgentBrain, LocalAgent } from '../helpers/agent.js';
import { type CliChildProcess, stopAllCliRuns } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER } from '../helpers/fixtures.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { osKeychain } from '../helpers/keychains.js';
import { jsonLines, startListen } from '../helpers/listen.js';

// In-process runs share the (test) keychain with the `listen` child this file starts.
const testKeychain = osKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

/** The customer whose conversation is recorded (a phone outside the account), and the tester that plays it back. */
const CUSTOMER = '+14155550188';
const TESTER = '+15005550007';
const NOBODY = '+14155550199';

/** Answers with the order number, never twice in the same words. */
function wordyOrderDesk(): AgentBrain {
  const forms = [
    (n: string) => `Your order #${n} shipped yesterday.`,
    (n: string) => `Good news: order ${n} is on its way to you!`,
    (n: string) => `Order number ${n} left our warehouse, it should arrive on Dec 9.`,
    (n: string) => `I checked: ${n} was shipped. Anything else?`,
  ];
  let turn = 0;
  return (p) => {
    if (/photo/i.test(p.text ?? '')) return { body: 'Here it is', mediaUrls: ['https://example.com/parcel.jpg'] };
    const order = /#(\d+)/.exec(p.text ?? '');
    return { body: order ? forms[turn++ % forms.length]!(order[1]!) : 'How can I help?' };
  };
}

/** The same desk, minus the fact: it no longer says which order. */
const forgetfulDesk: AgentBrain = () => ({ body: 'Your order shipped yesterday.' });

describe('fruxon-twilio test record, on the emulator with a local agent behind listen --forward-to', () => {
  let f: EmulatorFixture;
  let agent: LocalAgent;
  let listener: CliChildProcess;
  let dir: string;
  const cli = (args: string[]) => runCliInProcess(args, { env: f.env, timeoutMs: 60_000 });

  /** The customer texts the config's number and waits for the agent's answer (then a second more: Twilio's times have whole seconds). */
  /**
   * The customer (a phone outside the account) texts the config's number; waits for the agent's answer, then a
   * second more (Twilio's times have whole seconds).
   */
  async function customerSays(text: string, opts: { whatsapp?: boolean; media?: boolean } = {}): Promise<void> {
    const replies = agent.replies.length;
    const delivered = await f.emulator.deliverInbound({
      from: CUSTOMER,
      to: OUR_NUMBER,
      body: text,
      whatsapp: opts.whatsapp,
      ...(opts.media ? { mediaUrls: [{ url: 'data:image/jpeg;base64,/9j/4AAQ', contentType: 'image/jpeg' }] } : {}),
    });
    assert.equal(delivered.outcome, 'delivered', JSON.stringify(delivered));
    for (let i = 0; agent.replies.length === replies; i++) {
      if (i > 200) throw new Error(`the agent did not answer ${JSON.stringify(text)}: ${agent.errors.join('; ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 1100));
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fruxon-twilio-record-'));
    f = await emulatorWithConfig({ keychain: 'os', numbers: [OUR_NUMBER, TESTER] });
    // WhatsApp's 24-hour window: the agent's number wrote to the tester's, so the tester may write free-form.
    await f.emulator.deliverInbound({ from: OUR_NUMBER, to: TESTER, whatsapp: true, body: 'opens the window' });
    agent = await LocalAgent.start(f.emulator, wordyOrderDesk());
    ({ p: listener } = await startListen(f, ['--forward-to', agent.url]));
    await customerSays('Hi, where is my order #1042?');
    await customerSays('And my other one, #2077?');
  });
  after(async () => {
    await stopAllCliRuns();
    await agent?.stop();
    await f?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test("two exchanges recorded from Twilio's log: the file parses, two send and two expect with the order numbers in contains; test passes against the same agent and fails naming the step against one that drops the fact", async () => {
    assert.ok(listener);
    const out = join(dir, 'orders.yaml');
    const r = await cli(['test', 'record', '--with', CUSTOMER, '--out', out]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /Recorded 2 send and 2 expect steps from 4 messages on sms to .*orders\.yaml/);
    const text = readFileSync(out, 'utf8');
    assert.match(text, /^# Recorded by fruxon-twilio test record at .* from Twilio's Messages log:$/m);
    assert.match(text, /^# This file contains recorded customer messages/m);
    assert.ok(!text.includes(CUSTOMER), "the customer's number is not in the file");
    const parsed = await parseScenarioFile(out, text);
    assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.problem));
    const [scenario] = parsed.scenarios;
    assert.equal(scenario!.from, null);
    const steps = scenario!.steps;
    assert.deepEqual(
      steps.map((s) => s.kind),
      ['send', 'expect', 'send', 'expect'],
    );
    assert.deepEqual(
      steps.filter((s): s is SendStep => s.kind === 'send').map((s) => s.body),
      ['Hi, where is my order #1042?', 'And my other one, #2077?'],
    );
    const expects = steps.filter((s): s is ExpectStep => s.kind === 'expect');
    assert.deepEqual(
      expects.map((s) => [s.contains, s.channel, s.withinMs]),
      [
        ['1042', 'sms', 10_000],
        ['2077', 'sms', 10_000],
      ],
    );
    assert.match(text, /# reply: "Good news: order 2077 is on its way to you!"/);

    // Played back by a tester: the agent words it differently now, the facts hold.
    const pass = await cli(['test', out, '--from', TESTER, '--json']);
    assert.equal(pass.code, 0, pass.stdout + pass.stderr);
    const [passed] = jsonLines(pass.stdout);
    assert.equal(passed.status, 'passed');
    assert.notEqual(passed.steps[1].message.body, 'Your order #1042 shipped yesterday.', 'other words this time');
    assert.match(passed.steps[1].message.body, /1042/);

    agent.brain = forgetfulDesk;
    try {
      const fail = await cli(['test', out, '--from', TESTER]);
      assert.equal(fail.code, 1, fail.stdout + fail.stderr);
      assert.match(
        fail.stdout,
        /✖ 2\. expect contains "1042", on sms within 10s: expected a reply containing "1042"; got "Your order shipped yesterday\."/,
      );
      assert.match(fail.stdout, /✖ .*orders\.yaml\): step 2 \(line \d+\)/);
    } finally {
      agent.brain = wordyOrderDesk();
    }
  });

  test("--from-events builds the same steps from what listen recorded (the answers from Twilio's log); --json without --out holds the scenario", async () => {
    const fromLog = await cli(['test', 'record', '--with', CUSTOMER, '--json']);
    const fromEvents = await cli(['test', 'record', '--with', CUSTOMER, '--from-events', '--json']);
    assert.equal(fromLog.code, 0, fromLog.stderr);
    assert.equal(fromEvents.code, 0, fromEvents.stderr);
    const [a] = jsonLines(fromLog.stdout);
    const [b] = jsonLines(fromEvents.stdout);
    assert.equal(b.source, 'events');
    assert.equal(b.file, null);
    assert.equal(b.sends, a.sends);
    assert.ok(a.sends >= 2 && a.expects >= 2, JSON.stringify(a));
    const steps = async (yaml: string) => {
      const p = await parseScenarioFile('x.yaml', yaml);
      assert.ok(p.ok);
      return p.scenarios[0]!.steps.map((s) =>
        s.kind === 'send' ? ['send', s.body] : ['expect', s.contains, s.any, s.channel],
      );
    };
    assert.deepEqual(await steps(b.scenario), await steps(a.scenario));
    assert.match(b.scenario, /from this tool's event log/);
  });

  test("on WhatsApp, with media both ways: the customer's media sent again, the answer any: true with its media; it plays back", async () => {
    await customerSays('a photo please', { whatsapp: true, media: true });
    const out = join(dir, 'photo.yaml');
    const r = await cli(['test', 'record', '--with', `whatsapp:${CUSTOMER}`, '--out', out, '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const [summary] = jsonLines(r.stdout);
    assert.equal(summary.channel, 'whatsapp');
    assert.equal(summary.file, out);
    assert.equal(summary.scenario, undefined, 'the text went to the file');
    assert.deepEqual(summary.expectations, [
      { contains: null, matches: null, any: true, channel: 'whatsapp', media: 1, not_checked: [] },
    ]);
    const text = readFileSync(out, 'utf8');
    assert.match(text, /fruxon-twilio test FILE --config \S+ --from whatsapp:\+1…/);
    const parsed = await parseScenarioFile(out, text);
    assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.problem));
    const [send, expect] = parsed.scenarios[0]!.steps as [SendStep, ExpectStep];
    assert.equal(send.body, 'a photo please');
    assert.equal(send.mediaUrls.length, 1);
    assert.match(send.mediaUrls[0]!, /^http:\/\/127\.0\.0\.1:\d+\/.*\/Media\/ME[0-9a-f]{32}$/);
    assert.deepEqual([expect.any, expect.channel, expect.media], [true, 'whatsapp', 1]);
    const play = await cli(['test', out, '--from', `whatsapp:${TESTER}`]);
    assert.equal(play.code, 0, play.stdout + play.stderr);
    assert.match(play.stdout, /✔ 2\. expect any reply on whatsapp, media >= 1 within 10s: "Here it is"/);
    assert.equal(agent.received.at(-1)?.media.length, 1, 'the tester sent the media again');
  });

  test('--last N keeps the newest N messages, --since the recent ones; options before record count for it', async () => {
    const last = await cli(['test', 'record', '--with', CUSTOMER, '--last', '2', '--json']);
    assert.equal(last.code, 0, last.stderr);
    const [l] = jsonLines(last.stdout);
    assert.deepEqual([l.messages, l.sends, l.expects], [2, 1, 1]);
    assert.match(l.scenario, /- send: "And my other one, #2077\?"/);
    const since = await cli(['test', 'record', '--with', CUSTOMER, '--since', '1h', '--json']);
    assert.equal(since.code, 0, since.stderr);
    assert.deepEqual(
      (({ messages, sends, expects }) => [messages, sends, expects])(jsonLines(since.stdout)[0]),
      [4, 2, 2],
    );
    const before = await cli(['test', '--config', 'emu', '--json', 'record', '--with', CUSTOMER]);
    assert.equal(before.code, 0, before.stderr);
    assert.equal(jsonLines(before.stdout)[0].config, 'emu');
    const unknown = await cli(['test', 'record', '--config', 'nope', '--with', CUSTOMER]);
    assert.equal(unknown.code, 1, unknown.stderr);
    assert.match(unknown.stderr, /^error: no config named "nope"$/m);
  });

  test('a number with no conversation: one line, exit 1, nothing written', async () => {
    const out = join(dir, 'nobody.yaml');
    for (const extra of [[], ['--from-events']]) {
      const r = await cli(['test', 'record', '--with', NOBODY, '--out', out, ...extra]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(
        r.stderr.trim(),
        /^error: no message from \+14155550199 to \+15005550006 \(config "emu"\) in the newest 20 messages of .*: nothing written$/,
      );
      assert.ok(!existsSync(out));
    }
  });

  test('an --out that exists is refused without --force (the file untouched), replaced with it', async () => {
    const out = join(dir, 'existing.yaml');
    writeFileSync(out, 'mine\n');
    const r = await cli(['test', 'record', '--with', CUSTOMER, '--out', out]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /^error: --out .*existing\.yaml exists: nothing written \(pass --force to overwrite it\)$/m);
    assert.equal(readFileSync(out, 'utf8'), 'mine\n');
    const forced = await cli(['test', 'record', '--with', CUSTOMER, '--out', out, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(readFileSync(out, 'utf8'), /^# Recorded by fruxon-twilio test record/);
  });

  test('malformed flags: one line naming the flag, exit 2', async () => {
    for (const [args, flag] of [
      [['--with', '5551234'], /--with must be an E\.164 number/],
      [['--with', 'whatsapp:'], /--with must be an E\.164 number/],
      [[], /required option '--with <number>' not specified/],
      [['--with', CUSTOMER, '--since', 'soon'], /--since must be a duration/],
      [['--with', CUSTOMER, '--since', '0s'], /--since must be more than 0/],
      [['--with', CUSTOMER, '--last', '0'], /--last must be a whole number from 1 to 1000/],
      [['--with', CUSTOMER, '--last', '5', '--since', '1h'], /--since and --last go one at a time/],
      [['--with', CUSTOMER, '--force'], /--force goes with --out/],
      [['--with', CUSTOMER, '--out', ''], /--out must be a file path/],
      [['--with', OUR_NUMBER], /--with is the config's own number/],
    ] as const) {
      const r = await cli(['test', 'record', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, flag);
    }
  });

  test('test FILE... still runs files beside the record subcommand', async () => {
    const r = await cli(['test', join(dir, 'missing.yaml')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /missing\.yaml: cannot be read \(ENOENT\)/);
  });
});
