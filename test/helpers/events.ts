import type { NewEvent } from '../../src/store/index.js';

/**
 * An accepted SMS event for the store's own tests: number `i` has its own MessageSid, alternates between
 * configs `cfg-a` and `cfg-b`, and was received `i` minutes after 2025-01-01.
 */
export function storeEvent(i: number, over: Partial<NewEvent> = {}): NewEvent {
  const sid = 'SM' + i.toString(16).padStart(32, '0');
  return {
    configId: i % 2 ? 'cfg-a' : 'cfg-b',
    configName: i % 2 ? 'a' : 'b',
    receivedAt: new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString(),
    status: 'accepted',
    reason: null,
    messageSid: sid,
    idempotencyToken: null,
    channel: 'sms',
    fromNumber: '+14155550123',
    body: `m${i}`,
    signatureValid: true,
    rawForm: { MessageSid: sid },
    headers: {},
    payload: { text: `m${i}` },
    ...over,
  };
}
