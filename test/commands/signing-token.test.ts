import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { addConfigArgs } from '../helpers/add-config.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER } from '../helpers/fixtures.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';

// The keychain this file's in-process runs are handed (in memory: no child process reads it).
const testKeychain = memoryKeychain();
const { runCliInProcess, startCliInProcess } = inProcessCliWith(testKeychain);

/**
 * Issue 26, item 5: an API Key config's listener checks the webhook signing token (TWILIO_AUTH_TOKEN, or
 * --auth-token-stdin) against the account before Ready: a wrong one would refuse every message Twilio signs.
 */
describe('listen with an API Key config: the signing token is checked before Ready', () => {
  let f: EmulatorFixture;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os' });
    const key = f.emulator.createApiKey();
    env = { ...f.env, TWILIO_API_SECRET: key.secret };
    const add = await runCliInProcess(addConfigArgs('bykey', OUR_NUMBER, f.emulator, 'env', '--api-key-sid', key.sid), {
      env,
    });
    assert.equal(add.code, 0, add.stderr);
  });
  after(async () => {
    await f.cleanup();
  });

  test("a TWILIO_AUTH_TOKEN that is not the account's: one line naming it, exit 2, the number untouched", async () => {
    const before = f.emulator.getNumber(OUR_NUMBER)!.smsUrl;
    const r = await runCliInProcess(['listen', '--config', 'bykey', '--port', '0', '--timeout', '5'], {
      env: { ...env, TWILIO_AUTH_TOKEN: 'f'.repeat(32) },
    });
    assert.equal(r.code, 2, r.stderr);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
    assert.equal(errors.length, 1, r.stderr);
    assert.match(
      errors[0]!,
      /^error: TWILIO_AUTH_TOKEN is not the Auth Token of account AC…\w{4} \(Twilio answered 401\)/,
    );
    assert.doesNotMatch(r.stderr, /Ready!/);
    assert.ok(!r.stderr.includes('f'.repeat(32)), 'the token is never printed');
    assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, before);
  });

  test("the account's Auth Token: Ready", async () => {
    const p = startCliInProcess(['listen', '--config', 'bykey', '--port', '0', '--check-missed', '0'], {
      env: { ...env, TWILIO_AUTH_TOKEN: f.emulator.authToken },
    });
    await p.waitFor(/Ready! Listening/);
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
  });
});
