import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { CliError } from '../../src/errors.js';
import { registerWebhook } from '../../src/listener/registration.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { TwilioClient } from '../../src/twilio/client.js';
import { tempHome } from '../helpers/cli.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';

// The keychain this file's in-process runs are handed (in memory: no child process reads it).
const testKeychain = memoryKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

/**
 * Every "a listener holds this number" conflict (exit 5) in its caller's words, to the letter: one builder
 * (errors.ts leaseHeldError / leaseStaleError) writes them all.
 */
const FROM = '+15005550006';

describe('lease conflicts: exit 5, message and hint per command', () => {
  let emu: Emulator;
  let h: ReturnType<typeof tempHome>;
  const cli = (args: string[]) => runCliInProcess(args, { env: h.env, timeoutMs: 30_000 });
  const lines = (r: { stderr: string }) => r.stderr.trim().split('\n');
  const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;
  let store: Store;
  let configId: string;
  const lease = (pid: number) =>
    store.leases.acquire({
      configId,
      numberSid: emu.getNumber(FROM)!.sid,
      phoneNumber: FROM,
      previousSmsUrl: '',
      previousSmsMethod: 'POST',
      ourUrl: 'http://127.0.0.1:1/x',
      pid,
    });

  before(async () => {
    emu = await startEmulator({ port: 0, numbers: [FROM] });
    h = tempHome();
    const add = await runCliInProcess(
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
      ],
      { env: h.env, input: emu.authToken },
    );
    assert.equal(add.code, 0, add.stderr);
    store = openStore(h.env);
    configId = store.configs.byName('Support Line')!.id;
  });
  after(async () => {
    store.close();
    await emu.stop();
    h.cleanup();
  });

  test('a running listener: webhook set, restore, configs remove, another listen', async () => {
    const pid = process.pid;
    lease(pid);
    try {
      const set = await cli(['webhook', 'set', '--config', 'Support Line', '--yes', '--url', 'https://x.example/y']);
      assert.equal(set.code, 5);
      assert.deepEqual(lines(set), [
        `error: ${FROM} is held by a running listen (pid ${pid}); its webhook is not changed while it runs`,
        `hint: stop that listener first (kill -INT ${pid}): it puts the previous webhook back, then run webhook set again`,
      ]);
      const restore = await cli(['restore', '--config', 'Support Line']);
      assert.equal(restore.code, 5);
      assert.deepEqual(lines(restore), [
        `error: a listener (pid ${pid}) is running for config "Support Line"; it restores the webhook when it stops`,
        `hint: stop it with: kill -INT ${pid}`,
      ]);
      const rm = await cli(['configs', 'remove', 'Support Line']);
      assert.equal(rm.code, 5, rm.stderr);
      assert.deepEqual(lines(rm), [
        `error: config "Support Line" is in use by a running listener (pid ${pid})`,
        `hint: stop that listener first (kill -INT ${pid})`,
      ]);
      const err = await registerWebhook({
        store,
        client: {} as TwilioClient,
        config: store.configs.byId(configId)!,
        webhookUrl: 'https://t.example/w',
        apiUrl: emu.url,
        productionUrl: null,
        pid: 1,
      }).then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(err instanceof CliError);
      assert.deepEqual(
        { message: err.message, hint: err.hint, exitCode: err.exitCode, reason: err.reason },
        {
          message: `another listener (pid ${pid}) already holds ${FROM} for config "Support Line"`,
          hint: `stop it first (kill -INT ${pid}), or listen with --no-register`,
          exitCode: 5,
          reason: 'lease_held',
        },
      );
    } finally {
      store.leases.release(configId);
    }
  });

  test('a crashed listener whose lease waits for restore: webhook set and configs remove', async () => {
    const pid = deadPid();
    lease(pid);
    try {
      const set = await cli(['webhook', 'set', '--config', 'Support Line', '--yes', '--url', 'https://x.example/y']);
      assert.equal(set.code, 5);
      assert.deepEqual(lines(set), [
        `error: ${FROM} has a listener lease that was never restored (pid ${pid} is gone)`,
        `hint: put the number's webhook back first: fruxon-twilio restore --config "Support Line"`,
      ]);
      const rm = await cli(['configs', 'remove', 'Support Line']);
      assert.equal(rm.code, 5);
      assert.deepEqual(lines(rm), [
        `error: config "Support Line" has a listener lease that was never restored (pid ${pid} is gone)`,
        `hint: put the number's webhook back first: fruxon-twilio restore --config "Support Line" (or pass --force to drop the lease)`,
      ]);
    } finally {
      store.leases.release(configId);
    }
  });
});
