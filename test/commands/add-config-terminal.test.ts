import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { main } from '../../src/cli.js';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { runCliChildProcess, tempHome } from '../helpers/cli.js';

const OWN = '+15005550006';

/** Runs the CLI in-process on a fake terminal; `answer(stderrSoFar)` returns keys to type, once per prompt it recognises. */
async function onTerminal(
  args: string[],
  env: NodeJS.ProcessEnv,
  answers: [RegExp, string][],
): Promise<{ code: number; err: string }> {
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin });
  const stderr = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
  stderr.end = (() => stderr) as never; // process.stderr cannot be ended; the prompt library ends its output
  const stdout = Object.assign(new PassThrough(), { isTTY: false });
  let err = '';
  const pending = [...answers];
  stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    const next = pending[0];
    if (next?.[0].test(err)) {
      pending.shift();
      setImmediate(() => stdin.write(next[1]));
    }
  });
  const code = await main(['node', 'fruxon-twilio', ...args], {
    stdin,
    stderr,
    stdout,
    env: { ...env, NO_COLOR: '1' },
  } as never);
  await new Promise((r) => setImmediate(r));
  return { code, err };
}

describe('add-config on a terminal', () => {
  const h = tempHome();
  let emu: Emulator;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    emu = await startEmulator({ numbers: [OWN] });
    env = { ...h.env, TWILIO_AUTH_TOKEN: emu.authToken };
    const r = await runCliChildProcess(
      [
        'add-config',
        '--name',
        'taken',
        '--from',
        OWN,
        '--account-sid',
        emu.accountSid,
        '--api-url',
        emu.url,
        '--token-from-env',
      ],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await emu.stop();
    h.cleanup();
  });

  test('a duplicate name is said at the name prompt, before the next question', async () => {
    const r = await onTerminal(
      ['add-config', '--from', OWN, '--account-sid', emu.accountSid, '--api-url', emu.url, '--token-from-env'],
      env,
      [
        [/Display name/, 'taken\r'],
        [/already exists/, '\u0003'],
      ],
    );
    assert.equal(r.code, 130, r.err);
    assert.match(r.err, /a config named "taken" already exists: pick another name/);
    assert.match(r.err, /cancelled/);
  });

  test('a From number the account does not own: asked before saving; "no" saves nothing', async () => {
    const r = await onTerminal(
      [
        'add-config',
        '--name',
        'notmine',
        '--from',
        '+15005550099',
        '--account-sid',
        emu.accountSid,
        '--api-url',
        emu.url,
        '--token-from-env',
      ],
      env,
      [[/Save \+15005550099 anyway\?/, 'n\r']],
    );
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /error: not saved: \+15005550099 is not a phone number of account/);
    const list = JSON.parse((await runCliChildProcess(['configs', 'list', '--json'], { env })).stdout) as {
      name: string;
    }[];
    assert.deepEqual(
      list.map((c) => c.name),
      ['taken'],
    );
  });

  test('a rejected token: the hint says to run add-config again, not to remove a config that was never saved', async () => {
    const r = await runCliChildProcess(
      [
        'add-config',
        '--name',
        'wrongtoken',
        '--from',
        OWN,
        '--account-sid',
        emu.accountSid,
        '--api-url',
        emu.url,
        '--auth-token-stdin',
      ],
      { env: h.env, input: 'f'.repeat(32) },
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: Twilio rejected the Account SID \/ Auth Token pair .*; nothing was saved$/m);
    assert.match(
      r.stderr,
      /^hint: check the Auth Token \(or API Key\) in the Twilio Console, then run add-config again$/m,
    );
    assert.doesNotMatch(r.stderr, /configs remove/);
  });
});
