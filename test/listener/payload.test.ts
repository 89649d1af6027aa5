import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  envelopeJson,
  type Form,
  TRIGGER,
  type TriggerEnvelope,
  toTriggerPayload,
} from '../../src/listener/payload.js';
import { repoRoot } from '../helpers/cli.js';

describe('envelopeJson: the line listen --json prints, from the payload JSON the event log stores', () => {
  test('byte for byte JSON.stringify(envelope), with quotes, unicode and control characters in the values', () => {
    const forms: Form[] = [
      { MessageSid: 'SM1', From: '+14155550100', To: '+15005550006', Body: 'hi', NumMedia: '0' },
      {
        MessageSid: 'SM"2',
        From: 'whatsapp:+14155550100',
        To: 'whatsapp:+15005550006',
        Body: 'a "b"\n\t\u2028 é 😀 \\ </script>',
        ProfileName: 'Zoë',
        NumMedia: '1',
        MediaUrl0: 'https://x/y?a=1&b=2',
        MediaContentType0: 'image/png',
      },
    ];
    for (const [i, form] of forms.entries()) {
      for (const config of ['bench', 'my "quoted" config ü', '\u0000\u001f']) {
        const payload = toTriggerPayload(form, { configId: 'cfg_1', contactName: i ? null : 'Ann' });
        const envelope: TriggerEnvelope = {
          trigger: TRIGGER,
          config,
          event_id: 1234 + i,
          received_at: new Date(1_700_000_000_000 + i).toISOString(),
          payload,
        };
        const line = envelopeJson(envelope, JSON.stringify(payload));
        assert.equal(line, JSON.stringify(envelope));
        assert.deepEqual(JSON.parse(line), envelope);
      }
    }
  });
});

describe('events as the listener records them', () => {
  test('share one hidden class per kind, whatever the request (V8 gave each spread-built event a map of its own)', () => {
    // %HaveSameMap needs --allow-natives-syntax, so the check runs in a child Node.
    const session = pathToFileURL(join(repoRoot, 'dist', 'src', 'listener', 'session.js')).href;
    const script = `
      const { newEvent } = await import(${JSON.stringify(session)});
      const base = (i) => ({ configId: 'c', configName: 'n', receivedAt: new Date(i).toISOString(), messageSid: 'SM' + i,
        idempotencyToken: i % 2 ? null : 'tok' + i, fromNumber: '+1415555' + String(i).padStart(4, '0'), body: 'b' + i,
        rawForm: Object.assign(Object.create(null), { MessageSid: 'SM' + i }), headers: { 'x-twilio-signature': 's' + i } });
      const payload = (i) => ({ text: 'b' + i, channel: i % 2 ? 'sms' : 'whatsapp' });
      const accepted = Array.from({ length: 50 }, (_, i) => newEvent(base(i), 'accepted', null, true, payload(i)));
      const refused = Array.from({ length: 50 }, (_, i) => newEvent(base(i), 'refused', 'invalid_signature', false, null));
      const same = (xs) => xs.every((x) => %HaveSameMap(x, xs[0]));
      process.stdout.write(JSON.stringify({ accepted: same(accepted), refused: same(refused) }));`;
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    assert.deepEqual(JSON.parse(out), { accepted: true, refused: true });
  });
});

describe('message_attributes.opt_out_type: the OptOutType Twilio sends with an opt-out keyword', () => {
  const base: Form = { MessageSid: 'SM1', From: '+14155550100', To: '+15005550006', Body: 'STOP', NumMedia: '0' };
  const seedKeys = [
    'from',
    'to',
    'channel',
    'message_sid',
    'account_sid',
    'messaging_service_sid',
    'num_media',
    'num_segments',
    'profile_name',
    'wa_id',
    'sms_status',
  ];

  test('STOP, START and HELP pass through; absent or anything else is null; every seed key is still there', () => {
    for (const [sent, expected] of [
      ['STOP', 'STOP'],
      ['START', 'START'],
      ['HELP', 'HELP'],
      [undefined, null],
      ['', null],
      ['UNSUBSCRIBE', null],
      ['stop<script>', null],
    ] as const) {
      const form: Form = sent === undefined ? base : { ...base, OptOutType: sent };
      const payload = toTriggerPayload(form, { configId: 'cfg_1' });
      assert.equal(payload.message_attributes.opt_out_type, expected, String(sent));
      for (const k of seedKeys) assert.ok(k in payload.message_attributes, k);
      assert.equal(payload.text, 'STOP', 'the body is still the text');
    }
  });
});
