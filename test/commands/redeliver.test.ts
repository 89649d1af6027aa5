import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import twilio from 'twilio';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { addConfigArgs } from '../helpers/add-config.js';
import { closedPort, tempHome } from '../helpers/cli.js';
import { emulatorClient } from '../helpers/emulator-client.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

// The keychain this file's in-process runs are handed (in memory: no child process reads it).
const testKeychain = memoryKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

const OWN = '+15005551481';
const OTHER = '+15005551482';
const PHONE = '+14155550148';
const PIXEL =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

describe('messages redeliver, against the emulator', () => {
  let emu: Emulator;
  let hooks: WebhookReceiver;
  let h: ReturnType<typeof tempHome>;
  const cli = (args: string[]) => runCliInProcess(args, { env: h.env });

  before(async () => {
    hooks = await WebhookReceiver.start();
    emu = await startEmulator({ numbers: [OWN, OTHER], statusDelayMs: 1 });
    h = tempHome();
    const add = await runCliInProcess(addConfigArgs('redeliver', OWN, emu, 'stdin'), {
      input: emu.authToken,
      env: h.env,
    });
    assert.equal(add.code, 0, add.stderr);
  });
  after(async () => {
    await emu.stop();
    await hooks.stop();
    h.cleanup();
  });

  it('after an outage, posts the message to the current webhook as Twilio would have: signed for that URL, same fields', async () => {
    emu.setSmsUrl(OWN, `http://127.0.0.1:${await closedPort()}/webhooks/twilio`);
    const lost = await emu.deliverInbound({
      from: PHONE,
      to: OWN,
      body: 'did you get this?',
      mediaUrls: [{ url: PIXEL, contentType: 'image/png' }],
    });
    assert.equal(lost.outcome, 'failed');
    assert.ok(
      emu.alerts().some((a) => a.resourceSid === lost.messageSid),
      'Twilio logged an alert',
    );

    // The webhook is back; the message is posted to it again.
    const url = `${hooks.url}/webhooks/twilio`;
    emu.setSmsUrl(OWN, url);
    hooks.requests.length = 0;
    const r = await cli(['messages', 'redeliver', lost.messageSid, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.sid, lost.messageSid);
    assert.equal(result.ok, true);
    assert.equal(result.status, 200);
    assert.equal(hooks.requests.length, 1);
    const got = hooks.requests[0]!;
    assert.equal(got.path, '/webhooks/twilio');
    assert.equal(got.params.MessageSid, lost.messageSid);
    assert.equal(got.params.SmsSid, lost.messageSid);
    assert.equal(got.params.From, PHONE);
    assert.equal(got.params.To, OWN);
    assert.equal(got.params.Body, 'did you get this?');
    assert.equal(got.params.NumMedia, '1');
    assert.equal(got.params.MediaContentType0, 'image/png');
    assert.match(
      got.params.MediaUrl0!,
      new RegExp(`/Accounts/${emu.accountSid}/Messages/${lost.messageSid}/Media/ME[0-9a-f]{32}$`),
    );
    assert.equal(got.params.AccountSid, emu.accountSid);
    assert.equal(got.headers['i-twilio-idempotency-token'], result.idempotency_token);
    assert.ok(
      twilio.validateRequest(emu.authToken, got.headers['x-twilio-signature'] as string, url, got.params),
      'the twilio package accepts the signature for the target URL',
    );
    assert.equal(
      twilio.validateRequest(emu.authToken, got.headers['x-twilio-signature'] as string, `${url}?x=1`, got.params),
      false,
      'and only for that URL',
    );
  });

  it('--to URL posts there; outbound messages and another number’s are refused (exit 1), the others still sent', async () => {
    const inbound = await emu.deliverInbound({ from: PHONE, to: OWN, body: 'second' });
    const reply = await emulatorClient(emu).messages.create({ from: OWN, to: PHONE, body: 'an answer' });
    const elsewhere = await emu.deliverInbound({ from: PHONE, to: OTHER, body: 'to the other number' });
    hooks.requests.length = 0;
    const r = await cli([
      'messages',
      'redeliver',
      reply.sid,
      inbound.messageSid,
      elsewhere.messageSid,
      '--to',
      `${hooks.url}/elsewhere`,
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`${reply.sid} is an outbound message`));
    assert.match(r.stderr, new RegExp(`${elsewhere.messageSid} was sent to \\${OTHER}`));
    assert.match(r.stderr, new RegExp(`✔ ${inbound.messageSid} → ${hooks.url}/elsewhere: HTTP 200`));
    assert.deepEqual(
      hooks.requests.map((q) => [q.path, q.params.MessageSid]),
      [['/elsewhere', inbound.messageSid]],
    );
    assert.ok(
      twilio.validateRequest(
        emu.authToken,
        hooks.requests[0]!.headers['x-twilio-signature'] as string,
        `${hooks.url}/elsewhere`,
        hooks.requests[0]!.params,
      ),
    );
  });

  it('--to-listener with no listener running is an error naming the fix; --to with --to-listener is a usage error', async () => {
    const sid = emu.messages()[0]!.sid;
    const none = await cli(['messages', 'redeliver', sid, '--to-listener']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no listener is running/);
    const both = await cli(['messages', 'redeliver', sid, '--to-listener', '--to', 'http://127.0.0.1:9/x']);
    assert.equal(both.code, 2);
  });

  it('--missed: every inbound message to the number since --since that no event here records, oldest first', async () => {
    hooks.requests.length = 0;
    const r = await cli([
      'messages',
      'redeliver',
      '--missed',
      '--since',
      '1h',
      '--to',
      `${hooks.url}/caught-up`,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const expected = emu
      .messages()
      .filter((m) => m.direction === 'inbound' && m.to === OWN)
      .map((m) => m.sid);
    assert.ok(expected.length >= 2);
    assert.deepEqual(
      hooks.requests.map((q) => q.params.MessageSid),
      expected,
      'each inbound message of the number, oldest first; none of the other number, no outbound one',
    );
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => [l.sid, l.ok]),
      expected.map((sid) => [sid, true]),
    );
    const both = await cli(['messages', 'redeliver', expected[0]!, '--missed']);
    assert.equal(both.code, 2);
    const none = await cli(['messages', 'redeliver']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /give the SIDs of the messages to redeliver \(or --missed\)/);
  });
});
