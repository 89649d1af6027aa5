import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { LocalAgent, orderDesk } from '../helpers/agent.js';
import { stopAllCliRuns, tempHome } from '../helpers/cli.js';
import { type EmulatorFixture, OUR_NUMBER } from '../helpers/fixtures.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { osKeychain } from '../helpers/keychains.js';
import { jsonLines, startListen } from '../helpers/listen.js';

const TESTER = '+15005550007';
const TEMPLATE = `HX${'5'.repeat(32)}`;
// The listen child reads the OS keychain; this file's in-process runs share it (the config's token is in the env).
const { runCliInProcess: runCli } = inProcessCliWith(osKeychain());

/** `fruxon-twilio test` meets Twilio's message policy on the emulator: WhatsApp templates and a tester's STOP. */
describe('fruxon-twilio test with the message policy: template sends, and an opted-out tester named as the cause', () => {
  let emu: Emulator;
  let h: ReturnType<typeof tempHome>;
  let f: EmulatorFixture;
  let agent: LocalAgent;
  let dir: string;
  const run = (args: string[]) => runCli(['test', ...args], { env: f.env, timeoutMs: 60_000 });
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fruxon-twilio-convtest-policy-'));
    emu = await startEmulator({
      statusDelayMs: 20,
      retryDelaysMs: [50, 100],
      topology: {
        numbers: [OUR_NUMBER, TESTER],
        content: [
          {
            sid: TEMPLATE,
            friendly_name: 'order_question',
            body: 'Hi, about order #{{1}}?',
            whatsapp: { status: 'approved' },
          },
        ],
      },
    });
    h = tempHome();
    const env = { ...h.env, TWILIO_AUTH_TOKEN: emu.authToken };
    const add = await runCli(
      [
        'add-config',
        '--name',
        'emu',
        '--from',
        OUR_NUMBER,
        '--account-sid',
        emu.accountSid,
        '--api-url',
        emu.url,
      ].concat(['--token-from-env', '--json']),
      { env },
    );
    assert.equal(add.code, 0, add.stderr);
    f = {
      emulator: emu,
      home: h.home,
      env,
      configId: JSON.parse(add.stdout).id,
      configName: 'emu',
      keychain: 'os',
      secrets: osKeychain(),
      cleanup: async () => undefined,
    };
    agent = await LocalAgent.start(emu, orderDesk);
    await startListen(f, ['--forward-to', agent.url]);
  });
  after(async () => {
    await stopAllCliRuns();
    await agent?.stop();
    await emu?.stop();
    h?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('WhatsApp: free-form first fails 63016 (the fix names --content-sid); a send: {content_sid} step opens the conversation', async () => {
    const free = await run([
      file(
        'free.yaml',
        `name: free-form\nfrom: "whatsapp:${TESTER}"\nsteps:\n  - send: "order #1?"\n  - expect: { within: 3s }\n`,
      ),
      '--json',
    ]);
    assert.equal(free.code, 1, free.stdout + free.stderr);
    const [failed] = jsonLines(free.stdout);
    assert.match(failed.steps[1].cause, /failed at Twilio \(63016/);
    assert.match(failed.steps[1].fix, /send --content-sid HX…; see fruxon-twilio templates list/);

    const path = file(
      'template.yaml',
      `name: template first
from: "whatsapp:${TESTER}"
steps:
  - send: { content_sid: "${TEMPLATE}", content_variables: { "1": "1042" } }
  - expect: { contains: "#1042 shipped", channel: whatsapp, within: 10s }
`,
    );
    const r = await run([path, '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const [result] = jsonLines(r.stdout);
    assert.equal(result.status, 'passed');
    assert.equal(result.steps[0].description, `send template ${TEMPLATE}`);
    assert.equal(result.steps[0].message.body, 'Hi, about order #1042?');
    assert.equal(agent.received.at(-1)?.text, 'Hi, about order #1042?');
  });

  test('bad template steps are file problems naming the field (exit 2, nothing sent)', async () => {
    const before = emu.messages().length;
    const r = await run([
      file(
        'bad.yaml',
        `name: bad\nfrom: "${TESTER}"\nsteps:\n  - send: { content_sid: "HX1" }\n  - expect: { within: 1s }\n`,
      ),
    ]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /bad\.yaml:4: steps\[0\]\.send\.content_sid must be HX followed by 32 hex digits/);
    assert.equal(emu.messages().length, before);
  });

  test('SMS: after the tester texts STOP, a missing reply names the opt-out (21610) and who can undo it', async () => {
    const path = file(
      'stop.yaml',
      `name: opted out
from: "${TESTER}"
steps:
  - send: "STOP"
  - expect: { contains: "unsubscribed", within: 10s }
  - send: "where is order #7?"
  - expect: { contains: "#7", within: 3s }
`,
    );
    const r = await run([path, '--json']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const [result] = jsonLines(r.stdout);
    assert.equal(result.steps[1].status, 'passed', "Twilio's confirmation is the answer to STOP");
    const last = result.steps[3];
    assert.equal(last.status, 'failed');
    assert.match(last.failure, /^no reply from \+15005550006 to \+15005550007 within 3s/);
    assert.match(last.cause, /the tester \+15005550007 opted out of \+15005550006: it texted "STOP" .*\(21610\)/);
    assert.match(last.fix, /only the tester can undo an opt-out: send "START"/);
    assert.ok(
      agent.errors.some((e) => /unsubscribed recipient/.test(e)),
      "the agent's answer was refused",
    );
  });
});
