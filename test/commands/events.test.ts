import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';
import { openStore } from '../../src/store/index.js';
import { closedPort, type RunningCli, stopAllCliRuns } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER, PHONE } from '../helpers/fixtures.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { osKeychain } from '../helpers/keychains.js';
import { jsonLines, startListen } from '../helpers/listen.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

// The commands and the listens run in this process, on the (test) keychain.
const testKeychain = osKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

/** Waits until the listener has printed `n` trigger lines on stdout; returns them. */
async function events(p: RunningCli, n: number): Promise<any[]> {
  await p.waitFor(new RegExp(`(?:"trigger"[^\\n]*\\n[^]*){${n}}`), { stream: 'stdout' });
  return jsonLines(p.stdout);
}

/** A local server that records JSON bodies (a stand-in for the agent behind --forward-to). */
async function jsonReceiver(
  status = 200,
): Promise<{ url: string; bodies: any[]; headers: any[]; close(): Promise<void> }> {
  const bodies: any[] = [];
  const headers: any[] = [];
  const server: Server = createServer((req, res) => {
    let data = '';
    req.setEncoding('utf8').on('data', (d: string) => (data += d));
    req.on('end', () => {
      bodies.push(JSON.parse(data));
      headers.push(req.headers);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/trigger`,
    bodies,
    headers,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Writes events straight into the fixture's store, received at the given times (for --since, prune, retention). */
function seedEvents(f: EmulatorFixture, times: string[], body = 'old'): number[] {
  const store = openStore({ FRUXON_TWILIO_HOME: f.home });
  try {
    return times.map((receivedAt, i) => {
      const sid = `SM${'0'.repeat(24)}${(Date.parse(receivedAt) / 1000 + i).toString(16).padStart(8, '0')}`.slice(
        0,
        34,
      );
      const form = { MessageSid: sid, From: PHONE, To: OUR_NUMBER, Body: body };
      return store.events.record({
        configId: f.configId,
        configName: f.configName,
        receivedAt,
        status: 'accepted',
        reason: null,
        messageSid: sid,
        idempotencyToken: null,
        channel: 'sms',
        fromNumber: PHONE,
        body,
        signatureValid: true,
        rawForm: form,
        headers: {},
        payload: { text: body, from: PHONE, message_sid: sid },
      }).id;
    });
  } finally {
    store.close();
  }
}

const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();

describe('simulate against a running listener', () => {
  let f: EmulatorFixture;
  let url: string;
  let p: RunningCli;
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os' });
    ({ p, url } = await startListen(f, ['--json'], {}, { inProcess: true }));
  });
  after(async () => {
    await stopAllCliRuns();
    await f.cleanup();
  });

  test('an SMS reaches the listener as a trigger; --json prints status, url, message_sid and signature', async () => {
    const r = await runCliInProcess(['simulate', '--from', PHONE, '--body', 'Hi from simulate', '--json'], {
      env: f.env,
    });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.status, 200);
    assert.equal(out.url, url, 'posted to the URL the listener registered (its lease)');
    assert.equal(out.signature, 'valid');
    assert.match(out.message_sid, /^SM[0-9a-f]{32}$/);
    const [ev] = await events(p, 1);
    assert.equal(ev.payload.text, 'Hi from simulate');
    assert.equal(ev.payload.from, PHONE);
    assert.equal(ev.payload.channel, 'sms');
    assert.equal(ev.payload.message_sid, out.message_sid);
    assert.equal(ev.payload.message_attributes.to, OUR_NUMBER);
    assert.equal(ev.payload.message_attributes.account_sid, f.emulator.accountSid);
    assert.equal(ev.payload.message_attributes.sms_status, 'received');
  });

  test('human output: "200 OK from URL" on stdout; WhatsApp with profile name and media', async () => {
    const r = await runCliInProcess(
      [
        'simulate',
        '--from',
        PHONE,
        '--whatsapp',
        '--profile-name',
        'Dana',
        '--body',
        'look',
        '--media-url',
        'https://media.example.com/cat.jpg',
        '--media-url',
        'https://media.example.com/a.pdf',
      ],
      { env: f.env },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `200 OK from ${url}\n`);
    const ev = (await events(p, 2))[1];
    assert.equal(ev.payload.channel, 'whatsapp');
    assert.equal(ev.payload.from, PHONE);
    assert.equal(ev.payload.from_name, 'Dana');
    assert.equal(ev.payload.message_attributes.wa_id, PHONE.slice(1));
    assert.match(ev.payload.message_sid, /^MM[0-9a-f]{32}$/);
    assert.deepEqual(ev.payload.media, [
      { url: 'https://media.example.com/cat.jpg', content_type: 'image/jpeg' },
      { url: 'https://media.example.com/a.pdf', content_type: 'application/pdf' },
    ]);
  });

  test('--bad-signature: the listener refuses it with 403, simulate exits 1 and says why', async () => {
    const r = await runCliInProcess(['simulate', '--from', PHONE, '--bad-signature', '--json'], { env: f.env });
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.status, 403);
    assert.equal(out.signature, 'forged');
    assert.match(r.stderr, /refused the forged signature \(403\)/);
    await p.waitFor(/refused invalid_signature from \+14155550123/);

    const list = await runCliInProcess(['events', 'list', '--status', 'refused', '--json'], { env: f.env });
    assert.equal(list.code, 0, list.stderr);
    const rows = JSON.parse(list.stdout);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].status, 'refused');
    assert.equal(rows[0].reason, 'invalid_signature');
    assert.equal(rows[0].signature_valid, false);
    assert.equal(rows[0].payload, null);
    assert.equal(rows[0].message_sid, out.message_sid);
  });

  test('API Key configs need the Auth Token from TWILIO_AUTH_TOKEN', async () => {
    // Same account, an API key config (its secret from the environment); the listener is the Auth Token one's.
    const key = f.emulator.createApiKey();
    const add = await runCliInProcess(
      [
        'add-config',
        '--name',
        'bykey',
        '--from',
        OUR_NUMBER,
        '--account-sid',
        f.emulator.accountSid,
        '--api-key-sid',
        key.sid,
        '--api-url',
        f.emulator.url,
        '--token-from-env',
        '--json',
      ],
      { env: { ...f.env, TWILIO_API_SECRET: key.secret } },
    );
    assert.equal(add.code, 0, add.stderr);
    const r = await runCliInProcess(['simulate', '--from', PHONE, '--config', 'bykey', '--url', url], {
      env: { ...f.env, TWILIO_API_SECRET: key.secret },
    });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /error: config "bykey" uses an API Key, but Twilio signs webhooks with the account's Auth Token: set TWILIO_AUTH_TOKEN/,
    );
    const ok = await runCliInProcess(
      ['simulate', '--from', PHONE, '--config', 'bykey', '--url', url, '--body', 'signed by env token'],
      {
        env: { ...f.env, TWILIO_API_SECRET: key.secret, TWILIO_AUTH_TOKEN: f.emulator.authToken },
      },
    );
    assert.equal(ok.code, 0, ok.stderr);
    await p.waitFor(/"signed by env token"/, { stream: 'stdout' });
    await runCliInProcess(['configs', 'remove', 'bykey', '--force'], { env: f.env });
  });
});

describe('simulate without a listener', () => {
  let f: EmulatorFixture;
  let receiver: WebhookReceiver;
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os' });
    receiver = await WebhookReceiver.start();
  });
  after(async () => {
    await receiver.stop();
    await f.cleanup();
  });

  test('--url: the same fields and headers as the emulator (Twilio) sends, signed over that exact URL', async () => {
    f.emulator.setSmsUrl(OUR_NUMBER, receiver.url + '/sms?x=1');
    const d = await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'from the emulator' });
    assert.equal(d.outcome, 'delivered');
    const target = receiver.url + '/sim?x=1';
    const r = await runCliInProcess(['simulate', '--from', PHONE, '--body', 'from simulate', '--url', target], {
      env: f.env,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `200 OK from ${target}\n`);
    const [emu, sim] = await receiver.waitForRequests(2);
    assert.deepEqual(
      Object.keys(sim!.params).sort(),
      Object.keys(emu!.params).sort(),
      'field for field what Twilio sends',
    );
    for (const k of [
      'ToCountry',
      'ToState',
      'SmsMessageSid',
      'NumMedia',
      'ToCity',
      'FromZip',
      'SmsSid',
      'FromState',
      'SmsStatus',
      'FromCity',
      'Body',
      'FromCountry',
      'To',
      'ToZip',
      'NumSegments',
      'MessageSid',
      'AccountSid',
      'From',
      'ApiVersion',
    ]) {
      assert.ok(k in sim!.params, k);
    }
    assert.equal(sim!.params.SmsStatus, 'received');
    assert.equal(sim!.params.To, OUR_NUMBER);
    assert.equal(sim!.params.From, PHONE);
    assert.equal(sim!.params.AccountSid, f.emulator.accountSid);
    assert.equal(sim!.params.Body, 'from simulate');
    assert.equal(sim!.params.ToCountry, 'US');
    assert.equal(sim!.params.ApiVersion, '2010-04-01');
    assert.equal(sim!.headers['user-agent'], 'TwilioProxy/1.1');
    assert.equal(sim!.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.match(String(sim!.headers['i-twilio-idempotency-token']), /\S{8,}/);
    assert.equal(
      sim!.headers['x-twilio-signature'],
      getExpectedTwilioSignature(f.emulator.authToken, target, sim!.params),
    );
  });

  test('no running listener and no --url: exit 1 naming --url and fruxon-twilio listen', async () => {
    const r = await runCliInProcess(['simulate', '--from', PHONE], { env: f.env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: no listener is running for config "emu", and --url was not given/);
    assert.match(r.stderr, /hint: start one with: fruxon-twilio listen --config "emu" \(or pass --url/);
    assert.equal(r.stdout, '');
  });

  test('nothing listening at --url: exit 1 with one clear line', async () => {
    const port = await closedPort();
    const r = await runCliInProcess(['simulate', '--from', PHONE, '--url', `http://127.0.0.1:${port}/sms`], {
      env: f.env,
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`error: no answer from http://127\\.0\\.0\\.1:${port}/sms: ECONNREFUSED`));
    assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('error:')).length, 1);
  });

  test('a non-2xx answer is exit 1; usage errors are exit 2', async () => {
    receiver.respondWith({ status: 500, body: 'boom' });
    const r = await runCliInProcess(['simulate', '--from', PHONE, '--url', receiver.url + '/x', '--json'], {
      env: f.env,
    });
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout).status, 500);
    assert.match(r.stderr, /did not accept the message \(HTTP 500: boom\)/);

    const cases: Array<[string[], RegExp]> = [
      [['simulate'], /error: missing --from/],
      [['simulate', '--from', '4155550123'], /error: --from must be an E\.164 phone number/],
      [
        ['simulate', '--from', PHONE, '--profile-name', 'Dana'],
        /error: --profile-name is WhatsApp's ProfileName: pass --whatsapp/,
      ],
      [['simulate', '--from', PHONE, '--media-url', 'ftp://x/y.jpg'], /error: --media-url must be an http\(s\) URL/],
      [['simulate', '--from', PHONE, '--url', 'nope'], /error: --url must be an absolute http\(s\) URL/],
    ];
    for (const [args, pattern] of cases) {
      const u = await runCliInProcess(args, { env: f.env });
      assert.equal(u.code, 2, `${args.join(' ')}: ${u.stderr}`);
      assert.match(u.stderr, pattern);
    }
  });
});

