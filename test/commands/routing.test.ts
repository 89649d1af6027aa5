import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Emulator, SANDBOX_NUMBER, startEmulator } from '../../src/emulator/index.js';
import { openStore } from '../../src/store/index.js';
import { CliChildProcess, type RunningCli, stopAllCliRuns, tempHome } from '../helpers/cli.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { osKeychain } from '../helpers/keychains.js';
import { jsonLines } from '../helpers/listen.js';

// Commands run in this process; the listens that are SIGKILLed are the built binary, which reads the
// tokens from the (test) keychain, so the in-process runs use that keychain too.
const testKeychain = osKeychain();
const { runCliInProcess, startCliInProcess } = inProcessCliWith(testKeychain);

const SVC = '+15005551301';
const SVC_2 = '+15005551302';
const APP = '+15005551303';
const WA = '+15005551304';
const PLAIN = '+15005551305';
const PLAIN_LONG = '+150055513050'; // PLAIN is a partial match of it: the lookup must be exact
const PHONE = '+14155550142';

async function inbound(
  emu: Emulator,
  body: Record<string, unknown>,
): Promise<{ layer: string; delivered_to: string | null; outcome: string }> {
  const res = await fetch(`${emu.url}/_emulator/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 202);
  return (await res.json()) as { layer: string; delivered_to: string | null; outcome: string };
}

describe('routing on a real account: webhook show and listen register at the layer that wins', () => {
  let emu: Emulator;
  let h: ReturnType<typeof tempHome>;
  const cli = (args: string[], input?: string) => runCliInProcess(args, { env: h.env, input });
  const addConfig = async (name: string, from: string) => {
    const r = await cli(
      [
        'add-config',
        '--name',
        name,
        '--from',
        from,
        '--account-sid',
        emu.accountSid,
        '--auth-token-stdin',
        '--api-url',
        emu.url,
        '--json',
      ],
      emu.authToken,
    );
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).id as string;
  };
  /** A listen in this process (stopped with p.kill('SIGINT') as the binary is); `binary` for the ones SIGKILLed. */
  const listen = async (args: string[], binary = false) => {
    const p: RunningCli = binary
      ? new CliChildProcess(['listen', '--port', '0', ...args], { env: h.env })
      : startCliInProcess(['listen', '--port', '0', ...args], { env: h.env });
    const m = await p.waitFor(/Ready! Listening for messages to \S+ at (\S+)/);
    return { p, url: m[1]! };
  };
  const service = () => emu.services().find((s) => s.friendlyName === 'Support')!;

  before(async () => {
    emu = await startEmulator({
      statusDelayMs: 1,
      retryDelaysMs: [],
      numbers: [PLAIN_LONG],
      topology: {
        numbers: [
          { phone_number: PLAIN, sms_url: 'http://127.0.0.1:9/plain/sms' },
          { phone_number: SVC, sms_url: 'http://127.0.0.1:9/ignored/sms' },
        ],
        services: [
          {
            friendly_name: 'Support',
            inbound_request_url: 'http://127.0.0.1:9/support/in',
            fallback_url: 'http://127.0.0.1:9/support/fb',
            phone_numbers: [SVC, SVC_2],
          },
        ],
        applications: [{ friendly_name: 'Bot', sms_url: 'http://127.0.0.1:9/bot/sms', phone_numbers: [APP] }],
        senders: [{ sender_id: `whatsapp:${WA}`, webhook: { callback_url: 'http://127.0.0.1:9/wa/in' } }],
        sandbox: { inbound_url: 'http://127.0.0.1:9/sandbox/in', participants: [PHONE] },
      } as never,
    });
    h = tempHome();
    for (const [name, from] of [
      ['svc', SVC],
      ['app', APP],
      ['wa', WA],
      ['plain', PLAIN],
      ['sandbox', SANDBOX_NUMBER],
    ] as const)
      await addConfig(name, from);
  });
  after(async () => {
    await stopAllCliRuns();
    await emu.stop();
    h.cleanup();
  });

  test('webhook show --json: route for each layer, kind from the layer that wins', async () => {
    const show = async (name: string) => {
      const r = await cli(['webhook', 'show', '--config', name, '--json']);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const svc = await show('svc');
    assert.equal(svc.route.layer, 'messaging_service');
    assert.equal(svc.route.sid, service().sid);
    assert.equal(svc.route.friendly_name, 'Support');
    assert.equal(svc.route.url, 'http://127.0.0.1:9/support/in');
    assert.equal(svc.route.fallback_url, 'http://127.0.0.1:9/support/fb');
    assert.deepEqual(svc.route.shared_with, [SVC_2]);
    assert.equal(svc.route.defers_to_number, false);
    assert.equal(svc.route.channel, 'sms');
    assert.equal(svc.sms_url, 'http://127.0.0.1:9/ignored/sms', "the number's own SmsUrl is still shown");
    assert.equal(svc.kind, 'other');
    const human = await cli(['webhook', 'show', '--config', 'svc']);
    assert.match(
      human.stdout,
      /Messaging Service 'Support' \(MG…\w{4}\) receives them: its inbound URL wins over the number's SmsUrl/,
    );

    const app = await show('app');
    assert.equal(app.route.layer, 'application');
    assert.match(app.route.sid, /^AP/);
    assert.equal(app.route.url, 'http://127.0.0.1:9/bot/sms');
    assert.equal(app.route.defers_to_number, null);

    const wa = await show('wa');
    assert.equal(wa.route.layer, 'number');
    assert.equal(wa.routes.length, 2);
    assert.equal(wa.routes[1].layer, 'whatsapp_sender');
    assert.equal(wa.routes[1].channel, 'whatsapp');
    assert.equal(wa.routes[1].url, 'http://127.0.0.1:9/wa/in');
    assert.match(wa.routes[1].sid, /^XE/);

    const plain = await show('plain');
    assert.equal(plain.route.layer, 'number');
    assert.equal(plain.number_sid, emu.getNumber(PLAIN)!.sid, 'the exact number, not the partial match');
    assert.equal(plain.route.sid, emu.getNumber(PLAIN)!.sid);
    assert.equal(plain.routes, undefined);

    const sandbox = await show('sandbox');
    assert.equal(sandbox.route.layer, 'sandbox');
    assert.equal(sandbox.route.channel, 'whatsapp');
    assert.equal(sandbox.number_sid, null);
  });

  test('a service that drops messages: layer none', async () => {
    const sid = service().sid;
    const restore = service().inboundRequestUrl;
    await fetch(`${emu.url}/v1/Services/${sid}`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'InboundRequestUrl=',
    });
    const r = await cli(['webhook', 'show', '--config', 'svc', '--json']);
    assert.equal(JSON.parse(r.stdout).route.layer, 'none');
    assert.equal(JSON.parse(r.stdout).kind, 'none');
    await fetch(`${emu.url}/v1/Services/${sid}`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `InboundRequestUrl=${encodeURIComponent(restore)}`,
    });
    assert.equal(service().inboundRequestUrl, 'http://127.0.0.1:9/support/in');
  });

  test('listen refuses a Messaging Service without --messaging-service (exit 4), leaving service and number untouched', async () => {
    const before = JSON.stringify([service(), emu.getNumber(SVC)]);
    const r = await runCliInProcess(['listen', '--config', 'svc', '--port', '0', '--timeout', '5'], { env: h.env });
    assert.equal(r.code, 4, r.stderr);
    const line = r.stderr.split('\n').find((l) => l.includes('Messaging Service'))!;
    assert.ok(
      line.includes(service().sid) &&
        line.includes("'Support'") &&
        line.includes(SVC_2) &&
        line.includes('--messaging-service'),
      line,
    );
    assert.equal(JSON.stringify([service(), emu.getNumber(SVC)]), before);
    const store = openStore(h.env);
    assert.equal(store.leases.list().length, 0);
    store.close();
  });

  test('listen --messaging-service: leases the service, accepts every number of it, restores on SIGINT', async () => {
    const { p, url } = await listen(['--config', 'svc', '--messaging-service', '--json']);
    assert.equal(service().inboundRequestUrl, url);
    await p.waitFor(new RegExp(`messages to \\${SVC}, \\${SVC_2} are accepted`));
    const r = await inbound(emu, { from: PHONE, to: SVC_2, body: 'to the other number' });
    assert.equal(r.layer, 'messaging_service');
    assert.equal(r.outcome, 'delivered');
    await p.waitFor(/"trigger":"twilio.message.received".*\n/, { stream: 'stdout' });
    const ev = jsonLines(p.stdout)[0];
    assert.equal(ev.payload.message_attributes.to, SVC_2);
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
    assert.equal(service().inboundRequestUrl, 'http://127.0.0.1:9/support/in');
    assert.equal(service().fallbackUrl, 'http://127.0.0.1:9/support/fb');
    assert.equal(emu.getNumber(SVC)!.smsUrl, 'http://127.0.0.1:9/ignored/sms');
  });

  test('listen --messaging-service killed with SIGKILL: restore puts the service back', async () => {
    const { p, url } = await listen(['--config', 'svc', '--messaging-service'], true);
    assert.equal(service().inboundRequestUrl, url);
    p.kill('SIGKILL');
    await p.exited;
    const store = openStore(h.env);
    const lease = store.leases.list()[0]!;
    assert.equal(lease.layer, 'messaging_service');
    assert.equal(lease.layerSid, service().sid);
    store.close();
    const r = await cli(['restore', '--config', 'svc']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(service().inboundRequestUrl, 'http://127.0.0.1:9/support/in');
    assert.equal(service().fallbackUrl, 'http://127.0.0.1:9/support/fb');
  });

  test('TwiML App: detached for the listen in one update, both put back; after SIGKILL the next listen restores it', async () => {
    const appSid = emu.getNumber(APP)!.smsApplicationSid;
    assert.match(appSid, /^AP/);
    const before = emu.getNumber(APP)!.smsUrl;
    const { p, url } = await listen(['--config', 'app'], true);
    assert.equal(emu.getNumber(APP)!.smsApplicationSid, '');
    assert.equal(emu.getNumber(APP)!.smsUrl, url);
    assert.equal((await inbound(emu, { from: PHONE, to: APP, body: 'hi' })).layer, 'number');
    p.kill('SIGKILL');
    await p.exited;
    const again = await listen(['--config', 'app']);
    assert.match(again.p.stderr, /a crashed listener had left/);
    again.p.kill('SIGINT');
    assert.equal((await again.p.exited).code, 0, again.p.stderr);
    assert.equal(emu.getNumber(APP)!.smsApplicationSid, appSid);
    assert.equal(emu.getNumber(APP)!.smsUrl, before);
    assert.equal((await inbound(emu, { from: PHONE, to: APP, body: 'back' })).layer, 'application');
  });

  test('WhatsApp sender leased alongside SMS; --channel sms leaves it alone', async () => {
    const { p, url } = await listen(['--config', 'wa', '--json']);
    assert.equal(emu.getNumber(WA)!.smsUrl, url);
    assert.equal(emu.senders()[0]!.callbackUrl, url);
    const r = await inbound(emu, { from: `whatsapp:${PHONE}`, to: `whatsapp:${WA}`, body: 'hola' });
    assert.equal(r.layer, 'whatsapp_sender');
    assert.equal(r.outcome, 'delivered');
    await p.waitFor(/"channel":"whatsapp"/, { stream: 'stdout' });
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
    assert.equal(emu.senders()[0]!.callbackUrl, 'http://127.0.0.1:9/wa/in');

    const sms = await listen(['--config', 'wa', '--channel', 'sms']);
    assert.equal(emu.senders()[0]!.callbackUrl, 'http://127.0.0.1:9/wa/in');
    sms.p.kill('SIGINT');
    await sms.p.exited;
    const bad = await cli(['listen', '--config', 'wa', '--channel', 'fax']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--channel must be sms, whatsapp or both/);
  });

  test('Sandbox: no exit 4, the URL and the Console step, a reminder on stop', async () => {
    const { p, url } = await listen(['--config', 'sandbox']);
    await p.waitFor(/Console/);
    assert.match(p.stderr, /Messaging → Try it out → WhatsApp sandbox settings → "When a message comes in"/);
    assert.ok(p.stderr.includes(url));
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
    assert.match(p.stderr, /put the WhatsApp Sandbox's "When a message comes in" URL back/);
  });

  test('Sandbox: add-config says what it is (no 21606 warning); send from it is WhatsApp; 63015 has a fix line', async () => {
    const add = await cli(
      [
        'add-config',
        '--name',
        'sandbox2',
        '--from',
        SANDBOX_NUMBER,
        '--account-sid',
        emu.accountSid,
        '--auth-token-stdin',
        '--api-url',
        emu.url,
      ],
      emu.authToken,
    );
    assert.equal(add.code, 0, add.stderr);
    assert.doesNotMatch(add.stderr, /21606/);
    assert.match(add.stderr, /is the WhatsApp Sandbox: WhatsApp is its channel/);
    const sent = await cli(['send', '--config', 'sandbox', '--to', PHONE, '--body', 'hi from the sandbox', '--json']);
    assert.equal(sent.code, 0, sent.stderr);
    const m = emu.messages().find((x) => x.body === 'hi from the sandbox')!;
    assert.equal(m.from, `whatsapp:${SANDBOX_NUMBER}`);
    assert.equal(m.to, `whatsapp:${PHONE}`);
    const stranger = await cli(['send', '--config', 'sandbox', '--to', '+14155550199', '--body', 'who?', '--wait']);
    assert.notEqual(stranger.code, 0);
    assert.match(stranger.stderr, /63015/);
    assert.match(stranger.stderr, /must first send "join/);
  });

  test('a 429 from a busy account is retried with backoff: webhook show still answers', async () => {
    emu.rateLimit(2, 0);
    const r = await cli(['webhook', 'show', '--config', 'plain', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).route.layer, 'number');
  });

  test('doctor route check red when a service wins over a number pointing at Fruxon; webhook set needs --messaging-service; then green', async () => {
    const prod = 'http://127.0.0.1:9/ingress/twilio/fx_0123456789abcdef0123';
    assert.equal((await cli(['configs', 'set', 'svc', '--webhook-url-stdin'], prod)).code, 0);
    emu.setSmsUrl(SVC, prod);
    const check = (r: { stdout: string }) =>
      (JSON.parse(r.stdout).checks as { name: string; ok: unknown; detail: string; fix?: string }[]).find(
        (c) => c.name === 'route',
      )!;
    let d = check(await cli(['doctor', '--config', 'svc', '--json']));
    assert.equal(d.ok, false, d.detail);
    assert.match(
      d.detail,
      /SMS: Messaging Service 'Support' \(MG…\w{4}\) receives them at http:\/\/127\.0\.0\.1:9\/support\/in, and it wins over the number's SmsUrl/,
    );
    assert.match(d.detail, /the number's own SmsUrl is not used/);
    assert.equal(d.fix, 'fruxon-twilio webhook set --messaging-service --config svc');

    const refused = await cli(['webhook', 'set', '--config', 'svc', '--yes']);
    assert.equal(refused.code, 4, refused.stderr);
    assert.match(
      refused.stderr,
      /Messaging Service 'Support' \(MG\w+\) receives the messages of \+15005551301 and also serves \+15005551302/,
    );
    assert.match(refused.stderr, /--messaging-service/);
    assert.equal(service().inboundRequestUrl, 'http://127.0.0.1:9/support/in', 'untouched');

    const set = await cli(['webhook', 'set', '--config', 'svc', '--yes', '--messaging-service', '--json']);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(service().inboundRequestUrl, prod);
    assert.ok(!set.stdout.includes('fx_0123456789abcdef0123'), 'the production URL is masked');
    const shown = JSON.parse((await cli(['webhook', 'show', '--config', 'svc', '--json'])).stdout);
    assert.equal(shown.kind, 'production');
    d = check(await cli(['doctor', '--config', 'svc', '--json']));
    assert.equal(d.ok, true, d.detail);
    assert.match(d.detail, /points at Fruxon/);

    // A TwiML App serving only this number is pointed at production by webhook set.
    assert.equal((await cli(['configs', 'set', 'app', '--webhook-url-stdin'], prod)).code, 0);
    const app = await cli(['webhook', 'set', '--config', 'app', '--yes']);
    assert.equal(app.code, 0, app.stderr);
    assert.match(app.stderr + app.stdout, /TwiML App 'Bot' \(AP…\w{4}\) now points at/);
    assert.equal(emu.applications()[0]!.smsUrl, prod);
  });

  test('status callbacks: never a trigger; on --json stdout only with --statuses; events list --kind status', async () => {
    for (const statuses of [false, true]) {
      const { p, url } = await listen(['--config', 'plain', '--json', ...(statuses ? ['--statuses'] : [])]);
      const sent = await cli([
        'send',
        '--config',
        'plain',
        '--to',
        PHONE,
        '--body',
        `status ${statuses}`,
        '--status-callback',
        url,
        '--json',
      ]);
      assert.equal(sent.code, 0, sent.stderr);
      const sid = JSON.parse(sent.stdout).sid ?? JSON.parse(sent.stdout).message_sid;
      await p.waitFor(/delivered/, { stream: statuses ? 'stdout' : 'stderr' });
      await inbound(emu, { from: PHONE, to: PLAIN, body: 'a real one' });
      await p.waitFor(/a real one/, { stream: 'stdout' });
      p.kill('SIGINT');
      assert.equal((await p.exited).code, 0, p.stderr);
      const lines = jsonLines(p.stdout);
      assert.equal(
        lines.filter((l) => l.trigger === 'twilio.message.received').length,
        1,
        'only the inbound message is a trigger',
      );
      const st = lines.filter((l) => l.event === 'message.status');
      if (!statuses) assert.equal(st.length, 0);
      else {
        assert.ok(st.length >= 1);
        const last = st.at(-1);
        assert.deepEqual(Object.keys(last), [
          'event',
          'config',
          'event_id',
          'received_at',
          'message_sid',
          'status',
          'error_code',
          'to',
          'from',
        ]);
        assert.equal(last.config, 'plain');
        assert.equal(last.status, 'delivered');
        assert.equal(last.from, PLAIN);
        assert.equal(last.to, PHONE);
        if (sid) assert.equal(last.message_sid, sid);
        assert.equal(typeof last.event_id, 'number');
      }
    }
    const listed = await cli(['events', 'list', '--kind', 'status', '--config', 'plain', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const rows = JSON.parse(listed.stdout);
    assert.ok(rows.length >= 2 && rows.every((r: { event: string }) => r.event === 'message.status'));
    const messages = JSON.parse((await cli(['events', 'list', '--config', 'plain', '--json'])).stdout);
    assert.ok(
      messages.every((m: { payload?: { text?: string } }) => m.payload?.text === 'a real one'),
      'the default kind is message',
    );
    const bad = await cli(['events', 'list', '--kind', 'nope']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--kind must be message or status/);
  });

  test('a message Twilio logged but the listener never received is warned about once, with the layer that took it', async () => {
    const { p } = await listen(['--config', 'plain', '--check-missed', '1']);
    emu.setSmsUrl(PLAIN, 'http://127.0.0.1:9/elsewhere'); // someone changes it in the Console meanwhile
    const r = await inbound(emu, { from: PHONE, to: PLAIN, body: 'lost' });
    assert.equal(r.layer, 'number');
    const sid = emu.messages().find((m) => m.body === 'lost')!.sid;
    await p.waitFor(
      new RegExp(
        `inbound message ${sid} to \\${PLAIN} at \\S+ that never reached this listener; took it: the number's SmsUrl PN\\w+; run fruxon-twilio webhook show`,
      ),
      { timeoutMs: 15_000 },
    );
    await new Promise((res) => setTimeout(res, 2500)); // two more rounds
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
    assert.equal(p.stderr.split(sid).length - 1, 1, 'warned once');
    assert.match(p.stderr, /no longer pointed at this listener/);
    emu.setSmsUrl(PLAIN, 'http://127.0.0.1:9/plain/sms');
    const bad = await cli(['listen', '--config', 'plain', '--check-missed', 'soon']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--check-missed must be a whole number of seconds/);
  });
});
