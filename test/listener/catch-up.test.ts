import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { closedPort, stopAllCliRuns } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER } from '../helpers/fixtures.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';
import { jsonLines, startListen } from '../helpers/listen.js';

// The listens run in this process, handed the fixture's keychain (a memory one: nothing here needs a child).
const testKeychain = memoryKeychain();
const { runCliInProcess: runCli } = inProcessCliWith(testKeychain);
const here = { inProcess: true } as const;

const PHONE = '+14155550198';

describe('listen --catch-up: what Twilio logged while no listener ran, fed to the listener first, once', () => {
  let f: EmulatorFixture;
  before(async () => {
    f = await emulatorWithConfig({ keychain: testKeychain });
  });
  after(async () => {
    await stopAllCliRuns();
    await f?.cleanup();
  });

  test('the messages that went nowhere (the laptop slept) come through the listener, marked recovered; a second catch-up finds none', async () => {
    f.emulator.setSmsUrl(OUR_NUMBER, `http://127.0.0.1:${await closedPort()}/asleep`);
    const lost = [
      (await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'first, while asleep' })).messageSid,
      (await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'second, while asleep' })).messageSid,
    ];
    const { p } = await startListen(f, ['--json', '--catch-up'], {}, here);
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

    const again = await startListen(f, ['--json', '--catch-up'], {}, here);
    await again.p.waitFor(/Caught up: 0 message\(s\)/);
    await again.p.stop();
    assert.equal(jsonLines(again.p.stdout).length, 0, 'nothing fed twice');
  });

  test('the line output marks a recovered message [recovered], and a live one not', async () => {
    f.emulator.setSmsUrl(OUR_NUMBER, `http://127.0.0.1:${await closedPort()}/asleep`);
    await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'lost while the laptop slept' });
    const { p } = await startListen(f, ['--catch-up', '--no-inspect'], {}, here);
    await p.waitFor(/Caught up: 1 message\(s\)/);
    await p.waitFor(/lost while the laptop slept/, { stream: 'stdout' });
    await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'typed while awake' });
    await p.waitFor(/typed while awake/, { stream: 'stdout' });
    await p.stop();
    const lost = p.stdout.split('\n').find((l) => l.includes('lost while the laptop slept'));
    const live = p.stdout.split('\n').find((l) => l.includes('typed while awake'));
    assert.match(lost ?? '', /\[recovered\]/);
    assert.doesNotMatch(live ?? '', /recovered/);
  });
});
