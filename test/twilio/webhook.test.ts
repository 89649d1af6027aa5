import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkWebhookUrl } from '../../src/config/webhook-url.js';
import {
  classifyWebhook,
  describeRestore,
  displayWebhookUrl,
  maskWebhookUrl,
  sameWebhookUrl,
} from '../../src/twilio/webhook.js';

const key = 'k3y0a9f1c2d3e4b5a6978877665544332211';
const production = `https://ingress.fruxon.example/webhooks/twilio/tenant-7/${key}`;

describe('production webhook URL helpers', () => {
  test('maskWebhookUrl keeps the origin and at most four characters of the key', () => {
    const masked = maskWebhookUrl(production);
    assert.equal(masked, 'https://ingress.fruxon.example/…/k3y0…');
    assert.equal(masked.includes(key.slice(0, 5)), false);
    assert.equal(
      maskWebhookUrl('https://h.example/abcdefgh?token=secret'),
      'https://h.example/ab…',
      'a short key shows a quarter; the query never',
    );
    assert.equal(maskWebhookUrl('https://h.example/'), 'https://h.example/…');
    assert.equal(maskWebhookUrl('not a url'), '…');
  });

  test('displayWebhookUrl: production masked, key-like parts of other URLs cut, plain URLs whole', () => {
    assert.equal(displayWebhookUrl(production, production), 'https://ingress.fruxon.example/…/k3y0…');
    assert.equal(
      displayWebhookUrl(production, null),
      'https://ingress.fruxon.example/webhooks/twilio/tenant-7/k3y0…',
      'an unrecorded Fruxon URL still hides its key',
    );
    assert.equal(
      displayWebhookUrl('https://demo.twilio.com/welcome/sms/reply', production),
      'https://demo.twilio.com/welcome/sms/reply',
    );
    assert.equal(
      displayWebhookUrl('https://h.example/hook?token=abc123def456ghi789', null),
      'https://h.example/hook?token=abc1…',
    );
    assert.equal(displayWebhookUrl(null, production), null);
  });

  test('classifyWebhook: production, listener, other, none', () => {
    const lease = { ourUrl: 'https://abc.ngrok.app/webhooks/twilio/cfg' };
    assert.equal(classifyWebhook(production, { productionUrl: production, lease }), 'production');
    assert.equal(
      classifyWebhook(production.replace('https://ingress.fruxon.example', 'HTTPS://Ingress.Fruxon.Example:443'), {
        productionUrl: production,
        lease: null,
      }),
      'production',
    );
    assert.equal(classifyWebhook(lease.ourUrl, { productionUrl: production, lease }), 'listener');
    assert.equal(
      classifyWebhook(lease.ourUrl, { productionUrl: production, lease: null }),
      'other',
      'without a lease it is just another URL',
    );
    assert.equal(classifyWebhook('https://demo.twilio.com/welcome/sms/reply', { productionUrl: null, lease }), 'other');
    assert.equal(classifyWebhook('', { productionUrl: production, lease }), 'none');
    assert.equal(classifyWebhook(null, { productionUrl: null, lease: null }), 'none');
    assert.equal(sameWebhookUrl(null, null), false);
  });

  test('describeRestore always restores the previous value and says why when it is not production', () => {
    const same = describeRestore(production, production, 'support');
    assert.deepEqual(same, { restoreUrl: production, kind: 'production', note: null });

    const empty = describeRestore('', production, 'support');
    assert.equal(empty.restoreUrl, '');
    assert.equal(empty.kind, 'none');
    assert.match(empty.note!, /had no webhook before listen/);
    assert.match(empty.note!, /fruxon-twilio webhook set --config support/);
    assert.equal(empty.note!.includes(key), false, 'the production URL is never printed whole');
    assert.match(empty.note!, /https:\/\/ingress\.fruxon\.example\/…\/k3y0…/);

    const emptyUnknown = describeRestore(null, null, 'Support Line');
    assert.equal(emptyUnknown.restoreUrl, '');
    assert.match(emptyUnknown.note!, /configs set 'Support Line' --webhook-url-stdin/);

    const other = describeRestore('https://old.example/hook', production);
    assert.equal(other.restoreUrl, 'https://old.example/hook', 'never guesses: the previous value goes back');
    assert.equal(other.kind, 'other');
    assert.match(other.note!, /not the recorded production URL https:\/\/ingress\.fruxon\.example\/…\/k3y0…/);
    assert.equal(other.note!.includes(key), false);

    assert.deepEqual(describeRestore('https://old.example/hook', null), {
      restoreUrl: 'https://old.example/hook',
      kind: 'other',
      note: null,
    });
  });

  test('describeRestore prints a previous webhook that is not the recorded one as displayWebhookUrl does (a key cut)', () => {
    const stale = 'https://ingress.fruxon.example/webhooks/twilio/tenant-7/0ldK3y9a8b7c6d5e4f3a2b1';
    const plan = describeRestore(stale, production, 'support');
    assert.equal(plan.restoreUrl, stale, 'the whole URL goes back to Twilio');
    assert.equal(
      plan.note,
      "put back the number's previous webhook https://ingress.fruxon.example/webhooks/twilio/tenant-7/0ldK…, which is not the recorded production URL https://ingress.fruxon.example/…/k3y0…; to point it at Fruxon: fruxon-twilio webhook set --config support",
    );
    assert.equal(plan.note!.includes(stale), false);
    assert.equal(plan.note!.includes(displayWebhookUrl(stale, production)!), true);
  });

  test('checkWebhookUrl: https only on real Twilio; http and loopback only with a local stand-in', () => {
    assert.equal(checkWebhookUrl('--url', ` ${production} `, { localStandIn: false }), production);
    assert.throws(
      () => checkWebhookUrl('--url', 'http://ingress.fruxon.example/x', { localStandIn: false }),
      /--url must be an https URL/,
    );
    assert.throws(
      () => checkWebhookUrl('--url', 'https://127.0.0.1:8080/x', { localStandIn: false }),
      /points at this machine/,
    );
    assert.throws(
      () => checkWebhookUrl('--url', 'nope', { localStandIn: false }),
      /--url must be an absolute https URL/,
    );
    assert.equal(checkWebhookUrl('--url', 'http://127.0.0.1:9/x', { localStandIn: true }), 'http://127.0.0.1:9/x');
    assert.throws(() => checkWebhookUrl('--url', 'ftp://x.example/x', { localStandIn: true }), /http\(s\) URL/);
  });
});
