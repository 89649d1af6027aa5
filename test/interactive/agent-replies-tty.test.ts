import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LocalAgent, orderDesk } from '../helpers/agent.js';
import { closedPort } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER, PHONE } from '../helpers/fixtures.js';
import { TmuxPane } from '../helpers/tmux.js';

// Issue 27 item 4 on the interactive screen: the agent answers through the official `twilio` client (not
// through this tool) while `listen` runs; its reply is listed under the message it answers and counted.
describe("interactive listen: the agent's replies (tmux)", () => {
  let f: EmulatorFixture;
  let agent: LocalAgent;
  let pane: TmuxPane | null = null;
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os' });
    agent = await LocalAgent.start(f.emulator, orderDesk);
  });
  after(async () => {
    await pane?.kill();
    await agent.stop();
    await f.cleanup();
  });

  test('the reply the agent sent through the API is under its message, with its status; the header counts it', async () => {
    pane = TmuxPane.start(['listen', '--port', '0', '--forward-to', agent.url, '--no-inspect'], {
      env: f.env,
      cols: 150,
      rows: 30,
    });
    await pane.waitFor(/0 messages · 0 refused · 0 replies/);
    await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'status of order #7?' });
    const screen = await pane.waitFor(
      /↳ reply \(API\) to \+14155550123 \(sms\): "Your order #7 shipped yesterday\." {2}\S*delivered/,
    );
    const lines = screen.split('\n');
    const question = lines.findIndex((l) => /status of order #7\? {2}#\d+/.test(l));
    const reply = lines.findIndex((l) => l.includes('↳ reply (API)'));
    assert.ok(question >= 0 && reply === question + 1, `the reply right under its message:\n${screen}`);
    assert.match(screen, /1 message · 0 refused · 1 reply · /);
    assert.equal(agent.replies.length, 1, 'the agent sent it, not the screen');
    assert.ok(screen.includes(agent.replies[0]!), 'with its SID');
    pane.keys('q');
    assert.equal(await pane.exitStatus(), 0);
  });

  test('listen --catch-up on the screen: the recovered message is marked, the catch-up line is among the events', async () => {
    await pane?.kill();
    f.emulator.setSmsUrl(OUR_NUMBER, `http://127.0.0.1:${await closedPort()}/asleep`, 'POST');
    await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'sent while the laptop slept' });
    pane = TmuxPane.start(['listen', '--port', '0', '--catch-up', '--no-inspect'], { env: f.env, cols: 150, rows: 30 });
    const screen = await pane.waitFor(/sent while the laptop slept \[recovered\] {2}#\d+/);
    // A note among the events (indented as the screen's notes are), the screen's header still drawn above it.
    const after = await pane.waitFor(
      /^ {4}Caught up: 1 message\(s\) Twilio logged since \S+ while no listener ran here\./m,
    );
    assert.match(after, /fruxon-twilio listen · config "emu"/);
    assert.match(screen, /fruxon-twilio listen · config "emu"/);
    pane.keys('q');
    assert.equal(await pane.exitStatus(), 0);
  });
});
