import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { summarize } from '../../src/inspector/index.js';
import { type Form, TRIGGER, toTriggerPayload } from '../../src/listener/payload.js';
import { printEvent } from '../../src/output/events.js';
import { Output } from '../../src/output/index.js';
import type { StoredEvent } from '../../src/store/events.js';

function capture(): { out: Output; std: () => string } {
  let std = '';
  const stdout = Object.assign(new PassThrough(), { isTTY: false });
  stdout.write = ((s: string) => {
    std += s;
    return true;
  }) as typeof stdout.write;
  const out = new Output({ stdout, stderr: new PassThrough(), stdin: new PassThrough(), env: {} });
  return { out, std: () => std };
}

const form = (extra: Form): Form => ({
  MessageSid: `SM${'1'.repeat(32)}`,
  From: '+14155550100',
  To: '+15005550006',
  Body: 'STOP',
  NumMedia: '0',
  ...extra,
});

describe("an opt-out keyword is marked on listen's line and in the inspector's event list", () => {
  test("listen's line names what Twilio did: STOP, START, HELP; an ordinary message (or an old event) has no mark", () => {
    for (const [type, mark] of [
      ['STOP', ' [STOP: opted out, replies refused (21610)]  #7'],
      ['START', ' [START: opted back in]  #7'],
      ['HELP', ' [HELP: Twilio sent its help text]  #7'],
    ] as const) {
      const c = capture();
      const payload = toTriggerPayload(form({ OptOutType: type }), { configId: 'cfg' });
      printEvent(c.out, {
        trigger: TRIGGER,
        config: 'emu',
        event_id: 7,
        received_at: '2026-12-07T10:00:00.000Z',
        payload,
      });
      assert.ok(c.std().endsWith(`${mark}\n`), c.std());
    }
    const plain = capture();
    const payload = toTriggerPayload(form({}), { configId: 'cfg' });
    const { opt_out_type: _gone, ...older } = payload.message_attributes;
    printEvent(plain.out, {
      trigger: TRIGGER,
      config: 'emu',
      event_id: 8,
      received_at: '2026-12-07T10:00:00.000Z',
      payload: { ...payload, message_attributes: older as typeof payload.message_attributes },
    });
    assert.doesNotMatch(plain.std(), /\[/);
  });

  test("the inspector's event summary carries the same mark (opt_out), null for an ordinary message", () => {
    const event = (extra: Form): StoredEvent => ({
      id: 1,
      configId: 'cfg',
      configName: 'emu',
      receivedAt: '2026-12-07T10:00:00.000Z',
      status: 'accepted',
      reason: null,
      messageSid: `SM${'1'.repeat(32)}`,
      idempotencyToken: null,
      channel: 'sms',
      fromNumber: '+14155550100',
      body: 'STOP',
      signatureValid: true,
      rawForm: form(extra),
      headers: {},
      payload: toTriggerPayload(form(extra), { configId: 'cfg' }) as unknown as Record<string, unknown>,
      forward: null,
      remoteAddress: null,
      bodyExcerpt: null,
    });
    assert.equal(summarize(event({ OptOutType: 'STOP' })).opt_out, 'STOP: opted out, replies refused (21610)');
    assert.equal(summarize(event({})).opt_out, null);
  });
});
