import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';
import { closedPort, runCliChildProcess, stopAllCliRuns } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, inboundFields, OUR_NUMBER, PHONE } from '../helpers/fixtures.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { osKeychain } from '../helpers/keychains.js';
import { jsonLines, startListen } from '../helpers/listen.js';

const PREVIOUS = 'https://previous.example.com/sms';

// Most listens here run in this process (`here`); the built binary where a real signal, a crash (SIGKILL), a
// second process's pid or an ngrok child is the point. Both read the tokens from the one (test) keychain.
const testKeychain = osKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);
const here = { inProcess: true } as const;

/** A form as Twilio posts it, signed for `url` with `token` (the twilio package's own function). */
function signedForm(url: string, token: string, fields: Record<string, string>) {
  return { body: new URLSearchParams(fields).toString(), signature: getExpectedTwilioSignature(token, url, fields) };
}

async function post(url: string, body: string, headers: Record<string, string>) {
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

/** One emulator + config for a describe block (handed to `use`); every listener started is stopped afterwards. */
function useEmulatorFixture(use: (f: EmulatorFixture) => void): void {
  let fixture: EmulatorFixture | undefined;
  before(async () => {
    fixture = await emulatorWithConfig({ keychain: 'os' });
    use(fixture);
  });
  after(async () => {
    await stopAllCliRuns();
    await fixture?.cleanup();
  });
}

describe('listen against the emulator', () => {
  let f: EmulatorFixture;
  useEmulatorFixture((x) => (f = x));

  test('registers its URL on the number, prints the trigger payload as JSON, restores the previous webhook on SIGINT', async () => {
    f.emulator.setSmsUrl(OUR_NUMBER, PREVIOUS, 'GET');
    const { p, url } = await startListen(f, ['--json']);
    try {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/webhooks\/twilio\/[0-9a-f-]{36}$/);
      assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, url);
      assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsMethod, 'POST');

      const d = await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'Hi there, agent' });
      assert.equal(d.outcome, 'delivered');
      assert.equal(d.statusCode, 200);
      assert.match(d.responseBody ?? '', /<Response\/>/);
      await p.waitFor(/"trigger"/, { stream: 'stdout' });
      const [line, ...rest] = jsonLines(p.stdout);
      assert.equal(rest.length, 0);
      assert.deepEqual(Object.keys(line).sort(), ['config', 'event_id', 'payload', 'received_at', 'trigger']);
      assert.equal(line.trigger, 'twilio.message.received');
      assert.equal(line.config, 'emu');
      assert.equal(typeof line.event_id, 'number');
      assert.ok(!Number.isNaN(Date.parse(line.received_at)));
      const pl = line.payload;
      for (const k of [
        'text',
        'from',
        'from_name',
        'conversation_name',
        'conversation_address',
        'session_id',
        'event_type',
      ])
        assert.ok(k in pl, `payload.${k}`);
      assert.equal(pl.text, 'Hi there, agent');
      assert.equal(pl.from, PHONE);
      assert.equal(pl.conversation_address, PHONE);
      assert.equal(pl.from_name, null);
      assert.equal(pl.channel, 'sms');
      assert.equal(pl.message_sid, d.messageSid);
      assert.deepEqual([pl.message_attributes.from, pl.message_attributes.to], [PHONE, OUR_NUMBER]);
      assert.match(pl.session_id, /^ses_[0-9a-f]{24}$/);
    } finally {
      p.kill('SIGINT');
    }
    const { code } = await p.exited;
    assert.equal(code, 0, p.stderr);
    assert.match(p.stderr, /Restored the webhook of \+15005550006 to https:\/\/previous\.example\.com\/sms/);
    assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, PREVIOUS);
    assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsMethod, 'GET', 'the previous method comes back too');
  });

  test('SIGTERM restores too; WhatsApp with media maps to plain E.164 with channel, profile name and media', async () => {
    f.emulator.setSmsUrl(OUR_NUMBER, PREVIOUS);
    const { p } = await startListen(f, ['--json']);
    await f.emulator.deliverInbound({
      from: PHONE,
      to: OUR_NUMBER,
      body: 'photo',
      whatsapp: true,
      profileName: 'Dana',
      mediaUrls: [
        { url: 'https://media.example.com/1.jpg', contentType: 'image/jpeg' },
        { url: 'https://media.example.com/2.ogg', contentType: 'audio/ogg' },
      ],
    });
    await p.waitFor(/"trigger"/, { stream: 'stdout' });
    p.kill('SIGTERM');
    assert.equal((await p.exited).code, 0);
    const pl = jsonLines(p.stdout)[0].payload;
    assert.equal(pl.channel, 'whatsapp');
    assert.equal(pl.from, PHONE, 'no whatsapp: prefix');
    assert.equal(pl.conversation_address, PHONE);
    assert.equal(pl.message_attributes.from, PHONE);
    assert.equal(pl.message_attributes.to, OUR_NUMBER);
    assert.equal(pl.from_name, 'Dana');
    assert.equal(pl.conversation_name, 'Dana');
    assert.equal(pl.message_attributes.wa_id, PHONE.slice(1));
    // Twilio hosts inbound media: the URLs are the emulator's own, in the order sent.
    assert.deepEqual(
      pl.media.map((m: { content_type: string }) => m.content_type),
      ['image/jpeg', 'audio/ogg'],
    );
    for (const m of pl.media)
      assert.match(
        m.url,
        new RegExp(
          `^${f.emulator.url}/2010-04-01/Accounts/${f.emulator.accountSid}/Messages/MM[0-9a-f]{32}/Media/ME[0-9a-f]{32}$`,
        ),
      );
    assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, PREVIOUS);
  });

  test('the session id is the same for one sender across messages and restarts, and differs per sender', async () => {
    const ids: string[] = [];
    for (const from of [PHONE, PHONE, '+14155550999']) {
      const { p } = await startListen(f, ['--json', '--once'], {}, here);
      await f.emulator.deliverInbound({ from, to: OUR_NUMBER, body: 'x' });
      assert.equal((await p.exited).code, 0);
      ids.push(jsonLines(p.stdout)[0].payload.session_id);
    }
    assert.equal(ids[0], ids[1]);
    assert.notEqual(ids[0], ids[2]);
  });

  test('signatures: accepted for the registered URL; refused (403, not an event) for a tampered body, another URL, another token, no header', async () => {
    const { p, url } = await startListen(f, ['--json'], {}, here);
    try {
      const token = f.emulator.authToken;
      const good = signedForm(url, token, inboundFields({ MessageSid: 'SM' + '1'.repeat(32) }));
      const ok = await post(url, good.body, { 'x-twilio-signature': good.signature });
      assert.equal(ok.status, 200);
      assert.equal(ok.type, 'text/xml');

      const fields = inboundFields({ MessageSid: 'SM' + '2'.repeat(32) });
      const signed = signedForm(url, token, fields);
      const tampered = signed.body.replace('hello', 'hellO');
      const wrongUrl = signedForm(url.replace('/webhooks/', '/other/'), token, fields);
      const wrongPort = signedForm(
        url.replace(/:(\d+)\//, (_, port) => `:${Number(port) + 1}/`),
        token,
        fields,
      );
      const wrongToken = signedForm(url, 'f'.repeat(32), fields);
      const refusals = [
        await post(url, tampered, { 'x-twilio-signature': signed.signature }),
        await post(url, wrongUrl.body, { 'x-twilio-signature': wrongUrl.signature }),
        await post(url, wrongPort.body, { 'x-twilio-signature': wrongPort.signature }),
        await post(url, wrongToken.body, { 'x-twilio-signature': wrongToken.signature }),
        await post(url, signed.body, {}),
      ];
      assert.deepEqual(
        refusals.map((r) => r.status),
        [403, 403, 403, 403, 403],
      );
      await p.waitFor(/missing_signature/);
      assert.equal((p.stderr.match(/refused invalid_signature/g) ?? []).length, 4);
    } finally {
      p.kill('SIGINT');
    }
    await p.exited;
    const events = jsonLines(p.stdout);
    assert.equal(events.length, 1, 'only the valid request became an event');
    assert.equal(events[0].payload.message_sid, 'SM' + '1'.repeat(32));
  });

  test('a Twilio retry of the same MessageSid is recorded once and printed once', async () => {
    const { p, url } = await startListen(f, ['--json'], {}, here);
    try {
      const fields = inboundFields({ MessageSid: 'SM' + '3'.repeat(32), Body: 'retry me' });
      const s = signedForm(url, f.emulator.authToken, fields);
      const headers = { 'x-twilio-signature': s.signature, 'i-twilio-idempotency-token': 'idem-1' };
      assert.equal((await post(url, s.body, headers)).status, 200);
      assert.equal((await post(url, s.body, headers)).status, 200, 'the retry is acknowledged too');
      await p.waitFor(/duplicate delivery of SM3{32}/);
    } finally {
      p.kill('SIGINT');
    }
    await p.exited;
    assert.equal(jsonLines(p.stdout).filter((e) => e.payload.text === 'retry me').length, 1);
  });

  test('other paths 404, other methods 405, wrong content type 415, bodies over 64 KiB 413, a non-message form 400; the listener keeps going', async () => {
    const { p, url } = await startListen(f, ['--json'], {}, here);
    try {
      const origin = new URL(url).origin;
      assert.equal((await fetch(origin + '/nope', { method: 'POST' })).status, 404);
      assert.equal((await fetch(url)).status, 405);
      assert.equal(
        (await fetch(url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status,
        415,
      );
      assert.equal((await post(url, 'Body=' + 'x'.repeat(70 * 1024), {})).status, 413);
      const notMessage = signedForm(url, f.emulator.authToken, { Foo: 'bar' });
      assert.equal((await post(url, notMessage.body, { 'x-twilio-signature': notMessage.signature })).status, 400);
      const d = await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'still alive' });
      assert.equal(d.statusCode, 200);
      await p.waitFor(/still alive/, { stream: 'stdout' });
    } finally {
      p.kill('SIGINT');
    }
    assert.equal((await p.exited).code, 0);
  });

  test('--once exits 0 after the first event; --timeout with no event exits 3; both restore the webhook', async () => {
    f.emulator.setSmsUrl(OUR_NUMBER, PREVIOUS);
    const once = await startListen(f, ['--json', '--once', '--timeout', '30'], {}, here);
    await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'one' });
    assert.equal((await once.p.exited).code, 0);
    assert.equal(jsonLines(once.p.stdout).length, 1);
    assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, PREVIOUS);

    const r = await runCliInProcess(['listen', '--port', '0', '--json', '--once', '--timeout', '1'], { env: f.env });
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, '', 'nothing on stdout but events');
    assert.match(r.stderr, /timed out after 1 s with 0 of 1 event/);
    assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, PREVIOUS);
  });

  test("a second listener for the same config is refused with the first one's pid (exit 5); the first keeps the number", async () => {
    const first = await startListen(f);
    try {
      const second = await runCliChildProcess(['listen', '--port', '0'], { env: f.env });
      assert.equal(second.code, 5, second.stderr);
      assert.match(
        second.stderr,
        new RegExp(`error: another listener \\(pid ${first.p.child.pid}\\) already holds \\+15005550006`),
      );
      assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, first.url);
    } finally {
      first.p.kill('SIGINT');
    }
    assert.equal((await first.p.exited).code, 0);
  });

  test('a URL someone changed meanwhile is not clobbered on stop: a warning instead', async () => {
    f.emulator.setSmsUrl(OUR_NUMBER, PREVIOUS);
    const { p } = await startListen(f, [], {}, here);
    f.emulator.setSmsUrl(OUR_NUMBER, 'https://someone-else.example.com/hook');
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0);
    assert.match(
      p.stderr,
      /warning: \+15005550006 no longer pointed at this listener \(now https:\/\/someone-else\.example\.com\/hook\): left it as is/,
    );
    assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, 'https://someone-else.example.com/hook');
  });

  test('after SIGKILL the lease survives: `restore` puts the previous webhook back; so does the next listen', async () => {
    f.emulator.setSmsUrl(OUR_NUMBER, PREVIOUS);
    const a = await startListen(f);
    a.p.kill('SIGKILL');
    await a.p.exited;
    assert.equal(
      f.emulator.getNumber(OUR_NUMBER)!.smsUrl,
      a.url,
      'the crash left the number pointing at the dead listener',
    );
    const shown = await runCliChildProcess(['configs', 'show', '--json'], { env: f.env });
    assert.equal(JSON.parse(shown.stdout).listener.alive, false);
    const r = await runCliChildProcess(['restore', '--json'], { env: f.env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [
      {
        config: 'emu',
        phone_number: OUR_NUMBER,
        action: 'restored',
        restored_url: PREVIOUS,
        current_url: PREVIOUS,
        note: null,
      },
    ]);
    assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, PREVIOUS);
    assert.deepEqual(
      JSON.parse((await runCliChildProcess(['restore', '--json'], { env: f.env })).stdout),
      [],
      'nothing left to restore',
    );

    const b = await startListen(f);
    b.p.kill('SIGKILL');
    await b.p.exited;
    const c = await startListen(f);
    assert.match(
      c.p.stderr,
      /a crashed listener had left \+15005550006 pointing at it: restored its previous webhook \(https:\/\/previous\.example\.com\/sms\)/,
    );
    assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, c.url);
    c.p.kill('SIGINT');
    assert.equal((await c.p.exited).code, 0);
    assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, PREVIOUS);
  });

  test('a failing restore (API down) exits 4 and keeps the lease for `restore`', async () => {
    const f2 = await emulatorWithConfig({ keychain: 'os', name: 'fragile' });
    try {
      f2.emulator.setSmsUrl(OUR_NUMBER, PREVIOUS);
      const { p } = await startListen(f2);
      const emulatorUrl = f2.emulator.url;
      await f2.emulator.stop();
      p.kill('SIGINT');
      const { code } = await p.exited;
      assert.equal(code, 4, p.stderr);
      assert.match(
        p.stderr,
        new RegExp(`error: could not reach Twilio at ${emulatorUrl.replace(/[.]/g, '\\.')} .*the lease is kept`),
      );
      assert.match(p.stderr, /hint: finish it later with: fruxon-twilio restore --config "fragile"/);
      const shown = JSON.parse(
        (await runCliChildProcess(['configs', 'show', 'fragile', '--json'], { env: f2.env })).stdout,
      );
      assert.equal(shown.listener.alive, false);
    } finally {
      await f2.cleanup();
    }
  });

  test('--forward-to: a failing target is reported and loses nothing; a working one gets the trigger JSON', async () => {
    const received: any[] = [];
    const target: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const good = `http://127.0.0.1:${(target.address() as AddressInfo).port}/hook`;
    try {
      const dead = `http://127.0.0.1:${await closedPort()}/nothing-here`;
      const bad = await startListen(f, ['--json', '--forward-to', dead], {}, here);
      await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'forward fails' });
      await bad.p.waitFor(
        new RegExp(`forward #\\d+ -> ${dead.replace(/[.]/g, '\\.')} failed: ECONNREFUSED .*the event is kept`),
      );
      bad.p.kill('SIGINT');
      assert.equal((await bad.p.exited).code, 0);
      assert.equal(jsonLines(bad.p.stdout)[0].payload.text, 'forward fails');

      const ok = await startListen(f, ['--json', '--forward-to', good], {}, here);
      await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'forward works' });
      await ok.p.waitFor(/forward #\d+ -> \S+ 202/);
      ok.p.kill('SIGINT');
      await ok.p.exited;
      assert.equal(received.length, 1);
      assert.equal(received[0].trigger, 'twilio.message.received');
      assert.equal(received[0].payload.text, 'forward works');
      assert.deepEqual(received[0], jsonLines(ok.p.stdout)[0], 'the forwarded JSON is the printed line');
    } finally {
      target.close();
    }
  });

  test('a participant matching the sender names it in from_name and conversation_name (over the WhatsApp profile name)', async () => {
    const add = await runCliInProcess(['participants', 'add', 'Dana Scully', '--phone', PHONE], { env: f.env });
    assert.equal(add.code, 0, add.stderr);
    try {
      const { p } = await startListen(f, ['--json', '--once'], {}, here);
      await f.emulator.deliverInbound({
        from: PHONE,
        to: OUR_NUMBER,
        body: 'it is me',
        whatsapp: true,
        profileName: 'profile name',
      });
      assert.equal((await p.exited).code, 0);
      const pl = jsonLines(p.stdout)[0].payload;
      assert.equal(pl.from_name, 'Dana Scully');
      assert.equal(pl.conversation_name, 'Dana Scully');
      assert.equal(pl.message_attributes.profile_name, 'profile name');
    } finally {
      await runCliInProcess(['participants', 'remove', 'Dana Scully'], { env: f.env });
    }
  });

  test('a participant added or removed from another terminal while listening names (or stops naming) the next message', async () => {
    const { p } = await startListen(f, ['--json'], {}, here);
    const nameOfMessage = async (n: number, body: string) => {
      await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body });
      await p.waitFor(new RegExp(`"text":"${body}"`), { stream: 'stdout' });
      const lines = jsonLines(p.stdout);
      assert.equal(lines.length, n);
      return lines[n - 1].payload.from_name;
    };
    try {
      assert.equal(await nameOfMessage(1, 'before'), null);
      const add = await runCliChildProcess(['participants', 'add', 'Fox Mulder', '--phone', PHONE], { env: f.env });
      assert.equal(add.code, 0, add.stderr);
      assert.equal(await nameOfMessage(2, 'added'), 'Fox Mulder');
      assert.equal(await nameOfMessage(3, 'again'), 'Fox Mulder');
      const rm = await runCliChildProcess(['participants', 'remove', 'Fox Mulder'], { env: f.env });
      assert.equal(rm.code, 0, rm.stderr);
      assert.equal(await nameOfMessage(4, 'removed'), null);
    } finally {
      await runCliChildProcess(['participants', 'remove', 'Fox Mulder'], { env: f.env });
      p.kill();
      await p.exited;
    }
  });

  test('a number that pointed at the recorded production URL gets it back, and the URL never reaches SQLite or output', async () => {
    const production = 'https://ingress.fruxon.test/v1/tenants/acme/webhooks/twilio/cfg/k3yS3cr3tK3yS3cr3tK3y';
    const set = await runCliChildProcess(['configs', 'set', 'emu', '--webhook-url-stdin'], {
      env: f.env,
      input: production,
    });
    assert.equal(set.code, 0, set.stderr);
    try {
      f.emulator.setSmsUrl(OUR_NUMBER, production);
      const a = await startListen(f);
      a.p.kill('SIGKILL');
      await a.p.exited;
      const { readdirSync, readFileSync } = await import('node:fs');
      const { join } = await import('node:path');
      const bytes = Buffer.concat(readdirSync(f.home).map((n) => readFileSync(join(f.home, n))));
      assert.equal(
        bytes.includes(Buffer.from('k3yS3cr3tK3yS3cr3tK3y')),
        false,
        'the production URL is not in the lease',
      );
      const r = await runCliChildProcess(['restore', '--json'], { env: f.env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, production);
      assert.equal(JSON.parse(r.stdout)[0].action, 'restored');
      for (const text of [r.stdout, r.stderr, a.p.stderr, a.p.stdout])
        assert.equal(text.includes('k3yS3cr3tK3yS3cr3tK3y'), false);

      const b = await startListen(f);
      b.p.kill('SIGINT');
      assert.equal((await b.p.exited).code, 0);
      assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, production);
      assert.equal(b.p.stderr.includes('k3yS3cr3tK3yS3cr3tK3y'), false);
      assert.match(b.p.stderr, /Restored the webhook of \+15005550006 to https:\/\/ingress\.fruxon\.test\/…/);
    } finally {
      await runCliChildProcess(['configs', 'set', 'emu', '--clear-webhook-url'], { env: f.env });
    }
  });

  test('a previous webhook that is not the recorded production URL is put back as it was, with a note', async () => {
    const production = 'https://ingress.fruxon.test/v1/tenants/acme/webhooks/twilio/cfg/k3yS3cr3tK3yS3cr3tK3y';
    assert.equal(
      (await runCliInProcess(['configs', 'set', 'emu', '--webhook-url-stdin'], { env: f.env, input: production })).code,
      0,
    );
    try {
      f.emulator.setSmsUrl(OUR_NUMBER, PREVIOUS);
      const { p } = await startListen(f, [], {}, here);
      p.kill('SIGINT');
      assert.equal((await p.exited).code, 0);
      assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, PREVIOUS, 'never a guess');
      assert.match(
        p.stderr,
        /warning: put back the number's previous webhook https:\/\/previous\.example\.com\/sms, which is not the recorded production URL https:\/\/ingress\.fruxon\.test\/…/,
      );
    } finally {
      await runCliInProcess(['configs', 'set', 'emu', '--clear-webhook-url'], { env: f.env });
    }
  });

  test('human output: one line per event with channel, sender and text; status on stderr', async () => {
    const { p } = await startListen(f, ['--once'], {}, here);
    await f.emulator.deliverInbound({
      from: PHONE,
      to: OUR_NUMBER,
      body: 'human readable',
      whatsapp: true,
      profileName: 'Ana',
    });
    assert.equal((await p.exited).code, 0);
    const lines = p.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^\d\d:\d\d:\d\d {2}whatsapp {2}\+14155550123 \(Ana\) {2}human readable {2}#\d+$/);
    assert.match(p.stderr, /Ready!/);
  });
});

