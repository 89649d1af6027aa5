import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LocalAgent, orderDesk } from '../helpers/agent.js';
import { stopAllCliRuns } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER, PHONE } from '../helpers/fixtures.js';
import { memoryKeychain } from '../helpers/keychains.js';
import { startListen } from '../helpers/listen.js';

// Issue 27 item 4: the agent answers through the official `twilio` client (not through this tool) while
// `listen` runs; the listener reads those replies from Twilio's Messages list, only while messages arrive.
const testKeychain = memoryKeychain();
const here = { inProcess: true } as const;

/** The API trace's lines that read the number's Messages list (GET …/Messages.json). */
function messageListCalls(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /\bGET\b.*\/Messages\.json/.test(l));
}

describe("listen: the agent's replies under the message they answer", () => {
  let f: EmulatorFixture;
  let agent: LocalAgent;
  before(async () => {
    f = await emulatorWithConfig({ keychain: testKeychain });
    agent = await LocalAgent.start(f.emulator, orderDesk);
  });
  after(async () => {
    await stopAllCliRuns();
    await agent.stop();
    await f?.cleanup();
  });

  test('idle: no Messages list call; a message arrives: the reply the agent sent through the API shows under it, then its delivery', async () => {
    const { p } = await startListen(
      f,
      ['--forward-to', agent.url, '--check-missed', '0', '--no-inspect'],
      { FRUXON_TWILIO_DEBUG: 'api' },
      here,
    );
    // Idle for longer than the watcher's interval (2 s): it makes no API call.
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual(messageListCalls(p.stderr), [], 'an idle listener makes no Messages list calls');

    await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'where is my order #42?' });
    const reply = await p.waitFor(
      /↳ reply \(API\) to \+14155550123 \(sms\) on #(\d+): "Your order #42 shipped yesterday\."\s+\S+\s+(SM\w+)/,
      { stream: 'stdout', timeoutMs: 20_000 },
    );
    const sid = reply[2]!;
    assert.deepEqual(agent.replies, [sid], 'the reply the agent sent (not one this tool sent)');
    const event = /where is my order #42\?\s+#(\d+)/.exec(p.stdout);
    assert.equal(reply[1], event?.[1], 'under the event it answers');
    assert.ok(
      p.stdout.indexOf('where is my order') < p.stdout.indexOf('↳ reply (API)'),
      'the reply comes after its message',
    );
    // Its delivery: on the reply's line when the first read found it final, else on a status line under it.
    await p.waitFor(new RegExp(`delivered {2}${sid}|↳ ${sid} on #${event?.[1]} \\S+ → delivered`), {
      stream: 'stdout',
      timeoutMs: 20_000,
    });
    assert.ok(messageListCalls(p.stderr).length > 0, 'read from the Messages list while messages arrive');
    await p.stop();
    const lines = p.stdout.split('\n').filter((l) => l.includes(sid));
    assert.equal(lines.filter((l) => l.includes('↳ reply (API)')).length, 1, 'the reply shown once');
    const statuses = lines.map((l) => (/" {2}(\S+) {2}SM\w+$/.exec(l) ?? /→ (\S+)$/.exec(l))?.[1]);
    assert.equal(new Set(statuses).size, statuses.length, `each status once: ${statuses}`);
  });
});
