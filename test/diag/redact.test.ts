import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { REDACTED, Redactor, redact } from '../../src/redact.js';

// The one redaction: every secret the tool handles, planted in every form it travels in, never survives it.

const hex = (n: number) => randomBytes(n).toString('hex');
const alnum = (n: number) =>
  Array.from(randomBytes(n), (b) => 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'[b % 57]).join('');

const accountSid = `AC${hex(16)}`;
const authToken = hex(16);
const apiKeySid = `SK${hex(16)}`;
const apiSecret = alnum(32);
const fruxonToken = `fx_pat_${hex(20)}`;
const ngrokToken = `${alnum(27)}_${alnum(21)}`;
const webhookKey = `whk${alnum(29)}7`;
const production = `https://ingress.fruxon.test/v1/tenants/umbrella/webhooks/twilio/fx-cfg-1/${webhookKey}`;
const inspectorToken = randomBytes(24).toString('base64url');
const basic = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;

const planted = [authToken, apiSecret, fruxonToken, ngrokToken, webhookKey, inspectorToken, basic.slice(6)];

function assertClean(out: string): void {
  for (const s of planted) {
    assert.ok(!out.includes(s), `a secret survived: ${s.slice(0, 6)}… in\n${out}`);
    assert.ok(!out.includes(encodeURIComponent(s)), `a secret survived URL-encoded: ${s.slice(0, 6)}…`);
  }
}

const text = [
  `Authorization: ${basic}`,
  `authorization: Bearer ${fruxonToken}`,
  `POST https://api.twilio.com/2010-04-01/Accounts/${accountSid}/IncomingPhoneNumbers/PN${hex(16)}.json`,
  `SmsUrl=${encodeURIComponent(production)}&SmsMethod=POST`,
  JSON.stringify({ sms_url: production, auth_token: authToken, secret: apiSecret, token: fruxonToken }),
  `{"webhookUrl": "${production}", "apiKeySecret": "${apiSecret}"}`,
  `open http://127.0.0.1:4567/?token=${inspectorToken}`,
  `cookie: fxt_inspector=${inspectorToken}`,
  `ngrok authtoken ${ngrokToken}`,
  `fruxon login failed for ${fruxonToken} (tenant umbrella)`,
  `https://${accountSid}:${authToken}@api.twilio.com/x`,
  `a token in a stack: Error: bad ${authToken}\n    at f (file.js:1:1)`,
].join('\n');

test('known values are replaced in plain, URL-encoded and JSON forms; a URL keeps its origin', () => {
  const r = new Redactor().add(authToken).add(apiSecret).add(fruxonToken).add(production).add(inspectorToken);
  const out = r.redact(text);
  assertClean(out);
  assert.ok(out.includes(`https://ingress.fruxon.test/…${REDACTED}`), out);
  assert.ok(r.redact(`x ${JSON.stringify(production)} y`).includes('https://ingress.fruxon.test/'));
});

test('the shapes alone catch what no run registered', () => {
  const out = redact(text);
  assertClean(out);
  assert.match(out, /Authorization: Basic \[redacted\]/);
  assert.match(out, /fx_pat_\[redacted\]/);
  assert.match(out, /\?token=\[redacted\]/);
  // The webhook key is cut to four characters, the rest of its URL kept.
  assert.ok(out.includes(`/webhooks/twilio/fx-cfg-1/${webhookKey.slice(0, 4)}…`), out);
});

test('what a maintainer needs is kept: SIDs, UUIDs, numbers, statuses, plain URLs', () => {
  const sid = `SM${hex(16)}`;
  const kept = [
    `GET https://api.twilio.com/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json 200 41ms`,
    `POST http://127.0.0.1:8080/webhooks/twilio/0b7c4c1e-8f9d-4a5b-9c3d-2e1f0a9b8c7d 200`,
    `From=%2B14155550123&To=%2B15005550006&Body=hello&MessageSid=${sid}&ApiVersion=2010-04-01`,
    `${apiKeySid} https://demo.twilio.com/welcome/sms/reply Twilio-Request-Id: RQ${hex(16)}`,
    'Twilio said: Basic authentication failed; Bearer tokens are not accepted here',
    'fix: export NGROK_AUTHTOKEN=… or TWILIO_AUTH_TOKEN=$TWILIO_AUTH_TOKEN',
  ].join('\n');
  assert.equal(new Redactor().addEnv({ TWILIO_AUTH_TOKEN: authToken }).redact(kept), kept);
});

test('secret environment variables are registered; short values are not (they would shred the text)', () => {
  const r = new Redactor().addEnv({
    TWILIO_AUTH_TOKEN: authToken,
    TWILIO_API_SECRET: apiSecret,
    FRUXON_TOKEN: fruxonToken,
    NGROK_AUTHTOKEN: ngrokToken,
    FRUXON_TWILIO_WEBHOOK_URL: production,
    HOME: '/home/ada',
  });
  const out = r.redact(`${authToken} ${apiSecret} ${ngrokToken} ${production} /home/ada`);
  assertClean(out);
  assert.ok(out.endsWith('/home/ada'));
  assert.equal(new Redactor().add('abc').redact('abc abc'), 'abc abc');
});

test('headers: credential-bearing ones are masked whatever their value', () => {
  const r = new Redactor();
  const h = r.redactHeaders({
    Authorization: basic,
    'x-twilio-signature': 'c2lnbmF0dXJl',
    Cookie: `a=${inspectorToken}`,
    'content-type': 'application/json',
    'twilio-request-id': `RQ${hex(16)}`,
  });
  assert.equal(h.Authorization, `Basic ${REDACTED}`);
  assert.equal(h['x-twilio-signature'], REDACTED);
  assert.equal(h.Cookie, REDACTED);
  assert.equal(h['content-type'], 'application/json');
  assert.match(h['twilio-request-id']!, /^RQ[0-9a-f]{32}$/);
});
