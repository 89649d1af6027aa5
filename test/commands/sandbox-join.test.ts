import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Emulator, SANDBOX_NUMBER, startEmulator } from '../../src/emulator/index.js';
import { sandboxJoinStep } from '../../src/twilio/sandbox.js';
import { stopAllCliRuns, tempHome } from '../helpers/cli.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';

// The config reads its token from the environment: no keychain is asked, and no child process runs.
const { runCliInProcess: runCli, startCliInProcess } = inProcessCliWith(memoryKeychain());
const JOIN = /send "join cedar-dune" to whatsapp:\+14155238886 \(again every 72 hours\)/;

/** On the WhatsApp Sandbox, listen, doctor and webhook show name the join step, with the code when it is known. */
describe('the Sandbox join step in listen, doctor and webhook show', () => {
  let emu: Emulator;
  let h: ReturnType<typeof tempHome>;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    emu = await startEmulator({ numbers: ['+15005551801'], topology: { sandbox: { join_code: 'cedar-dune' } } });
    h = tempHome();
    env = { ...h.env, TWILIO_AUTH_TOKEN: emu.authToken };
    const add = await runCli(
      [
        'add-config',
        '--name',
        'sb',
        '--from',
        SANDBOX_NUMBER,
        '--account-sid',
        emu.accountSid,
        '--api-url',
        emu.url,
      ].concat(['--token-from-env', '--json']),
      { env },
    );
    assert.equal(add.code, 0, add.stderr);
  });
  after(async () => {
    await stopAllCliRuns();
    await emu.stop();
    h.cleanup();
  });

  test('webhook show and doctor name "join <code>", as the emulator tells it', async () => {
    const show = await runCli(['webhook', 'show', '--config', 'sb'], { env });
    assert.equal(show.code, 0, show.stderr);
    assert.match(
      show.stdout,
      new RegExp(`Only the Sandbox's participants get through: senders must first ${JOIN.source}`),
    );
    const doctor = await runCli(['doctor', '--config', 'sb', '--json'], { env: { ...env, NGROK_AUTHTOKEN: 'x' } });
    const from = (JSON.parse(doctor.stdout) as { checks: { name: string; detail: string }[] }).checks.find(
      (c) => c.name === 'from_number',
    );
    assert.match(from?.detail ?? '', /is the WhatsApp Sandbox .*: senders must first send "join cedar-dune"/);
  });

  test('listen says it when it starts', async () => {
    const p = startCliInProcess(['listen', '--port', '0', '--config', 'sb'], { env });
    await p.waitFor(JOIN);
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
  });

  test('without a code to ask for (real Twilio), the step names where the keyword is', () => {
    assert.match(
      sandboxJoinStep(null),
      /"join <your sandbox keyword>" .*the keyword is on the Console's WhatsApp Sandbox page/,
    );
  });
});
