import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { secretAccount } from '../../src/secrets/index.js';
import { errorLine } from '../helpers/checks.js';
import { runCliChildProcess, tempHome } from '../helpers/cli.js';
import { osKeychainGet } from '../helpers/keychains.js';

/**
 * The end-to-end twin of the in-process command tests (test/commands/*): the built binary, the real (test)
 * keychain and the emulator, one pass through the commands those tests cover in depth, on their contracts
 * (JSON fields, error lines, exit codes).
 */
const FROM = '+14155238886';
const TO = '+14155550100';

describe('the commands end to end: the built binary, the real keychain, the emulator', () => {
  let emu: Emulator;
  let h: ReturnType<typeof tempHome>;
  let id: string;
  const cli = (args: string[], input?: string) => runCliChildProcess(args, { env: h.env, input, timeoutMs: 30_000 });

  before(async () => {
    emu = await startEmulator({ port: 0, numbers: [FROM], statusDelayMs: 20 });
    h = tempHome();
  });
  after(async () => {
    await emu.stop();
    h.cleanup();
  });

  test('add-config keeps the token in the keychain; configs list and show', async () => {
    const r = await cli(
      [
        'add-config',
        '--name',
        'Support Line',
        '--from',
        FROM,
        '--account-sid',
        emu.accountSid,
        '--auth-token-stdin',
        '--api-url',
        emu.url,
        '--json',
      ],
      emu.authToken,
    );
    assert.equal(r.code, 0, r.stderr);
    const saved = JSON.parse(r.stdout);
    assert.equal(saved.secret_source, 'keychain');
    assert.equal(saved.verified, true);
    id = saved.id;
    assert.equal(osKeychainGet(secretAccount(id)), emu.authToken);
    const list = await cli(['configs', 'list', '--json']);
    assert.deepEqual(
      (JSON.parse(list.stdout) as { name: string }[]).map((c) => c.name),
      ['Support Line'],
    );
    assert.match((await cli(['configs', 'show', 'support line'])).stdout, /Auth Token in the OS keychain/);
    const bad = await cli(
      [
        'add-config',
        '--name',
        'x',
        '--from',
        '0800',
        '--account-sid',
        emu.accountSid,
        '--auth-token-stdin',
        '--no-verify',
      ],
      'tok',
    );
    assert.equal(bad.code, 2);
    assert.match(errorLine(bad), /--from/);
  });

  test('send (with and without --wait), messages list/show, webhook show', async () => {
    const r = await cli(['send', '--to', TO, '--body', 'hello there', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const m = JSON.parse(r.stdout);
    assert.match(m.sid, /^SM[0-9a-f]{32}$/);
    assert.equal(m.status, 'queued');
    assert.equal(m.from, FROM);
    const waited = await cli(['send', '--to', TO, '--body', 'and wait', '--wait', '--json']);
    assert.equal(waited.code, 0, waited.stderr);
    assert.equal(JSON.parse(waited.stdout).status, 'delivered');
    const list = await cli(['messages', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.ok((JSON.parse(list.stdout) as { sid: string }[]).some((x) => x.sid === m.sid));
    const show = await cli(['messages', 'show', m.sid, '--json']);
    assert.equal(show.code, 0, show.stderr);
    assert.equal(JSON.parse(show.stdout).sid, m.sid);
    const hook = await cli(['webhook', 'show', '--json']);
    assert.equal(hook.code, 0, hook.stderr);
    assert.equal(JSON.parse(hook.stdout).kind, 'none');
    assert.equal(JSON.parse(hook.stdout).phone_number, FROM);
  });

  test('events list, doctor, and configs remove takes the keychain entry with it', async () => {
    const events = await cli(['events', 'list', '--json']);
    assert.equal(events.code, 0, events.stderr);
    const doctor = await cli(['doctor', '--json'], undefined);
    const report = JSON.parse(doctor.stdout) as { checks: { name: string; ok: unknown }[] };
    assert.equal(report.checks.find((c) => c.name === 'keychain')!.ok, true, 'the test keychain answers');
    assert.equal(report.checks.find((c) => c.name === 'credentials')!.ok, true);
    const rm = await cli(['configs', 'remove', 'Support Line']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(osKeychainGet(secretAccount(id)), null);
  });
});