describe('listen: bad input and tunnels', () => {
  let f: EmulatorFixture;
  useEmulatorFixture((x) => (f = x));

  test('each bad input is one clear line and a non-zero exit', async () => {
    const cases: [string[], NodeJS.ProcessEnv, number, RegExp][] = [
      [['listen', '--config', 'nobody'], {}, 1, /error: no config named "nobody"/],
      [['listen', '--port', '70000'], {}, 2, /error: --port must be a whole number from 0 to 65535/],
      [['listen', '--tunnel', 'carrier-pigeon'], {}, 2, /error: --tunnel must be ngrok or none/],
      [['listen', '--max', '0'], {}, 2, /error: --max must be a whole number of at least 1/],
      [['listen', '--forward-to', 'not a url'], {}, 2, /error: --forward-to must be an absolute http\(s\) URL/],
      [
        ['listen', '--port', '0', '--tunnel', 'ngrok'],
        {},
        1,
        /error: ngrok needs an authtoken: set NGROK_AUTHTOKEN or pass --ngrok-authtoken-stdin/,
      ],
    ];
    for (const [args, env, code, pattern] of cases) {
      const r = await runCliInProcess(args, { env: { ...f.env, ...env } });
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('error:')).length, 1);
    }
  });

  test('ngrok: the SDK failing to connect is a clear error within seconds naming the alternatives, and nothing is registered', async () => {
    f.emulator.setSmsUrl(OUR_NUMBER, PREVIOUS);
    // server_addr on a closed loopback port: the SDK's own connection error, without leaving this machine.
    const r = await runCliChildProcess(['listen', '--port', '0', '--tunnel', 'ngrok'], {
      env: { ...f.env, NGROK_AUTHTOKEN: 'test_token_not_real', NGROK_SERVER_ADDR: '127.0.0.1:9' },
      timeoutMs: 20000,
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /error: ngrok could not open a tunnel: /);
    assert.match(r.stderr, /hint: .*--public-url/);
    assert.equal(r.stderr.includes('test_token_not_real'), false);
    assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, PREVIOUS);
  });

  test('--public-url: the signature is checked against the public URL, not the local one', async () => {
    const { p, url } = await startListen(
      f,
      ['--public-url', 'https://abc.tunnel.example', '--no-register', '--json'],
      {},
      here,
    );
    try {
      assert.match(url, /^https:\/\/abc\.tunnel\.example\/webhooks\/twilio\//);
      const local = (await p.waitFor(/Point the number's "A MESSAGE COMES IN" webhook at (\S+)/))[1]!;
      assert.equal(local, url);
      const localUrl = (await p.waitFor(/Local listener: (\S+)/))[1]!;
      assert.equal(new URL(localUrl).pathname, new URL(url).pathname);
      const forPublic = signedForm(url, f.emulator.authToken, inboundFields({ MessageSid: 'SM' + '4'.repeat(32) }));
      const forLocal = signedForm(localUrl, f.emulator.authToken, inboundFields({ MessageSid: 'SM' + '5'.repeat(32) }));
      assert.equal((await post(localUrl, forPublic.body, { 'x-twilio-signature': forPublic.signature })).status, 200);
      assert.equal((await post(localUrl, forLocal.body, { 'x-twilio-signature': forLocal.signature })).status, 403);
    } finally {
      p.kill('SIGINT');
    }
    await p.exited;
  });

  test('a loopback URL is never registered on real Twilio (a config without --api-url)', async () => {
    const h = await runCliInProcess(
      [
        'add-config',
        '--name',
        'real',
        '--from',
        OUR_NUMBER,
        '--account-sid',
        f.emulator.accountSid,
        '--token-from-env',
        '--no-verify',
      ],
      { env: { ...f.env, TWILIO_AUTH_TOKEN: 'x'.repeat(32) } },
    );
    assert.equal(h.code, 0, h.stderr);
    const refused = await runCliInProcess(['listen', '--config', 'real', '--port', '0', '--tunnel', 'none'], {
      env: { ...f.env, TWILIO_AUTH_TOKEN: 'x'.repeat(32) },
    });
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /error: Twilio cannot reach a loopback URL, so it will not be registered on \+15005550006/,
    );
    await runCliInProcess(['configs', 'remove', 'real'], { env: f.env });
  });
});
