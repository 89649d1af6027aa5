import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import twilio from 'twilio';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { addConfigArgs } from '../helpers/add-config.js';
import { tempHome } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER } from '../helpers/fixtures.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { osKeychain } from '../helpers/keychains.js';
import { TRIGGER_PAYLOAD_KEYS } from '../helpers/listen.js';

// The fixture's config was added by the built binary: its token is in the (test) keychain.
const testKeychain = osKeychain();
const { runCliInProcess, startCliInProcess } = inProcessCliWith(testKeychain);

const { getExpectedTwilioSignature } = twilio;

/**
 * Issue 26, item 9 (in part): an address Twilio uses that the listener does not model (RCS, Messenger, a short
 * code) is refused with a reason that says so (not "must be E.164"), and doctor counts them.
 */
describe('addresses the listener does not model', () => {
  let f: EmulatorFixture;
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os' });
  });
  after(async () => {
    await f.cleanup();
  });

  test('RCS, Messenger and a short code: refused as unsupported_address (400), said as such; doctor counts them', async () => {
    const p = startCliInProcess(['listen', '--port', '0', '--check-missed', '0', '--no-inspect'], { env: f.env });
    const url = (await p.waitFor(/Ready! Listening for messages to \S+ at (\S+)/))[1]!;
    const post = async (from: string, to: string) => {
      const form = {
        MessageSid: `SM${'d'.repeat(32)}`,
        AccountSid: f.emulator.accountSid,
        From: from,
        To: to,
        Body: 'x',
      };
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': getExpectedTwilioSignature(f.emulator.authToken, url, form),
        },
        body: new URLSearchParams(form).toString(),
      });
      await res.text();
      return res.status;
    };
    assert.equal(await post('rcs:+14155550100', 'rcs:acme_agent'), 400);
    await p.waitFor(
      /refused unsupported_address from rcs:\+14155550100: From rcs:\+14155550100 is an RCS address: this listener takes SMS and WhatsApp/,
    );
    assert.equal(await post('messenger:1234567890', `messenger:${'9'.repeat(10)}`), 400);
    await p.waitFor(
      /refused unsupported_address from messenger:1234567890: From messenger:1234567890 is a messenger address/,
    );
    assert.equal(await post('+14155550100', '12345'), 400);
    await p.waitFor(/refused unsupported_address from \+14155550100: To 12345 is a short code/);
    assert.equal(await post('not a number', OUR_NUMBER), 400);
    await p.waitFor(/refused not_e164/);
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);

    const doctor = JSON.parse((await runCliInProcess(['doctor', '--json'], { env: f.env })).stdout);
    const route = doctor.checks.find((c: { name: string }) => c.name === 'route');
    assert.equal(route.ok, 'warn', route.detail);
    assert.match(route.detail, /3 request\(s\) from or to an address this tool does not model/);
  });
});

const SVC_NUMBER = '+15005552601';
const OUTSIDE = '+15005552602';
const RCS_SENDER = 'rcs:acme_support_agent';
const MESSENGER_SENDER = 'messenger:1029384756';

/**
 * Issue 26, item 9: the short codes and RCS/Messenger senders of the config's own Messaging Service reach the
 * listener (listed once at start): an RCS message to the service's RCS sender is accepted and printed with its
 * address as Twilio wrote it and channel `rcs`; a Messenger message to a number outside the service is still
 * refused, with the reason.
 */
