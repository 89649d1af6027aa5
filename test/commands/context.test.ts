import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CliDeps } from '../../src/commands/context.js';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { secretAccount } from '../../src/secrets/index.js';
import { memorySecretStore } from '../../src/secrets/memory.js';
import { openStore } from '../../src/store/index.js';
import { createTwilioClient } from '../../src/twilio/client.js';
import { tempHome } from '../helpers/cli.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';

// The keychain this file's in-process runs are handed (in memory: no child process reads it).
const testKeychain = memoryKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

const OWN = '+15005550006';

/** What main()'s deps argument hands the commands: each part used only when a command asks, and used instead of the real one. */
describe('the command context: dependencies handed in through main()', () => {
  const h = tempHome();
  let emu: Emulator;
  before(async () => {
    emu = await startEmulator({ numbers: [OWN] });
  });
  after(async () => {
    await emu.stop();
    h.cleanup();
  });

  const refusing = (): CliDeps => ({
    openStore: () => assert.fail('the store was opened'),
    secrets: () => assert.fail('the secret store was loaded'),
    twilio: () => assert.fail('a Twilio client was made'),
    fruxon: () => assert.fail('a Fruxon client was made'),
  });

  test('--help and a bad flag open nothing', async () => {
    const help = await runCliInProcess(['--help'], { env: h.env, deps: refusing() });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: fruxon-twilio/);
    const bad = await runCliInProcess(['send', '--to', '+14155550100'], { env: h.env, deps: refusing() });
    assert.equal(bad.code, 2, bad.stderr);
  });

  test('the handed-in secret store, store opener and Twilio factory are the ones used', async () => {
    const secrets = memorySecretStore();
    let opened = 0;
    const clients: string[] = [];
    const deps: CliDeps = {
      secrets: () => secrets,
      openStore: (env) => {
        opened++;
        return openStore(env);
      },
      twilio: (creds, opts) => {
        clients.push(creds.accountSid);
        return createTwilioClient(creds, opts);
      },
    };
    const add = await runCliInProcess(
      [
        'add-config',
        '--name',
        'ctx',
        '--from',
        OWN,
        '--account-sid',
        emu.accountSid,
        '--api-url',
        emu.url,
        '--auth-token-stdin',
        '--json',
      ],
      {
        env: h.env,
        input: emu.authToken,
        deps,
      },
    );
    assert.equal(add.code, 0, add.stderr);
    const id = JSON.parse(add.stdout).id as string;
    assert.equal(secrets.get(secretAccount(id)), emu.authToken, 'the token went to the handed-in store');
    assert.deepEqual(clients, [emu.accountSid], 'add-config verified through the handed-in factory');
    const sent = await runCliInProcess(['send', '--to', '+14155550100', '--body', 'hi', '--json'], {
      env: h.env,
      deps,
    });
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(clients.length, 2);
    assert.equal(opened, 2, 'one store per command run');
    // Another secret store does not have the token: the command says so instead of reaching the OS keychain.
    const other = await runCliInProcess(['send', '--to', '+14155550100', '--body', 'hi'], {
      env: h.env,
      deps: { secrets: () => memorySecretStore() },
    });
    assert.equal(other.code, 1);
    assert.match(other.stderr, /the keychain has no Auth Token for config "ctx"/);
  });

  test('the abort signal stops a running listen as SIGTERM does', async () => {
    const abort = new AbortController();
    const env = { ...h.env, TWILIO_AUTH_TOKEN: emu.authToken };
    const add = await runCliInProcess(
      [
        'add-config',
        '--name',
        'envctx',
        '--from',
        OWN,
        '--account-sid',
        emu.accountSid,
        '--api-url',
        emu.url,
        '--token-from-env',
        '--no-verify',
      ],
      { env },
    );
    assert.equal(add.code, 0, add.stderr);
    setTimeout(() => abort.abort(), 500);
    const r = await runCliInProcess(
      ['listen', '--config', 'envctx', '--no-register', '--tunnel', 'none', '--port', '0'],
      {
        env,
        deps: { signal: abort.signal },
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /SIGTERM: stopping/);
  });
});
