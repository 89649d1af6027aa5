import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import twilio from 'twilio';
import { type Emulator, type EmulatorLogEntry, MAGIC_NUMBERS, startEmulator } from '../../src/emulator/index.js';
import { emulatorClient } from '../helpers/emulator-client.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const OWN = '+15005551101';
const SECOND = '+15005551102';
const PHONE = '+15557654321';

describe('emulator webhooks', () => {
  let emu: Emulator;
  let client: twilio.Twilio;
  let receiver: WebhookReceiver;
  let logs: EmulatorLogEntry[] = [];
  const allLogs: EmulatorLogEntry[] = [];

  before(async () => {
    receiver = await WebhookReceiver.start();
    emu = await startEmulator({
      numbers: [OWN, SECOND],
      statusDelayMs: 5,
      retryDelaysMs: [10],
      deliveryTimeoutMs: 2000,
      onLog: (e) => {
        logs.push(e);
        allLogs.push(e);
      },
    });
    client = emulatorClient(emu);
  });
  beforeEach(async () => {
    await emu.idle();
    receiver.requests.length = 0;
    logs = [];
  });
  after(async () => {
    await emu.stop();
    await receiver.stop();
  });

  describe('status life cycle and callbacks', () => {
    it('moves an SMS queued -> sent -> delivered and posts a signed callback at each step', async () => {
      const callbackUrl = `${receiver.url}/status?config=a`;
      const m = await client.messages.create({ from: OWN, to: PHONE, body: 'hi', statusCallback: callbackUrl });
      assert.equal(m.status, 'queued');
      const requests = await receiver.waitForRequests(2);
      await emu.idle();
      assert.equal((await client.messages(m.sid).fetch()).status, 'delivered');
      assert.deepEqual(
        requests.map((r) => r.params.MessageStatus),
        ['sent', 'delivered'],
      );
      for (const r of requests) {
        assert.equal(r.method, 'POST');
        assert.equal(r.path, '/status?config=a');
        assert.equal(r.headers['content-type'], 'application/x-www-form-urlencoded');
        assert.equal(r.params.MessageSid, m.sid);
        assert.equal(r.params.SmsSid, m.sid);
        assert.equal(r.params.SmsStatus, r.params.MessageStatus);
        assert.equal(r.params.AccountSid, emu.accountSid);
        assert.equal(r.params.From, OWN);
        assert.equal(r.params.To, PHONE);
        assert.equal(r.params.ApiVersion, '2010-04-01');
        assert.equal(r.params.ErrorCode, undefined);
        const signature = r.headers['x-twilio-signature'] as string;
        assert.ok(twilio.validateRequest(emu.authToken, signature, callbackUrl, r.params), 'signature must validate');
        assert.ok(!twilio.validateRequest('0'.repeat(32), signature, callbackUrl, r.params));
      }
      const delivered = await client.messages(m.sid).fetch();
      assert.ok(delivered.dateSent instanceof Date);
      assert.equal(delivered.price, '-0.00790');
    });

    const failures = [
      { to: MAGIC_NUMBERS.undeliveredUnreachable, statuses: ['sent', 'undelivered'], code: 30003 },
      { to: MAGIC_NUMBERS.undeliveredUnknown, statuses: ['sent', 'undelivered'], code: 30005 },
      { to: MAGIC_NUMBERS.failed, statuses: ['failed'], code: 30008 },
    ];
    for (const { to, statuses, code } of failures) {
      it(`ends ${statuses.at(-1)} with error ${code} for ${to}`, async () => {
        const m = await client.messages.create({ from: OWN, to, body: 'x', statusCallback: `${receiver.url}/s` });
        const requests = await receiver.waitForRequests(statuses.length);
        await emu.idle();
        assert.deepEqual(
          requests.map((r) => r.params.MessageStatus),
          statuses,
        );
        assert.equal(requests.at(-1)!.params.ErrorCode, String(code));
        const fetched = await client.messages(m.sid).fetch();
        assert.equal(fetched.status, statuses.at(-1));
        assert.equal(fetched.errorCode, code);
        assert.ok(fetched.errorMessage);
      });
    }

    it('follows a delivered WhatsApp message with read, and fails 63016 outside the session window', async () => {
      // The contact wrote first: the reply is inside the 24-hour window.
      await emu.deliverInbound({ from: PHONE, to: OWN, whatsapp: true, body: 'hi' });
      const ok = await client.messages.create({ from: `whatsapp:${OWN}`, to: `whatsapp:${PHONE}`, body: 'wa' });
      await emu.idle();
      assert.equal((await client.messages(ok.sid).fetch()).status, 'read');
      assert.equal(ok.to, `whatsapp:${PHONE}`);

      const late = await client.messages.create({
        from: `whatsapp:${OWN}`,
        to: `whatsapp:${MAGIC_NUMBERS.whatsappOutsideWindow}`,
        body: 'too late',
      });
      await emu.idle();
      const fetched = await client.messages(late.sid).fetch();
      assert.equal(fetched.status, 'failed');
      assert.equal(fetched.errorCode, 63016);

      const sms = await client.messages.create({ from: OWN, to: MAGIC_NUMBERS.whatsappOutsideWindow, body: 'sms' });
      await emu.idle();
      assert.equal((await client.messages(sms.sid).fetch()).status, 'delivered');
    });
  });

  describe('inbound delivery', () => {
    it("posts Twilio's inbound form, signed for exactly the registered URL", async () => {
      const smsUrl = `${receiver.url}/twilio/inbound?config=demo`;
      emu.setSmsUrl(OWN, smsUrl);
      const result = await emu.deliverInbound({ from: PHONE, to: OWN, body: 'Hello agent' });
      assert.equal(result.outcome, 'delivered');
      assert.equal(result.statusCode, 200);
      assert.equal(result.url, smsUrl);
      assert.equal(result.attempts.length, 1);

      const [req] = receiver.requests;
      assert.ok(req);
      assert.equal(req.method, 'POST');
      assert.equal(req.path, '/twilio/inbound?config=demo');
      assert.equal(req.headers['user-agent'], 'TwilioProxy/1.1');
      assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
      assert.match(req.headers['i-twilio-idempotency-token'] as string, /\S{10,}/);
      const p = req.params;
      assert.match(p.MessageSid!, /^SM[0-9a-f]{32}$/);
      assert.equal(p.MessageSid, result.messageSid);
      assert.equal(p.SmsMessageSid, p.MessageSid);
      assert.equal(p.SmsSid, p.MessageSid);
      assert.equal(p.SmsStatus, 'received');
      assert.equal(p.Body, 'Hello agent');
      assert.equal(p.From, PHONE);
      assert.equal(p.To, OWN);
      assert.equal(p.NumMedia, '0');
      assert.equal(p.NumSegments, '1');
      assert.equal(p.AccountSid, emu.accountSid);
      assert.equal(p.ApiVersion, '2010-04-01');
      assert.equal(p.ToCountry, 'US');
      assert.equal(p.FromCountry, 'US');
      for (const field of ['ToState', 'ToCity', 'ToZip', 'FromState', 'FromCity', 'FromZip']) {
        assert.ok(field in p, `${field} is part of Twilio's inbound form`);
      }

      const signature = req.headers['x-twilio-signature'] as string;
      assert.ok(twilio.validateRequest(emu.authToken, signature, smsUrl, p));
      const port = Number(new URL(receiver.url).port);
      const otherPort = smsUrl.replace(`:${port}/`, `:${port + 1}/`);
      assert.ok(!twilio.validateRequest(emu.authToken, signature, otherPort, p), 'another port must not validate');
      assert.ok(!twilio.validateRequest(emu.authToken, signature, `${receiver.url}/twilio/other?config=demo`, p));
      assert.ok(!twilio.validateRequest(emu.authToken, signature, smsUrl, { ...p, Body: 'tampered' }));

      const stored = emu.getMessage(result.messageSid);
      assert.equal(stored?.direction, 'inbound');
      assert.equal(stored?.status, 'received');
      const listed = await client.messages.list({ to: OWN, from: PHONE, limit: 1 });
      assert.equal(listed[0]?.sid, result.messageSid);
      assert.equal(listed[0]?.direction, 'inbound');
    });

    it('sends WhatsApp fields: prefixed addresses, ProfileName and WaId', async () => {
      emu.setSmsUrl(OWN, `${receiver.url}/wa`);
      const result = await emu.deliverInbound({
        from: PHONE,
        to: OWN,
        body: 'hola',
        whatsapp: true,
        profileName: 'Dana',
      });
      assert.equal(result.outcome, 'delivered');
      const p = receiver.requests[0]!.params;
      assert.equal(p.From, `whatsapp:${PHONE}`);
      assert.equal(p.To, `whatsapp:${OWN}`);
      assert.equal(p.ProfileName, 'Dana');
      assert.equal(p.WaId, PHONE.slice(1));
      assert.equal(p.MessageType, 'text');
      assert.ok(
        twilio.validateRequest(
          emu.authToken,
          receiver.requests[0]!.headers['x-twilio-signature'] as string,
          `${receiver.url}/wa`,
          p,
        ),
      );
    });

    it('sends media as MediaUrlN / MediaContentTypeN, hosted on the emulator as Twilio hosts it', async () => {
      emu.setSmsUrl(OWN, `${receiver.url}/mms`);
      const media = [
        { url: 'https://media.example.test/cat.jpg', contentType: 'image/jpeg' },
        { url: 'https://media.example.test/menu.pdf', contentType: 'application/pdf' },
      ];
      const result = await emu.deliverInbound({ from: PHONE, to: OWN, mediaUrls: media });
      const p = receiver.requests[0]!.params;
      assert.match(result.messageSid, /^MM[0-9a-f]{32}$/);
      assert.equal(p.NumMedia, '2');
      const hosted = new RegExp(
        `^${emu.url}/2010-04-01/Accounts/${emu.accountSid}/Messages/${result.messageSid}/Media/ME[0-9a-f]{32}$`,
      );
      assert.match(p.MediaUrl0!, hosted);
      assert.equal(p.MediaContentType0, 'image/jpeg');
      assert.match(p.MediaUrl1!, hosted);
      assert.notEqual(p.MediaUrl0, p.MediaUrl1);
      assert.equal(p.MediaContentType1, 'application/pdf');
      assert.equal(p.Body, '');
    });

    it('retries a failing webhook with the same MessageSid and idempotency token', async () => {
      emu.setSmsUrl(OWN, `${receiver.url}/flaky`);
      receiver.respondWith({ status: 500 });
      const result = await emu.deliverInbound({ from: PHONE, to: OWN, body: 'again?' });
      assert.equal(result.outcome, 'delivered');
      assert.deepEqual(
        result.attempts.map((a) => a.statusCode),
        [500, 200],
      );
      const [first, second] = receiver.requests;
      assert.ok(first && second);
      assert.equal(first.params.MessageSid, second.params.MessageSid);
      assert.equal(first.headers['i-twilio-idempotency-token'], second.headers['i-twilio-idempotency-token']);
      assert.equal(first.headers['x-twilio-signature'], second.headers['x-twilio-signature']);
      const attempts = logs.filter((e) => e.event === 'webhook.attempt' && e.messageSid === result.messageSid);
      assert.deepEqual(
        attempts.map((e) => [e.attempt, e.statusCode]),
        [
          [1, 500],
          [2, 200],
        ],
      );
      assert.ok(logs.some((e) => e.event === 'webhook.retry' && e.messageSid === result.messageSid));
      const outcome = logs.find((e) => e.event === 'webhook.outcome' && e.messageSid === result.messageSid);
      assert.equal(outcome?.outcome, 'delivered');
    });

    it('gives up after the retries when nothing answers, and says why', async () => {
      emu.setSmsUrl(OWN, 'http://127.0.0.1:1/unreachable');
      const result = await emu.deliverInbound({ from: PHONE, to: OWN, body: 'anyone?' });
      assert.equal(result.outcome, 'failed');
      assert.equal(result.attempts.length, 2);
      assert.equal(result.statusCode, undefined);
      assert.match(result.error!, /ECONNREFUSED/);
      assert.equal(logs.find((e) => e.event === 'webhook.outcome')?.outcome, 'failed');
    });

    it('falls back to SmsFallbackUrl, telling it which error and URL failed', async () => {
      const number = emu.getNumber(OWN)!;
      await client.incomingPhoneNumbers(number.sid).update({
        smsUrl: `${receiver.url}/primary`,
        smsFallbackUrl: `${receiver.url}/fallback`,
      });
      receiver.respondWith({ status: 503 }, { status: 502 });
      const result = await emu.deliverInbound({ from: PHONE, to: OWN, body: 'fallback please' });
      assert.equal(result.outcome, 'delivered');
      assert.equal(result.url, `${receiver.url}/fallback`);
      assert.deepEqual(
        receiver.requests.map((r) => r.path),
        ['/primary', '/primary', '/fallback'],
      );
      const fallback = receiver.requests[2]!;
      assert.equal(fallback.params.ErrorCode, '11200');
      assert.equal(fallback.params.ErrorUrl, `${receiver.url}/primary`);
      assert.ok(
        twilio.validateRequest(
          emu.authToken,
          fallback.headers['x-twilio-signature'] as string,
          `${receiver.url}/fallback`,
          fallback.params,
        ),
      );
      await client.incomingPhoneNumbers(number.sid).update({ smsFallbackUrl: '' });
    });

    it('uses GET with the form in the query string when SmsMethod is GET', async () => {
      const smsUrl = `${receiver.url}/get-hook?a=1`;
      emu.setSmsUrl(OWN, smsUrl, 'GET');
      const result = await emu.deliverInbound({ from: PHONE, to: OWN, body: 'via get' });
      assert.equal(result.outcome, 'delivered');
      const req = receiver.requests[0]!;
      assert.equal(req.method, 'GET');
      assert.equal(req.params.Body, 'via get');
      assert.equal(req.params.a, '1');
      const requested = `${receiver.url}${req.path}`;
      assert.ok(twilio.validateRequest(emu.authToken, req.headers['x-twilio-signature'] as string, requested, {}));
    });

    it('drops the message when the number has no SmsUrl, and says so', async () => {
      emu.setSmsUrl(SECOND, '');
      const result = await emu.deliverInbound({ from: PHONE, to: SECOND, body: 'nobody home' });
      assert.equal(result.outcome, 'no-webhook');
      assert.equal(result.url, null);
      assert.equal(result.attempts.length, 0);
      assert.equal(receiver.requests.length, 0);
      assert.equal(emu.getMessage(result.messageSid)?.status, 'received');
    });

    it('rejects deliverInbound to a number the emulator does not own', async () => {
      await assert.rejects(
        emu.deliverInbound({ from: PHONE, to: '+15550000000', body: 'x' }),
        /not one of the emulator's numbers/,
      );
    });

    it('delivers a message sent from one of our numbers to another as an inbound webhook', async () => {
      emu.setSmsUrl(SECOND, `${receiver.url}/second`);
      const out = await client.messages.create({ from: OWN, to: SECOND, body: 'ping between numbers' });
      const [req] = await receiver.waitForRequests(1);
      await emu.idle();
      assert.equal(req!.path, '/second');
      assert.equal(req!.params.From, OWN);
      assert.equal(req!.params.To, SECOND);
      assert.equal(req!.params.Body, 'ping between numbers');
      assert.notEqual(req!.params.MessageSid, out.sid, 'the inbound side is its own message resource');
      assert.equal(emu.getMessage(req!.params.MessageSid!)?.direction, 'inbound');
      emu.setSmsUrl(SECOND, '');
    });

    it('turns <Message> in the TwiML answer into an outbound-reply', async () => {
      emu.setSmsUrl(OWN, `${receiver.url}/twiml`);
      receiver.respondWith({
        status: 200,
        body: '<?xml version="1.0"?><Response><Message>Thanks &amp; welcome</Message></Response>',
      });
      const result = await emu.deliverInbound({ from: PHONE, to: OWN, body: 'hi' });
      await emu.idle();
      const reply = emu.messages().find((m) => m.direction === 'outbound-reply');
      assert.ok(reply, 'a reply message exists');
      assert.equal(reply.body, 'Thanks & welcome');
      assert.equal(reply.from, OWN);
      assert.equal(reply.to, PHONE);
      assert.equal(reply.status, 'delivered');
      assert.equal(result.outcome, 'delivered');
    });
  });

  it('never logs the auth token', () => {
    assert.ok(allLogs.some((e) => e.event === 'webhook.attempt'));
    assert.ok(!JSON.stringify(allLogs).includes(emu.authToken));
  });
});
