import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { runCli, tempHome } from '../helpers/cli.js';
import { emulatorClient } from '../helpers/emulator-client.js';

describe("emulator: a message's Media list", () => {
  let emu: Emulator;
  const h = tempHome();
  before(async () => {
    emu = await startEmulator({ numbers: ['+15005550006'], statusDelayMs: 5 });
  });
  after(async () => {
    await emu.stop();
    h.cleanup();
  });

  it('lists each media item with a stable ME sid, its content type and its parent, through the twilio client', async () => {
    const client = emulatorClient(emu);
    const m = await client.messages.create({
      from: '+15005550006',
      to: '+14155550123',
      mediaUrl: ['https://example.test/a.jpg', 'https://example.test/b.png'],
    });
    const first = await client.messages(m.sid).media.list();
    const again = await client.messages(m.sid).media.list();
    assert.equal(first.length, 2);
    assert.deepEqual(first.map((x) => x.contentType), ['image/jpeg', 'image/png']);
    for (const item of first) {
      assert.match(item.sid, /^ME[0-9a-f]{32}$/);
      assert.equal(item.parentSid, m.sid);
      assert.equal(item.uri, `/2010-04-01/Accounts/${emu.accountSid}/Messages/${m.sid}/Media/${item.sid}.json`);
    }
    assert.deepEqual(again.map((x) => x.sid), first.map((x) => x.sid));
    assert.notEqual(first[0]!.sid, first[1]!.sid);
    await assert.rejects(client.messages('SM' + '0'.repeat(32)).media.list(), (err: { status?: number; code?: number }) => err.status === 404 && err.code === 20404);
  });

  it('messages show prints the media URLs of a message (built CLI)', async () => {
    const env = { ...h.env, TWILIO_AUTH_TOKEN: emu.authToken };
    const add = await runCli(['add-config', '--name', 'm', '--from', '+15005550006', '--account-sid', emu.accountSid, '--api-url', emu.url, '--token-from-env'], { env });
    assert.equal(add.code, 0, add.stderr);
    const m = await emulatorClient(emu).messages.create({ from: '+15005550006', to: '+14155550123', mediaUrl: ['https://example.test/c.gif'] });
    const r = await runCli(['messages', 'show', m.sid, '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const shown = JSON.parse(r.stdout);
    assert.equal(shown.media.length, 1);
    assert.equal(shown.media[0].content_type, 'image/gif');
    assert.match(shown.media[0].url, new RegExp(`^${emu.url}/2010-04-01/Accounts/${emu.accountSid}/Messages/${m.sid}/Media/ME[0-9a-f]{32}$`));
    assert.equal(r.stderr, '', 'no warning: the media list was available');
  });
});
