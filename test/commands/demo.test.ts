import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { CliChildProcess, runCliChildProcess, tempHome } from '../helpers/cli.js';

const NO_KEYCHAIN = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' };

test('demo: the whole loop offline, with no keychain, and it cleans up after itself', async () => {
  const h = tempHome();
  try {
    const r = await runCliChildProcess(['demo'], { env: { ...h.env, ...NO_KEYCHAIN } });
    assert.equal(r.code, 0, r.stderr);
    const o = r.stdout;
    assert.match(o, /1\. Started the Twilio emulator at http:\/\/127\.0\.0\.1:\d+ /);
    assert.match(
      o,
      /3\. listen: registered http:\/\/127\.0\.0\.1:\d+\/webhooks\/twilio\/[0-9a-f-]{36} as the Messaging webhook of \+15005550006\./,
    );
    assert.match(o, /\d\d:\d\d:\d\d {2}sms {7}\+14155550123 \(Dana\) {2}Hi! Is my order #1042 on its way\? {2}#1/);
    assert.match(
      o,
      /\d\d:\d\d:\d\d {2}whatsapp {2}\+447700900123 \(Sam\) {2}The parcel arrived damaged, see the photo \[1 media\] {2}#2/,
    );
    assert.match(o, /"content_type": "image\/jpeg"/);
    assert.match(o, /6\. send: a reply to \+14155550123 went queued → sent → delivered\./);
    assert.match(
      o,
      /Then Dana texts STOP: .*opt_out_type is "STOP", and a reply now is refused \(21610: only Dana can undo it/,
    );
    assert.match(o, /7\. Stopped listening: restored the webhook of \+15005550006 to \(none\)/);
    const tmp = /in (\/\S+fruxon-twilio-demo-\w+)\./.exec(o)![1]!;
    assert.equal(existsSync(tmp), false, 'the throwaway data directory is gone');
    assert.equal(existsSync(h.home), false, "the user's data directory was never touched");
  } finally {
    h.cleanup();
  }
});

test('demo --json: two trigger envelopes with the seed payload keys, then the sent message; nothing else on stdout', async () => {
  const r = await runCliChildProcess(['demo', '--json'], { env: NO_KEYCHAIN });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, 3);
  const [sms, wa, sent] = lines;
  for (const e of [sms, wa]) {
    assert.equal(e.trigger, 'twilio.message.received');
    for (const k of [
      'text',
      'from',
      'from_name',
      'conversation_name',
      'conversation_address',
      'session_id',
      'event_type',
    ])
      assert.ok(k in e.payload, k);
    assert.match(e.payload.message_attributes.from, /^\+[1-9]\d{1,14}$/);
    assert.match(e.payload.message_attributes.to, /^\+[1-9]\d{1,14}$/);
  }
  assert.equal(sms.payload.channel, 'sms');
  assert.equal(wa.payload.channel, 'whatsapp');
  assert.equal(wa.payload.from, '+447700900123');
  assert.equal(sent.sent.status, 'delivered');
  assert.match(r.stderr, /Done in \d+\.\d s\./);
});

test('emulator command: prints its connection details first as JSON, serves the REST API to add-config, stops on SIGINT', async () => {
  const h = tempHome();
  const p = new CliChildProcess(['emulator', '--json', '--port', '0', '--number', '+15005550006'], { env: h.env });
  try {
    await p.waitFor(/\n/, { stream: 'stdout' });
    const first = JSON.parse(p.stdout.split('\n')[0]!);
    assert.match(first.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(first.account_sid, /^AC[0-9a-f]{32}$/);
    assert.deepEqual(
      first.numbers.map((n: { phone_number: string }) => n.phone_number),
      ['+15005550006'],
    );
    const add = await runCliChildProcess(
      [
        'add-config',
        '--name',
        'emu',
        '--from',
        '+15005550006',
        '--account-sid',
        first.account_sid,
        '--api-url',
        first.url,
        '--token-from-env',
        '--json',
      ],
      { env: { ...h.env, TWILIO_AUTH_TOKEN: first.auth_token } },
    );
    assert.equal(add.code, 0, add.stderr);
    assert.equal(JSON.parse(add.stdout).number_owned, true);
    await p.waitFor(/"event":"http\.request".*Accounts\/AC[0-9a-f]{32}\.json/, { stream: 'stdout' });
    for (const line of p.stdout.trim().split('\n')) JSON.parse(line); // every stdout line is JSON
  } finally {
    p.kill('SIGINT');
    const { code } = await p.exited;
    assert.equal(code, 0);
    h.cleanup();
  }
});

test('emulator command: bad flags are one clear line', async () => {
  const r = await runCliChildProcess(['emulator', '--number', '555-1234']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^error: --number must be an E\.164 phone number like \+14155238886 \(got "555-1234"\)$/m);
});
