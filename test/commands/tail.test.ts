import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli.js';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { addConfigArgs } from '../helpers/add-config.js';
import { childEnv, closedPort, tempHome } from '../helpers/cli.js';
import { emulatorClient } from '../helpers/emulator-client.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

// The keychain this file's in-process runs are handed (in memory: no child process reads it).
const testKeychain = memoryKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

const OWN = '+15005551471';
const PHONE = '+14155550147';

/** `fruxon-twilio ARGS` run in-process while the test acts; `stop()` aborts it as Ctrl-C would. */
function startCli(args: string[], env: NodeJS.ProcessEnv) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const controller = new AbortController();
  const done = main(
    ['node', 'fruxon-twilio', ...args],
    { stdout, stderr, stdin: Readable.from([]), env: childEnv(env) },
    { secrets: () => testKeychain, signal: controller.signal },
  );
  return {
    get stdout() {
      return out;
    },
    get stderr() {
      return err;
    },
    lines: () =>
      out
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    async until(what: string, check: (lines: Record<string, unknown>[]) => boolean, ms = 15_000) {
      const deadline = Date.now() + ms;
      while (!check(this.lines())) {
        if (Date.now() > deadline) assert.fail(`${what} never came; stdout:\n${out}\nstderr:\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(): Promise<number> {
      controller.abort('SIGINT');
      return done;
    },
    done,
  };
}

describe('messages tail, against the emulator, with the official twilio client as the agent', () => {
  let emu: Emulator;
  let hooks: WebhookReceiver;
  let h: ReturnType<typeof tempHome>;

  before(async () => {
    hooks = await WebhookReceiver.start();
    emu = await startEmulator({ numbers: [OWN], statusDelayMs: 300, deliveryTimeoutMs: 500, listLagMs: 200 });
    emu.setSmsUrl(OWN, `${hooks.url}/agent`);
    h = tempHome();
    const add = await runCliInProcess(addConfigArgs('tail', OWN, emu, 'stdin'), { input: emu.authToken, env: h.env });
    assert.equal(add.code, 0, add.stderr);
    const named = await runCliInProcess(['participants', 'add', 'Dana', '--phone', PHONE], { env: h.env });
    assert.equal(named.code, 0, named.stderr);
  });
  after(async () => {
    await emu.stop();
    await hooks.stop();
    h.cleanup();
  });

  it('shows the inbound message, the agent reply and each of its status changes once; the webhook is unchanged', async () => {
    const before = emu.getNumber(OWN)!;
    const tail = startCli(['messages', 'tail', '--json', '--channel', 'sms'], h.env);
    await new Promise((r) => setTimeout(r, 300));
    const inbound = await emu.deliverInbound({ from: PHONE, to: OWN, body: 'is my order shipped?' });
    // The agent answers through the Messages API, as Fruxon's dispatcher does.
    const agent = emulatorClient(emu);
    const reply = await agent.messages.create({ from: OWN, to: PHONE, body: 'yes, today' });
    await tail.until('the reply delivered', (lines) =>
      lines.some((l) => l.sid === reply.sid && l.status === 'delivered'),
    );
    assert.equal(await tail.stop(), 0, tail.stderr);

    const lines = tail.lines();
    const messages = lines.filter((l) => l.kind === 'message');
    // Each message once (the two lists are polled in turn, so the order of two messages in one second may vary).
    assert.deepEqual(messages.map((l) => l.sid).sort(), [inbound.messageSid, reply.sid].sort());
    const inLine = messages.find((l) => l.sid === inbound.messageSid);
    const outLine = messages.find((l) => l.sid === reply.sid);
    assert.equal(inLine!.direction, 'inbound');
    assert.equal(inLine!.body, 'is my order shipped?');
    assert.equal(inLine!.participant, 'Dana');
    assert.equal(inLine!.sent_by, 'customer');
    assert.equal(outLine!.direction, 'outbound-api');
    assert.equal(outLine!.sent_by, 'API');
    assert.equal(outLine!.channel, 'sms');
    const statuses = lines.filter((l) => l.kind === 'status' && l.sid === reply.sid).map((l) => l.status);
    assert.equal(new Set(statuses).size, statuses.length, `each status once: ${statuses}`);
    const order = ['queued', 'sent', 'delivered'];
    const seen = [outLine!.status, ...statuses] as string[];
    assert.deepEqual(
      seen,
      order.slice(order.indexOf(seen[0]!)).filter((s) => seen.includes(s)),
      'forward only',
    );
    assert.equal(seen.at(-1), 'delivered');
    for (const l of lines) assert.ok(['message', 'status', 'alert'].includes(l.kind as string));

    const afterwards = emu.getNumber(OWN)!;
    assert.equal(afterwards.smsUrl, before.smsUrl);
    assert.equal(afterwards.smsFallbackUrl, before.smsFallbackUrl);
    assert.equal(afterwards.dateUpdated.getTime(), before.dateUpdated.getTime(), 'the number was never updated');
  });

  it('a webhook on a closed port: the alert line names the message, the URL and the code, with the fix', async () => {
    const port = await closedPort();
    emu.setSmsUrl(OWN, `http://127.0.0.1:${port}/webhooks/twilio`);
    const tail = startCli(['messages', 'tail', '--json'], h.env);
    await new Promise((r) => setTimeout(r, 300));
    const inbound = await emu.deliverInbound({ from: PHONE, to: OWN, body: 'anyone there?' });
    await tail.until('the alert', (lines) => lines.some((l) => l.kind === 'alert'));
    assert.equal(await tail.stop(), 0);
    const alerts = tail.lines().filter((l) => l.kind === 'alert');
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.message_sid, inbound.messageSid);
    assert.equal(alerts[0]!.error_code, 11205);
    assert.equal(alerts[0]!.url, `http://127.0.0.1:${port}/webhooks/twilio`);
    assert.match(alerts[0]!.text as string, new RegExp(`^Twilio could not deliver ${inbound.messageSid} to http`));
    assert.match(alerts[0]!.fix as string, /redeliver/);
    emu.setSmsUrl(OWN, `${hooks.url}/agent`);
  });

  it('human lines, --since shows the window before the start; a 429 is waited out; --timeout ends with 0', async () => {
    const agent = emulatorClient(emu);
    const earlier = await agent.messages.create({ from: OWN, to: PHONE, body: 'sent before the tail' });
    const hostile = await emu.deliverInbound({ from: PHONE, to: OWN, body: 'red \u001b[31m alert \u202e' });
    await emu.idle();
    await new Promise((r) => setTimeout(r, 250)); // past the list lag
    emu.rateLimit(2, 1);
    const r = await runCliInProcess(['messages', 'tail', '--since', '1h', '--timeout', '3s', '--channel', 'sms'], {
      env: h.env,
      timeoutMs: 15_000,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /429/);
    assert.match(
      r.stdout,
      new RegExp(`→ Dana \\(\\+14155550147\\) sms \\[API\\] "sent before the tail"  delivered  ${earlier.sid}`),
    );
    assert.equal(r.stdout.split('\n').filter((l) => l.includes(earlier.sid)).length, 1);
    // Outside text is shown, never obeyed.
    assert.ok(r.stdout.includes(`"red \\x1b[31m alert \\u202e"`), r.stdout);
    assert.ok(r.stdout.includes(hostile.messageSid));
    assert.doesNotMatch(r.stdout, /[\u001b\u202e]/);
    assert.match(r.stderr, /Stopped \(--timeout\)/);
  });

  it('refuses a --channel it does not know (exit 2)', async () => {
    const r = await runCliInProcess(['messages', 'tail', '--channel', 'fax'], { env: h.env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--channel must be sms or whatsapp/);
  });
});
