import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Emulator, SANDBOX_NUMBER, startEmulator } from '../../src/emulator/index.js';
import { tempHome } from '../helpers/cli.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';
import { jsonLines } from '../helpers/listen.js';

// The configs read their token from the environment: no keychain is asked, and no child process runs.
const { runCliInProcess: runCli } = inProcessCliWith(memoryKeychain());
const TESTER = '+15005551901';
const LATE = '+15005551902';
const STRANGER = '+15005551903';

/** An agent behind the Sandbox's inbound URL, answering in TwiML: "Got: <the message>". */
async function twimlAgent(): Promise<{ url: string; bodies: string[]; close: () => Promise<void> }> {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8').on('data', (d: string) => (raw += d));
    req.on('end', () => {
      const body = new URLSearchParams(raw).get('Body') ?? '';
      bodies.push(body);
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Response><Message>Got: ${body}</Message></Response>`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sandbox`,
    bodies,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** `fruxon-twilio test` with a WhatsApp Sandbox config: membership checked before anything is sent. */
describe('fruxon-twilio test on the WhatsApp Sandbox', () => {
  let emu: Emulator;
  /** An emulator whose control API is guarded: membership cannot be read, as on Twilio. */
  let guarded: Emulator;
  let agent: Awaited<ReturnType<typeof twimlAgent>>;
  let h: ReturnType<typeof tempHome>;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const run = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    runCli(['test', ...args], { env: { ...env, ...extra }, timeoutMs: 60_000 });
  const addConfig = async (name: string, e: Emulator) => {
    const add = await runCli(
      [
        'add-config',
        '--name',
        name,
        '--from',
        SANDBOX_NUMBER,
        '--account-sid',
        e.accountSid,
        '--api-url',
        e.url,
      ].concat(['--token-from-env', '--json']),
      { env: { ...env, TWILIO_AUTH_TOKEN: e.authToken } },
    );
    assert.equal(add.code, 0, add.stderr);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fruxon-twilio-convtest-sandbox-'));
    agent = await twimlAgent();
    emu = await startEmulator({
      statusDelayMs: 5,
      topology: { numbers: [TESTER, LATE], sandbox: { join_code: 'cedar-dune', inbound_url: agent.url } },
    });
    guarded = await startEmulator({
      statusDelayMs: 5,
      controlToken: 'guarded-control-token',
      topology: { numbers: [STRANGER], sandbox: { join_code: 'reed-lake', inbound_url: agent.url } },
    });
    h = tempHome();
    env = { ...h.env, TWILIO_AUTH_TOKEN: emu.authToken };
    await addConfig('sb', emu);
  });
  after(async () => {
    await emu?.stop();
    await guarded?.stop();
    await agent?.close();
    h?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a tester who has not joined: one line naming the join step, exit 2, nothing sent', async () => {
    const before = emu.messages().length;
    const r = await run([
      file('late.yaml', `name: late\nfrom: "whatsapp:${LATE}"\nsteps:\n  - send: "hi"\n  - expect: { within: 3s }\n`),
      '--config',
      'sb',
    ]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /late\.yaml:2: scenario "late" cannot run: the tester whatsapp:\+15005551902 has not joined the WhatsApp Sandbox .*: send "join cedar-dune" from the tester to \+14155238886/,
    );
    assert.match(r.stderr, /Nothing was sent\./);
    assert.equal(r.stderr.trim().split('\n').length, 2, `one line for the cause, one for nothing sent:\n${r.stderr}`);
    assert.equal(emu.messages().length, before);
  });

  test('an SMS tester is refused: the Sandbox receives WhatsApp only', async () => {
    const r = await run([file('sms.yaml', `name: sms\nfrom: "${TESTER}"\nsteps:\n  - send: "hi"\n`), '--config', 'sb']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /which receives WhatsApp only: give from: "whatsapp:\+15005551901"/);
  });

  test('a scenario that joins first runs: the join confirmation, then the agent behind the Sandbox answers', async () => {
    const path = file(
      'join.yaml',
      `name: join then ask
from: "whatsapp:${TESTER}"
steps:
  - send: "join cedar-dune"
  - expect: { contains: "all set", within: 10s }
  - send: "order #12?"
  - expect: { contains: "Got: order #12?", channel: whatsapp, within: 10s }
`,
    );
    const r = await run([path, '--config', 'sb', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const [result] = jsonLines(r.stdout);
    assert.equal(result.status, 'passed');
    assert.equal(result.number, SANDBOX_NUMBER);
    assert.deepEqual(agent.bodies, ['order #12?'], 'the join never reached the agent');
    assert.deepEqual(emu.topology().sandbox.participants, [TESTER]);

    // A participant now: a scenario without the join step runs too.
    const again = await run([
      file(
        'again.yaml',
        `name: again\nfrom: "whatsapp:${TESTER}"\nsteps:\n  - send: "hello"\n  - expect: { contains: "Got: hello", within: 10s }\n`,
      ),
      '--config',
      'sb',
    ]);
    assert.equal(again.code, 0, again.stdout + again.stderr);
  });

  test("membership unknown (as on Twilio): the run goes on, and the Sandbox's instructions are named as the cause", async () => {
    await addConfig('guarded', guarded);
    const r = await run(
      [
        file(
          'unknown.yaml',
          `name: unknown\nfrom: "whatsapp:${STRANGER}"\nsteps:\n  - send: "hi there"\n  - expect: { contains: "Got:", within: 10s }\n`,
        ),
        '--config',
        'guarded',
        '--json',
      ],
      { TWILIO_AUTH_TOKEN: guarded.authToken },
    );
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const [result] = jsonLines(r.stdout);
    const expect = result.steps[1];
    assert.equal(expect.status, 'failed');
    assert.match(expect.cause, /the WhatsApp Sandbox's answer to a sender who has not joined it/);
    assert.match(expect.fix, /send "join <your sandbox keyword>" from the tester to \+14155238886/);
  });
});
