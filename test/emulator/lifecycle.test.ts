import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type EmulatorLogEntry, startEmulator } from '../../src/emulator/index.js';

/** A webhook endpoint that accepts connections and never answers. */
describe('emulator with a webhook that never answers', () => {
  let silent: http.Server;
  let silentUrl: string;

  before(async () => {
    silent = http.createServer(() => {
      // deliberately no response
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hook`;
  });
  after(async () => {
    await new Promise<void>((resolve) => {
      silent.close(() => resolve());
      silent.closeAllConnections();
    });
  });

  it('counts a timeout as a failed attempt and retries it', async () => {
    const logs: EmulatorLogEntry[] = [];
    const emu = await startEmulator({
      numbers: ['+15005551401'],
      deliveryTimeoutMs: 50,
      retryDelaysMs: [1],
      onLog: (e) => logs.push(e),
    });
    try {
      emu.setSmsUrl('+15005551401', silentUrl);
      const result = await emu.deliverInbound({ from: '+15550004444', to: '+15005551401', body: 'hello?' });
      assert.equal(result.outcome, 'failed');
      assert.equal(result.attempts.length, 2);
      for (const a of result.attempts) assert.match(a.error!, /timed out/);
      assert.equal(logs.filter((e) => e.event === 'webhook.attempt').length, 2);
    } finally {
      await emu.stop();
    }
  });

  it('stop() cancels an in-flight delivery instead of waiting for it', async () => {
    const emu = await startEmulator({ numbers: ['+15005551402'], deliveryTimeoutMs: 60_000 });
    emu.setSmsUrl('+15005551402', silentUrl);
    const delivery = emu.deliverInbound({ from: '+15550004444', to: '+15005551402', body: 'stuck' });
    await new Promise((resolve) => silent.once('request', resolve));
    await emu.stop();
    const result = await delivery;
    assert.equal(result.outcome, 'cancelled');
    await assert.rejects(fetch(`${emu.url}/2010-04-01/Accounts/${emu.accountSid}.json`), 'the port is closed');
  });

  it('stop() ends pending status steps', async () => {
    const emu = await startEmulator({ numbers: ['+15005551403'], statusDelayMs: 60_000 });
    const auth = 'Basic ' + Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64');
    const res = await fetch(`${emu.url}/2010-04-01/Accounts/${emu.accountSid}/Messages.json`, {
      method: 'POST',
      headers: { Authorization: auth, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ To: '+15550004444', From: '+15005551403', Body: 'later' }),
    });
    assert.equal(res.status, 201);
    await emu.stop();
    assert.equal(emu.messages()[0]?.status, 'queued');
  });
});
