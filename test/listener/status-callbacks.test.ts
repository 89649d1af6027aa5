import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { statusCallbackOf } from '../../src/listener/session.js';
import { runCliChildProcess, stopAllCliRuns } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER, PHONE } from '../helpers/fixtures.js';
import { jsonLines, startListen } from '../helpers/listen.js';

let f: EmulatorFixture;
before(async () => {
  f = await emulatorWithConfig({ keychain: 'os' });
});
after(async () => {
  await stopAllCliRuns();
  await f.cleanup();
});

test('status callbacks posted to the listener are statuses: no trigger, no JSON line, not counted by --once', async () => {
  const { p, url } = await startListen(f, ['--json', '--once']);
  // A real send whose statuses Twilio (the emulator) posts, signed, to the listener's URL.
  const sent = await runCliChildProcess(
    ['send', '--to', PHONE, '--body', 'order shipped', '--status-callback', url, '--json'],
    {
      env: f.env,
    },
  );
  assert.equal(sent.code, 0, sent.stderr);
  const sid = JSON.parse(sent.stdout).sid as string;
  await p.waitFor(new RegExp(`status callback: ${sid} delivered: not a message, no trigger`));
  await f.emulator.idle();
  assert.equal(p.stdout, '', '--json stdout carries messages only');
  assert.equal(p.child.exitCode, null, '--once is still waiting for a message');
  const events = JSON.parse((await runCliChildProcess(['events', 'list', '--json'], { env: f.env })).stdout);
  assert.deepEqual(events, [], 'nothing recorded as a message');

  await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'thanks!' });
  assert.equal((await p.exited).code, 0);
  const [line, ...rest] = jsonLines(p.stdout);
  assert.equal(rest.length, 0);
  assert.equal(line.payload.text, 'thanks!');
  assert.equal(line.payload.from, PHONE);
});

test('the ready line gives the status-callback URL; send --status-callback with it reaches the listener; webhook show and configs show --json carry it', async () => {
  const { p, url } = await startListen(f);
  const line = p.stderr.split('\n').find((l) => l.startsWith('Ready!'))!;
  const m = /\(config "emu", webhook registered, tunnel none\); status callbacks: send --status-callback (\S+)$/.exec(
    line,
  );
  assert.ok(m, line);
  assert.equal(m[1], url, 'the listener tells status callbacks apart at its own URL');
  const sent = await runCliChildProcess(
    ['send', '--to', PHONE, '--body', 'your code', '--status-callback', m[1]!, '--json'],
    {
      env: f.env,
    },
  );
  assert.equal(sent.code, 0, sent.stderr);
  await p.waitFor(new RegExp(`status callback: ${JSON.parse(sent.stdout).sid} delivered`));
  const shown = JSON.parse((await runCliChildProcess(['webhook', 'show', '--json'], { env: f.env })).stdout);
  assert.equal(shown.listener.status_callback_url, url);
  const config = JSON.parse((await runCliChildProcess(['configs', 'show', '--json'], { env: f.env })).stdout);
  assert.equal(config.listener.status_callback_url, url);
  p.kill('SIGKILL');
  await p.exited;
  const crashed = JSON.parse((await runCliChildProcess(['webhook', 'show', '--json'], { env: f.env })).stdout);
  assert.equal(crashed.listener.alive, false);
  assert.equal(crashed.listener.status_callback_url, null, 'a crashed listener receives nothing');
  assert.equal((await runCliChildProcess(['restore'], { env: f.env })).code, 0);
});

test('a status callback is told apart by MessageStatus, or by an SmsStatus other than received', () => {
  const at = '2026-12-01T10:00:00.000Z';
  const message = { MessageSid: 'SM1', From: '+14155550123', To: '+15005550006', Body: 'hi', SmsStatus: 'received' };
  assert.equal(statusCallbackOf(message, at), null, 'an inbound message');
  assert.equal(
    statusCallbackOf({ MessageSid: 'SM1', From: 'a', To: 'b' }, at),
    null,
    'no status field: left to the message rules',
  );
  assert.deepEqual(
    statusCallbackOf(
      { SmsSid: 'SM2', SmsStatus: 'sent', From: 'whatsapp:+15005550006', To: 'whatsapp:+14155550123' },
      at,
    ),
    {
      receivedAt: at,
      messageSid: 'SM2',
      status: 'sent',
      errorCode: null,
      from: 'whatsapp:+15005550006',
      to: 'whatsapp:+14155550123',
    },
  );
  const failed = statusCallbackOf(
    { MessageSid: 'SM3', MessageStatus: 'failed', SmsStatus: 'failed', ErrorCode: '63016' },
    at,
  );
  assert.equal(failed?.status, 'failed');
  assert.equal(failed?.errorCode, 63016);
});
