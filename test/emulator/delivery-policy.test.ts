import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import twilio from 'twilio';
import { type Emulator, MAGIC_NUMBERS, startEmulator } from '../../src/emulator/index.js';
import { closedPort } from '../helpers/cli.js';
import { emulatorClient } from '../helpers/emulator-client.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const OWN = '+15005551401';
const PHONE = '+14155550143';

describe("emulator delivery: Twilio's policy by default", () => {
  let emu: Emulator;
  let hooks: WebhookReceiver;
  before(async () => {
    hooks = await WebhookReceiver.start();
    emu = await startEmulator({ numbers: [OWN], statusDelayMs: 5 });
  });
  after(async () => {
    await emu.stop();
    await hooks.stop();
  });
  beforeEach(async () => {
    await emu.idle();
    hooks.requests.length = 0;
  });

  it('an HTTP error is not retried: the fallback URL is called once, told why', async () => {
    await emulatorClient(emu)
      .incomingPhoneNumbers(emu.numbers[0]!.sid)
      .update({ smsUrl: `${hooks.url}/primary`, smsFallbackUrl: `${hooks.url}/fallback` });
    hooks.respondWith({ status: 500 });
    const result = await emu.deliverInbound({ from: PHONE, to: OWN, body: 'fails once' });
    assert.equal(result.outcome, 'delivered');
    assert.equal(result.layer, 'number');
    assert.equal(result.url, `${hooks.url}/fallback`);
    assert.deepEqual(
      hooks.requests.map((q) => q.path),
      ['/primary', '/fallback'],
    );
    const fallback = hooks.requests[1]!;
    assert.equal(fallback.params.ErrorCode, '11200');
    assert.equal(fallback.params.ErrorUrl, `${hooks.url}/primary`);
    assert.ok(
      twilio.validateRequest(
        emu.authToken,
        fallback.headers['x-twilio-signature'] as string,
        `${hooks.url}/fallback`,
        fallback.params,
      ),
    );
  });

  it('an HTTP error with no fallback URL is one attempt, failed', async () => {
    await emulatorClient(emu)
      .incomingPhoneNumbers(emu.numbers[0]!.sid)
      .update({ smsUrl: `${hooks.url}/only`, smsFallbackUrl: '' });
    hooks.respondWith({ status: 503 });
    const result = await emu.deliverInbound({ from: PHONE, to: OWN, body: 'x' });
    assert.equal(result.outcome, 'failed');
    assert.deepEqual(
      result.attempts.map((a) => a.statusCode),
      [503],
    );
  });

  it('a refused connection is retried once, then the fallback is called', async () => {
    const refused = `http://127.0.0.1:${await closedPort()}/down`;
    await emulatorClient(emu)
      .incomingPhoneNumbers(emu.numbers[0]!.sid)
      .update({ smsUrl: refused, smsFallbackUrl: `${hooks.url}/fallback` });
    const result = await emu.deliverInbound({ from: PHONE, to: OWN, body: 'nobody listening' });
    assert.deepEqual(
      result.attempts.map((a) => [a.url, a.error ?? a.statusCode]),
      [
        [refused, 'ECONNREFUSED'],
        [refused, 'ECONNREFUSED'],
        [`${hooks.url}/fallback`, 200],
      ],
    );
    assert.equal(result.outcome, 'delivered');
  });

  it('a refused connection that comes back on the retry is delivered there', async () => {
    // A server that refuses the first connection by not listening yet, then listens: simulated by resetting the first socket.
    let connections = 0;
    const server = http.createServer((_req, res) => res.end('<Response/>'));
    server.on('connection', (socket) => {
      if (++connections === 1) socket.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/flaky`;
    try {
      await emulatorClient(emu).incomingPhoneNumbers(emu.numbers[0]!.sid).update({ smsUrl: url, smsFallbackUrl: '' });
      const result = await emu.deliverInbound({ from: PHONE, to: OWN, body: 'second time lucky' });
      assert.equal(result.outcome, 'delivered');
      assert.equal(result.attempts.length, 2);
      assert.equal(result.attempts[1]!.statusCode, 200);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('emulator delivery: configured retries (retryDelaysMs) for tests', () => {
  it('retries an HTTP error after each delay, then calls the fallback', async () => {
    const hooks = await WebhookReceiver.start();
    const emu = await startEmulator({ numbers: [OWN], statusDelayMs: 5, retryDelaysMs: [5, 5] });
    try {
      emu.setSmsUrl(OWN, `${hooks.url}/primary`);
      await emulatorClient(emu)
        .incomingPhoneNumbers(emu.numbers[0]!.sid)
        .update({ smsFallbackUrl: `${hooks.url}/fallback` });
      hooks.respondWith({ status: 500 }, { status: 500 }, { status: 500 });
      const result = await emu.deliverInbound({ from: PHONE, to: OWN, body: 'x' });
      assert.deepEqual(
        hooks.requests.map((q) => q.path),
        ['/primary', '/primary', '/primary', '/fallback'],
      );
      assert.equal(result.outcome, 'delivered');
    } finally {
      await emu.stop();
      await hooks.stop();
    }
  });
});

describe('emulator first-hour refusals and rate limiting', () => {
  let emu: Emulator;
  let client: twilio.Twilio;
  before(async () => {
    emu = await startEmulator({ numbers: [OWN], statusDelayMs: 5 });
    client = emulatorClient(emu);
  });
  after(async () => {
    await emu.stop();
  });

  it('21608: a trial account cannot send to an unverified number (400)', async () => {
    await assert.rejects(
      client.messages.create({ from: OWN, to: MAGIC_NUMBERS.trialUnverified, body: 'x' }),
      (err: { status?: number; code?: number; message?: string }) => {
        assert.equal(err.status, 400);
        assert.equal(err.code, 21608);
        assert.match(err.message ?? '', /unverified/);
        return true;
      },
    );
  });

  for (const [to, whatsapp, status, code] of [
    [MAGIC_NUMBERS.unregistered10dlc, false, 'undelivered', 30034],
    [MAGIC_NUMBERS.unverifiedTollFree, false, 'undelivered', 30032],
    [MAGIC_NUMBERS.sandboxNotJoined, true, 'failed', 63015],
  ] as const) {
    it(`${code}: accepted, then ${status} with error ${code} for ${to}`, async () => {
      const prefix = whatsapp ? 'whatsapp:' : '';
      const m = await client.messages.create({ from: prefix + OWN, to: prefix + to, body: 'x' });
      assert.equal(m.status, 'queued');
      await emu.idle();
      const done = await client.messages(m.sid).fetch();
      assert.equal(done.status, status);
      assert.equal(done.errorCode, code);
      assert.ok(done.errorMessage);
    });
  }

  it('429 with Retry-After for the next N requests (control API), then normal again', async () => {
    const set = await fetch(`${emu.url}/_emulator/rate-limit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ requests: 2, retry_after: 3 }),
    });
    assert.equal(set.status, 200);
    const auth = { Authorization: 'Basic ' + Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64') };
    const first = await fetch(`${emu.url}/2010-04-01/Accounts/${emu.accountSid}.json`, { headers: auth });
    assert.equal(first.status, 429);
    assert.equal(first.headers.get('retry-after'), '3');
    assert.equal(((await first.json()) as { code: number }).code, 20429);
    await assert.rejects(
      client.incomingPhoneNumbers.list(),
      (err: { status?: number; code?: number }) => err.status === 429 && err.code === 20429,
    );
    assert.equal((await client.incomingPhoneNumbers.list()).length, 1);
    emu.rateLimit(1, 1);
    await assert.rejects(
      client.api.v2010.accounts(emu.accountSid).fetch(),
      (err: { status?: number }) => err.status === 429,
    );
    assert.equal((await client.api.v2010.accounts(emu.accountSid).fetch()).sid, emu.accountSid);
  });
});
