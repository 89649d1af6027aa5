import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { Redactor } from '../../src/redact.js';
import { ERRORS_DIR, KEEP_ERRORS, recentErrors, writeErrorFile } from '../../src/store/error-log.js';
import { runCliChildProcess as runCli, tempHome } from '../helpers/cli.js';

// A bug (an error that is not a CliError) in a real run of the binary: one line on the terminal naming a file
// in the data directory, the stack in that file, and none of the secrets the run handled in either.
// FRUXON_TWILIO_TEST_FAULT (test only) makes the named command throw a plain Error once its action is done.

const hex = (n: number) => randomBytes(n).toString('hex');

describe('an unexpected error', () => {
  let emu: Emulator;
  let h: ReturnType<typeof tempHome>;
  const phone = '+15005551901';
  const webhookKey = `whk${hex(14)}Z`;
  const production = `https://ingress.fruxon.test/v1/tenants/umbrella/webhooks/twilio/fx-cfg-9/${webhookKey}`;
  const fruxonToken = `fx_pat_${hex(16)}`;
  const ngrokToken = `2${hex(13)}_${hex(11)}Q`;
  const apiSecret = `Zz${hex(15)}`;

  before(async () => {
    emu = await startEmulator({ statusDelayMs: 1, retryDelaysMs: [], numbers: [phone] });
    h = tempHome();
    const r = await runCli(
      [
        'add-config',
        '--name',
        'support',
        '--from',
        phone,
        '--account-sid',
        emu.accountSid,
        '--api-url',
        emu.url,
        '--auth-token-stdin',
        '--webhook-url-stdin',
        '--default',
      ],
      { env: h.env, input: `${emu.authToken}\n${production}\n` },
    );
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await emu.stop();
    h.cleanup();
  });

  test('prints one line naming the bug file; the file has the redacted stack; no secret anywhere', async () => {
    const basic = `Basic ${Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64')}`;
    // A bug whose message carries every kind of secret: read from the keychain (token, production URL), from the
    // environment (API secret, Fruxon token, ngrok token), and a Basic header built from them.
    const message = `boom ${emu.authToken} ${production} ${basic} ${fruxonToken} ${ngrokToken} ${apiSecret}`;
    const r = await runCli(['webhook', 'show', '--json'], {
      env: {
        ...h.env,
        FRUXON_TWILIO_TEST_FAULT: `webhook show:${message}`,
        FRUXON_TOKEN: fruxonToken,
        NGROK_AUTHTOKEN: ngrokToken,
        TWILIO_API_SECRET: apiSecret,
      },
    });
    assert.equal(r.code, 1, r.stderr);
    JSON.parse(r.stdout); // what the command printed before the bug is still valid JSON
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    const m =
      /^error: unexpected failure: boom .* \(a bug in fruxon-twilio: the details, secrets removed, are in (\S+); please report it with that file, the command you ran and the output of: fruxon-twilio doctor --report\)$/.exec(
        lines[0]!,
      );
    assert.ok(m, lines[0]);
    const file = m[1]!;
    assert.equal(join(file, '..'), join(h.home, ERRORS_DIR));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(h.home, ERRORS_DIR)).mode & 0o777, 0o700);

    const text = readFileSync(file, 'utf8');
    assert.match(text, /^fruxon-twilio \S+: unexpected failure$/m);
    assert.match(text, /^command: fruxon-twilio webhook show --json$/m);
    assert.match(text, /^Error: boom /m);
    assert.match(text, /^\s+at .*program\.js/m, 'the stack is in the file');
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'never on the terminal');
    assert.ok(text.includes('https://ingress.fruxon.test/…[redacted]'), text);

    const secrets = [emu.authToken, webhookKey, basic.slice(6), fruxonToken, ngrokToken, apiSecret];
    for (const s of secrets) {
      assert.ok(!text.includes(s), `${s.slice(0, 5)}… in the bug file:\n${text}`);
      assert.ok(!r.stderr.includes(s), `${s.slice(0, 5)}… on the terminal:\n${r.stderr}`);
    }
    assert.deepEqual(
      recentErrors(h.env, 5).map((e) => e.file),
      [file],
    );
  });

  test('a CliError is not a bug: no file', async () => {
    const before = readdirSync(join(h.home, ERRORS_DIR)).length;
    const r = await runCli(['webhook', 'show', '--config', 'nope'], { env: h.env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: /);
    assert.doesNotMatch(r.stderr, /unexpected failure/);
    assert.equal(readdirSync(join(h.home, ERRORS_DIR)).length, before);
  });

  test('a fault aimed at another command changes nothing', async () => {
    const r = await runCli(['configs', 'list', '--json'], {
      env: { ...h.env, FRUXON_TWILIO_TEST_FAULT: 'webhook show' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
  });

  test(`only the newest ${KEEP_ERRORS} bug files are kept`, () => {
    const home = tempHome();
    try {
      const written: string[] = [];
      for (let i = 0; i < KEEP_ERRORS + 3; i++)
        written.push(
          writeErrorFile(home.env, {
            error: new Error(`bug ${i}`),
            args: ['send'],
            version: '0.0.0',
            now: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
            redactor: new Redactor(),
          }),
        );
      const kept = recentErrors(home.env, 100);
      assert.equal(kept.length, KEEP_ERRORS);
      assert.deepEqual(
        kept.map((k) => k.file),
        written.slice(3).reverse(),
      );
      assert.match(kept[0]!.text, /Error: bug 22/);
    } finally {
      home.cleanup();
    }
  });
});
