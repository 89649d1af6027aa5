import assert from 'node:assert/strict';
import { type AddressInfo, createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { main } from '../../src/cli.js';
import type { CliDeps } from '../../src/commands/context.js';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { CliError } from '../../src/errors.js';
import { emulatorAnswers } from '../../src/operations/configs.js';
import { memorySecretStore } from '../../src/secrets/memory.js';
import { tempHome } from '../helpers/cli.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';

// The keychain this file's in-process runs are handed (in memory: no child process reads it).
const testKeychain = memoryKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

const OWN = '+15005550006';

/** The CLI in-process on a fake terminal: each [pattern, keys] types `keys` once stderr so far matches `pattern`. */
async function onTerminal(
  args: string[],
  env: NodeJS.ProcessEnv,
  answers: [RegExp, string][],
  deps: CliDeps = {},
): Promise<{ code: number; err: string }> {
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin });
  const stderr = Object.assign(new PassThrough(), { isTTY: true, columns: 120 });
  stderr.end = (() => stderr) as never;
  const stdout = Object.assign(new PassThrough(), { isTTY: false });
  let err = '';
  let seen = 0;
  const pending = [...answers];
  stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    const next = pending[0];
    // Only what came after the previous answer counts: a prompt asked twice needs two matches.
    if (next?.[0].test(err.slice(seen))) {
      pending.shift();
      seen = err.length;
      setImmediate(() => stdin.write(next[1]));
    }
  });
  const code = await main(
    ['node', 'fruxon-twilio', ...args],
    { stdin, stderr, stdout, env: { ...env, NO_COLOR: '1' } } as never,
    deps,
  );
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    pending.map(([p]) => String(p)),
    [],
    `every expected prompt came; stderr:\n${err}`,
  );
  return { code, err };
}

describe('add-config on a terminal, for a newcomer (issue 30, item 2)', () => {
  const h = tempHome();
  let emu: Emulator;
  const secrets = memorySecretStore();
  const deps: CliDeps = { secrets: () => secrets };
  const configs = async () =>
    JSON.parse((await runCliInProcess(['configs', 'list', '--json'], { env: h.env, deps })).stdout) as {
      name: string;
      api_url: string | null;
    }[];
  before(async () => {
    emu = await startEmulator({ numbers: [OWN] });
  });
  after(async () => {
    await emu.stop();
    h.cleanup();
  });

  test('the keychain is tried before the first question: an unreachable one is said at once', async () => {
    const broken = {
      get: () => {
        throw new CliError('the OS keychain is not reachable (test)', { hint: 'start a Secret Service' });
      },
      set: () => {},
      delete: () => false,
    };
    const r = await onTerminal(['add-config'], h.env, [], { secrets: () => broken });
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /error: the OS keychain is not reachable \(test\)/);
    assert.doesNotMatch(r.err, /Display name|API URL/, 'nothing was asked');
  });

  test('a failed check keeps everything typed: type the token again, and it is saved, verified', async () => {
    const r = await onTerminal(
      ['add-config', '--api-url', emu.url],
      h.env,
      [
        [/Display name/, 'retyped\r'],
        [/From number/, `${OWN}\r`],
        [/Account SID/, `${emu.accountSid}\r`],
        [/Auth Token \(input hidden\)/, `${'f'.repeat(32)}\r`],
        [/The check failed\. What now\?/, '1\r'],
        [/Auth Token \(input hidden\)/, `${emu.authToken}\r`],
      ],
      deps,
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /error: Twilio rejected the Account SID \/ Auth Token pair/);
    assert.match(r.err, /Type the Auth Token again/);
    assert.match(r.err, /Save it without the check \(as --no-verify\)/);
    assert.match(r.err, /Saved config retyped( \(default\))?: \+15005550006 on .*verified with account/);
    assert.equal((await configs()).find((c) => c.name === 'retyped')?.api_url, emu.url);
  });

  test('a failed check on a terminal can save unchecked, or change the API URL, without retyping', async () => {
    const unchecked = await onTerminal(
      ['add-config', '--name', 'unchecked', '--from', OWN, '--account-sid', emu.accountSid, '--api-url', emu.url],
      h.env,
      [
        [/Auth Token \(input hidden\)/, `${'f'.repeat(32)}\r`],
        [/The check failed\. What now\?/, '4\r'],
      ],
      deps,
    );
    assert.equal(unchecked.code, 0, unchecked.err);
    assert.match(unchecked.err, /Saved config unchecked: .*not verified\./);

    // A wrong API URL (nothing listens there): change it to the emulator's, the token typed once.
    const moved = await onTerminal(
      [
        'add-config',
        '--name',
        'moved',
        '--from',
        OWN,
        '--account-sid',
        emu.accountSid,
        '--api-url',
        'http://127.0.0.1:9',
      ],
      h.env,
      [
        [/Auth Token \(input hidden\)/, `${emu.authToken}\r`],
        [/The check failed\. What now\?/, '2\r'],
        [/Twilio API URL/, `${emu.url}\r`],
      ],
      deps,
    );
    assert.equal(moved.code, 0, moved.err);
    assert.match(moved.err, /Saved config moved: .*verified with account/);
    assert.equal((await configs()).find((c) => c.name === 'moved')?.api_url, emu.url);
  });

  test('without a terminal the failed check names --no-verify and --api-url', async () => {
    const r = await runCliInProcess(
      [
        'add-config',
        '--name',
        'piped',
        '--from',
        OWN,
        '--account-sid',
        emu.accountSid,
        '--api-url',
        'http://127.0.0.1:9',
        '--auth-token-stdin',
      ],
      { env: h.env, input: emu.authToken, deps },
    );
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /; nothing was saved$/m);
    assert.match(r.stderr, /^hint: .*--api-url URL.*--no-verify/m);
  });

  test('no --api-url: an emulator running on its default port is offered, and enter takes it', async () => {
    // $FRUXON_TWILIO_EMULATOR_PORT moves the default port (7338): this test's emulator is on a free one.
    const port = new URL(emu.url).port;
    assert.equal(await emulatorAnswers(emu.url), true);
    const r = await onTerminal(
      ['add-config', '--from', OWN, '--account-sid', emu.accountSid, '--token-from-env', '--no-verify'],
      { ...h.env, FRUXON_TWILIO_EMULATOR_PORT: port },
      [
        [new RegExp(`Add the config for the emulator at http://127\\.0\\.0\\.1:${port}\\?`), '\r'],
        [/Display name/, 'found\r'],
      ],
      deps,
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, new RegExp(`A Twilio emulator is running at http://127\\.0\\.0\\.1:${port}`));
    assert.equal((await configs()).find((c) => c.name === 'found')?.api_url, `http://127.0.0.1:${port}`);
  });

  test('no emulator there: the API URL is asked, enter meaning the real Twilio', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    assert.equal(await emulatorAnswers(`http://127.0.0.1:${port}`), false);
    const r = await onTerminal(
      ['add-config', '--from', OWN, '--account-sid', emu.accountSid, '--token-from-env', '--no-verify'],
      { ...h.env, TWILIO_AUTH_TOKEN: 'x'.repeat(32), FRUXON_TWILIO_EMULATOR_PORT: String(port) },
      [
        [/Twilio API URL \(enter for the real Twilio/, '\r'],
        [/Display name/, 'real\r'],
      ],
      deps,
    );
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.err, /Add the config for the emulator/);
    assert.equal((await configs()).find((c) => c.name === 'real')?.api_url, null);
  });
});
