import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { tempHome } from '../helpers/cli.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';

// The keychain this file's in-process runs are handed (in memory: no child process reads it).
const testKeychain = memoryKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

/**
 * Twilio's PhoneNumber filter matches partially, so a From number with a digit missing lists other numbers of
 * the account. The tool must take the exact number only: never show, or rewrite, another number's webhook.
 */
describe('a From number with a digit missing is not another number of the account', () => {
  const OTHER = '+15005551801';
  const PARTIAL = '+1500555180';
  let emu: Emulator;
  const h = tempHome();
  const env = () => ({ ...h.env, TWILIO_AUTH_TOKEN: emu.authToken });
  before(async () => {
    emu = await startEmulator({ numbers: [OTHER, '+15005551802'], statusDelayMs: 5 });
    emu.setSmsUrl(OTHER, 'https://prod.example.test/sms');
    const add = await runCliInProcess(
      [
        'add-config',
        '--name',
        'partial',
        '--from',
        PARTIAL,
        '--account-sid',
        emu.accountSid,
        '--api-url',
        emu.url,
        '--token-from-env',
        '--json',
      ],
      { env: env() },
    );
    assert.equal(add.code, 0, add.stderr);
    assert.equal(JSON.parse(add.stdout).number_owned, false, 'the partial number is not reported as owned');
  });
  after(async () => {
    await emu.stop();
    h.cleanup();
  });

  test('webhook show does not show the other number, and listen does not rewrite its webhook', async () => {
    const show = await runCliInProcess(['webhook', 'show', '--json'], { env: env() });
    assert.doesNotMatch(show.stdout + show.stderr, /prod\.example\.test/);
    assert.notEqual(show.code, 0, 'no such number on the account');
    const listen = await runCliInProcess(['listen', '--port', '0', '--timeout', '1'], { env: env() });
    assert.notEqual(listen.code, 0, listen.stderr);
    assert.equal(emu.getNumber(OTHER)!.smsUrl, 'https://prod.example.test/sms', 'the other number is untouched');
  });
});
