import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type twilio from 'twilio';
import { type Emulator, SANDBOX_NUMBER, startEmulator } from '../../src/emulator/index.js';
import { emulatorClient } from '../helpers/emulator-client.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const SVC_NUMBER = '+15005551201';
const SVC_NUMBER_2 = '+15005551202';
const APP_NUMBER = '+15005551203';
const PLAIN = '+15005551204';
const WA_NUMBER = '+15005551205';
const PHONE = '+14155550142';

interface ControlAnswer {
  message_sid: string;
  layer: string;
  delivered_to: string | null;
  outcome: string;
}

/** A phone texting through the control API, as a script or CI would. */
async function inbound(emu: Emulator, body: Record<string, unknown>): Promise<{ status: number; json: ControlAnswer }> {
  const res = await fetch(`${emu.url}/_emulator/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as ControlAnswer };
}

function restError(status: number, code: number) {
  return (err: unknown) => {
    const e = err as { status?: number; code?: number };
    assert.equal(e.status, status, JSON.stringify(err));
    assert.equal(e.code, code);
    return true;
  };
}

describe('emulator as a real account: which layer receives an inbound message', () => {
  let emu: Emulator;
  let client: twilio.Twilio;
  let hooks: WebhookReceiver;
  const sid: Record<string, string> = {};

  before(async () => {
    hooks = await WebhookReceiver.start();
    emu = await startEmulator({ numbers: [SVC_NUMBER, SVC_NUMBER_2, APP_NUMBER, PLAIN, WA_NUMBER], statusDelayMs: 5 });
    client = emulatorClient(emu);
    for (const n of emu.numbers) sid[n.phoneNumber] = n.sid;
    for (const n of emu.numbers)
      await client.incomingPhoneNumbers(n.sid).update({ smsUrl: `${hooks.url}/number/${n.phoneNumber.slice(1)}` });
  });
  after(async () => {
    await emu.stop();
    await hooks.stop();
  });
  beforeEach(async () => {
    await emu.idle();
    hooks.requests.length = 0;
  });

  it("a Messaging Service's inbound URL wins over the number's SmsUrl, for every number in it", async () => {
    const service = await client.messaging.v1.services.create({
      friendlyName: 'Support',
      inboundRequestUrl: `${hooks.url}/service`,
      inboundMethod: 'POST',
      fallbackUrl: `${hooks.url}/service-fallback`,
      statusCallback: `${hooks.url}/service-status`,
    });
    assert.match(service.sid, /^MG[0-9a-f]{32}$/);
    assert.equal(service.useInboundWebhookOnNumber, false);
    const added = await client.messaging.v1
      .services(service.sid)
      .phoneNumbers.create({ phoneNumberSid: sid[SVC_NUMBER]! });
    assert.equal(added.sid, sid[SVC_NUMBER]);
    assert.equal(added.phoneNumber, SVC_NUMBER);
    await client.messaging.v1.services(service.sid).phoneNumbers.create({ phoneNumberSid: sid[SVC_NUMBER_2]! });
    const listed = await client.messaging.v1.services(service.sid).phoneNumbers.list();
    assert.deepEqual(
      listed.map((n) => n.phoneNumber),
      [SVC_NUMBER, SVC_NUMBER_2],
    );
    assert.equal(
      (await client.messaging.v1.services(service.sid).phoneNumbers(sid[SVC_NUMBER]!).fetch()).serviceSid,
      service.sid,
    );

    for (const to of [SVC_NUMBER, SVC_NUMBER_2]) {
      const r = await inbound(emu, { from: PHONE, to, body: 'to the service' });
      assert.equal(r.status, 202);
      assert.equal(r.json.layer, 'messaging_service');
      assert.equal(r.json.delivered_to, `${hooks.url}/service`);
      assert.match(r.json.message_sid, /^SM[0-9a-f]{32}$/);
    }
    assert.deepEqual(
      hooks.requests.map((q) => q.path),
      ['/service', '/service'],
    );
    assert.equal(hooks.requests[0]!.params.MessagingServiceSid, service.sid);
    assert.equal(hooks.requests[1]!.params.To, SVC_NUMBER_2);
  });

  it("an HTTP error at the service's inbound URL goes to the service's fallback URL, not retried", async () => {
    hooks.respondWith({ status: 502 });
    const r = await inbound(emu, { from: PHONE, to: SVC_NUMBER, body: 'fallback?' });
    assert.equal(r.json.layer, 'messaging_service');
    assert.equal(r.json.delivered_to, `${hooks.url}/service-fallback`);
    assert.equal(r.json.outcome, 'delivered');
    assert.deepEqual(
      hooks.requests.map((q) => q.path),
      ['/service', '/service-fallback'],
    );
    assert.equal(hooks.requests[1]!.params.ErrorUrl, `${hooks.url}/service`);
  });

  it("use_inbound_webhook_on_number makes the number's own webhook win", async () => {
    const [service] = await client.messaging.v1.services.list();
    const updated = await client.messaging.v1.services(service!.sid).update({ useInboundWebhookOnNumber: true });
    assert.equal(updated.useInboundWebhookOnNumber, true);
    const r = await inbound(emu, { from: PHONE, to: SVC_NUMBER, body: 'to the number' });
    assert.equal(r.json.layer, 'number');
    assert.equal(r.json.delivered_to, `${hooks.url}/number/${SVC_NUMBER.slice(1)}`);
    assert.equal(hooks.requests[0]!.params.MessagingServiceSid, service!.sid, 'still reported as in the service');
    await client.messaging.v1.services(service!.sid).update({ useInboundWebhookOnNumber: false });
  });

  it('a service whose inbound URL is cleared drops the message: 202 dropped, never delivered, never listed', async () => {
    const [service] = await client.messaging.v1.services.list();
    const cleared = await client.messaging.v1.services(service!.sid).update({ inboundRequestUrl: '' });
    assert.equal(cleared.inboundRequestUrl, null);
    const r = await inbound(emu, { from: PHONE, to: SVC_NUMBER_2, body: 'into the void' });
    assert.equal(r.status, 202);
    assert.equal(r.json.layer, 'dropped');
    assert.equal(r.json.delivered_to, null);
    assert.equal(hooks.requests.length, 0);
    const logged = await client.messages.list({ to: SVC_NUMBER_2 });
    assert.ok(!logged.some((m) => m.sid === r.json.message_sid), 'a dropped message is not in Messages');
    await assert.rejects(client.messages(r.json.message_sid).fetch(), restError(404, 20404));
    await client.messaging.v1.services(service!.sid).update({ inboundRequestUrl: `${hooks.url}/service` });
  });

  it('a number removed from its service goes back to its own SmsUrl; a service can be deleted', async () => {
    const [service] = await client.messaging.v1.services.list();
    await client.messaging.v1.services(service!.sid).phoneNumbers(sid[SVC_NUMBER_2]!).remove();
    const r = await inbound(emu, { from: PHONE, to: SVC_NUMBER_2, body: 'x' });
    assert.equal(r.json.layer, 'number');
    await assert.rejects(
      client.messaging.v1.services(service!.sid).phoneNumbers(sid[SVC_NUMBER_2]!).fetch(),
      restError(404, 20404),
    );
    const other = await client.messaging.v1.services.create({ friendlyName: 'Other' });
    await assert.rejects(
      client.messaging.v1.services(other.sid).phoneNumbers.create({ phoneNumberSid: sid[SVC_NUMBER]! }),
      restError(409, 21710),
    );
    assert.equal(await client.messaging.v1.services(other.sid).remove(), true);
    await assert.rejects(client.messaging.v1.services(other.sid).fetch(), restError(404, 20404));
  });

  it('a TwiML App on the number wins over its sms_* URLs; "" clears it', async () => {
    const app = await client.applications.create({
      friendlyName: 'Bot',
      smsUrl: `${hooks.url}/app`,
      smsMethod: 'POST',
      smsFallbackUrl: `${hooks.url}/app-fallback`,
    });
    assert.match(app.sid, /^AP[0-9a-f]{32}$/);
    const number = await client.incomingPhoneNumbers(sid[APP_NUMBER]!).update({ smsApplicationSid: app.sid });
    assert.equal(number.smsApplicationSid, app.sid);
    assert.equal(number.smsUrl, `${hooks.url}/number/${APP_NUMBER.slice(1)}`, 'the number keeps its SmsUrl, ignored');
    let r = await inbound(emu, { from: PHONE, to: APP_NUMBER, body: 'to the app' });
    assert.equal(r.json.layer, 'application');
    assert.equal(r.json.delivered_to, `${hooks.url}/app`);

    const moved = await client.applications(app.sid).update({ smsUrl: `${hooks.url}/app2` });
    assert.equal(moved.smsUrl, `${hooks.url}/app2`);
    assert.equal((await client.applications(app.sid).fetch()).friendlyName, 'Bot');
    assert.deepEqual(
      (await client.applications.list({ friendlyName: 'Bot' })).map((a) => a.sid),
      [app.sid],
    );
    r = await inbound(emu, { from: PHONE, to: APP_NUMBER, body: 'to the app again' });
    assert.equal(r.json.delivered_to, `${hooks.url}/app2`);

    const cleared = await client.incomingPhoneNumbers(sid[APP_NUMBER]!).update({ smsApplicationSid: '' });
    assert.equal(cleared.smsApplicationSid, null);
    r = await inbound(emu, { from: PHONE, to: APP_NUMBER, body: 'to the number' });
    assert.equal(r.json.layer, 'number');
    await assert.rejects(
      client.incomingPhoneNumbers(sid[APP_NUMBER]!).update({ smsApplicationSid: 'AP' + '0'.repeat(32) }),
      restError(400, 20001),
    );
  });

  it('a WhatsApp sender takes WhatsApp messages to its number; SMS still goes to the number', async () => {
    const sender = await client.messaging.v2.channelsSenders.create({
      sender_id: `whatsapp:${WA_NUMBER}`,
      webhook: {
        callback_url: `${hooks.url}/wa-sender`,
        callback_method: 'POST',
        status_callback_url: `${hooks.url}/wa-status`,
      },
      profile: { name: 'Acme' },
    } as never);
    assert.match(sender.sid, /^XE[0-9a-f]{32}$/);
    assert.equal(sender.senderId, `whatsapp:${WA_NUMBER}`);
    assert.equal(sender.webhook?.callbackUrl, `${hooks.url}/wa-sender`);
    let r = await inbound(emu, {
      from: `whatsapp:${PHONE}`,
      to: `whatsapp:${WA_NUMBER}`,
      body: 'hola',
      profile_name: 'Dana',
    });
    assert.equal(r.json.layer, 'whatsapp_sender');
    assert.equal(r.json.delivered_to, `${hooks.url}/wa-sender`);
    assert.equal(hooks.requests[0]!.params.ProfileName, 'Dana');
    assert.equal(hooks.requests[0]!.params.From, `whatsapp:${PHONE}`);
    r = await inbound(emu, { from: PHONE, to: WA_NUMBER, body: 'sms' });
    assert.equal(r.json.layer, 'number');

    const listed = await client.messaging.v2.channelsSenders.list({ channel: 'whatsapp' });
    assert.deepEqual(
      listed.map((x) => x.sid),
      [sender.sid],
    );
    const updated = await client.messaging.v2
      .channelsSenders(sender.sid)
      .update({ webhook: { callback_url: `${hooks.url}/wa2` } } as never);
    assert.equal(updated.webhook?.callbackUrl, `${hooks.url}/wa2`);
    assert.equal(updated.webhook?.statusCallbackUrl, `${hooks.url}/wa-status`, 'fields not named are kept');
    await assert.rejects(
      client.messaging.v2.channelsSenders.create({ sender_id: 'whatsapp:+15550009999' } as never),
      restError(400, 20001),
    );
    assert.equal(await client.messaging.v2.channelsSenders(sender.sid).remove(), true);
    r = await inbound(emu, { from: PHONE, to: `whatsapp:${WA_NUMBER}`, body: 'after delete' });
    assert.equal(r.json.layer, 'number');
  });

  it("a WhatsApp sender's webhook methods are the spec's POST or PUT, answered as set (PUT is delivered as POST: our reading); GET is refused", async () => {
    const sender = await client.messaging.v2.channelsSenders.create({
      sender_id: `whatsapp:${WA_NUMBER}`,
      webhook: { callback_url: `${hooks.url}/wa-put`, callback_method: 'PUT', fallback_method: 'put' },
    } as never);
    try {
      assert.equal(sender.webhook?.callbackMethod, 'PUT');
      assert.equal(sender.webhook?.fallbackMethod, 'PUT');
      assert.equal(
        (await client.messaging.v2.channelsSenders(sender.sid).fetch()).webhook?.callbackMethod,
        'PUT',
        'read back as set',
      );
      const r = await inbound(emu, { from: PHONE, to: `whatsapp:${WA_NUMBER}`, body: 'to a PUT webhook' });
      assert.equal(r.json.delivered_to, `${hooks.url}/wa-put`);
      assert.equal(hooks.requests.at(-1)!.method, 'POST');
      await assert.rejects(
        client.messaging.v2.channelsSenders(sender.sid).update({ webhook: { callback_method: 'GET' } } as never),
        restError(400, 20001),
      );
      const after = await client.messaging.v2
        .channelsSenders(sender.sid)
        .update({ webhook: { callback_method: 'POST' } } as never);
      assert.equal(after.webhook?.callbackMethod, 'POST');
      assert.equal(after.webhook?.fallbackMethod, 'PUT', 'fields not named are kept');
    } finally {
      await client.messaging.v2.channelsSenders(sender.sid).remove();
    }
  });

  it('a WhatsApp sender whose number is in a service follows the service (our reading)', async () => {
    const [service] = await client.messaging.v1.services.list();
    await client.messaging.v2.channelsSenders.create({
      sender_id: `whatsapp:${SVC_NUMBER}`,
      webhook: { callback_url: `${hooks.url}/svc-sender` },
    } as never);
    const r = await inbound(emu, { from: PHONE, to: `whatsapp:${SVC_NUMBER}`, body: 'wa to service' });
    assert.equal(r.json.layer, 'messaging_service');
    await client.messaging.v1.services(service!.sid).update({ useInboundWebhookOnNumber: true });
    const deferred = await inbound(emu, { from: PHONE, to: `whatsapp:${SVC_NUMBER}`, body: 'wa to sender' });
    assert.equal(deferred.json.layer, 'whatsapp_sender');
    await client.messaging.v1.services(service!.sid).update({ useInboundWebhookOnNumber: false });
  });

  it('the WhatsApp Sandbox: not an account number, its URL set by the operator only; a sender who sent join <code> has joined', async () => {
    assert.ok(!(await client.incomingPhoneNumbers.list()).some((n) => n.phoneNumber === SANDBOX_NUMBER));
    const code = emu.topology().sandbox.join_code;
    let r = await inbound(emu, { from: PHONE, to: `whatsapp:${SANDBOX_NUMBER}`, body: `join ${code}` });
    assert.equal(r.json.layer, 'sandbox');
    assert.equal(r.json.delivered_to, null, 'no inbound URL set yet');
    const set = await fetch(`${emu.url}/_emulator/sandbox`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inbound_url: `${hooks.url}/sandbox` }),
    });
    assert.equal(set.status, 200);
    assert.equal(((await set.json()) as { inbound_url: string }).inbound_url, `${hooks.url}/sandbox`);
    r = await inbound(emu, { from: PHONE, to: `whatsapp:${SANDBOX_NUMBER}`, body: 'hello sandbox' });
    assert.equal(r.json.layer, 'sandbox');
    assert.equal(r.json.delivered_to, `${hooks.url}/sandbox`);
    assert.equal(hooks.requests.at(-1)!.params.To, `whatsapp:${SANDBOX_NUMBER}`);
    const listed = await client.messages.list({ to: `whatsapp:${SANDBOX_NUMBER}` });
    assert.ok(listed.some((m) => m.sid === r.json.message_sid && m.direction === 'inbound'));

    // Sending from the Sandbox: to a user who joined, delivered; to one who did not, 63015.
    const joined = await client.messages.create({
      from: `whatsapp:${SANDBOX_NUMBER}`,
      to: `whatsapp:${PHONE}`,
      body: 'hi back',
    });
    const stranger = await client.messages.create({
      from: `whatsapp:${SANDBOX_NUMBER}`,
      to: 'whatsapp:+14155550999',
      body: 'hi?',
    });
    await emu.idle();
    assert.equal(emu.getMessage(joined.sid)!.status, 'read');
    assert.equal(emu.getMessage(stranger.sid)!.status, 'failed');
    assert.equal(emu.getMessage(stranger.sid)!.errorCode, 63015);
    const sms = await inbound(emu, { from: PHONE, to: SANDBOX_NUMBER, body: 'sms to the sandbox' });
    assert.equal(sms.status, 400, 'the Sandbox is WhatsApp only');
  });

  it("inbound messages are listed and fetched with direction inbound, with the layer's service", async () => {
    const r = await inbound(emu, { from: PHONE, to: SVC_NUMBER, body: 'listed?' });
    const fetched = await client.messages(r.json.message_sid).fetch();
    assert.equal(fetched.direction, 'inbound');
    assert.equal(fetched.status, 'received');
    assert.equal(fetched.from, PHONE);
    assert.equal(fetched.to, SVC_NUMBER);
    assert.match(fetched.messagingServiceSid ?? '', /^MG/);
    const listed = await client.messages.list({ to: SVC_NUMBER, from: PHONE });
    assert.ok(listed.some((m) => m.sid === r.json.message_sid && m.direction === 'inbound'));
  });

  it('the control API refuses what it cannot do, with one line', async () => {
    const bad = await inbound(emu, { from: PHONE, to: '+15550000000', body: 'x' });
    assert.equal(bad.status, 400);
    assert.match((bad.json as unknown as { error: string }).error, /not one of the emulator's numbers/);
    const noFrom = await inbound(emu, { to: PLAIN });
    assert.equal(noFrom.status, 400);
    assert.match((noFrom.json as unknown as { error: string }).error, /^from must be a string/);
    const notJson = await fetch(`${emu.url}/_emulator/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{nope',
    });
    assert.equal(notJson.status, 400);
    const unknown = await fetch(`${emu.url}/_emulator/nothing`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(unknown.status, 404);
  });

  it("status callbacks: the service's for a number in it, the sender's on WhatsApp, the TwiML App's, the request's first", async () => {
    const [service] = await client.messaging.v1.services.list();
    const viaService = await client.messages.create({ from: SVC_NUMBER, to: '+14155550100', body: 'svc' });
    assert.equal(viaService.messagingServiceSid, service!.sid);
    const bySid = await client.messages.create({
      messagingServiceSid: service!.sid,
      to: '+14155550100',
      body: 'by sid',
    });
    assert.equal((await client.messages(bySid.sid).fetch()).from, SVC_NUMBER, 'the service sends from its own number');
    const sender = await client.messaging.v2.channelsSenders.create({
      sender_id: `whatsapp:${PLAIN}`,
      webhook: { status_callback_url: `${hooks.url}/plain-wa-status` },
    } as never);
    await inbound(emu, { from: '+14155550100', to: `whatsapp:${PLAIN}`, body: 'opens the 24-hour window' });
    const viaSender = await client.messages.create({
      from: `whatsapp:${PLAIN}`,
      to: 'whatsapp:+14155550100',
      body: 'wa',
    });
    const explicit = await client.messages.create({
      from: SVC_NUMBER,
      to: '+14155550100',
      body: 'own',
      statusCallback: `${hooks.url}/mine`,
    });
    const app = await client.applications.create({
      friendlyName: 'Status app',
      smsStatusCallback: `${hooks.url}/app-status`,
    });
    await client.incomingPhoneNumbers(sid[PLAIN]!).update({ smsApplicationSid: app.sid });
    const viaApp = await client.messages.create({ from: PLAIN, to: '+14155550100', body: 'sms from an app number' });
    await emu.idle();
    const paths = (messageSid: string) =>
      hooks.requests.filter((q) => q.params.MessageSid === messageSid).map((q) => q.path);
    assert.deepEqual(paths(viaService.sid), ['/service-status', '/service-status']);
    assert.deepEqual(paths(bySid.sid), ['/service-status', '/service-status']);
    assert.deepEqual(paths(viaSender.sid), ['/plain-wa-status', '/plain-wa-status', '/plain-wa-status']);
    assert.deepEqual(paths(explicit.sid), ['/mine', '/mine']);
    assert.deepEqual(paths(viaApp.sid), ['/app-status', '/app-status']);
    await client.incomingPhoneNumbers(sid[PLAIN]!).update({ smsApplicationSid: '' });
    await client.messaging.v2.channelsSenders(sender.sid).remove();
  });
});

