import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliError } from '../../src/commands/fields.js';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { type CliError, FieldError } from '../../src/errors.js';
import { FruxonClient } from '../../src/fruxon/client.js';
import { inspectorActions } from '../../src/inspector/actions.js';
import { ListenSession } from '../../src/listener/session.js';
import { mcpError } from '../../src/mcp/fields.js';
import { callTool } from '../../src/mcp/server.js';
import { type ToolDeps, tools } from '../../src/mcp/tools.js';
import type { CoreDeps } from '../../src/operations/deps.js';
import { sendFromConfig } from '../../src/operations/send.js';
import { openStore, type Store } from '../../src/store/index.js';
import { createTwilioClient, type TwilioFactory } from '../../src/twilio/client.js';
import { addConfigArgs } from '../helpers/add-config.js';
import { CliChildProcess, stopAllCliRuns, tempHome } from '../helpers/cli.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';

// The keychain this file's in-process runs are handed (in memory: no child process reads it).
const testKeychain = memoryKeychain();
const { runCliInProcess, startCliInProcess } = inProcessCliWith(testKeychain);

const OWN = '+15005550006';
const TESTER = '+15005550007';
const TO = '+14155550100';

/** A Twilio factory that records every client it makes, and makes real ones (pointed at the emulator). */
function recordingTwilio(): { factory: TwilioFactory; made: string[] } {
  const made: string[] = [];
  return {
    made,
    factory: (creds, opts) => {
      made.push(creds.accountSid);
      return createTwilioClient(creds, opts);
    },
  };
}

