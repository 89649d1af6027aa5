import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startEmulator } from '../../src/emulator/index.js';
import { emulatorClient } from '../helpers/emulator-client.js';

describe('emulator state file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fruxon-emulator-'));
  const statePath = path.join(dir, 'emulator.sqlite');
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps credentials, numbers, webhooks, API keys and messages across a restart', async () => {
    const first = await startEmulator({ statePath, numbers: ['+15005551201'], statusDelayMs: 1 });
    const key = first.createApiKey();
    first.setSmsUrl('+15005551201', 'https://hooks.example.test/sms');
    const sent = await emulatorClient(first).messages.create({
      from: '+15005551201',
      to: '+15550001111',
      body: 'kept',
    });
    await first.idle();
    await first.stop();
    assert.equal(statSync(statePath).mode & 0o777, 0o600, 'the state file holds the auth token: owner-only');

    const second = await startEmulator({ statePath, statusDelayMs: 1 });
    try {
      assert.equal(second.accountSid, first.accountSid);
      assert.equal(second.authToken, first.authToken);
      assert.deepEqual(second.numbers, first.numbers);
      assert.equal(second.getNumber('+15005551201')?.smsUrl, 'https://hooks.example.test/sms');

      const client = emulatorClient(second);
      const fetched = await client.messages(sent.sid).fetch();
      assert.equal(fetched.body, 'kept');
      assert.equal(fetched.status, 'delivered');
      assert.ok(fetched.dateSent instanceof Date);
      const byKey = emulatorClient(second, { username: key.sid, password: key.secret });
      assert.equal((await byKey.messages.list()).length, 1);

      const next = await client.messages.create({ from: '+15005551201', to: '+15550001111', body: 'newer' });
      const listed = await client.messages.list();
      assert.deepEqual(
        listed.map((m) => m.sid),
        [next.sid, sent.sid],
      );
      await second.idle();
    } finally {
      await second.stop();
    }
  });

  it('adds requested numbers and a new token, but refuses another account', async () => {
    const third = await startEmulator({ statePath, numbers: ['+15005551202'], authToken: 'b'.repeat(32) });
    const accountSid = third.accountSid;
    try {
      assert.deepEqual(third.numbers.map((n) => n.phoneNumber).sort(), ['+15005551201', '+15005551202']);
      assert.equal(third.authToken, 'b'.repeat(32));
    } finally {
      await third.stop();
    }
    await assert.rejects(startEmulator({ statePath, accountSid: 'AC' + '1'.repeat(32) }), new RegExp(accountSid));
  });

  it('starts fresh in memory without a state file', async () => {
    const a = await startEmulator();
    const b = await startEmulator();
    try {
      assert.notEqual(a.accountSid, b.accountSid);
      assert.equal(a.numbers.length, 1);
      assert.match(a.numbers[0]!.phoneNumber, /^\+15005551\d{3}$/);
      assert.notEqual(a.url, b.url);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('rejects malformed options with a clear message', async () => {
    await assert.rejects(startEmulator({ accountSid: 'AC123' }), /accountSid/);
    await assert.rejects(startEmulator({ numbers: ['5551234'] }), /E\.164/);
    await assert.rejects(startEmulator({ retryDelaysMs: [-1] }), /retryDelaysMs/);
  });
});
