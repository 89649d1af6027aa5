import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type twilio from 'twilio';
import { type Emulator, SANDBOX_NUMBER, startEmulator } from '../../src/emulator/index.js';
import { emulatorClient } from '../helpers/emulator-client.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const OWN = '+15005551501';
const OTHER = '+15005551502';
const PHONE = '+14155550181';
const APPROVED = `HX${'a'.repeat(32)}`;
const PENDING = `HX${'b'.repeat(32)}`;

async function control(emu: Emulator, method: string, name: string, body?: unknown) {
  const res = await fetch(`${emu.url}/_emulator/${name}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

function apiError(code: number) {
  return (err: unknown) => {
    const e = err as { status?: number; code?: number };
    assert.equal(e.status, 400, JSON.stringify(err));
    assert.equal(e.code, code);
    return true;
  };
}

describe('the WhatsApp customer-service window and Content API templates', () => {
  let emu: Emulator;
  let client: twilio.Twilio;
  let hooks: WebhookReceiver;
  const wa = (n: string) => `whatsapp:${n}`;
  const final = async (sid: string) => {
    await emu.idle();
    return client.messages(sid).fetch();
  };

  before(async () => {
    hooks = await WebhookReceiver.start();
    emu = await startEmulator({
      statusDelayMs: 2,
      topology: {
        numbers: [
          { phone_number: OWN, sms_url: `${hooks.url}/in` },
          { phone_number: OTHER, sms_url: `${hooks.url}/in` },
        ],
        senders: [{ sender_id: wa(OWN), webhook: { status_callback_url: `${hooks.url}/status` } }],
        content: [
          {
            sid: APPROVED,
            friendly_name: 'order_ready',
            body: 'Hi {{1}}, your order {{2}} is ready.',
            variables: { '1': 'there', '2': '#0' },
            whatsapp: { status: 'approved', category: 'UTILITY' },
          },
          { sid: PENDING, friendly_name: 'promo', body: 'Sale today, {{1}}!', whatsapp: { status: 'pending' } },
        ],
      },
    });
    client = emulatorClient(emu);
  });
  after(async () => {
    await emu.stop();
    await hooks.stop();
  });
  beforeEach(() => emu.idle());

  it('free-form outside the window: 201 queued, then failed 63016, and the status callback says so', async () => {
    const m = await client.messages.create({ from: wa(OWN), to: wa(PHONE), body: 'hello stranger' });
    assert.equal(m.status, 'queued');
    const done = await final(m.sid);
    assert.equal(done.status, 'failed');
    assert.equal(done.errorCode, 63016);
    const callback = hooks.requests.filter((r) => r.params.MessageSid === m.sid).at(-1)!;
    assert.equal(callback.path, '/status');
    assert.deepEqual([callback.params.MessageStatus, callback.params.ErrorCode], ['failed', '63016']);
    // SMS has no window.
    assert.equal(
      (await final((await client.messages.create({ from: OWN, to: PHONE, body: 'sms' })).sid)).status,
      'delivered',
    );
  });

  it('within 24 hours of the contact writing (to this sender) anything goes; 24 hours later the window is shut', async () => {
    await control(emu, 'POST', 'inbound', { from: PHONE, to: wa(OWN), body: 'hi!' });
    const inside = await client.messages.create({ from: wa(OWN), to: wa(PHONE), body: 'hello again' });
    assert.equal((await final(inside.sid)).status, 'read');
    const otherSender = await client.messages.create({ from: wa(OTHER), to: wa(PHONE), body: 'not my window' });
    assert.equal((await final(otherSender.sid)).errorCode, 63016, 'the window is per sender');
    emu.advanceClock('23h');
    const late = await client.messages.create({
      from: wa(OWN),
      to: wa(PHONE),
      mediaUrl: ['https://example.test/a.jpg'],
    });
    assert.equal((await final(late.sid)).status, 'read');
    await control(emu, 'POST', 'clock', { advance: '61m' });
    const closed = await client.messages.create({ from: wa(OWN), to: wa(PHONE), body: 'too late' });
    assert.equal((await final(closed.sid)).errorCode, 63016);
  });

  it('ContentSid + ContentVariables render the template; outside the window only an approved template goes out', async () => {
    await control(emu, 'POST', 'clock', { advance: '2d' });
    const approved = await client.messages.create({
      from: wa(OWN),
      to: wa(PHONE),
      contentSid: APPROVED,
      contentVariables: JSON.stringify({ 1: 'Dana' }),
    });
    assert.equal(approved.body, 'Hi Dana, your order #0 is ready.', 'a missing variable takes its default');
    assert.equal((await final(approved.sid)).status, 'read');
    const pending = await client.messages.create({
      from: wa(OWN),
      to: wa(PHONE),
      contentSid: PENDING,
      contentVariables: '{"1":"Dana"}',
    });
    assert.equal(pending.body, 'Sale today, Dana!');
    assert.equal((await final(pending.sid)).errorCode, 63016, 'a template WhatsApp has not approved is free-form');
    await control(emu, 'POST', 'inbound', { from: PHONE, to: wa(OWN), body: 'ok' });
    const inside = await client.messages.create({ from: wa(OWN), to: wa(PHONE), contentSid: PENDING });
    assert.equal(inside.body, 'Sale today, {{1}}!');
    assert.equal((await final(inside.sid)).status, 'read', 'inside the window any template works');
  });

  it('bad template input is refused at create and nothing is sent: 21655, 21656, 21654', async () => {
    const before = emu.messages().length;
    const send = (extra: Record<string, string>) => client.messages.create({ from: wa(OWN), to: wa(PHONE), ...extra });
    await assert.rejects(send({ contentSid: `HX${'c'.repeat(32)}` }), apiError(21655));
    await assert.rejects(send({ contentSid: 'HX12' }), apiError(21655));
    await assert.rejects(send({ contentSid: APPROVED, contentVariables: '{1: Dana}' }), apiError(21656));
    await assert.rejects(send({ contentSid: APPROVED, contentVariables: '{"1": ""}' }), apiError(21656));
    await assert.rejects(send({ body: 'x', contentVariables: '{"1":"a"}' }), apiError(21654));
    assert.equal(emu.messages().length, before);
  });

  it("the Content API's reads, in Twilio's wire format: /v1/Content, /v1/Content/{Sid}, /v1/ContentAndApprovals", async () => {
    const list = await client.content.v1.contents.list();
    assert.deepEqual(
      list.map((c) => [c.sid, c.friendlyName, c.language]),
      [
        [APPROVED, 'order_ready', 'en'],
        [PENDING, 'promo', 'en'],
      ],
    );
    const one = await client.content.v1.contents(APPROVED).fetch();
    assert.deepEqual(one.types, { 'twilio/text': { body: 'Hi {{1}}, your order {{2}} is ready.' } });
    assert.deepEqual(one.variables, { '1': 'there', '2': '#0' });
    assert.equal(one.url, `https://content.twilio.com/v1/Content/${APPROVED}`);
    const approvals = await client.content.v1.contentAndApprovals.list();
    assert.deepEqual(
      approvals.map((c) => [c.sid, (c.approvalRequests as unknown as { status: string }).status]),
      [
        [APPROVED, 'approved'],
        [PENDING, 'pending'],
      ],
    );
    await assert.rejects(
      client.content.v1.contents(`HX${'d'.repeat(32)}`).fetch(),
      (e: { status?: number }) => e.status === 404,
    );
  });
});