describe('events list, show, replay, prune', () => {
  let f: EmulatorFixture;
  let p: RunningCli;
  let url: string;
  let accepted: any[];
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os' });
    ({ p, url } = await startListen(f, ['--json'], {}, { inProcess: true }));
    await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'first' });
    await f.emulator.deliverInbound({
      from: '+14155550999',
      to: OUR_NUMBER,
      body: 'second',
      whatsapp: true,
      profileName: 'Eve',
    });
    await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'third' });
    accepted = await events(p, 3);
    const forged = await runCliInProcess(['simulate', '--from', PHONE, '--bad-signature'], { env: f.env });
    assert.equal(forged.code, 1);
  });
  after(async () => {
    await stopAllCliRuns();
    await f.cleanup();
  });

  test('list --json: newest first, accepted and refused, each with its payload', async () => {
    const r = await runCliInProcess(['events', 'list', '--json'], { env: f.env });
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout);
    assert.deepEqual(
      rows.map((e: any) => e.status),
      ['refused', 'accepted', 'accepted', 'accepted'],
    );
    assert.deepEqual(
      rows.slice(1).map((e: any) => e.text),
      ['third', 'second', 'first'],
    );
    const ids = rows.map((e: any) => e.id);
    assert.deepEqual(
      ids,
      [...ids].sort((a: number, b: number) => b - a),
    );
    const second = rows[2];
    assert.deepEqual(Object.keys(second).sort(), [
      'channel',
      'config',
      'forward',
      'from',
      'id',
      'message_sid',
      'payload',
      'reason',
      'received_at',
      'signature_valid',
      'status',
      'text',
    ]);
    assert.equal(second.config, 'emu');
    assert.equal(second.channel, 'whatsapp');
    assert.equal(second.from, '+14155550999');
    assert.equal(second.signature_valid, true);
    assert.equal(second.forward, null);
    assert.deepEqual(second.payload, accepted[1].payload, 'the stored payload is the one listen printed');
    assert.equal(second.id, accepted[1].event_id);
  });

  test('list (human): one line each with a status column; --limit, --status, --config', async () => {
    const r = await runCliInProcess(['events', 'list'], { env: f.env });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^ID\s+RECEIVED\s+CONFIG\s+STATUS\s+CHANNEL\s+FROM\s+TEXT \/ REASON$/);
    assert.equal(lines.length, 5);
    assert.match(
      lines[1]!,
      /^\d+\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+emu\s+refused\s+-\s+\+14155550123\s+invalid_signature$/,
    );
    assert.match(lines[3]!, /^\d+\s+\S+ \S+\s+emu\s+accepted\s+whatsapp\s+\+14155550999\s+second$/);

    const limited = JSON.parse(
      (await runCliInProcess(['events', 'list', '--limit', '2', '--json'], { env: f.env })).stdout,
    );
    assert.equal(limited.length, 2);
    const human = await runCliInProcess(['events', 'list', '--limit', '2'], { env: f.env });
    assert.match(human.stderr, /showing the newest 2/);

    const acc = JSON.parse(
      (await runCliInProcess(['events', 'list', '--status', 'accepted', '--json'], { env: f.env })).stdout,
    );
    assert.deepEqual(
      acc.map((e: any) => e.text),
      ['third', 'second', 'first'],
    );
    const byConfig = JSON.parse(
      (await runCliInProcess(['events', 'list', '--config', 'emu', '--json'], { env: f.env })).stdout,
    );
    assert.equal(byConfig.length, 4);

    const bad = await runCliInProcess(['events', 'list', '--status', 'maybe'], { env: f.env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /error: --status must be accepted or refused/);
    const noConfig = await runCliInProcess(['events', 'list', '--config', 'nobody'], { env: f.env });
    assert.equal(noConfig.code, 1);
    assert.match(noConfig.stderr, /error: no config named "nobody"/);
  });

  test('show: payload, raw form, verification and forward outcome; --json has raw_form and headers', async () => {
    const id = accepted[0].event_id;
    const r = await runCliInProcess(['events', 'show', String(id)], { env: f.env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Event #${id}\\n`));
    assert.match(r.stdout, /Status\s+accepted/);
    assert.match(r.stdout, /Signature\s+valid/);
    assert.match(r.stdout, /Forwarded\s+no/);
    assert.match(r.stdout, /Trigger payload\n\{\n {2}"text": "first",/);
    assert.match(r.stdout, /Raw form\n[\s\S]*\n {2}SmsStatus\s+"received"\n/);
    assert.match(r.stdout, /Headers\n[\s\S]*user-agent: TwilioProxy\/1\.1/);

    const j = JSON.parse((await runCliInProcess(['events', 'show', String(id), '--json'], { env: f.env })).stdout);
    assert.equal(j.id, id);
    assert.deepEqual(j.payload, accepted[0].payload);
    assert.equal(j.raw_form.Body, 'first');
    assert.equal(j.raw_form.MessageSid, accepted[0].payload.message_sid);
    assert.equal(j.headers['user-agent'], 'TwilioProxy/1.1');
    assert.equal(j.config_id, f.configId);

    const refused = JSON.parse(
      (await runCliInProcess(['events', 'list', '--status', 'refused', '--json'], { env: f.env })).stdout,
    )[0];
    const rs = await runCliInProcess(['events', 'show', String(refused.id)], { env: f.env });
    assert.match(rs.stdout, /Status\s+refused \(invalid_signature\)/);
    assert.match(rs.stdout, /Signature\s+invalid/);
    assert.match(rs.stdout, /\(none: refused requests fire no trigger\)/);

    const unknown = await runCliInProcess(['events', 'show', '999999'], { env: f.env });
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr.split('\n')[0], 'error: no event #999999');
    const malformed = await runCliInProcess(['events', 'show', 'abc'], { env: f.env });
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /error: ID must be a whole number/);
  });

  test('replay --forward-to: the target gets exactly the stored trigger envelope; refused events cannot be forwarded', async () => {
    const target = await jsonReceiver(202);
    try {
      const id = accepted[1].event_id;
      const r = await runCliInProcess(['events', 'replay', String(id), '--forward-to', target.url], { env: f.env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        new RegExp(`^202 from ${target.url.replace(/[.]/g, '\\.')} \\(\\d+ ms, event #${id}\\)\\n$`),
      );
      assert.equal(target.bodies.length, 1);
      assert.deepEqual(target.bodies[0], accepted[1], 'the envelope listen printed, byte for byte in JSON terms');
      assert.equal(target.headers[0]['content-type'], 'application/json');
    } finally {
      await target.close();
    }
    const failing = await jsonReceiver(500);
    try {
      const r = await runCliInProcess(
        ['events', 'replay', String(accepted[0].event_id), '--forward-to', failing.url, '--json'],
        { env: f.env },
      );
      assert.equal(r.code, 1);
      assert.equal(JSON.parse(r.stdout).status, 500);
    } finally {
      await failing.close();
    }
    const refused = JSON.parse(
      (await runCliInProcess(['events', 'list', '--status', 'refused', '--json'], { env: f.env })).stdout,
    )[0];
    const r = await runCliInProcess(['events', 'replay', String(refused.id), '--forward-to', 'http://127.0.0.1:9/x'], {
      env: f.env,
    });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `error: event #${refused.id} was refused \\(invalid_signature\\): it has no trigger payload to forward`,
      ),
    );

    const both = await runCliInProcess(
      ['events', 'replay', '1', '--forward-to', 'http://127.0.0.1:9/x', '--to-listener'],
      {
        env: f.env,
      },
    );
    assert.equal(both.code, 2);
    const none = await runCliInProcess(['events', 'replay', '1'], { env: f.env });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /error: pass exactly one of --forward-to URL .* or --to-listener/);
  });

  test('replay --to-listener: the same MessageSid is a duplicate; --new-sid fires a new trigger', async () => {
    const id = accepted[2].event_id;
    const dup = await runCliInProcess(['events', 'replay', String(id), '--to-listener'], { env: f.env });
    assert.equal(dup.code, 0, dup.stderr);
    assert.equal(dup.stdout.startsWith(`200 OK from ${url} `), true, dup.stdout);
    assert.match(dup.stderr, /pass --new-sid to replay it as a new message/);
    await p.waitFor(new RegExp(`duplicate delivery of ${accepted[2].payload.message_sid} \\(event #${id}\\)`));

    const fresh = await runCliInProcess(['events', 'replay', String(id), '--to-listener', '--new-sid', '--json'], {
      env: f.env,
    });
    assert.equal(fresh.code, 0, fresh.stderr);
    const out = JSON.parse(fresh.stdout);
    assert.equal(out.status, 200);
    assert.notEqual(out.message_sid, accepted[2].payload.message_sid);
    const ev = (await events(p, 4))[3];
    assert.equal(ev.payload.text, 'third');
    assert.equal(ev.payload.message_sid, out.message_sid);
    assert.notEqual(ev.event_id, id);
  });

  test('--since keeps only recent events; prune --older-than deletes older ones and says how many', async () => {
    const old = seedEvents(f, [daysAgo(10), daysAgo(9), daysAgo(3)]);
    const all = JSON.parse(
      (await runCliInProcess(['events', 'list', '--limit', '100', '--json'], { env: f.env })).stdout,
    );
    assert.ok(old.every((id) => all.some((e: any) => e.id === id)));
    const recent = JSON.parse(
      (await runCliInProcess(['events', 'list', '--since', '1h', '--json'], { env: f.env })).stdout,
    );
    assert.ok(recent.length >= 4);
    assert.ok(recent.every((e: any) => !old.includes(e.id)));
    const week = JSON.parse(
      (await runCliInProcess(['events', 'list', '--since', '7d', '--json'], { env: f.env })).stdout,
    );
    assert.deepEqual(
      week.filter((e: any) => old.includes(e.id)).map((e: any) => e.id),
      [old[2]],
    );
    const badSince = await runCliInProcess(['events', 'list', '--since', 'yesterday'], { env: f.env });
    assert.equal(badSince.code, 2);
    assert.match(badSince.stderr, /error: --since must be a duration like 30s, 15m, 2h or 7d/);

    const pruned = await runCliInProcess(['events', 'prune', '--older-than', '5d', '--json'], { env: f.env });
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.equal(JSON.parse(pruned.stdout).deleted, 2);
    const human = await runCliInProcess(['events', 'prune', '--older-than', '2d'], { env: f.env });
    assert.equal(human.code, 0);
    assert.match(human.stderr, /Deleted 1 event received before /);
    const left = JSON.parse(
      (await runCliInProcess(['events', 'list', '--limit', '100', '--json'], { env: f.env })).stdout,
    );
    assert.ok(left.every((e: any) => !old.includes(e.id)));
    assert.ok(left.length >= 4, 'recent events stay');

    const missing = await runCliInProcess(['events', 'prune'], { env: f.env });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /error: missing --older-than/);
  });
});