/** One seam: the cores take their clients, clock and signal from the deps the faces hand them. */
describe('the seam: cores use the injected factories, clock and signal', () => {
  const h = tempHome();
  let emu: Emulator;
  let store: Store;
  const env = () => ({ ...h.env, TWILIO_AUTH_TOKEN: emu.authToken });
  const coreDeps = (over: Partial<CoreDeps> = {}): CoreDeps => ({
    env: env(),
    store,
    secrets: () => assert.fail('the secret store was asked (the config reads its token from the environment)'),
    twilio: () => assert.fail('no Twilio client was expected'),
    fruxon: (o) => new FruxonClient(o),
    now: () => new Date(),
    trace: null,
    signal: new AbortController().signal,
    ...over,
  });

  before(async () => {
    emu = await startEmulator({ numbers: [OWN, TESTER], statusDelayMs: 20 });
    const add = await runCliInProcess(addConfigArgs('seam', OWN, emu, 'env', '--no-verify'), { env: env() });
    assert.equal(add.code, 0, add.stderr);
    store = openStore(h.env);
  });
  after(async () => {
    store.close();
    await stopAllCliRuns();
    await emu.stop();
    h.cleanup();
  });

  test("the inspector's reply sends through the factory it is handed", async () => {
    const twilio = recordingTwilio();
    const config = store.configs.byName('seam')!;
    const actions = inspectorActions({
      store,
      config,
      env: env(),
      secrets: async () => assert.fail('the secret store was asked'),
      twilio: twilio.factory,
      statusCallbackUrl: `${emu.url}/status`,
      authToken: async () => null,
      forwardTo: null,
      trace: null,
    });
    const sent = await actions.reply!({ to: TO, channel: 'sms', body: 'from the inspector' });
    assert.match(sent.sid, /^SM/);
    assert.equal(sent.to, TO);
    assert.deepEqual(twilio.made, [emu.accountSid]);
  });

  test('`test` (the conversation runner) connects through the context factory and reports on the context clock', async () => {
    const twilio = recordingTwilio();
    const file = join(h.home, 'quiet.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'quiet number',
        config: 'seam',
        from: TESTER,
        steps: [{ send: 'hello' }, { expect: { none: true, within: '1s' } }],
      }),
    );
    const NOW = new Date('2031-06-15T12:00:00.000Z');
    const r = await runCliInProcess(['test', file, '--json'], {
      env: env(),
      deps: { twilio: twilio.factory, now: () => new Date(NOW) },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout.trim()).started_at, NOW.toISOString());
    assert.ok(twilio.made.length >= 1, 'the runner made its client through the handed-in factory');
    assert.ok(twilio.made.every((sid) => sid === emu.accountSid));
  });

  test('the send core words nothing in flags: its field error reads as the CLI flag or the MCP argument', async () => {
    const err = await sendFromConfig(coreDeps(), {
      to: '{to} nobody',
      body: 'x',
      mediaUrls: [],
      statusCallback: null,
    }).then(
      () => assert.fail('sent to nobody'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof FieldError);
    assert.equal(err.field, 'to');
    assert.match(err.message, /^to must be an E\.164 number/);
    const cli = cliError(err) as CliError;
    assert.equal(
      cli.message,
      '--to must be an E.164 number like +14155238886 or the name of a participant (got "{to} nobody", which is neither)',
      'the value is put in as given, never read as a placeholder',
    );
    assert.equal(cli.exitCode, 2);
    const mcp = mcpError(err) as CliError;
    assert.match(mcp.message, /^to must be an E\.164 number/);
    assert.doesNotMatch(mcp.message, /--/);
  });

  test('MCP send_message with an invalid `to` says `to must be`, never `--to`', async () => {
    const send = tools.find((t) => t.name === 'send_message')!;
    const deps: ToolDeps = { ...coreDeps(), defaultConfig: 'seam' };
    const r = await callTool(() =>
      send.run({ to: 'nobody', body: 'x' }, deps, { signal: new AbortController().signal }),
    );
    assert.equal(r.isError, true);
    const text = (r.content[0] as { text: string }).text;
    assert.match(text, /^error: to must be an E\.164 number like \+14155238886 or the name of a participant/);
    assert.doesNotMatch(text, /--to/);
    assert.equal((r.structuredContent?.error as { reason: string } | undefined)?.reason, 'invalid_argument');
  });

  test('the loopback rule on real Twilio: the CLI says --media-url, MCP says media_urls', async () => {
    const { refuseLoopbackUrls } = await import('../../src/twilio/send-rules.js');
    let err: unknown = null;
    try {
      refuseLoopbackUrls([['media_url', 'http://127.0.0.1/a.png']], null);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof FieldError);
    assert.match((cliError(err) as CliError).message, /^--media-url must be a public URL Twilio can reach/);
    assert.match((mcpError(err) as CliError).message, /^media_urls must be a public URL Twilio can reach/);
  });

  test("the listener stamps an event's received_at with the injected clock", async () => {
    const NOW = new Date('2031-06-15T12:00:00.000Z');
    const config = store.configs.byName('seam')!;
    const session = new ListenSession({
      store,
      config,
      authToken: null,
      skipVerify: true,
      host: '127.0.0.1',
      port: 0,
      tunnel: { kind: 'none' },
      twilio: null,
      now: () => new Date(NOW),
      apiUrl: emu.url,
      productionUrl: () => null,
    });
    const info = await session.start();
    try {
      const res = await fetch(info.localUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          MessageSid: `SM${'a'.repeat(32)}`,
          AccountSid: emu.accountSid,
          From: TO,
          To: OWN,
          Body: 'clocked',
          NumMedia: '0',
        }).toString(),
      });
      await res.arrayBuffer();
      const events = store.events.list({ configId: config.id });
      assert.ok(events.length >= 1, 'the request was recorded');
      assert.equal(events[0]!.receivedAt, NOW.toISOString());
    } finally {
      await session.stop();
    }
  });

  test('aborting the context signal stops `emulator` and `inspect` in-process, exit 0', async () => {
    const emulator = startCliInProcess(['emulator', '--port', '0', '--json'], { env: env() });
    await emulator.waitFor(/"account_sid"/, { stream: 'stdout' });
    emulator.kill('SIGINT');
    assert.deepEqual(await emulator.exited, { code: 0, signal: null });

    const inspect = startCliInProcess(['inspect', '--config', 'seam', '--port', '0'], { env: env() });
    await inspect.waitFor(/Inspector: http:\/\/127\.0\.0\.1:\d+\//);
    inspect.kill('SIGTERM');
    assert.deepEqual(await inspect.exited, { code: 0, signal: null });
  });

  test('SIGINT to the binary still stops `emulator` and `inspect` with exit 0', async () => {
    // Each waits for its last line before it waits: a SIGINT before the handler is attached would kill it (Node's default).
    const emulator = new CliChildProcess(['emulator', '--port', '0', '--quiet'], { env: env() });
    await emulator.waitFor(/Press Ctrl-C to stop/);
    emulator.kill('SIGINT');
    assert.deepEqual(await emulator.exited, { code: 0, signal: null });

    const inspect = new CliChildProcess(['inspect', '--config', 'seam', '--port', '0'], { env: env() });
    await inspect.waitFor(/Press Ctrl-C to stop/);
    inspect.kill('SIGINT');
    assert.deepEqual(await inspect.exited, { code: 0, signal: null });
  });

  test('mcp stops when its context signal aborts (it attaches no process handler of its own), exit 0', async () => {
    const mcp = startCliInProcess(['mcp'], { env: env() });
    await mcp.waitFor(/serving 10 tools on stdio/);
    mcp.kill('SIGTERM');
    assert.deepEqual(await mcp.exited, { code: 0, signal: null });
  });

  test('send --wait: Ctrl-C ends the wait (exit 130, the message keeps going), in-process (the context signal) and in the binary', async () => {
    const slow = await startEmulator({ numbers: [OWN], statusDelayMs: 600_000 });
    try {
      const slowEnv = { ...h.env, TWILIO_AUTH_TOKEN: slow.authToken };
      const add = await runCliInProcess(addConfigArgs('slow', OWN, slow, 'env', '--no-verify'), { env: slowEnv });
      assert.equal(add.code, 0, add.stderr);
      const args = ['send', '--config', 'slow', '--to', TO, '--body', 'slow', '--wait', '--wait-timeout', '5m'];
      for (const run of [startCliInProcess(args, { env: slowEnv }), new CliChildProcess(args, { env: slowEnv })]) {
        await run.waitFor(/SM[0-9a-f]{32} to \+14155550100: /);
        run.kill('SIGINT');
        const { code } = await run.exited;
        assert.equal(code, 130, run.stderr);
        assert.match(run.stderr, /interrupted after [\d.]+s; the message keeps going \(sid SM/);
      }
    } finally {
      await slow.stop();
    }
  });
});
