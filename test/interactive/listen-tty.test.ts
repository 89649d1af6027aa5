import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { MAGIC_NUMBERS } from '../../src/emulator/magic.js';
import { runCliChildProcess } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER, PHONE } from '../helpers/fixtures.js';
import { TmuxPane } from '../helpers/tmux.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const PREVIOUS = 'https://previous.example.com/sms';

describe('interactive listen on a pseudo-terminal (tmux)', () => {
  let f: EmulatorFixture;
  let agent: WebhookReceiver;
  const panes: TmuxPane[] = [];
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os' });
    agent = await WebhookReceiver.start();
  });
  // A pane a failed test left running is ended (and its webhook restored) before the next test starts.
  beforeEach(async () => {
    for (const p of panes.splice(0)) await p.kill();
  });
  after(async () => {
    for (const p of panes) await p.kill();
    await agent.stop();
    await f.cleanup();
  });

  test('on a terminal with stdout redirected, listen prints exactly the lines it always did', async () => {
    const out = join(f.home, '..', 'listen.out');
    const err = join(f.home, '..', 'listen.err');
    f.emulator.setSmsUrl(OUR_NUMBER, PREVIOUS, 'POST');
    const pane = TmuxPane.start(['listen', '--port', '0', '--take-over'], {
      env: f.env,
      shellTail: `> '${out}' 2> '${err}'`,
    });
    panes.push(pane);
    const deadline = Date.now() + 30_000;
    while (!/Ready!/.test(readIf(err)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'plain line' });
    while (!/plain line/.test(readIf(out)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    pane.keys('C-c'); // not raw: the terminal sends SIGINT
    assert.equal(await pane.exitStatus(), 0);
    assert.match(readIf(out), /^\d\d:\d\d:\d\d {2}sms {7}\+14155550123 {2}plain line {2}#\d+\n$/);
    const lines = readIf(err).trimEnd().split('\n');
    assert.match(
      lines[0]!,
      /^Ready! Listening for messages to \+15005550006 at http:\/\/127\.0\.0\.1:\d+\/webhooks\/twilio\/\S+ \(config "emu", webhook registered, tunnel none\); status callbacks: send --status-callback http:\/\/127\.0\.0\.1:\d+\/webhooks\/twilio\/\S+$/,
    );
    assert.match(lines[1]!, /^Inspector: http:\/\/127\.0\.0\.1:\d+\/\?token=\S+$/); // the web inspector's one line
    assert.equal(lines[2], 'Press Ctrl-C to stop.');
    assert.match(lines[3]!, /^SIGINT: stopping, restoring the webhook of \+15005550006…$/);
    assert.match(lines[4]!, /^✔ Restored the webhook of \+15005550006 to /);
    assert.equal(lines.length, 5);
  });

  test('a message appears; d shows it; r replies on its channel with live statuses; failing replies show error and fix in place; p and n replay; q restores the webhook', async () => {
    f.emulator.setSmsUrl(OUR_NUMBER, PREVIOUS, 'POST');
    const pane = TmuxPane.start(['listen', '--port', '0', '--take-over', '--forward-to', `${agent.url}/trigger`], {
      env: f.env,
      cols: 150,
      rows: 30,
    });
    panes.push(pane);
    await pane.waitFor(/fruxon-twilio listen · config "emu" · \+15005550006 · 0 messages/);
    await pane.waitFor(/waiting for messages/);

    // A WhatsApp message with emoji and RTL text: one line, selected (the newest).
    await f.emulator.deliverInbound({
      from: PHONE,
      to: OUR_NUMBER,
      whatsapp: true,
      profileName: 'Dana',
      body: 'Hi agent 👋 שלום\u001b[31m',
    });
    let screen = await pane.waitFor(
      /› \d\d:\d\d:\d\d {2}whatsapp {2}\+14155550123 \(|› \d\d:\d\d:\d\d {2}whatsapp {2}\+14155550123 {2}Hi agent/,
    );
    const id = Number(/Hi agent 👋 שלום\\u\{1b\}\[31m {2}#(\d+)/.exec(screen)?.[1]);
    assert.ok(id > 0, 'the ESC from outside is shown escaped, not obeyed');
    assert.match(screen, /1 message · 0 refused/);
    assert.doesNotMatch(
      pane.screen({ attributes: true }),
      /\x1b\[(?!0?m)[0-9;]+m/,
      'NO_COLOR: no colour, bold or inverse',
    );
    await agent.waitForRequests(1); // --forward-to got the trigger

    // d: the details, then esc back to the list.
    pane.keys('d');
    screen = await pane.waitFor(new RegExp(`Event #${id} · `));
    assert.match(screen, /Trigger payload/);
    assert.match(screen, /"channel": "whatsapp"/);
    assert.match(screen, /Signature\s+valid/);
    pane.keys('Escape');
    await pane.waitFor(/fruxon-twilio listen · config/);

    // r: a reply from our number to the sender, on WhatsApp, its statuses coming back to this listener.
    pane.keys('r');
    await pane.waitFor(/reply to \+14155550123 \(whatsapp\) from \+15005550006: /);
    pane.type('Thanks, Dana!');
    pane.keys('Enter');
    screen = await pane.waitFor(
      /↳ reply to \+14155550123 \(whatsapp\): "Thanks, Dana!" {2}queued → sent → delivered → read {2}SM[0-9a-f]{32}/,
    );
    const sent = f.emulator.messages().filter((m) => m.direction === 'outbound-api');
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.from, `whatsapp:${OUR_NUMBER}`);
    assert.equal(sent[0]!.to, `whatsapp:${PHONE}`);
    assert.equal(sent[0]!.body, 'Thanks, Dana!');
    assert.match(sent[0]!.statusCallback ?? '', /^http:\/\/127\.0\.0\.1:\d+\/webhooks\/twilio\//);
    assert.match(
      screen,
      /1 message · 0 refused · 1 reply · [34] statuses/,
      'status callbacks are statuses, not messages',
    );

    // Narrower: every line is cut to the width, none wraps; the reply keeps its text whole and its last status
    // (the chain and the SID give way first: issue 30, item 4).
    pane.resize(80, 30);
    screen = await pane.waitFor(/↳ reply to \+14155550123 \(whatsapp\): "Thanks, Dana!" {2}read\s*\n/);
    assert.match(screen, / fruxon-twilio listen · config "emu" · \+15005550006 · 1 message .*…\s*\n/);
    for (const line of screen.split('\n')) assert.ok([...line.trimEnd()].length < 80, `wider than the pane: ${line}`);
    pane.resize(150, 30);
    await pane.waitFor(/· 1 message · 0 refused · 1 reply · \d statuses\s*\n/);

    // A reply Twilio refuses (21610) shows its error and fix in place; the listener goes on.
    await f.emulator.deliverInbound({ from: MAGIC_NUMBERS.unsubscribed, to: OUR_NUMBER, body: 'STOP' });
    // Twilio acted on the keyword: the screen marks it.
    await pane.waitFor(
      new RegExp(`› .*\\+15005550004 {2}STOP \\[STOP: opted out, replies refused \\(21610\\)\\] {2}#${id + 1}`),
    );
    pane.keys('r');
    pane.type('still there?');
    pane.keys('Enter');
    screen = await pane.waitFor(/fix: the recipient replied STOP: \+15005550004 texted "STOP"/);
    assert.match(screen, /✖ Twilio refused to send an SMS to \+15005550004: .*21610/);

    // One that fails later (63016, outside WhatsApp's 24-hour window): its status callback brings code and fix.
    await f.emulator.deliverInbound({
      from: MAGIC_NUMBERS.whatsappOutsideWindow,
      to: OUR_NUMBER,
      whatsapp: true,
      body: 'hello?',
    });
    await pane.waitFor(new RegExp(`› .*\\+15005556316 \\(.*hello\\? {2}#${id + 2}`));
    pane.keys('r');
    pane.type('we are here');
    pane.keys('Enter');
    screen = await pane.waitFor(/↳ reply to \+15005556316 \(whatsapp\): "we are here" {2}queued → failed \(63016\)/);
    assert.match(screen, /fix: outside the 24-hour WhatsApp session window/);

    // Back to the first message (the selection leaves the newest), then p and n.
    pane.keys('Up', 'Up');
    await pane.waitFor(/› .*Hi agent/);
    const before = agent.requests.length;
    pane.keys('p');
    await pane.waitFor(new RegExp(`replayed #${id} to http://127\\.0\\.0\\.1:\\d+/trigger: 200`));
    assert.equal(agent.requests.length, before + 1);
    assert.equal(agent.requests[before]!.headers['x-fruxon-trigger'], 'twilio.message.received');
    pane.keys('n');
    screen = await pane.waitFor(new RegExp(`replayed #${id} to the listener as SM[0-9a-f]{32}: 200 OK`));
    await pane.waitFor(new RegExp(`Hi agent .* #${id + 3}`));
    assert.match(screen, new RegExp(`› .*Hi agent .* #${id} `), 'the selection stays where the user put it');

    // The store has the four messages and no status callback among them.
    const events = JSON.parse((await runCliChildProcess(['events', 'list', '--json'], { env: f.env })).stdout) as {
      id: number;
    }[];
    assert.deepEqual(
      events
        .map((e) => e.id)
        .filter((n) => n >= id)
        .sort(),
      [id, id + 1, id + 2, id + 3],
    );

    // q: the screen goes, the lines of today's listen follow, the webhook is back.
    pane.keys('q');
    assert.equal(await pane.exitStatus(), 0);
    screen = pane.screen({ history: true });
    assert.match(screen, /Ready! Listening for messages to \+15005550006/);
    assert.match(screen, /Restored the webhook of \+15005550006 to https:\/\/previous\.example\.com\/sms\./);
    assert.doesNotMatch(screen, /fruxon-twilio listen · config/, 'the alternate screen was left');
    assert.deepEqual(pane.modes(), { alternateScreen: false, cursorVisible: true });
    assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, PREVIOUS);
  });

  test('Ctrl-C and SIGTERM put the terminal and the webhook back, with the lines of today', async () => {
    for (const stop of ['C-c', 'SIGTERM'] as const) {
      f.emulator.setSmsUrl(OUR_NUMBER, PREVIOUS, 'POST');
      // Without NO_COLOR this time: the status bar is drawn inverse.
      const pane = TmuxPane.start(['listen', '--port', '0', '--take-over'], {
        env: { ...f.env, NO_COLOR: '' },
        cols: 120,
        rows: 20,
      });
      panes.push(pane);
      await pane.waitFor(/waiting for messages/);
      assert.match(pane.screen({ attributes: true }), /\x1b\[7m fruxon-twilio listen · config/);
      assert.deepEqual(pane.modes(), { alternateScreen: true, cursorVisible: false });
      if (stop === 'C-c') pane.keys('C-c');
      else process.kill(pane.pid(), 'SIGTERM');
      assert.equal(await pane.exitStatus(), 0, stop);
      const screen = pane.screen({ history: true });
      assert.match(
        screen,
        new RegExp(
          `${stop === 'C-c' ? 'SIGINT' : 'SIGTERM'}: stopping, restoring the webhook of \\+15005550006…\\n✔ Restored the webhook of \\+15005550006 to https://previous\\.example\\.com/sms\\.`,
        ),
        stop,
      );
      assert.deepEqual(pane.modes(), { alternateScreen: false, cursorVisible: true }, stop);
      assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, PREVIOUS, stop);
    }
  });

  test('a number that points at a production URL is taken only after consent: the question names the URL; no keeps it', async () => {
    for (const answer of ['n', 'y'] as const) {
      f.emulator.setSmsUrl(OUR_NUMBER, PREVIOUS, 'POST');
      const pane = TmuxPane.start(['listen', '--port', '0', '--no-interactive'], { env: f.env, cols: 200, rows: 20 });
      panes.push(pane);
      const question = await pane.waitFor(/Take it\?/);
      assert.match(
        question,
        /\+15005550006: its SmsUrl points at https:\/\/previous\.example\.com\/sms: while listen runs, the live agent gets no messages\. Take it\?/,
      );
      assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, PREVIOUS, 'nothing taken while it asks');
      pane.type(answer);
      pane.keys('Enter');
      if (answer === 'n') {
        assert.equal(await pane.exitStatus(), 4);
        assert.match(pane.screen({ history: true }), /was not taken/);
        assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, PREVIOUS);
      } else {
        await pane.waitFor(/Ready! Listening/);
        assert.notEqual(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, PREVIOUS);
        pane.keys('C-c');
        assert.equal(await pane.exitStatus(), 0);
        assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, PREVIOUS);
      }
    }
  });

  test('an uncaught error puts the terminal back: the alternate screen left, the cursor shown, the keys echoed again', async () => {
    f.emulator.setSmsUrl(OUR_NUMBER, PREVIOUS, 'POST');
    // Nothing in the tool throws on purpose, so a preloaded module does, on a signal the tool does not use.
    const inject = join(f.home, '..', 'throw-on-usr2.mjs');
    writeFileSync(
      inject,
      "process.on('SIGUSR2', () => setImmediate(() => { throw new Error('injected failure'); }));\n",
    );
    const pane = TmuxPane.start(['listen', '--port', '0', '--take-over'], {
      env: { ...f.env, NODE_OPTIONS: `--import ${inject}` },
      cols: 120,
      rows: 20,
    });
    panes.push(pane);
    await pane.waitFor(/waiting for messages/);
    assert.deepEqual(pane.modes(), { alternateScreen: true, cursorVisible: false });
    process.kill(pane.pid(), 'SIGUSR2');
    assert.notEqual(await pane.exitStatus(), 0);
    assert.deepEqual(pane.modes(), { alternateScreen: false, cursorVisible: true });
    assert.match(pane.screen({ history: true }), /injected failure/);
    pane.type('typed-after-the-crash'); // raw mode off again: the terminal echoes what is typed
    await pane.waitFor(/typed-after-the-crash/);
    // The lease outlives the crash, as after kill -9: restore puts the previous webhook back.
    const r = await runCliChildProcess(['restore'], { env: f.env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, PREVIOUS);
  });
});

function readIf(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
