import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conversation, type Timed } from '../../src/operations/record.js';

const msg = (direction: 'in' | 'out', body: string, ms: number, seq: number): Timed => ({
  direction,
  body,
  mediaUrls: [],
  numMedia: 0,
  channel: 'sms',
  at: new Date(Date.UTC(2026, 11, 7, 12, 0, 0) + ms),
  seq,
  sid: null,
});

test("both sides as one conversation: by the second, the customer's message before an answer in the same second, each side in its own order", () => {
  // Twilio's times have whole seconds: the answer to "a" shows the same second as "a" (it was 300 ms later).
  const inbound = [msg('in', 'a', 0, 0), msg('in', 'b', 2000, 1), msg('in', 'c', 2000, 2)];
  const outbound = [msg('out', 'A', 0, 0), msg('out', 'B1', 2000, 1), msg('out', 'B2', 3000, 2)];
  assert.deepEqual(
    conversation([...outbound, ...inbound], { cutoff: null, limit: 20 }).map((m) => m.body),
    ['a', 'A', 'b', 'c', 'B1', 'B2'],
  );
});

test('--since keeps what is at or after the cutoff (and what has no time), --last the newest N', () => {
  const all = [
    msg('in', 'old', 0, 0),
    msg('out', 'OLD', 1000, 0),
    msg('in', 'new', 60_000, 1),
    msg('out', 'NEW', 61_000, 1),
  ];
  const cutoff = Date.UTC(2026, 11, 7, 12, 0, 30);
  assert.deepEqual(
    conversation(all, { cutoff, limit: 1000 }).map((m) => m.body),
    ['new', 'NEW'],
  );
  assert.deepEqual(
    conversation(all, { cutoff: null, limit: 3 }).map((m) => m.body),
    ['OLD', 'new', 'NEW'],
  );
  const undated = { ...msg('in', 'undated', 0, 2), at: null };
  assert.deepEqual(
    conversation([...all, undated], { cutoff, limit: 1000 }).map((m) => m.body),
    ['undated', 'new', 'NEW'],
  );
});
