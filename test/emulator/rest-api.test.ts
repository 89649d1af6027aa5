import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type twilio from 'twilio';
import { type Emulator, type EmulatorLogEntry, startEmulator } from '../../src/emulator/index.js';
import { messageCallError } from '../../src/twilio/messages.js';
import { emulatorClient } from '../helpers/emulator-client.js';

const OWN = '+15005551001';
const OTHER_OWN = '+15005551002';
const RFC2822 =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000$/;

/** The error the official client throws, for assert.rejects. */
function restError(status: number, code: number) {
  return (err: unknown) => {
    const e = err as { status?: number; code?: number; moreInfo?: string };
    assert.equal(e.status, status, `HTTP status of ${JSON.stringify(err)}`);
    assert.equal(e.code, code);
    assert.equal(e.moreInfo, `https://www.twilio.com/docs/errors/${code}`);
    return true;
  };
}

describe('emulator REST API through the official twilio client', () => {
  let emu: Emulator;
  let client: twilio.Twilio;
  const logs: EmulatorLogEntry[] = [];

  before(async () => {
    emu = await startEmulator({ numbers: [OWN, OTHER_OWN], statusDelayMs: 5, onLog: (e) => logs.push(e) });
    client = emulatorClient(emu);
  });
  after(async () => {
    await emu.stop();
  });

  it('generates Twilio-shaped credentials and listens on 127.0.0.1', () => {
    assert.match(emu.accountSid, /^AC[0-9a-f]{32}$/);
    assert.match(emu.authToken, /^[0-9a-f]{32}$/);
    assert.match(emu.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(
      emu.numbers.map((n) => n.phoneNumber),
      [OWN, OTHER_OWN],
    );
    for (const n of emu.numbers) assert.match(n.sid, /^PN[0-9a-f]{32}$/);
  });

  it('fetches the account without ever returning the auth token', async () => {
    const account = await client.api.v2010.accounts(emu.accountSid).fetch();
    assert.equal(account.sid, emu.accountSid);
    assert.equal(account.status, 'active');
    assert.equal(account.type, 'Full');
    assert.equal(account.authToken, undefined);
    const raw = await fetch(`${emu.url}/2010-04-01/Accounts/${emu.accountSid}.json`, {
      headers: { Authorization: 'Basic ' + Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64') },
    });
    const text = await raw.text();
    assert.equal(raw.status, 200);
    assert.ok(!text.includes(emu.authToken), 'the response body must not contain the auth token');
    assert.match(JSON.parse(text).date_created, RFC2822);
  });

  it('lists, filters and fetches incoming phone numbers', async () => {
    const all = await client.incomingPhoneNumbers.list();
    assert.deepEqual(all.map((n) => n.phoneNumber).sort(), [OWN, OTHER_OWN]);
    const filtered = await client.incomingPhoneNumbers.list({ phoneNumber: OTHER_OWN });
    assert.equal(filtered.length, 1);
    assert.equal(filtered[0]!.phoneNumber, OTHER_OWN);
    assert.deepEqual(await client.incomingPhoneNumbers.list({ phoneNumber: '+15005559999' }), []);

    const fetched = await client.incomingPhoneNumbers(filtered[0]!.sid).fetch();
    assert.equal(fetched.phoneNumber, OTHER_OWN);
    assert.equal(fetched.friendlyName, '(500) 555-1002');
    assert.equal(fetched.smsUrl, '');
    assert.equal(fetched.smsMethod, 'POST');
    assert.deepEqual(fetched.capabilities, { voice: true, sms: true, mms: true, fax: false });
    assert.equal(fetched.accountSid, emu.accountSid);
  });

  it("updates a number's SMS webhook and reports the change to getNumber", async () => {
    const sid = emu.numbers[0]!.sid;
    const updated = await client.incomingPhoneNumbers(sid).update({
      smsUrl: 'https://example.test/sms?x=1',
      smsMethod: 'GET',
      smsFallbackUrl: 'https://example.test/fallback',
      smsFallbackMethod: 'POST',
      friendlyName: 'support line',
    });
    assert.equal(updated.smsUrl, 'https://example.test/sms?x=1');
    assert.equal(updated.smsMethod, 'GET');
    assert.equal(updated.smsFallbackUrl, 'https://example.test/fallback');
    assert.equal(updated.friendlyName, 'support line');
    assert.equal(emu.getNumber(OWN)?.smsUrl, 'https://example.test/sms?x=1');

    emu.setSmsUrl(OWN, 'https://console.example.test/hook');
    const refetched = await client.incomingPhoneNumbers(sid).fetch();
    assert.equal(refetched.smsUrl, 'https://console.example.test/hook');
    assert.equal(refetched.smsMethod, 'POST');

    await assert.rejects(client.incomingPhoneNumbers(sid).update({ smsUrl: 'not a url' }), restError(400, 21502));
    await client.incomingPhoneNumbers(sid).update({ smsUrl: '', smsFallbackUrl: '' });
    assert.equal(emu.getNumber(OWN)?.smsUrl, '');
  });

  it('answers 20404 for unknown numbers, messages and paths', async () => {
    await assert.rejects(client.incomingPhoneNumbers('PN' + '0'.repeat(32)).fetch(), restError(404, 20404));
    await assert.rejects(client.messages('SM' + '0'.repeat(32)).fetch(), restError(404, 20404));
    const res = await fetch(`${emu.url}/2010-04-01/Accounts/${emu.accountSid}/Calls.json`, {
      headers: { Authorization: 'Basic ' + Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64') },
    });
    assert.equal(res.status, 404);
    assert.deepEqual(Object.keys(await res.json()).sort(), ['code', 'message', 'more_info', 'status']);
  });

  it('treats another account SID in the path as not found', async () => {
    const otherAccount = 'AC' + 'f'.repeat(32);
    await assert.rejects(client.api.v2010.accounts(otherAccount).messages.list(), restError(404, 20404));
  });

  it('rejects a wrong auth token with 20003 / 401', async () => {
    const wrong = emulatorClient(emu, { username: emu.accountSid, password: '0'.repeat(32) });
    await assert.rejects(wrong.messages.list(), restError(401, 20003));
    await assert.rejects(wrong.api.v2010.accounts(emu.accountSid).fetch(), restError(401, 20003));
    const anonymous = await fetch(`${emu.url}/2010-04-01/Accounts/${emu.accountSid}/Messages.json`);
    assert.equal(anonymous.status, 401);
    assert.equal((await anonymous.json()).code, 20003);
  });

  it('accepts an API key SID + secret for Basic auth, and nothing else with that SID', async () => {
    const key = emu.createApiKey('ci');
    assert.match(key.sid, /^SK[0-9a-f]{32}$/);
    assert.match(key.secret, /^[0-9a-f]{32}$/);
    const keyed = emulatorClient(emu, { username: key.sid, password: key.secret });
    const account = await keyed.api.v2010.accounts(emu.accountSid).fetch();
    assert.equal(account.sid, emu.accountSid);
    const sent = await keyed.messages.create({ from: OWN, to: '+15557770000', body: 'via key' });
    assert.equal(sent.status, 'queued');
    const wrongSecret = emulatorClient(emu, { username: key.sid, password: emu.authToken });
    await assert.rejects(wrongSecret.messages.list(), restError(401, 20003));
    assert.ok(logs.some((e) => e.event === 'http.request' && e.auth === 'api-key'));
  });

  it("creates a message with Twilio's fields and values", async () => {
    const m = await client.messages.create({ from: OWN, to: '+15551230001', body: 'hello there' });
    assert.match(m.sid, /^SM[0-9a-f]{32}$/);
    assert.equal(m.accountSid, emu.accountSid);
    assert.equal(m.status, 'queued');
    assert.equal(m.direction, 'outbound-api');
    assert.equal(m.from, OWN);
    assert.equal(m.to, '+15551230001');
    assert.equal(m.body, 'hello there');
    assert.equal(m.numMedia, '0');
    assert.equal(m.numSegments, '1');
    assert.equal(m.errorCode, null);
    assert.equal(m.dateSent, null);
    assert.equal(m.apiVersion, '2010-04-01');
    assert.ok(m.dateCreated instanceof Date && !Number.isNaN(m.dateCreated.getTime()));
    assert.equal(m.uri, `/2010-04-01/Accounts/${emu.accountSid}/Messages/${m.sid}.json`);
    const fetched = await client.messages(m.sid).fetch();
    assert.equal(fetched.sid, m.sid);
    assert.equal(fetched.body, 'hello there');
  });

  it('counts segments as carriers do', async () => {
    const long = await client.messages.create({ from: OWN, to: '+15551230002', body: 'a'.repeat(161) });
    assert.equal(long.numSegments, '2');
    const unicode = await client.messages.create({ from: OWN, to: '+15551230002', body: '👍'.repeat(36) });
    assert.equal(unicode.numSegments, '2');
  });

  it('accepts MediaUrl without a Body and counts the media', async () => {
    const m = await client.messages.create({
      from: OWN,
      to: '+15551230003',
      mediaUrl: ['https://example.test/a.jpg', 'https://example.test/b.png'],
    });
    assert.match(m.sid, /^MM[0-9a-f]{32}$/);
    assert.equal(m.numMedia, '2');
    assert.deepEqual(emu.getMessage(m.sid)?.media, [
      { url: 'https://example.test/a.jpg', contentType: 'image/jpeg' },
      { url: 'https://example.test/b.png', contentType: 'image/png' },
    ]);
  });

  it('sends through a Messaging Service: from its sender pool, accepted with no From yet; an empty pool is 21704, an unknown service 21701', async () => {
    const service = await client.messaging.v1.services.create({ friendlyName: 'Pool' });
    try {
      // A service with no senders: Twilio refuses, it does not fall back to another number of the account.
      await assert.rejects(
        client.messages.create({ messagingServiceSid: service.sid, to: '+15551230004', body: 'svc' }),
        restError(400, 21704),
      );
      const raw = await fetch(`${emu.url}/2010-04-01/Accounts/${emu.accountSid}/Messages.json`, {
        method: 'POST',
        headers: {
          Authorization: 'Basic ' + Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64'),
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ MessagingServiceSid: service.sid, To: '+15551230004', Body: 'svc' }),
      });
      assert.equal(raw.status, 400);
      assert.deepEqual(await raw.json(), {
        code: 21704,
        message: 'The Messaging Service contains no phone numbers',
        more_info: 'https://www.twilio.com/docs/errors/21704',
        status: 400,
      });
      // The tool's one line for it names the fix.
      const refused = await client.messages
        .create({ messagingServiceSid: service.sid, to: '+15551230004', body: 'svc' })
        .catch((e: unknown) => e);
      const line = messageCallError(refused, 'send an SMS to +15551230004', {});
      assert.match(
        line.message,
        /^Twilio refused to send an SMS to \+15551230004: The Messaging Service contains no phone numbers \(21704, https:\/\/www\.twilio\.com\/docs\/errors\/21704\)$/,
      );
      assert.match(line.hint ?? '', /add one to its sender pool .*or send with From/);
      assert.equal(emu.messages().filter((m) => m.body === 'svc').length, 0, 'nothing recorded');

      await client.messaging.v1.services(service.sid).phoneNumbers.create({ phoneNumberSid: emu.numbers[1]!.sid });
      const m = await client.messages.create({ messagingServiceSid: service.sid, to: '+15551230004', body: 'svc' });
      assert.equal(m.messagingServiceSid, service.sid);
      assert.equal(m.status, 'accepted', 'a sender is still being picked');
      assert.equal(m.from, null);
      assert.equal(m.numSegments, '0');
      const fetched = await client.messages(m.sid).fetch();
      assert.equal(fetched.from, OTHER_OWN, "the sender comes from the service's pool");
      assert.notEqual(fetched.status, 'accepted');
      const chosen = await client.messages.create({
        messagingServiceSid: service.sid,
        from: OTHER_OWN,
        to: '+15551230004',
        body: 'svc from',
      });
      assert.equal(chosen.status, 'queued');
      assert.equal(chosen.from, OTHER_OWN);
      await client.messaging.v1.services(service.sid).phoneNumbers(emu.numbers[1]!.sid).remove();
    } finally {
      await client.messaging.v1.services(service.sid).remove();
    }
    await assert.rejects(
      client.messages.create({ messagingServiceSid: 'MG' + 'a'.repeat(32), to: '+15551230004', body: 'svc' }),
      restError(400, 21701),
    );
    await emu.idle();
  });

  it("answers the message validation errors with Twilio's codes", async () => {
    const cases: [Parameters<typeof client.messages.create>[0], number][] = [
      [{ from: OWN, to: '', body: 'x' }, 21604],
      [{ to: '+15551230005', body: 'x' }, 21603],
      [{ from: OWN, to: '+15551230005' }, 21602],
      [{ from: OWN, to: '12345', body: 'x' }, 21211],
      [{ from: OWN, to: '+15005550001', body: 'x' }, 21211],
      [{ from: 'nonsense', to: '+15551230005', body: 'x' }, 21212],
      [{ from: '+15559990000', to: '+15551230005', body: 'x' }, 21606],
      [{ from: OWN, to: '+15005550004', body: 'x' }, 21610],
      [{ from: OWN, to: '+15005550002', body: 'x' }, 21612],
      [{ from: OWN, to: '+15005550003', body: 'x' }, 21408],
      [{ from: OWN, to: '+15005550009', body: 'x' }, 21614],
      [{ from: OWN, to: '+15551230005', body: 'x'.repeat(1601) }, 21617],
      [{ from: `whatsapp:${OWN}`, to: '+15551230005', body: 'x' }, 21910],
      [{ from: OWN, to: '+15551230005', body: 'x', statusCallback: 'http://bad_host/cb' }, 21609],
      [{ from: OWN, to: '+15551230005', mediaUrl: ['ftp://example.test/a.jpg'] }, 21620],
    ];
    for (const [params, code] of cases) {
      await assert.rejects(
        client.messages.create(params),
        restError(400, code),
        `expected ${code} for ${JSON.stringify(params)}`,
      );
    }
  });

  it('lists messages newest first, filtered by To and From', async () => {
    const to = '+15551239000';
    const sids: string[] = [];
    for (let i = 0; i < 3; i++) sids.push((await client.messages.create({ from: OWN, to, body: `n${i}` })).sid);
    await client.messages.create({ from: OTHER_OWN, to, body: 'other sender' });
    const listed = await client.messages.list({ to, from: OWN });
    assert.deepEqual(
      listed.map((m) => m.sid),
      sids.reverse(),
    );
    assert.equal((await client.messages.list({ to })).length, 4);
  });

  it('filters by DateSent, DateSent< and DateSent> as the client sends them', async () => {
    const to = '+15551239100';
    const m = await client.messages.create({ from: OWN, to, body: 'dated' });
    await emu.idle();
    const sent = emu.getMessage(m.sid)!.dateSent!;
    const day = sent.toISOString().slice(0, 10);
    const yesterday = new Date(sent.getTime() - 86_400_000);
    const tomorrow = new Date(sent.getTime() + 86_400_000);
    assert.equal((await client.messages.list({ to, dateSentAfter: yesterday })).length, 1);
    assert.equal((await client.messages.list({ to, dateSentAfter: tomorrow })).length, 0);
    assert.equal((await client.messages.list({ to, dateSentBefore: tomorrow })).length, 1);
    assert.equal((await client.messages.list({ to, dateSentBefore: yesterday })).length, 0);
    const byDay = await fetch(
      `${emu.url}/2010-04-01/Accounts/${emu.accountSid}/Messages.json?To=${encodeURIComponent(to)}&DateSent=${day}`,
      { headers: { Authorization: 'Basic ' + Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64') } },
    );
    assert.equal((await byDay.json()).messages.length, 1);
  });

  it('pages through messages with list({limit}), each() and page navigation', async () => {
    const to = '+15551239200';
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push((await client.messages.create({ from: OWN, to, body: `p${i}` })).sid);
    const newestFirst = created.slice().reverse();
    const before = logs.filter((e) => e.event === 'http.request' && e.method === 'GET').length;

    const limited = await client.messages.list({ to, pageSize: 2, limit: 5 });
    assert.deepEqual(
      limited.map((m) => m.sid),
      newestFirst.slice(0, 5),
    );

    const seen: string[] = [];
    await new Promise<void>((resolve, reject) =>
      client.messages.each({ to, pageSize: 3, done: (err?: Error) => (err ? reject(err) : resolve()) }, (m) => {
        seen.push(m.sid);
      }),
    );
    assert.deepEqual(seen, newestFirst);
    const pageRequests = logs.filter((e) => e.event === 'http.request' && e.method === 'GET').slice(before);
    assert.equal(pageRequests.length, 3 + 3, 'list() needs 3 pages of 2, each() 3 pages of 3');
    assert.ok(
      pageRequests.some((e) => e.queryParams?.includes('PageToken')),
      'later pages follow next_page_uri',
    );

    const first = await client.messages.page({ to, pageSize: 3 });
    assert.deepEqual(
      first.instances.map((m) => m.sid),
      newestFirst.slice(0, 3),
    );
    const second = await first.nextPage();
    assert.ok(second);
    assert.deepEqual(
      second.instances.map((m) => m.sid),
      newestFirst.slice(3, 6),
    );
    const back = await second.previousPage();
    assert.ok(back);
    assert.deepEqual(
      back.instances.map((m) => m.sid),
      newestFirst.slice(0, 3),
    );
    const third = await second.nextPage();
    assert.ok(third);
    assert.deepEqual(
      third.instances.map((m) => m.sid),
      newestFirst.slice(6),
    );
    assert.equal(third.nextPageUrl, undefined);
  });

  it("returns Twilio's paging envelope", async () => {
    const to = '+15551239200';
    const res = await fetch(
      `${emu.url}/2010-04-01/Accounts/${emu.accountSid}/Messages.json?To=${encodeURIComponent(to)}&PageSize=2&Page=0`,
      { headers: { Authorization: 'Basic ' + Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64') } },
    );
    const page = await res.json();
    assert.equal(page.page, 0);
    assert.equal(page.page_size, 2);
    assert.equal(page.start, 0);
    assert.equal(page.end, 1);
    assert.equal(page.previous_page_uri, null);
    assert.equal(page.messages.length, 2);
    const base = `/2010-04-01/Accounts/${emu.accountSid}/Messages.json?To=%2B15551239200&PageSize=2&Page=`;
    assert.equal(page.first_page_uri, `${base}0`);
    assert.equal(page.uri, `${base}0`);
    assert.equal(page.next_page_uri, `${base}1&PageToken=PA${page.messages[1].sid}`);
  });

  it('logs requests without secrets', () => {
    const text = JSON.stringify(logs);
    assert.ok(logs.length > 0);
    assert.ok(!text.includes(emu.authToken), 'the auth token must not appear in log entries');
    const create = logs.find((e) => e.event === 'http.request' && e.method === 'POST' && e.status === 201);
    assert.deepEqual(create?.bodyParams?.slice().sort(), ['Body', 'From', 'To']);
  });
});
