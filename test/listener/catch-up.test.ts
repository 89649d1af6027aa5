import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { closedPort, stopAllCliProcesses } from '../helpers/cli.js';
import { runCli, useRealKeychain } from '../helpers/inproc.js';

// The listen child reads its token from the (test) keychain: the in-process runs use the same one.
useRealKeychain();

import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER } from '../helpers/fixtures.js';
import { jsonLines, startListen } from '../helpers/listen.js';

const PHONE = '+14155550198';

describe('listen --catch-up: what Twilio logged while no listener ran, fed to the listener first, once', () => {
  let f: EmulatorFixture;
  before(async () => {
    f = await emulatorWithConfig();
  });
  after(async () => {
    await stopAllCliProcesses();
    await f?.cleanup();
  });

  test('the messages that went nowhere (the laptop slept) come through the listener, marked recovered; a second catch-up finds none', async () => {
    f.emulator.setSmsUrl(OUR_NUMBER, `http://127.0.0.1:${await closedPort()}/asleep`);
    const lost = [
      (await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'first, while asleep' })).messageSid,
      (await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'second, while asleep' })).messageSid,
    ];
    const { p } = await startListen(f, ['--json', '--catch-up']);
    await p.waitFor(/Caught up: 2 message\(s\) Twilio logged since \S+ while no listener ran here\./);
    await p.waitFor(/second, while asleep/, { stream: 'stdout' });
    const envelopes = jsonLines(p.stdout);
    assert.deepEqual(
      envelopes.map((e) => e.payload.message_sid),
      lost,
      'oldest first, each once',
    );
    const live = await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'awake now' });
    assert.equal(live.outcome, 'delivered');
    await p.waitFor(/awake now/, { stream: 'stdout' });
    await p.stop();

    const shown = await runCli(['events', 'show', String(envelopes[0].event_id), '--json'], { env: f.env });
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(JSON.parse(shown.stdout).headers['x-fruxon-twilio-recovered'], '1');
    const liveEvent = jsonLines(p.stdout).find((e) => e.payload.message_sid === live.messageSid);
    const liveShown = await runCli(['events', 'show', String(liveEvent.event_id), '--json'], { env: f.env });
    assert.equal(JSON.parse(liveShown.stdout).headers['x-fruxon-twilio-recovered'], undefined);

    const again = await startListen(f, ['--json', '--catch-up']);
    await again.p.waitFor(/Caught up: 0 message\(s\)/);
    await again.p.stop();
    assert.equal(jsonLines(again.p.stdout).length, 0, 'nothing fed twice');
  });
});
