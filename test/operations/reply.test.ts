import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StatusCallback } from '../../src/listener/session.js';
import { ReplyTracker, reachableStatusCallback, replyStatusLabel } from '../../src/operations/reply.js';

const status = (sid: string | null, s: string, errorCode: number | null = null): StatusCallback => ({
  receivedAt: '2026-01-01T00:00:00.000Z',
  messageSid: sid,
  status: s,
  errorCode,
  from: '+15005550006',
  to: '+15005550010',
});

describe('reply-and-track (operations/reply.ts)', () => {
  test('a callback that beats the send answer waits for the reply that claims it, in order', () => {
    const t = new ReplyTracker<{ name: string }>();
    t.sending();
    assert.equal(t.pending, 1);
    assert.equal(t.claim(status('SM1', 'queued')), undefined);
    assert.equal(t.claim(status('SM1', 'sent')), undefined);
    const reply = { name: 'r' };
    assert.deepEqual(
      t.sent('SM1', reply).map((s) => s.status),
      ['queued', 'sent'],
    );
    assert.equal(t.pending, 0);
    assert.equal(t.claim(status('SM1', 'delivered')), reply);
    assert.deepEqual(t.sent('SM2', { name: 'other' }), [], 'nothing waited for another SID');
  });

  test('a failed send is no longer pending; a callback without a SID is nobody', () => {
    const t = new ReplyTracker<string>();
    t.sending();
    t.failed();
    assert.equal(t.pending, 0);
    assert.equal(t.claim(status(null, 'sent')), undefined);
  });

  test('only the newest callbacks of unknown SIDs are kept', () => {
    const t = new ReplyTracker<string>({ maxEarly: 2 });
    for (const sid of ['SM1', 'SM2', 'SM3']) t.claim(status(sid, 'sent'));
    assert.deepEqual(t.sent('SM1', 'a'), [], 'the oldest was dropped');
    assert.equal(t.sent('SM3', 'c').length, 1);
  });

  test('labels carry the error code; real Twilio gets no loopback status callback', () => {
    assert.equal(replyStatusLabel(status('SM1', 'undelivered', 30003)), 'undelivered (30003)');
    assert.equal(replyStatusLabel(status('SM1', 'delivered')), 'delivered');
    assert.equal(reachableStatusCallback('http://127.0.0.1:7337/t/1', null), null);
    assert.equal(
      reachableStatusCallback('http://127.0.0.1:7337/t/1', 'http://127.0.0.1:3000'),
      'http://127.0.0.1:7337/t/1',
    );
    assert.equal(reachableStatusCallback('https://x.ngrok.app/t/1', null), 'https://x.ngrok.app/t/1');
  });
});
