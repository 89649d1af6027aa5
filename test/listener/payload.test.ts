import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TRIGGER, envelopeJson, toTriggerPayload, type Form, type TriggerEnvelope } from '../../src/listener/payload.js';

describe('envelopeJson: the line listen --json prints, from the payload JSON the event log stores', () => {
  test('byte for byte JSON.stringify(envelope), with quotes, unicode and control characters in the values', () => {
    const forms: Form[] = [
      { MessageSid: 'SM1', From: '+14155550100', To: '+15005550006', Body: 'hi', NumMedia: '0' },
      { MessageSid: 'SM"2', From: 'whatsapp:+14155550100', To: 'whatsapp:+15005550006', Body: 'a "b"\n\t\u2028 é 😀 \\ </script>', ProfileName: 'Zoë', NumMedia: '1', MediaUrl0: 'https://x/y?a=1&b=2', MediaContentType0: 'image/png' },
    ];
    for (const [i, form] of forms.entries()) {
      for (const config of ['bench', 'my "quoted" config ü', '\u0000\u001f']) {
        const payload = toTriggerPayload(form, { configId: 'cfg_1', contactName: i ? null : 'Ann' });
        const envelope: TriggerEnvelope = { trigger: TRIGGER, config, event_id: 1234 + i, received_at: new Date(1_700_000_000_000 + i).toISOString(), payload };
        const line = envelopeJson(envelope, JSON.stringify(payload));
        assert.equal(line, JSON.stringify(envelope));
        assert.deepEqual(JSON.parse(line), envelope);
      }
    }
  });
});
