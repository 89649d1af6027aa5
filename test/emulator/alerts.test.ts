import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { closedPort } from '../helpers/cli.js';
import { emulatorClient } from '../helpers/emulator-client.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const OWN = '+15005551451';
const PHONE = '+14155550145';

describe('emulator: Monitor alerts where Twilio records them, and lagging lists', () => {
  let emu: Emulator;
  let hooks: WebhookReceiver;
  before(async () => {
    hooks = await WebhookReceiver.start();
    emu = await startEmulator({ numbers: [OWN], statusDelayMs: 5, deliveryTimeoutMs: 300 });
  });
  after(async () => {
    await emu.stop();
    await hooks.stop();
  });
  beforeEach(async () => {
    await emu.idle();
    emu.setListLag(0);
    hooks.requests.length = 0;
  });

  it('an HTTP error records 11200 even though the fallback then answered; listed newest first, fetched by SID', async () => {
    const before = emu.alerts().length;
    const client = emulatorClient(emu);
    await client
      .incomingPhoneNumbers(emu.numbers[0]!.sid)
      .update({ smsUrl: `${hooks.url}/primary`, smsFallbackUrl: `${hooks.url}/fallback` });
    hooks.respondWith({ status: 502 });
    const result = await emu.deliverInbound({ from: PHONE, to: OWN, body: '502 then fallback' });
    assert.equal(result.outcome, 'delivered');
    const recorded = emu.alerts().slice(before);
    assert.equal(recorded.length, 1, 'one alert: the primary URL; the fallback worked');
    const [alert] = recorded;
    assert.equal(alert!.errorCode, '11200');
    assert.equal(alert!.resourceSid, result.messageSid);
    assert.equal(alert!.requestUrl, `${hooks.url}/primary`);

    const listed = await client.monitor.v1.alerts.list({ logLevel: 'error', limit: 20 });
    assert.equal(listed[0]!.sid, alert!.sid, 'newest first');
    assert.equal(listed[0]!.errorCode, '11200');
    assert.equal(listed[0]!.resourceSid, result.messageSid);
    const text = new URLSearchParams(listed[0]!.alertText);
    assert.equal(text.get('httpResponse'), '502');
    assert.equal(text.get('url'), `${hooks.url}/primary`);
    const fetched = await client.monitor.v1.alerts(alert!.sid).fetch();
    assert.match(fetched.requestVariables, /MessageSid=/);
    const warnings = await client.monitor.v1.alerts.list({ logLevel: 'warning', limit: 50 });
    assert.equal(
      warnings.some((a) => a.sid === alert!.sid),
      false,
      'LogLevel filters',
    );
  });

  it('a refused connection records 11205 for the URL (after the one retry), once', async () => {
    const before = emu.alerts().length;
    const port = await closedPort();
    emu.setSmsUrl(OWN, `http://127.0.0.1:${port}/down`);
    await emulatorClient(emu).incomingPhoneNumbers(emu.numbers[0]!.sid).update({ smsFallbackUrl: '' });
    const result = await emu.deliverInbound({ from: PHONE, to: OWN, body: 'nobody home' });
    assert.equal(result.outcome, 'failed');
    assert.equal(result.attempts.length, 2);
    const recorded = emu.alerts().slice(before);
    assert.deepEqual(
      recorded.map((a) => [a.errorCode, a.logLevel, a.requestUrl]),
      [['11205', 'error', `http://127.0.0.1:${port}/down`]],
    );
  });

  it('a timeout records 11200; a webhook that answers 200 records nothing', async () => {
    const before = emu.alerts().length;
    const silent = http.createServer(() => undefined); // never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    emu.setSmsUrl(OWN, `http://127.0.0.1:${(silent.address() as AddressInfo).port}/slow`);
    await emu.deliverInbound({ from: PHONE, to: OWN, body: 'slow' });
    silent.closeAllConnections();
    silent.close();
    hooks.respondWith({ status: 200 });
    emu.setSmsUrl(OWN, `${hooks.url}/fine`);
    await emu.deliverInbound({ from: PHONE, to: OWN, body: 'fine' });
    const recorded = emu.alerts().slice(before);
    assert.equal(recorded.length, 1);
    assert.equal(recorded[0]!.errorCode, '11200');
    assert.match(new URLSearchParams(recorded[0]!.alertText).get('Msg')!, /timed out/);
  });

  it('StartDate, EndDate and paging follow the spec', async () => {
    const client = emulatorClient(emu);
    const all = await client.monitor.v1.alerts.list({});
    assert.ok(all.length >= 3);
    const future = await client.monitor.v1.alerts.list({ startDate: new Date(Date.now() + 60_000) });
    assert.deepEqual(future, []);
    const past = await client.monitor.v1.alerts.list({ endDate: new Date(Date.now() - 3_600_000) });
    assert.deepEqual(past, []);
    const paged = await client.monitor.v1.alerts.list({ pageSize: 1 });
    assert.deepEqual(
      paged.map((a) => a.sid),
      all.map((a) => a.sid),
      'page by page, the same alerts in the same order',
    );
    const page = await client.monitor.v1.alerts.page({ pageSize: 1 });
    assert.match(page.nextPageUrl ?? '', /^https:\/\/monitor\.twilio\.com\/v1\/Alerts\?/);
  });

  it('the list lag hides a new message, its status changes and a new alert from the lists, not from a fetch', async () => {
    const client = emulatorClient(emu);
    const alertsBefore = (await client.monitor.v1.alerts.list({})).length;
    const res = await fetch(`${emu.url}/_emulator/list-lag`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ms: 60_000 }),
    });
    assert.equal(res.status, 200);
    assert.equal((await client.monitor.v1.alerts.list({})).length, 0, 'the alerts of the last minute are hidden');
    const sent = await client.messages.create({ from: OWN, to: PHONE, body: 'lagging' });
    await emu.idle();
    assert.equal((await client.messages(sent.sid).fetch()).status, 'delivered');
    const listed = await client.messages.list({ from: OWN, limit: 100 });
    assert.equal(
      listed.some((m) => m.sid === sent.sid),
      false,
    );
    emu.setSmsUrl(OWN, `http://127.0.0.1:${await closedPort()}/x`);
    await emu.deliverInbound({ from: PHONE, to: OWN, body: 'x' });
    assert.equal((await client.monitor.v1.alerts.list({})).length, 0, 'the new alert is not listed yet');
    emu.setListLag(0);
    assert.equal(
      (await client.messages.list({ from: OWN, limit: 100 })).find((m) => m.sid === sent.sid)?.status,
      'delivered',
    );
    assert.equal((await client.monitor.v1.alerts.list({})).length, alertsBefore + 1);
  });

  it('with a short lag, the list shows the status the message had then', async () => {
    const client = emulatorClient(emu);
    emu.setListLag(400);
    const sent = await client.messages.create({ from: OWN, to: PHONE, body: 'versions' });
    await emu.idle(); // delivered by now (three steps of 5 ms)
    await new Promise((r) => setTimeout(r, 405));
    const listed = await client.messages.list({ from: OWN, limit: 100 });
    const seen = listed.find((m) => m.sid === sent.sid);
    assert.ok(seen, 'visible once older than the lag');
    assert.ok(['queued', 'sent', 'delivered'].includes(seen.status));
    await new Promise((r) => setTimeout(r, 100));
    const later = (await client.messages.list({ from: OWN, limit: 100 })).find((m) => m.sid === sent.sid);
    assert.equal(later?.status, 'delivered');
  });
});
