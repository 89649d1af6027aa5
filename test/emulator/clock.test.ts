import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type twilio from 'twilio';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { emulatorClient } from '../helpers/emulator-client.js';

const OWN = '+15005550006';
const START = new Date('2026-03-01T10:00:00Z');

async function control(emu: Emulator, method: string, name: string, body?: unknown) {
  const res = await fetch(`${emu.url}/_emulator/${name}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('the emulator clock', () => {
  let emu: Emulator;
  let client: twilio.Twilio;
  before(async () => {
    emu = await startEmulator({ numbers: [OWN], statusDelayMs: 5, now: () => new Date(START) });
    client = emulatorClient(emu);
  });
  after(() => emu.stop());

  it('GET /_emulator/clock tells the time; POST {"advance"} moves it; message dates follow it', async () => {
    assert.deepEqual((await control(emu, 'GET', 'clock')).json, {
      now: START.toISOString(),
      advanced_seconds: 0,
    });
    const before = await client.messages.create({ from: OWN, to: '+14155550100', body: 'before' });
    assert.equal(before.dateCreated.toISOString(), START.toISOString());

    for (const [advance, seconds] of [
      ['90s', 90],
      ['15m', 90 + 15 * 60],
      ['25h', 90 + 15 * 60 + 25 * 3600],
      ['2d', 90 + 15 * 60 + 25 * 3600 + 2 * 86400],
    ] as const) {
      const r = await control(emu, 'POST', 'clock', { advance });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(r.json.advanced_seconds, seconds);
      assert.equal(r.json.now, new Date(START.getTime() + seconds * 1000).toISOString());
    }
    const after = await client.messages.create({ from: OWN, to: '+14155550100', body: 'after' });
    assert.equal(after.dateCreated.getTime() - START.getTime(), (90 + 15 * 60 + 25 * 3600 + 2 * 86400) * 1000);
    await emu.idle();
    assert.equal(
      (await client.messages(after.sid).fetch()).dateSent!.getTime(),
      after.dateCreated.getTime(),
      'date_sent follows the clock too',
    );
    assert.equal(emu.now().getTime(), after.dateCreated.getTime());
  });

  it('a clock advance that is not a duration: 400 with one line naming advance and the form; the clock stays', async () => {
    const was = emu.now().toISOString();
    for (const advance of ['25', '-1h', '1.5h', 'soon', 25, null]) {
      const r = await control(emu, 'POST', 'clock', { advance });
      assert.equal(r.status, 400);
      const error = r.json.error as string;
      assert.match(error, /^advance must be a duration, a whole number followed by s, m, h or d \(like 90s/);
      assert.doesNotMatch(error, /\n/);
    }
    assert.equal(emu.now().toISOString(), was);
    assert.throws(() => emu.advanceClock('tomorrow'), /^Error: advance must be a duration/);
  });
});

describe('the policy state in a state file', () => {
  it('keeps the clock offset, opt-outs, templates and Sandbox membership across a restart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fruxon-emulator-policy-'));
    const statePath = path.join(dir, 'emulator.sqlite');
    const phone = '+14155550161';
    try {
      const first = await startEmulator({
        statePath,
        numbers: [OWN],
        statusDelayMs: 1,
        now: () => new Date(START),
        topology: {
          sandbox: { join_code: 'cedar-dune' },
          content: [{ sid: `HX${'e'.repeat(32)}`, friendly_name: 'kept', body: 'kept {{1}}' }],
        },
      });
      await first.deliverInbound({ from: phone, to: OWN, body: 'STOP' });
      await first.deliverInbound({ from: phone, to: 'whatsapp:+14155238886', body: 'join cedar-dune' });
      first.advanceClock('2d');
      await first.idle();
      await first.stop();

      const second = await startEmulator({ statePath, statusDelayMs: 1, now: () => new Date(START) });
      try {
        assert.equal(second.now().toISOString(), new Date(START.getTime() + 2 * 86_400_000).toISOString());
        const client = emulatorClient(second);
        await assert.rejects(
          client.messages.create({ from: OWN, to: phone, body: 'x' }),
          (e: { code?: number }) => e.code === 21610,
        );
        assert.deepEqual(
          (await client.content.v1.contents.list()).map((c) => c.friendlyName),
          ['kept'],
        );
        const sandbox = second.topology().sandbox;
        assert.equal(sandbox.join_code, 'cedar-dune');
        assert.deepEqual(sandbox.participants, [phone], 'joined 2 days ago: still a participant');
        second.advanceClock('25h');
        assert.deepEqual(second.topology().sandbox.participants, [], '72 hours after joining: no longer');
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
