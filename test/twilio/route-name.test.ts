import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Route, routeName } from '../../src/twilio/route.js';

type Named = Pick<Route, 'layer' | 'sid' | 'friendlyName'> & { number?: { phoneNumber: string } | null };
const service: Named = {
  layer: 'messaging_service',
  sid: 'MG0123456789abcdef0123456789abcdef',
  friendlyName: 'Support',
};
const number: Named = {
  layer: 'number',
  sid: 'PN0123456789abcdef0123456789abcdef',
  friendlyName: null,
  number: { phoneNumber: '+15005550006' },
};
const sender: Named = {
  layer: 'whatsapp_sender',
  sid: 'XE0123456789abcdef0123456789abcdef',
  friendlyName: 'whatsapp:+15005550006',
};

describe('routeName: the one home of a route layer display name', () => {
  test("'label' and 'check' mask the SID; 'step' and 'took' give it whole", () => {
    assert.equal(routeName(service, 'label'), "Messaging Service 'Support' (MG…cdef)");
    assert.equal(routeName(service, 'check'), "Messaging Service 'Support' (MG…cdef)");
    assert.equal(routeName(service, 'full'), `Messaging Service 'Support' (${service.sid})`);
    assert.equal(
      routeName({ ...service, layer: 'application', friendlyName: null }, 'full'),
      `TwiML App (${service.sid})`,
    );
    assert.equal(routeName(service, 'step'), `messaging service ${service.sid}`);
    assert.equal(routeName(service, 'took'), `messaging service ${service.sid}`);
  });

  test("the number's own layer: its webhook (label), its SmsUrl (check, took), the layer and SID (step)", () => {
    assert.equal(routeName(number, 'label'), '+15005550006 "A MESSAGE COMES IN"');
    assert.equal(routeName(number, 'check'), "the number's SmsUrl");
    assert.equal(routeName(number, 'took'), `the number's SmsUrl ${number.sid}`);
    assert.equal(routeName(number, 'step'), `number ${number.sid}`);
  });

  test('a WhatsApp sender is named by its sender id in a label, by its SID alone in a check', () => {
    assert.equal(routeName(sender, 'label'), 'WhatsApp sender whatsapp:+15005550006 (XE…cdef)');
    assert.equal(routeName(sender, 'check'), 'WhatsApp sender (XE…cdef)');
  });

  test('the Sandbox has no SID; a service without an inbound URL is still the service', () => {
    assert.equal(
      routeName({ layer: 'sandbox', sid: null, friendlyName: 'WhatsApp Sandbox' }, 'label'),
      'the WhatsApp Sandbox',
    );
    assert.equal(routeName({ layer: 'sandbox', sid: null, friendlyName: null }, 'took'), 'sandbox');
    assert.equal(routeName({ ...service, layer: 'none' }, 'label'), "Messaging Service 'Support' (MG…cdef)");
  });
});
