import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { type Emulator, MAGIC_NUMBERS, startEmulator } from '../../src/emulator/index.js';
import { Output } from '../../src/output/index.js';
import { Progress } from '../../src/output/messages.js';
import { openStore } from '../../src/store/index.js';
import { errorLine } from '../helpers/checks.js';
import { tempHome } from '../helpers/cli.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';

// The keychain this file's in-process runs are handed (in memory: no child process reads it).
const testKeychain = memoryKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

const FROM = '+14155238886';
const TO = '+14155550100';

describe('send and participants, against the emulator', () => {
  let emu: Emulator;
  let h: ReturnType<typeof tempHome>;
  let callbacks: Server;
  let callbackUrl: string;
  const statuses: Record<string, string>[] = [];
  const cli = (args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) =>
    runCliInProcess(args, { input: opts.input, env: { ...h.env, ...opts.env }, timeoutMs: 30_000 });

  before(async () => {
    emu = await startEmulator({ port: 0, numbers: [FROM], statusDelayMs: 40 });
    h = tempHome();
    callbacks = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => (body += d));
      req.on('end', () => {
        statuses.push(Object.fromEntries(new URLSearchParams(body)));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => callbacks.listen(0, '127.0.0.1', r));
    callbackUrl = `http://127.0.0.1:${(callbacks.address() as AddressInfo).port}/status`;
    const add = await cli(
      [
        'add-config',
        '--name',
        'emu',
        '--from',
        FROM,
        '--account-sid',
        emu.accountSid,
        '--auth-token-stdin',
        '--api-url',
        emu.url,
        '--json',
      ],
      { input: emu.authToken },
    );
    assert.equal(add.code, 0, add.stderr);
  });
  after(async () => {
    await emu.stop();
    await new Promise<void>((r) => callbacks.close(() => r()));
    h.cleanup();
  });

  test("SMS: queued without --wait; the emulator has it from the config's From number", async () => {
    const r = await cli(['send', '--to', TO, '--body', 'hello there', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const m = JSON.parse(r.stdout);
    assert.match(m.sid, /^SM[0-9a-f]{32}$/);
    assert.equal(m.status, 'queued');
    assert.equal(m.from, FROM);
    assert.equal(m.to, TO);
    assert.equal(m.channel, 'sms');
    assert.equal(m.error_code, null);
    assert.equal(emu.getMessage(m.sid)?.body, 'hello there');

    const human = await cli(['send', '--to', TO, '--body', 'hi']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /SMS SM[0-9a-f]{32} to \+14155550100 from \+14155238886: queued/);
  });

  test('--wait: delivered exits 0 with plain status lines on a non-TTY; the status callback is passed through', async () => {
    const r = await cli([
      'send',
      '--to',
      TO,
      '--body',
      'wait for me',
      '--wait',
      '--status-callback',
      callbackUrl,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const m = JSON.parse(r.stdout);
    assert.equal(m.status, 'delivered');
    assert.match(r.stderr, /: queued \(/);
    assert.match(r.stderr, /: delivered \(/);
    assert.doesNotMatch(r.stderr, /\u001b\[/, 'no spinner escapes without a terminal');
    await emu.idle();
    assert.ok(
      statuses.some((s) => s.MessageSid === m.sid && s.MessageStatus === 'delivered'),
      'Twilio posted to --status-callback',
    );
  });

  test('WhatsApp with media: whatsapp: on both sides, MM sid, --wait succeeds', async () => {
    // The contact wrote first: the reply is inside WhatsApp's 24-hour window.
    await emu.deliverInbound({ from: TO, to: FROM, whatsapp: true, body: 'send me the pictures' });
    const r = await cli([
      'send',
      '--to',
      TO,
      '--whatsapp',
      '--body',
      'pic',
      '--media-url',
      'https://example.com/a.jpg',
      '--media-url',
      'https://example.com/b.png',
      '--wait',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const m = JSON.parse(r.stdout);
    assert.match(m.sid, /^MM/);
    assert.equal(m.to, `whatsapp:${TO}`);
    assert.equal(m.from, `whatsapp:${FROM}`);
    assert.equal(m.channel, 'whatsapp');
    assert.equal(m.num_media, 2);
    assert.ok(['delivered', 'read'].includes(m.status));
    assert.deepEqual(
      emu.getMessage(m.sid)!.media.map((x) => x.url),
      ['https://example.com/a.jpg', 'https://example.com/b.png'],
    );
  });

  test('--body - reads the body from standard input', async () => {
    const r = await cli(['send', '--to', TO, '--body', '-', '--json'], { input: 'line one\nline two\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(emu.getMessage(JSON.parse(r.stdout).sid)?.body, 'line one\nline two');
    const empty = await cli(['send', '--to', TO, '--body', '-']);
    assert.equal(empty.code, 2);
    assert.match(errorLine(empty), /--body -: standard input was empty/);
  });

  test('--wait outcomes: undelivered and failed exit 1 with the code and doc link on one line', async () => {
    const cases: [string, string[], RegExp][] = [
      [
        MAGIC_NUMBERS.undeliveredUnreachable,
        [],
        /undelivered: Unreachable destination handset \(30003, https:\/\/www\.twilio\.com\/docs\/errors\/30003\)/,
      ],
      [MAGIC_NUMBERS.failed, [], /failed: Unknown error \(30008, https:\/\/www\.twilio\.com\/docs\/errors\/30008\)/],
      [
        MAGIC_NUMBERS.whatsappOutsideWindow,
        ['--whatsapp'],
        /failed: .*outside the allowed window.* \(63016, https:\/\/www\.twilio\.com\/docs\/errors\/63016\)/,
      ],
    ];
    for (const [to, extra, pattern] of cases) {
      const r = await cli(['send', '--to', to, '--body', 'x', '--wait', '--json', ...extra]);
      assert.equal(r.code, 1, `${to}: ${r.stderr}`);
      assert.match(errorLine(r), pattern);
      const m = JSON.parse(r.stdout);
      assert.ok(['undelivered', 'failed'].includes(m.status));
      assert.equal(typeof m.error_code, 'number', '--json still prints the final message resource');
    }
  });

  test('--wait-timeout: no final status in time exits 3', async () => {
    const slow = await startEmulator({
      port: 0,
      numbers: [FROM],
      statusDelayMs: 60_000,
      accountSid: emu.accountSid,
      authToken: emu.authToken,
    });
    try {
      const r = await cli(['send', '--to', TO, '--body', 'slow', '--wait', '--wait-timeout', '1', '--json'], {
        env: { FRUXON_TWILIO_API_URL: slow.url },
      });
      assert.equal(r.code, 3, r.stderr);
      assert.match(errorLine(r), /is still queued after 1s: no final status yet/);
      assert.equal(JSON.parse(r.stdout).status, 'queued');
    } finally {
      await slow.stop();
    }
  });

  test("Twilio's refusals: one line with the code and the doc link, exit 1", async () => {
    const cases: [string[], RegExp][] = [
      [
        ['--to', MAGIC_NUMBERS.invalidTo],
        /Twilio refused to send an SMS to \+15005550001: Invalid 'To' Phone Number.* \(21211, https:\/\/www\.twilio\.com\/docs\/errors\/21211\)/,
      ],
      [
        ['--to', MAGIC_NUMBERS.unsubscribed],
        /unsubscribed recipient \(21610, https:\/\/www\.twilio\.com\/docs\/errors\/21610\)/,
      ],
      [
        ['--to', MAGIC_NUMBERS.regionNotEnabled],
        /Twilio refused to send an SMS to \+15005550003: Permission to send an SMS has not been enabled for the region .* \(21408, https:\/\/www\.twilio\.com\/docs\/errors\/21408\)/,
      ],
      [
        ['--to', MAGIC_NUMBERS.unroutable],
        /not currently reachable .* \(21612, https:\/\/www\.twilio\.com\/docs\/errors\/21612\)/,
      ],
      [
        ['--to', MAGIC_NUMBERS.notMobile],
        /not a valid mobile number \(21614, https:\/\/www\.twilio\.com\/docs\/errors\/21614\)/,
      ],
    ];
    for (const [args, pattern] of cases) {
      const r = await cli(['send', ...args, '--body', 'x']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(errorLine(r), pattern);
      assert.match(r.stderr, /hint: /);
      assert.equal(r.stdout, '');
      assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
    }
  });

  test('validation before any call: --to, URLs, body', async () => {
    const before = emu.messages().length;
    const cases: [string[], RegExp][] = [
      [['send', '--body', 'x'], /missing --to/],
      [
        ['send', '--to', '4155550100', '--body', 'x'],
        /--to must be an E\.164 number like \+14155238886 or the name of a participant \(got "4155550100"/,
      ],
      [['send', '--to', TO], /missing --body/],
      [['send', '--to', TO, '--body', 'x', '--media-url', 'ftp://x/y.jpg'], /--media-url must be an http\(s\) URL/],
      [
        ['send', '--to', TO, '--body', 'x', '--media-url', 'not a url'],
        /--media-url must be an absolute http\(s\) URL/,
      ],
      [
        ['send', '--to', TO, '--body', 'x', '--status-callback', 'nope'],
        /--status-callback must be an absolute http\(s\) URL/,
      ],
      [['send', '--to', TO, '--body', 'x'.repeat(1601)], /--body must be at most 1600 characters/],
      [['send', '--to', TO, '--body', 'x', '--wait-timeout', 'soon'], /--wait-timeout must be a duration/],
      [['send', '--to', TO, '--body', 'x', '--whatsapp', '--sms'], /--whatsapp and --sms contradict/],
    ];
    for (const [args, pattern] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(errorLine(r), pattern);
    }
    assert.equal(emu.messages().length, before, 'nothing reached the API');
  });

  test('participants: add, list, remove; send --to NAME uses its number, config and channel', async () => {
    const a = await cli(['participants', 'add', 'Alice', '--phone', '+14155550111', '--json']);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(JSON.parse(a.stdout).config, null);
    const w = await cli([
      'participants',
      'add',
      'wally',
      '--phone',
      '+14155550122',
      '--whatsapp',
      '--config',
      'emu',
      '--json',
    ]);
    assert.equal(w.code, 0, w.stderr);
    assert.equal(JSON.parse(w.stdout).channel, 'whatsapp');

    const dup = await cli(['participants', 'add', 'alice', '--phone', '+14155550133']);
    assert.equal(dup.code, 1);
    assert.match(errorLine(dup), /a participant named "alice" already exists/);
    const phoneName = await cli(['participants', 'add', '+14155550133', '--phone', '+14155550133']);
    assert.equal(phoneName.code, 2);
    const badPhone = await cli(['participants', 'add', 'carol', '--phone', '555-0133']);
    assert.equal(badPhone.code, 2);
    assert.match(errorLine(badPhone), /--phone must be an E\.164 phone number/);
    const badConfig = await cli(['participants', 'add', 'carol', '--phone', '+14155550133', '--config', 'nope']);
    assert.equal(badConfig.code, 1);
    assert.match(errorLine(badConfig), /no config named "nope"/);

    const list = JSON.parse((await cli(['participants', 'list', '--json'])).stdout) as {
      name: string;
      phone: string;
      config: string | null;
    }[];
    assert.deepEqual(
      list.map((p) => [p.name, p.phone, p.config]),
      [
        ['Alice', '+14155550111', null],
        ['wally', '+14155550122', 'emu'],
      ],
    );
    assert.match((await cli(['participants'])).stdout, /wally\s+\+14155550122\s+whatsapp\s+emu/);

    const toAlice = await cli(['send', '--to', 'alice', '--body', 'hi alice', '--wait', '--json']);
    assert.equal(toAlice.code, 0, toAlice.stderr);
    const ma = JSON.parse(toAlice.stdout);
    assert.equal(ma.to, '+14155550111');
    assert.equal(ma.participant, 'Alice');
    assert.match(toAlice.stderr, /Alice \(\+14155550111\): delivered/);

    const toWally = JSON.parse((await cli(['send', '--to', 'WALLY', '--body', 'hi', '--json'])).stdout);
    assert.equal(toWally.to, 'whatsapp:+14155550122', 'a WhatsApp participant implies the WhatsApp channel');
    assert.equal(toWally.from, `whatsapp:${FROM}`);
    const smsWally = JSON.parse((await cli(['send', '--to', 'wally', '--sms', '--body', 'hi', '--json'])).stdout);
    assert.equal(smsWally.to, '+14155550122', '--sms overrides it');

    const rm = await cli(['participants', 'remove', 'ALICE', '--json']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(JSON.parse(rm.stdout).removed, 'Alice');
    const gone = await cli(['send', '--to', 'alice', '--body', 'x']);
    assert.equal(gone.code, 2);
    assert.match(errorLine(gone), /--to must be an E\.164 number .* or the name of a participant \(got "alice"/);
    assert.equal((await cli(['participants', 'remove', 'alice'])).code, 1);
  });

  test('findByPhone and the contact book: a config-bound participant wins over a global one; other configs never match', () => {
    const store = openStore({ FRUXON_TWILIO_HOME: h.home });
    try {
      const base = {
        fromNumber: FROM,
        accountSid: emu.accountSid,
        authMethod: 'auth-token' as const,
        apiKeySid: null,
        secretSource: 'env' as const,
        apiUrl: emu.url,
      };
      const one = store.configs.insert({ ...base, name: 'one' });
      const two = store.configs.insert({ ...base, name: 'two' });
      const phone = '+14155550199';
      assert.ok(store.participants.add({ name: 'global-pat', phone }));
      assert.ok(store.participants.add({ name: 'pat-of-one', phone, whatsapp: true, configId: one.id }));
      assert.equal(
        store.participants.add({ name: 'GLOBAL-PAT', phone }),
        undefined,
        'names are unique, case-insensitive',
      );
      assert.equal(store.participants.findByPhone(phone, one.id)?.name, 'pat-of-one');
      assert.equal(
        store.participants.findByPhone(`whatsapp:${phone}`, one.id)?.name,
        'pat-of-one',
        'the whatsapp: prefix is ignored',
      );
      assert.equal(store.participants.findByPhone(phone, two.id)?.name, 'global-pat');
      assert.equal(store.participants.findByPhone(phone)?.name, 'global-pat');
      assert.equal(store.participants.findByPhone('+14155550198', one.id), undefined);
      // The listener's contact book follows the same rule.
      assert.equal(store.participants.contactBook(one.id).nameFor(phone), 'pat-of-one');
      assert.equal(store.participants.contactBook(one.id).nameFor(`whatsapp:${phone}`), 'pat-of-one');
      assert.equal(store.participants.contactBook(two.id).nameFor(phone), 'global-pat');
      assert.equal(store.participants.contactBook(one.id).nameFor('+14155550198'), null);
      store.participants.remove('global-pat');
      assert.equal(
        store.participants.findByPhone(phone, two.id),
        undefined,
        "another config's participant is not this config's",
      );
      assert.equal(store.participants.contactBook(two.id).nameFor(phone), null);
      store.configs.remove(one.id);
      store.configs.remove(two.id);
      assert.equal(store.participants.byName('pat-of-one'), undefined, 'removing a config removes its participants');
    } finally {
      store.close();
    }
  });

  test('a participant bound to another config than --config is refused', async () => {
    const second = await cli([
      'add-config',
      '--name',
      'other',
      '--from',
      FROM,
      '--account-sid',
      emu.accountSid,
      '--token-from-env',
      '--no-verify',
    ]);
    assert.equal(second.code, 0, second.stderr);
    const r = await cli(['send', '--to', 'wally', '--body', 'x', '--config', 'other']);
    assert.equal(r.code, 2);
    assert.match(errorLine(r), /participant "wally" is bound to config "emu", not "other"/);
  });
});

test('the wait spinner redraws in place on a terminal and clears itself', () => {
  const err = Object.assign(new PassThrough(), { isTTY: true });
  let written = '';
  err.on('data', (d: Buffer) => (written += d.toString()));
  const io = {
    stdout: new PassThrough(),
    stderr: err,
    stdin: Object.assign(new PassThrough(), { isTTY: true }),
    env: { NO_COLOR: '1' },
  };
  const p = new Progress(new Output(io));
  p.update('SM1: queued');
  p.update('SM1: sent');
  p.stop();
  assert.match(written, /\r\u001b\[2K⠋ SM1: queued/);
  assert.match(written, /\r\u001b\[2K. SM1: sent/);
  assert.ok(written.endsWith('\r\u001b[2K'), 'the spinner line is cleared at the end');
  assert.doesNotMatch(written, /\n/, 'no new lines: one line redrawn');
});
