import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { runCliChildProcess, tempHome } from '../helpers/cli.js';
import { emulatorClient } from '../helpers/emulator-client.js';

const OWN = '+15005550006';

function restError(code: number) {
  return (err: unknown) => {
    const e = err as { status?: number; code?: number };
    assert.equal(e.status, 400, JSON.stringify(err));
    assert.equal(e.code, code);
    return true;
  };
}

describe('the emulator refuses what Twilio refuses', () => {
  let emu: Emulator;
  before(async () => {
    emu = await startEmulator({ numbers: [OWN, '+15005550007'], statusDelayMs: 5 });
  });
  after(() => emu.stop());

  it('To equal to From (21266), also on WhatsApp; more than 10 media URLs (21623); a body over 1600 characters (21617)', async () => {
    const client = emulatorClient(emu);
    await assert.rejects(client.messages.create({ from: OWN, to: OWN, body: 'me to me' }), restError(21266));
    await assert.rejects(
      client.messages.create({ from: `whatsapp:${OWN}`, to: `whatsapp:${OWN}`, body: 'me to me' }),
      restError(21266),
    );
    const media = (n: number) => Array.from({ length: n }, (_, i) => `https://example.test/${i}.jpg`);
    await assert.rejects(
      client.messages.create({ from: OWN, to: '+15551230005', mediaUrl: media(11) }),
      restError(21623),
    );
    assert.equal((await client.messages.create({ from: OWN, to: '+15551230005', mediaUrl: media(10) })).numMedia, '10');
    await assert.rejects(
      client.messages.create({ from: OWN, to: '+15551230005', body: 'x'.repeat(1601) }),
      restError(21617),
    );
    // Characters, not UTF-16 units: 1600 emoji are 1600 characters (3200 units), within the limit; 1601 are not.
    assert.ok(await client.messages.create({ from: OWN, to: '+15551230005', body: '😀'.repeat(1600) }));
    await assert.rejects(
      client.messages.create({ from: OWN, to: '+15551230005', body: '😀'.repeat(1601) }),
      restError(21617),
    );
    // Another of the account's own numbers is fine.
    assert.ok(await client.messages.create({ from: '+15005550007', to: OWN, body: 'from the other number' }));
  });

  it('send checks the media count before anything is sent', async () => {
    const h = tempHome();
    try {
      const args = [
        'send',
        '--to',
        '+15551230005',
        '--body',
        'x',
        ...Array.from({ length: 11 }, (_, i) => ['--media-url', `https://example.test/${i}.jpg`]).flat(),
      ];
      const r = await runCliChildProcess(args, { env: h.env });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^error: --media-url can be given at most 10 times \(got 11\)/m);
    } finally {
      h.cleanup();
    }
  });
});
