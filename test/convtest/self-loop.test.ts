import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { addConfigArgs } from '../helpers/add-config.js';
import { tempHome } from '../helpers/cli.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';

// The keychain this file's in-process runs are handed (in memory: no child process reads it).
const testKeychain = memoryKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

const AGENT = '+15005552601';
const SAME_SERVICE = '+15005552602';
const SAME_APP_AGENT = '+15005552603';
const SAME_APP = '+15005552604';
const ELSEWHERE = '+15005552605';

/**
 * Issue 26, item 3: `test`'s pre-run check asks the resolver where each number's inbound goes: a tester whose
 * inbound reaches the agent by any layer (one Messaging Service, one TwiML App) is refused before anything is sent.
 * It compared the two numbers' own SmsUrls, which both are empty here.
 */
describe('test: a tester whose inbound reaches the agent by any layer is refused before sending', () => {
  let emu: Emulator;
  let h: ReturnType<typeof tempHome>;
  let dir: string;
  const run = (args: string[]) => runCliInProcess(['test', ...args], { env: h.env, timeoutMs: 60_000 });
  const scenario = (name: string, from: string) => {
    const path = join(dir, `${name}.yaml`);
    writeFileSync(path, `name: ${name}\nfrom: "${from}"\nsteps:\n  - send: hi\n  - expect: { within: 300ms }\n`);
    return path;
  };
  const sent = () => emu.messages().filter((m) => m.direction !== 'inbound').length;

  before(async () => {
    emu = await startEmulator({
      statusDelayMs: 1,
      retryDelaysMs: [],
      topology: {
        numbers: [AGENT, SAME_SERVICE, SAME_APP_AGENT, SAME_APP, ELSEWHERE],
        services: [
          {
            friendly_name: 'Agent',
            inbound_request_url: 'http://127.0.0.1:9/agent',
            phone_numbers: [AGENT, SAME_SERVICE],
          },
        ],
        applications: [
          { friendly_name: 'Bot', sms_url: 'http://127.0.0.1:9/bot', phone_numbers: [SAME_APP_AGENT, SAME_APP] },
        ],
      } as never,
    });
    h = tempHome();
    dir = mkdtempSync(join(tmpdir(), 'fruxon-twilio-self-loop-'));
    for (const [name, from] of [
      ['svc', AGENT],
      ['app', SAME_APP_AGENT],
    ] as const) {
      const r = await runCliInProcess(addConfigArgs(name, from, emu, 'stdin'), { env: h.env, input: emu.authToken });
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(async () => {
    await emu.stop();
    h.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('two numbers of one Messaging Service', async () => {
    const before = sent();
    const r = await run([scenario('service', SAME_SERVICE), '--config', 'svc']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /scenario "service" cannot run: the tester \+15005552602 and \+15005552601 both receive through Messaging Service 'Agent' \(MG…\w{4}\): the agent would answer its own replies/,
    );
    assert.match(r.stderr, /Nothing was sent/);
    assert.equal(sent(), before);
  });

  test('two numbers of one TwiML App', async () => {
    const before = sent();
    const r = await run([scenario('app', SAME_APP), '--config', 'app']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /both receive through TwiML App 'Bot' \(AP…\w{4}\)/);
    assert.equal(sent(), before);
  });

  test('a tester whose inbound goes elsewhere runs', async () => {
    const r = await run([scenario('elsewhere', ELSEWHERE), '--config', 'svc']);
    assert.doesNotMatch(r.stderr, /cannot run/);
    assert.equal(r.code, 1, r.stdout + r.stderr); // no agent answers: the expect fails, but it ran
  });
});