describe('retention', () => {
  let f: EmulatorFixture;
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os' });
  });
  after(async () => {
    await stopAllCliRuns();
    await f.cleanup();
  });

  test('listen deletes events older than 30 days at start; FRUXON_TWILIO_RETENTION_DAYS changes it (0 keeps all)', async () => {
    const [ancient, old, recent] = seedEvents(f, [daysAgo(400), daysAgo(40), daysAgo(5)]);
    const ids = async () =>
      JSON.parse((await runCliInProcess(['events', 'list', '--json'], { env: f.env })).stdout).map((e: any) => e.id);

    let { p } = await startListen(f, ['--json'], { FRUXON_TWILIO_RETENTION_DAYS: '0' }, { inProcess: true });
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
    assert.deepEqual(await ids(), [recent, old, ancient]);

    ({ p } = await startListen(f, ['--json'], { FRUXON_TWILIO_RETENTION_DAYS: '100' }, { inProcess: true }));
    assert.match(p.stderr, /pruned 1 event\(s\) older than 100 days/);
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
    assert.deepEqual(await ids(), [recent, old]);

    ({ p } = await startListen(f, ['--json'], {}, { inProcess: true }));
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
    assert.deepEqual(await ids(), [recent]);

    const bad = await runCliInProcess(['listen', '--port', '0'], {
      env: { ...f.env, FRUXON_TWILIO_RETENTION_DAYS: 'forever' },
    });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /error: FRUXON_TWILIO_RETENTION_DAYS must be a number of days, 0 to keep every event/);
  });
});