describe('IncomingPhoneNumbers PhoneNumber filter: partial and * wildcards, as on Twilio', () => {
  let emu: Emulator;
  before(async () => {
    emu = await startEmulator({ numbers: ['+15005551301', '+15005551302', '+15005551399'], statusDelayMs: 5 });
  });
  after(async () => {
    await emu.stop();
  });

  it('matches partial numbers and * wildcards, and an exact number only itself', async () => {
    const client = emulatorClient(emu);
    const numbers = async (phoneNumber: string) =>
      (await client.incomingPhoneNumbers.list({ phoneNumber })).map((n) => n.phoneNumber).sort();
    assert.deepEqual(await numbers('+1500555130'), ['+15005551301', '+15005551302'], 'a digit missing matches others');
    assert.deepEqual(await numbers('555139'), ['+15005551399']);
    assert.deepEqual(await numbers('+1500555130*'), ['+15005551301', '+15005551302']);
    assert.deepEqual(await numbers('+1500555****'), ['+15005551301', '+15005551302', '+15005551399']);
    assert.deepEqual(await numbers('+15005551302'), ['+15005551302']);
    assert.deepEqual(await numbers('+15005559999'), []);
  });

  it("the tool's number lookup takes the exact number only, never a partial match", async () => {
    const { createTwilioClient } = await import('../../src/twilio/client.js');
    const { findNumber } = await import('../../src/twilio/numbers.js');
    const tool = await createTwilioClient({
      accountSid: emu.accountSid,
      authMethod: 'auth-token',
      apiKeySid: null,
      secret: emu.authToken,
      apiUrl: emu.url,
    });
    assert.equal(
      await findNumber(tool, '+1500555130'),
      null,
      'a From number with a digit missing is not another number of the account',
    );
    assert.equal((await findNumber(tool, '+15005551302'))?.phoneNumber, '+15005551302');
  });
});
