import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import type { ListenInfo } from '../../src/listener/session.js';
import { Output } from '../../src/output/index.js';
import { listenLineHooks, printListenTimeout, printStopRequest } from '../../src/output/listen.js';

function capture(): { out: Output; err: () => string; std: () => string } {
  let err = '';
  let std = '';
  const stderr = Object.assign(new PassThrough(), { isTTY: false });
  const stdout = Object.assign(new PassThrough(), { isTTY: false });
  stderr.write = ((s: string) => {
    err += s;
    return true;
  }) as typeof stderr.write;
  stdout.write = ((s: string) => {
    std += s;
    return true;
  }) as typeof stdout.write;
  const out = new Output({ stdout, stderr, stdin: new PassThrough(), env: {} });
  return { out, err: () => err, std: () => std };
}

const info = (leased: boolean) =>
  ({
    lease: leased ? { phoneNumber: '+15005550006' } : null,
  }) as unknown as ListenInfo;

describe("listen's lines (output/listen.ts)", () => {
  test('the first stop request says what stopping does; a later one that the restore is still under way', () => {
    const c = capture();
    printStopRequest(c.out, 'SIGINT', 1, info(true));
    printStopRequest(c.out, 'SIGINT', 2, info(true));
    assert.equal(
      c.err(),
      'SIGINT: stopping, restoring the webhook of +15005550006…\n' +
        'still restoring the webhook of +15005550006; this finishes in a moment (kill -9 leaves it to: fruxon-twilio restore)\n',
    );
  });

  test('without a lease: stopping, and nothing to say on a second request', () => {
    const c = capture();
    printStopRequest(c.out, 'SIGTERM', 1, info(false));
    printStopRequest(c.out, 'SIGTERM', 2, info(false));
    assert.equal(c.err(), 'SIGTERM: stopping…\n');
  });

  test('--json: the events of one group commit go to stdout in one write; refusals and timeouts to stderr', () => {
    const c = capture();
    const hooks = listenLineHooks(c.out, {
      json: true,
      statuses: false,
      configName: 'main',
      retentionDays: 30,
      path: '/t/1',
    });
    const envelope = { event_id: 1, payload: { from: '+15005550010', message_sid: 'SM1' } } as never;
    hooks.onEvent!(envelope, false, '{"a":1}');
    hooks.onEvent!(envelope, false, '{"a":2}');
    assert.equal(c.std(), '', 'nothing before the group commit ends');
    hooks.onEventsEnd!();
    assert.equal(c.std(), '{"a":1}\n{"a":2}\n');
    hooks.onRefused!({ eventId: 7, reason: 'bad_signature', detail: 'no \u001b[2J here', from: '+1' });
    printListenTimeout(c.out, 60_000, 0, 1);
    assert.equal(
      c.err(),
      'refused bad_signature from +1: no \\x1b[2J here (#7)\ntimed out after 60 s with 0 of 1 event(s)\n',
    );
  });

  test("the agent's replies: under their event, escaped; a failed one with its error code and fix; --json keeps stdout for envelopes", () => {
    const message = (status: string, errorCode: number | null, body = 'at nine \u001b[2J') =>
      ({ sid: 'SM2', to: '+15005550010', channel: 'sms', body, status, errorCode }) as never;
    const c = capture();
    const hooks = listenLineHooks(c.out, {
      json: false,
      statuses: false,
      configName: 'main',
      retentionDays: 30,
      path: '/t/1',
    });
    hooks.onAgentReply!({ kind: 'reply', message: message('queued', null), inReplyTo: 'SM1', eventId: 4 });
    hooks.onAgentReply!({
      kind: 'status',
      message: message('undelivered', 30003),
      inReplyTo: 'SM1',
      eventId: 4,
      previousStatus: 'sent',
    });
    const lines = c.std().split('\n');
    assert.equal(lines[0], '    ↳ reply (API) to +15005550010 (sms) on #4: "at nine \\x1b[2J"  queued  SM2');
    assert.equal(lines[1], '    ↳ SM2 on #4 sent → undelivered (30003)');
    assert.match(lines[2]!, /^ {6}fix: \S/);
    assert.equal(c.err(), '');

    const j = capture();
    listenLineHooks(j.out, { json: true, statuses: false, configName: 'main', retentionDays: 30, path: '/t/1' })
      .onAgentReply!({ kind: 'reply', message: message('sent', null, 'hi'), inReplyTo: null, eventId: null });
    assert.equal(j.std(), '');
    assert.equal(j.err(), '    ↳ reply (API) to +15005550010 (sms): "hi"  sent  SM2\n');
  });
});
