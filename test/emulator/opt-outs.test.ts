import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type twilio from 'twilio';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { emulatorClient } from '../helpers/emulator-client.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const OWN = '+15005551401';
const OTHER = '+15005551402';
const SVC_1 = '+15005551403';
const SVC_2 = '+15005551404';
const MG = `MG${'4'.repeat(32)}`;
const PHONE = '+14155550171';
const LISTED = '+14155550172';

const STOP_REPLY = /^You have successfully been unsubscribed\. .*Reply START to resubscribe\.$/;

async function control(emu: Emulator, method: string, name: string, body?: unknown) {
  const res = await fetch(`${emu.url}/_emulator/${name}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

function unsubscribed(err: unknown): boolean {
  const e = err as { status?: number; code?: number };
  assert.equal(e.status, 400, JSON.stringify(err));
  assert.equal(e.code, 21610);
  return true;
}

describe('opt-out keywords (STOP, START, HELP), as Twilio handles them on long codes and Messaging Services', () => {
  let emu: Emulator;
  let client: twilio.Twilio;
  let hooks: WebhookReceiver;
  const text = (from: string, to: string, body: string) => control(emu, 'POST', 'inbound', { from, to, body });
  const replies = (to: string) => emu.messages().filter((m) => m.to === to && m.direction === 'outbound-reply');

  before(async () => {
    hooks = await WebhookReceiver.start();
    emu = await startEmulator({
      statusDelayMs: 2,
      topology: {
        numbers: [
          { phone_number: OWN, sms_url: `${hooks.url}/own` },
          { phone_number: OTHER, sms_url: `${hooks.url}/other` },
        ],
        services: [
          { sid: MG, friendly_name: 'Support', inbound_request_url: `${hooks.url}/svc`, phone_numbers: [SVC_1, SVC_2] },
        ],
        opt_outs: [{ phone_number: LISTED, sender: OTHER }],
      },
    });
    client = emulatorClient(emu);
  });
  after(async () => {
    await emu.stop();
    await hooks.stop();
  });
  beforeEach(async () => {
    await emu.idle();
    await control(emu, 'DELETE', 'opt-outs');
  });

  it('STOP: the webhook still gets it with OptOutType=STOP, the confirmation is logged, a send (and a TwiML reply) gets 21610', async () => {
    hooks.respondWith({ status: 200, body: '<Response><Message>Sorry to see you go</Message></Response>' });
    const r = await text(PHONE, OWN, '  stop ');
    assert.equal(r.status, 202);
    assert.equal(r.json.outcome, 'delivered');
    const hook = hooks.requests.at(-1)!;
    assert.equal(hook.params.Body, '  stop ');
    assert.equal(hook.params.OptOutType, 'STOP');
    await emu.idle();
    const [confirmation] = replies(PHONE);
    assert.equal(confirmation!.from, OWN);
    assert.match(confirmation!.body, STOP_REPLY);
    assert.ok(
      !emu.messages().some((m) => m.body === 'Sorry to see you go'),
      "the agent's TwiML answer to a STOP is refused",
    );
    await assert.rejects(client.messages.create({ from: OWN, to: PHONE, body: 'still there?' }), unsubscribed);
    // Per number: another number that is in no service may still write.
    assert.ok(await client.messages.create({ from: OTHER, to: PHONE, body: 'from elsewhere' }));
    const listed = (await control(emu, 'GET', 'opt-outs')).json.opt_outs as Record<string, unknown>[];
    assert.deepEqual(
      listed.map((o) => [o.phone_number, o.sender, o.messaging_service_sid]),
      [[PHONE, OWN, null]],
    );
  });

  it('every documented opt-out keyword opts out; "STOP PLEASE" is an ordinary message', async () => {
    for (const keyword of ['STOPALL', 'unsubscribe', 'Cancel', 'END', 'QUIT', 'REVOKE', 'OPTOUT']) {
      await control(emu, 'DELETE', 'opt-outs');
      await text(PHONE, OWN, keyword);
      assert.equal(hooks.requests.at(-1)!.params.OptOutType, 'STOP', keyword);
      await assert.rejects(client.messages.create({ from: OWN, to: PHONE, body: keyword }), unsubscribed);
    }
    await control(emu, 'DELETE', 'opt-outs');
    await text(PHONE, OWN, 'STOP PLEASE');
    assert.equal(hooks.requests.at(-1)!.params.OptOutType, undefined);
    assert.ok(await client.messages.create({ from: OWN, to: PHONE, body: 'fine' }));
  });

  it('START (or YES, UNSTOP) opts back in with OptOutType=START; HELP and INFO get the help text with OptOutType=HELP', async () => {
    await text(PHONE, OWN, 'STOP');
    await text(PHONE, OWN, 'Unstop');
    assert.equal(hooks.requests.at(-1)!.params.OptOutType, 'START');
    assert.ok(await client.messages.create({ from: OWN, to: PHONE, body: 'welcome back' }));
    await text(PHONE, OWN, 'info');
    assert.equal(hooks.requests.at(-1)!.params.OptOutType, 'HELP');
    await emu.idle();
    const bodies = replies(PHONE).map((m) => m.body);
    assert.match(bodies.at(-2)!, /^You have successfully been re-subscribed/);
    assert.match(bodies.at(-1)!, /^Reply STOP to unsubscribe\./);
  });

  it('a number in a Messaging Service: STOP opts the contact out of the whole service', async () => {
    await text(PHONE, SVC_1, 'STOP');
    assert.equal(hooks.requests.at(-1)!.path, '/svc');
    assert.equal(hooks.requests.at(-1)!.params.OptOutType, 'STOP');
    await assert.rejects(client.messages.create({ from: SVC_2, to: PHONE, body: 'other member' }), unsubscribed);
    await assert.rejects(client.messages.create({ messagingServiceSid: MG, to: PHONE, body: 'pool' }), unsubscribed);
    assert.ok(await client.messages.create({ from: OWN, to: PHONE, body: 'outside the service' }));
    const listed = (await control(emu, 'GET', 'opt-outs')).json.opt_outs as Record<string, unknown>[];
    assert.deepEqual(
      listed.map((o) => [o.phone_number, o.sender, o.messaging_service_sid]),
      [[PHONE, null, MG]],
    );
  });

  it('opt_outs in the topology file, and DELETE /_emulator/opt-outs (all, or by phone_number)', async () => {
    const restarted = await startEmulator({
      topology: { numbers: [OWN, OTHER], opt_outs: [{ phone_number: LISTED, sender: OTHER }] },
    });
    try {
      const c = emulatorClient(restarted);
      await assert.rejects(c.messages.create({ from: OTHER, to: LISTED, body: 'x' }), unsubscribed);
      assert.ok(await c.messages.create({ from: OWN, to: LISTED, body: 'other number' }));
      const gone = await control(restarted, 'DELETE', 'opt-outs', { phone_number: '+14155550000' });
      assert.deepEqual([gone.status, gone.json.removed], [200, 0]);
      const cleared = await control(restarted, 'DELETE', 'opt-outs', { phone_number: LISTED });
      assert.deepEqual([cleared.json.removed, cleared.json.opt_outs], [1, []]);
      assert.ok(await c.messages.create({ from: OTHER, to: LISTED, body: 'again' }));
      await restarted.idle();
    } finally {
      await restarted.stop();
    }
    await assert.rejects(
      startEmulator({ topology: { opt_outs: [{ phone_number: LISTED }] } as never }),
      /^TopologyError: opt_outs\[0\] needs one of sender/,
    );
  });
});