describe('WhatsApp Sandbox membership: join <code>, 72 hours, 63015', () => {
  let emu: Emulator;
  let client: twilio.Twilio;
  let hooks: WebhookReceiver;
  const toSandbox = (from: string, body: string) =>
    control(emu, 'POST', 'inbound', { from, to: `whatsapp:${SANDBOX_NUMBER}`, body });

  before(async () => {
    hooks = await WebhookReceiver.start();
    emu = await startEmulator({
      statusDelayMs: 2,
      topology: { sandbox: { inbound_url: `${hooks.url}/sandbox`, join_code: 'Amber-River' } },
    });
    client = emulatorClient(emu);
  });
  after(async () => {
    await emu.stop();
    await hooks.stop();
  });

  it('a stranger is answered with the instructions and nothing is delivered; join <code> makes them a participant', async () => {
    assert.equal(emu.topology().sandbox.join_code, 'amber-river');
    const stranger = await toSandbox(PHONE, 'hello?');
    assert.equal(stranger.json.outcome, 'not-joined');
    assert.equal(stranger.json.delivered_to, null);
    assert.match(stranger.json.reason as string, /has not joined the Sandbox.*"join amber-river"/);
    const wrong = await toSandbox(PHONE, 'join purple-cat');
    assert.equal(wrong.json.outcome, 'not-joined');
    const joined = await toSandbox(PHONE, '  JOIN amber-river ');
    assert.equal(joined.json.outcome, 'joined');
    assert.equal(hooks.requests.length, 0, 'the agent never sees these');
    await emu.idle();
    const answers = emu
      .messages()
      .filter((m) => m.to === `whatsapp:${PHONE}`)
      .map((m) => m.body);
    assert.equal(answers.length, 3);
    assert.match(answers[0]!, /join amber-river/);
    assert.match(answers[2]!, /You are all set/);
    const hello = await toSandbox(PHONE, 'hello for real');
    assert.equal(hello.json.outcome, 'delivered');
    assert.equal(hooks.requests.at(-1)!.params.Body, 'hello for real');
    assert.deepEqual(emu.topology().sandbox.participants, [PHONE]);
  });

  it('a send from the Sandbox to a non-participant fails 63015; membership ends 72 hours after joining', async () => {
    const stranger = await client.messages.create({
      from: `whatsapp:${SANDBOX_NUMBER}`,
      to: 'whatsapp:+14155550999',
      body: 'hi?',
    });
    await emu.idle();
    assert.equal((await client.messages(stranger.sid).fetch()).errorCode, 63015);
    emu.advanceClock('71h');
    assert.equal((await toSandbox(PHONE, 'still in')).json.outcome, 'delivered');
    emu.advanceClock('2h');
    assert.equal((await toSandbox(PHONE, 'and now?')).json.outcome, 'not-joined');
    const gone = await client.messages.create({
      from: `whatsapp:${SANDBOX_NUMBER}`,
      to: `whatsapp:${PHONE}`,
      body: 'bye',
    });
    await emu.idle();
    assert.equal((await client.messages(gone.sid).fetch()).errorCode, 63015);
    assert.deepEqual(emu.topology().sandbox.participants, []);
    const bad = await control(emu, 'POST', 'sandbox', { join_code: 'two words' });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error as string, /^sandbox join_code must be one word/);
  });
});