describe("a Messaging Service's own non-phone senders", () => {
  let emu: Emulator;
  let h: ReturnType<typeof tempHome>;
  before(async () => {
    emu = await startEmulator({
      statusDelayMs: 1,
      retryDelaysMs: [],
      topology: {
        numbers: [{ phone_number: SVC_NUMBER }, { phone_number: OUTSIDE, sms_url: 'http://127.0.0.1:9/other' }],
        services: [
          {
            friendly_name: 'Support',
            inbound_request_url: 'http://127.0.0.1:9/support/in',
            phone_numbers: [SVC_NUMBER],
            short_codes: ['24680'],
            channel_senders: [RCS_SENDER, MESSENGER_SENDER],
          },
        ],
      },
    });
    h = tempHome();
    const r = await runCliInProcess(addConfigArgs('svc', SVC_NUMBER, emu, 'stdin'), {
      env: h.env,
      input: emu.authToken,
    });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await emu.stop();
    h.cleanup();
  });

  test('an RCS message to the service RCS sender is accepted and printed by listen --json; a messenger one to a number outside is refused', async () => {
    const p = startCliInProcess(
      [
        'listen',
        '--config',
        'svc',
        '--messaging-service',
        '--port',
        '0',
        '--check-missed',
        '0',
        '--no-inspect',
        '--json',
      ],
      { env: h.env },
    );
    await p.waitFor(/Ready! Listening for messages to/);
    // The service's senders are listed once at start and said among the accepted addresses.
    assert.match(p.stderr, /are accepted/);
    assert.ok(p.stderr.includes(RCS_SENDER) && p.stderr.includes('24680'), p.stderr);

    const d = await emu.deliverInbound({ from: 'rcs:+14155550100', to: RCS_SENDER, body: 'hello over RCS' });
    assert.equal(d.layer, 'messaging_service');
    assert.equal(d.outcome, 'delivered', JSON.stringify(d));
    const line = await p.waitFor(/^\{"trigger":"twilio\.message\.received".*$/m, { stream: 'stdout' });
    const envelope = JSON.parse(line[0]);
    const payload = envelope.payload;
    assert.equal(payload.text, 'hello over RCS');
    assert.equal(payload.from, 'rcs:+14155550100');
    assert.equal(payload.conversation_address, 'rcs:+14155550100');
    assert.equal(payload.channel, 'rcs');
    assert.equal(payload.message_attributes.to, RCS_SENDER);
    assert.equal(payload.message_attributes.channel, 'rcs');
    for (const k of TRIGGER_PAYLOAD_KEYS) assert.ok(k in payload, `seed key ${k}`);
    assert.ok(payload.session_id?.startsWith('ses_'));

    // A phone number to the service's short code: plain E.164 `from`, channel sms.
    const sc = await emu.deliverInbound({ from: '+14155550123', to: '24680', body: 'to the short code' });
    assert.equal(sc.outcome, 'delivered', JSON.stringify(sc));
    const scLine = await p.waitFor(/^\{"trigger":"twilio\.message\.received".*"to the short code".*$/m, {
      stream: 'stdout',
    });
    const scPayload = JSON.parse(scLine[0]).payload;
    assert.equal(scPayload.from, '+14155550123');
    assert.equal(scPayload.conversation_address, '+14155550123');
    assert.equal(scPayload.channel, 'sms');
    assert.equal(scPayload.message_attributes.to, '24680');

    // Messenger to a number outside the service: signed by Twilio, still refused with its reason.
    const url = p.stderr.match(/Ready! Listening for messages to \S+ at (\S+)/)![1]!;
    const form = {
      MessageSid: `SM${'e'.repeat(32)}`,
      AccountSid: emu.accountSid,
      From: 'messenger:5550001',
      To: OUTSIDE,
      Body: 'x',
    };
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': getExpectedTwilioSignature(emu.authToken, url, form),
      },
      body: new URLSearchParams(form).toString(),
    });
    assert.equal(res.status, 400);
    await res.text();
    await p.waitFor(
      /refused unsupported_address from messenger:5550001: From messenger:5550001 is a messenger address/,
    );
    // A From that is no address at all, to the service's RCS sender: still not_e164.
    const bad = { ...form, MessageSid: `SM${'f'.repeat(32)}`, From: 'not a number', To: RCS_SENDER };
    const badRes = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': getExpectedTwilioSignature(emu.authToken, url, bad),
      },
      body: new URLSearchParams(bad).toString(),
    });
    assert.equal(badRes.status, 400);
    await badRes.text();
    await p.waitFor(/refused not_e164/);
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
  });
});
