import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { connectConfig } from '../../src/config/connect.js';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { type LinkStep, pointNumberAtFruxon } from '../../src/operations/link.js';
import { openStore } from '../../src/store/index.js';
import { createTwilioClient } from '../../src/twilio/client.js';
import { maskWebhookUrl } from '../../src/twilio/webhook.js';
import { CliChildProcess, type RunningCli, stopAllCliRuns, tempHome } from '../helpers/cli.js';
import { type FruxonDouble, startFruxonDouble } from '../helpers/fruxon-double.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { osKeychain } from '../helpers/keychains.js';

// `link` while a listen holds the number: once the listener is gone (SIGINT, or SIGKILL then `restore` or the
// next `listen`), the account is as `link` would have left it without the listener, at every layer.
// Commands and most listens run in this process; the listens that are SIGKILLed are the built binary, which
// reads the tokens from the (test) keychain, so the in-process runs use it too.
const testKeychain = osKeychain();
const { runCliInProcess, startCliInProcess } = inProcessCliWith(testKeychain);

const PLAIN = '+15005551401';
const APP = '+15005551402';
const SHARED_A = '+15005551403';
const SHARED_B = '+15005551404';
const SVC = '+15005551405';
const SVC_2 = '+15005551406';
const WA = '+15005551407';
const WA_ONLY = '+15005551408';
const PHONE = '+14155550199';

async function inbound(
  emu: Emulator,
  body: Record<string, unknown>,
): Promise<{ layer: string; delivered_to: string | null }> {
  const res = await fetch(`${emu.url}/_emulator/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 202);
  return (await res.json()) as { layer: string; delivered_to: string | null };
}

describe('link under a live or crashed listen: production wins at every layer once the listener is gone', () => {
  const builder = `fx_pat_${randomBytes(16).toString('hex')}`;
  let emu: Emulator;
  let fruxon: FruxonDouble;
  let h: ReturnType<typeof tempHome>;
  const cli = (args: string[], input?: string) => runCliInProcess(args, { env: h.env, input });
  const listen = async (args: string[], binary = false) => {
    const argv = ['listen', '--port', '0', '--no-inspect', '--check-missed', '0', ...args];
    const p: RunningCli = binary ? new CliChildProcess(argv, { env: h.env }) : startCliInProcess(argv, { env: h.env });
    const m = await p.waitFor(/Ready! Listening for messages to \S+ at (\S+)/);
    return { p, url: m[1]! };
  };
  /** The production URL Fruxon minted for the local config `name` (link names its Fruxon config after it). */
  const production = (name: string) => {
    const c = [...fruxon.configs.values()].find((x) => x.displayName === name);
    assert.ok(c, `a Fruxon config named ${name}`);
    return fruxon.webhookUrl(c)!;
  };
  const show = async (name: string) => {
    const r = await cli(['webhook', 'show', '--config', name, '--json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  const link = async (name: string, extra: string[] = []) => {
    const r = await cli(['link', '--config', name, '--json', ...extra]);
    return { ...r, json: r.stdout ? JSON.parse(r.stdout) : null };
  };
  const lease = (name: string) => {
    const store = openStore(h.env);
    try {
      const config = store.configs.list().find((c) => c.name === name)!;
      return store.leases.get(config.id) ?? null;
    } finally {
      store.close();
    }
  };
  const app = (name: string) => emu.applications().find((a) => a.friendlyName === name)!;
  const service = () => emu.services().find((s) => s.friendlyName === 'Support')!;
  const sender = (phone: string) => emu.senders().find((s) => s.senderId === `whatsapp:${phone}`)!;

  before(async () => {
    emu = await startEmulator({
      statusDelayMs: 1,
      retryDelaysMs: [],
      numbers: [],
      topology: {
        numbers: [
          { phone_number: PLAIN, sms_url: 'http://127.0.0.1:9/plain/sms' },
          { phone_number: SVC, sms_url: 'http://127.0.0.1:9/svc/own' },
          { phone_number: APP, sms_url: 'http://127.0.0.1:9/app/own' },
        ],
        services: [
          {
            friendly_name: 'Support',
            inbound_request_url: 'http://127.0.0.1:9/support/in',
            fallback_url: 'http://127.0.0.1:9/support/fb',
            phone_numbers: [SVC, SVC_2],
          },
        ],
        applications: [
          { friendly_name: 'Bot', sms_url: 'http://127.0.0.1:9/bot/sms', phone_numbers: [APP] },
          { friendly_name: 'Shared', sms_url: 'http://127.0.0.1:9/shared/sms', phone_numbers: [SHARED_A, SHARED_B] },
        ],
        senders: [
          { sender_id: `whatsapp:${WA}`, webhook: { callback_url: 'http://127.0.0.1:9/wa/in' } },
          { sender_id: `whatsapp:${WA_ONLY}`, webhook: { callback_url: 'http://127.0.0.1:9/wa-only/in' } },
        ],
      } as never,
    });
    fruxon = await startFruxonDouble({
      tokens: {
        [builder]: {
          tenant: 'umbrella',
          scopes: ['agents:read', 'agents:write', 'integrations:read', 'integrations:write'],
          email: 'ada@umbrella.test',
          apiKeyName: 'laptop',
        },
      },
    });
    h = tempHome();
    const configs = [
      ['plain', PLAIN],
      ['app', APP],
      ['shared', SHARED_A],
      ['svc', SVC],
      ['wa', WA],
      ['wa-only', WA_ONLY],
    ] as const;
    for (const [name, from] of configs) {
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
    }
    const login = await cli(
      ['fruxon', 'login', '--tenant', 'umbrella', '--token-stdin', '--api-url', fruxon.url],
      builder,
    );
    assert.equal(login.code, 0, login.stderr);
  });
  after(async () => {
    await stopAllCliRuns();
    await fruxon.close();
    await emu.stop();
    h.cleanup();
  });

  test('number layer: link under a live listen, SIGINT: the number points at production', async () => {
    const { p } = await listen(['--config', 'plain']);
    const r = await link('plain');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.registered, 'deferred');
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
    const v = await show('plain');
    assert.equal(v.kind, 'production');
    assert.equal(v.route.layer, 'number');
    assert.equal(emu.getNumber(PLAIN)!.smsUrl, production('plain'));
  });

  test("TwiML App serving only this number: link under a live listen, SIGINT: the app is re-attached and its SMS URL is production's", async () => {
    const appSid = app('Bot').sid;
    const ownUrl = emu.getNumber(APP)!.smsUrl;
    const { p, url } = await listen(['--config', 'app']);
    assert.equal(emu.getNumber(APP)!.smsApplicationSid, '', 'listen detached the number');
    const r = await link('app');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.registered, 'deferred');
    const step = r.json.steps.find((s: { step: string }) => s.step === 'register');
    assert.match(
      step.detail,
      new RegExp(
        `^a listen \\(pid ${p.pid}\\) holds \\+15005551402; when it stops it points application ${appSid} \\(what receives its messages then\\) at the production URL`,
      ),
    );
    assert.equal(emu.getNumber(APP)!.smsUrl, url, 'the listener keeps the number until it stops');
    assert.equal(app('Bot').smsUrl, 'http://127.0.0.1:9/bot/sms', 'nothing changes on Twilio while it runs');
    const during = await inbound(emu, { from: PHONE, to: APP, body: 'still to the listener' });
    assert.deepEqual([during.layer, during.delivered_to], ['number', url]);
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
    assert.match(p.stderr, /Restored the webhook of \+15005551402 to https:\/\//);
    assert.equal(p.stderr.includes(production('app')), false, 'printed masked');

    const v = await show('app');
    assert.equal(v.route.layer, 'application');
    assert.equal(v.route.sid, appSid);
    assert.equal(v.kind, 'production');
    assert.equal(v.route.url, maskWebhookUrl(production('app')));
    assert.equal(emu.getNumber(APP)!.smsApplicationSid, appSid);
    assert.equal(app('Bot').smsUrl, production('app'));
    assert.equal(
      emu.getNumber(APP)!.smsUrl,
      ownUrl,
      "the number's own SmsUrl (ignored behind the app) is put back as it was",
    );
  });

  test('TwiML App, SIGKILL: the next listen restores the app pointed at production', async () => {
    const reset = await fetch(`${emu.url}/2010-04-01/Accounts/${emu.accountSid}/Applications/${app('Bot').sid}.json`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'SmsUrl=' + encodeURIComponent('http://127.0.0.1:9/bot/sms'),
    });
    assert.equal(reset.status, 200);
    const { p } = await listen(['--config', 'app'], true);
    const r = await link('app');
    assert.equal(r.json.registered, 'deferred', r.stderr);
    p.kill('SIGKILL');
    await p.exited;
    const again = await listen(['--config', 'app']);
    assert.match(
      again.p.stderr,
      /a crashed listener had left \+15005551402 pointing at it: restored its previous webhook \(https:\/\//,
    );
    assert.equal(app('Bot').smsUrl, production('app'), 'restoring the crashed lease pointed the app at production');
    again.p.kill('SIGINT');
    assert.equal((await again.p.exited).code, 0, again.p.stderr);
    const v = await show('app');
    assert.equal(v.route.layer, 'application');
    assert.equal(v.kind, 'production');
  });

  test('a shared TwiML App: link under a listen refuses exactly as without one (application_shared, exit 4) and records nothing', async () => {
    const without = await link('shared');
    assert.equal(without.code, 4, without.stderr);
    assert.equal(without.json.registered, false);
    const { p } = await listen(['--config', 'shared']);
    const before = lease('shared')!;
    const withListen = await link('shared');
    assert.equal(withListen.code, 4, withListen.stderr);
    assert.equal(withListen.json.registered, false);
    const lastLine = (s: string) =>
      s
        .trim()
        .split('\n')
        .filter((l) => /error|hint/.test(l))
        .join('\n');
    assert.match(
      lastLine(withListen.stderr),
      /TwiML App 'Shared' \(AP\w+\) receives the messages of \+15005551403 and also serves \+15005551404/,
    );
    assert.equal(lastLine(withListen.stderr), lastLine(without.stderr), 'the same message and hint');
    assert.deepEqual(lease('shared'), before, 'the lease is untouched');
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
    assert.equal(emu.getNumber(SHARED_A)!.smsApplicationSid, app('Shared').sid);
    assert.equal(app('Shared').smsUrl, 'http://127.0.0.1:9/shared/sms');
  });

  test('Messaging Service: link without --messaging-service under a listen refuses as without one; with it, SIGINT leaves the service at production', async () => {
    const without = await link('svc');
    assert.equal(without.code, 4, without.stderr);
    const { p, url } = await listen(['--config', 'svc', '--messaging-service']);
    assert.equal(service().inboundRequestUrl, url);
    const before = lease('svc')!;
    const refused = await link('svc');
    assert.equal(refused.code, 4, refused.stderr);
    assert.equal(refused.json.registered, false);
    const errors = (s: string) =>
      s
        .split('\n')
        .filter((l) => /error|hint/.test(l))
        .join('\n');
    assert.match(
      errors(refused.stderr),
      /Messaging Service 'Support' \(MG\w+\) receives the messages of \+15005551405 and also serves \+15005551406/,
    );
    assert.equal(errors(refused.stderr), errors(without.stderr));
    assert.deepEqual(lease('svc'), before, 'nothing recorded');

    const ok = await link('svc', ['--messaging-service']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.json.registered, 'deferred');
    assert.equal(service().inboundRequestUrl, url);
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
    const v = await show('svc');
    assert.equal(v.route.layer, 'messaging_service');
    assert.equal(v.kind, 'production');
    assert.equal(service().inboundRequestUrl, production('svc'));
    assert.equal(service().fallbackUrl, 'http://127.0.0.1:9/support/fb', 'the fallback is put back as it was');
    assert.equal(
      emu.getNumber(SVC)!.smsUrl,
      'http://127.0.0.1:9/svc/own',
      "the number's own SmsUrl is not what decides, and is left alone",
    );
  });

  test('Messaging Service, SIGKILL then restore: the service points at production', async () => {
    await fetch(`${emu.url}/v1/Services/${service().sid}`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `InboundRequestUrl=${encodeURIComponent('http://127.0.0.1:9/support/in')}`,
    });
    const { p } = await listen(['--config', 'svc', '--messaging-service'], true);
    p.kill('SIGKILL');
    await p.exited;
    const r = await link('svc', ['--messaging-service']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.registered, 'deferred');
    const step = r.json.steps.find((s: { step: string }) => s.step === 'register');
    assert.match(
      step.detail,
      /^a listen that crashed \(pid \d+\) still holds \+15005551405; fruxon-twilio restore --config svc points messaging service MG\w+ \(what receives its messages then\) at the production URL \(https:\/\/[^)]+\)$/,
    );
    const restored = await cli(['restore', '--config', 'svc']);
    assert.equal(restored.code, 0, restored.stderr);
    assert.equal(service().inboundRequestUrl, production('svc'));
    const v = await show('svc');
    assert.equal(v.route.layer, 'messaging_service');
    assert.equal(v.kind, 'production');
  });

  test('a lease holding both SMS and WhatsApp: SIGINT leaves the number and the sender at production', async () => {
    const { p, url } = await listen(['--config', 'wa']);
    assert.equal(sender(WA).callbackUrl, url);
    const r = await link('wa');
    assert.equal(r.json.registered, 'deferred', r.stderr);
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
    const v = await show('wa');
    assert.equal(v.kind, 'production');
    assert.deepEqual(
      v.routes.map((x: { layer: string; url: string }) => [x.layer, x.url]),
      [
        ['number', maskWebhookUrl(production('wa'))],
        ['whatsapp_sender', maskWebhookUrl(production('wa'))],
      ],
    );
    assert.equal(sender(WA).callbackUrl, production('wa'));
  });

  test('WhatsApp sender alone (--channel whatsapp): the SMS route it does not hold is pointed now, the sender when it stops', async () => {
    const { p, url } = await listen(['--config', 'wa-only', '--channel', 'whatsapp']);
    assert.equal(lease('wa-only')!.layer, 'whatsapp_sender');
    const r = await link('wa-only');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.registered, 'deferred');
    const step = r.json.steps.find((s: { step: string }) => s.step === 'register');
    assert.match(step.detail, /; SMS \(not held by it\): number PN\w+ now https:\/\//);
    assert.equal(emu.getNumber(WA_ONLY)!.smsUrl, production('wa-only'), 'SMS: what link does without a listener, now');
    assert.equal(sender(WA_ONLY).callbackUrl, url, 'the listener keeps the sender');
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
    const v = await show('wa-only');
    assert.deepEqual(
      v.routes.map((x: { layer: string; url: string }) => [x.layer, x.url]),
      [
        ['number', maskWebhookUrl(production('wa-only'))],
        ['whatsapp_sender', maskWebhookUrl(production('wa-only'))],
      ],
    );
  });

  test("another config's listen on the same number: link refuses (exit 5) instead of deferring to a lease that restores another production URL", async () => {
    const add = await cli(
      [
        'add-config',
        '--name',
        'plain-twin',
        '--from',
        PLAIN,
        '--account-sid',
        emu.accountSid,
        '--auth-token-stdin',
        '--api-url',
        emu.url,
        '--json',
      ],
      emu.authToken,
    );
    assert.equal(add.code, 0, add.stderr);
    const { p } = await listen(['--config', 'plain']);
    const before = lease('plain');
    const r = await link('plain-twin');
    assert.equal(r.code, 5, r.stderr);
    assert.equal(r.json.registered, false);
    assert.match(r.stderr, new RegExp(`\\${PLAIN} is held by a running listen \\(pid ${p.pid}\\)`));
    assert.deepEqual(lease('plain'), before, "the other config's lease is untouched");
    assert.equal(lease('plain-twin'), null);
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
    assert.equal(emu.getNumber(PLAIN)!.smsUrl, production('plain'), 'put back as it was before that listen');
    assert.equal((await cli(['configs', 'remove', 'plain-twin', '--force'])).code, 0);
  });

  test('restore only if it still points at us: a layer changed during the listen is left alone', async () => {
    const { p } = await listen(['--config', 'plain']);
    const r = await link('plain');
    assert.equal(r.json.registered, 'deferred', r.stderr);
    emu.setSmsUrl(PLAIN, 'http://127.0.0.1:9/someone/else');
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
    assert.match(p.stderr, /no longer pointed at this listener/);
    assert.equal(emu.getNumber(PLAIN)!.smsUrl, 'http://127.0.0.1:9/someone/else');
  });

  test('a restore that put the number back and failed on the sender (lease kept): link points the number at production now, the sender at restore', async () => {
    emu.setSmsUrl(WA, 'http://127.0.0.1:9/wa/old');
    const { p, url } = await listen(['--config', 'wa'], true);
    p.kill('SIGKILL');
    await p.exited;
    const held = lease('wa')!;
    assert.equal(held.previousSmsUrl, 'http://127.0.0.1:9/wa/old');
    assert.equal(sender(WA).callbackUrl, url);
    // What a restore leaves when Twilio refuses its second update: the number as it was, the lease kept.
    emu.setSmsUrl(WA, held.previousSmsUrl!);
    const r = await link('wa');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.registered, 'deferred');
    assert.equal(
      emu.getNumber(WA)!.smsUrl,
      production('wa'),
      'the layer already put back is pointed now, as without a listener',
    );
    assert.equal(sender(WA).callbackUrl, url, "the sender is still the crashed listener's, for restore");
    const restored = await cli(['restore', '--config', 'wa']);
    assert.equal(restored.code, 0, restored.stderr);
    assert.equal(sender(WA).callbackUrl, production('wa'));
    assert.equal(emu.getNumber(WA)!.smsUrl, production('wa'));
    assert.equal(lease('wa'), null);
  });

  /** The store of the test's home, for a test that plays the restorer: the lease of config `name` and its id. */
  const withStore = <T>(fn: (store: ReturnType<typeof openStore>, configId: string) => T): T => {
    const store = openStore(h.env);
    try {
      return fn(store, store.configs.list().find((c) => c.name === 'plain')!.id);
    } finally {
      store.close();
    }
  };

  test('a stopping listen whose restore already read the lease: link waits for it, then points the number at production itself (registered, not deferred)', async () => {
    const { p, url } = await listen(['--config', 'plain']);
    // The test is that stopping listen's restore: it claims the lease (and so reads what to put back) ...
    const claimed = withStore((store, id) => store.leases.claimRestore(id));
    assert.ok(claimed.claimed);
    const putBack = claimed.lease.previousSmsUrl;
    assert.equal(putBack, 'http://127.0.0.1:9/someone/else');
    const l = startCliInProcess(['link', '--config', 'plain', '--json'], { env: h.env });
    // ... link sees the claim and waits, changing nothing ...
    await l.waitFor(
      /! register waiting: \+15005551401 is being put back by pid \d+ \(a stopping listen\); link points it at Fruxon once that is done \(at most 15 s\)/,
    );
    assert.equal(emu.getNumber(PLAIN)!.smsUrl, url);
    assert.equal(
      lease('plain')!.previousIsProduction,
      false,
      'link did not mark a lease whose restore already read it',
    );
    // ... the restore puts back what it read and releases the lease ...
    emu.setSmsUrl(PLAIN, putBack!);
    withStore((store, id) => store.leases.release(id));
    // ... and link, once it is gone, points the number at production itself.
    const done = await l.exited;
    assert.equal(done.code, 0, l.stderr);
    const json = JSON.parse(l.stdout);
    assert.equal(json.registered, true);
    assert.equal(json.steps.find((s: LinkStep) => s.step === 'register').action, 'registered');
    assert.equal((await show('plain')).kind, 'production');
    assert.equal(emu.getNumber(PLAIN)!.smsUrl, production('plain'));
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
    assert.equal(
      emu.getNumber(PLAIN)!.smsUrl,
      production('plain'),
      'the listener, its lease gone, leaves the number at production',
    );
  });

  test('a restore that crashed mid-way (its claim names a dead pid): restore takes the claim over; a live one is left to finish', async () => {
    const { p, url } = await listen(['--config', 'plain'], true);
    p.kill('SIGKILL');
    await p.exited;
    const r = await link('plain');
    assert.equal(r.json.registered, 'deferred', r.stderr);
    // Another live process is restoring it: restore leaves the lease to it.
    withStore((store, id) => assert.equal(store.leases.claimRestore(id, process.ppid).claimed, true));
    const busy = await cli(['restore', '--config', 'plain']);
    assert.equal(busy.code, 4, busy.stderr);
    assert.match(
      busy.stderr,
      new RegExp(`plain: \\${PLAIN} is being put back right now by another process \\(pid ${process.ppid}, since `),
    );
    assert.equal(emu.getNumber(PLAIN)!.smsUrl, url, 'left to that restore');
    // That restorer died (the SIGKILLed listen's pid is as dead as any): the next restore takes over.
    withStore((store, id) => {
      store.leases.unclaimRestore(id, process.ppid);
      assert.equal(store.leases.claimRestore(id, p.pid).claimed, true);
    });
    const restored = await cli(['restore', '--config', 'plain']);
    assert.equal(restored.code, 0, restored.stderr);
    assert.equal(lease('plain'), null);
    assert.equal((await show('plain')).kind, 'production');
    assert.equal(emu.getNumber(PLAIN)!.smsUrl, production('plain'), "link's mark survived the crashed restore");
  });

  test('a restore that never finishes: link gives up after its bound with one line (exit 5) and changes nothing; an abort ends the wait too', async () => {
    emu.setSmsUrl(PLAIN, 'http://127.0.0.1:9/plain/sms');
    const { p, url } = await listen(['--config', 'plain']);
    const store = openStore(h.env);
    try {
      const config = store.configs.list().find((c) => c.name === 'plain')!;
      assert.ok(store.leases.claimRestore(config.id).claimed);
      const before = store.leases.get(config.id);
      const twilio = async () => {
        const c = await connectConfig(store, 'plain', h.env, () => testKeychain, createTwilioClient);
        return { client: c.client, creds: c.creds };
      };
      const steps: string[] = [];
      const waits: { phoneNumber: string; pid: number; waitMs: number }[] = [];
      const o = {
        store,
        twilio,
        register: true,
        restoreWaitMs: 300,
        onRestoreWait: (w: (typeof waits)[number]) => waits.push(w),
      };
      const r = await pointNumberAtFruxon(o, config, production('plain'), (step, action) =>
        steps.push(`${step} ${action}`),
      );
      assert.equal(r.registered, false);
      assert.equal(r.error?.exitCode, 5);
      assert.equal(r.error?.reason, 'lease_restoring');
      assert.equal(
        r.error?.message,
        '+15005551401 is being put back by a stopping listen (or a restore) that did not finish within 0.3 s, so it was not pointed at the production URL',
      );
      assert.equal(
        r.error?.hint,
        'steps 1-3 are done (the URL is stored); to finish: fruxon-twilio webhook set --config plain --yes',
      );
      assert.deepEqual(steps, ['register failed']);
      assert.deepEqual(waits, [{ phoneNumber: PLAIN, pid: process.pid, waitMs: 300 }]);
      assert.equal(emu.getNumber(PLAIN)!.smsUrl, url, 'nothing changed on Twilio');
      assert.deepEqual(store.leases.get(config.id), before, 'nothing recorded');

      const abort = new AbortController();
      const stopped = await pointNumberAtFruxon(
        { ...o, restoreWaitMs: 60_000, signal: abort.signal, onRestoreWait: () => abort.abort() },
        config,
        production('plain'),
        () => undefined,
      );
      assert.equal(stopped.error?.exitCode, 5);
      assert.equal(
        stopped.error?.message,
        '+15005551401 is being put back by a stopping listen (or a restore); stopped while waiting for it to finish, so it was not pointed at the production URL',
      );
      assert.deepEqual(store.leases.get(config.id), before);
      store.leases.unclaimRestore(config.id);
    } finally {
      store.close();
    }
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
    assert.equal(emu.getNumber(PLAIN)!.smsUrl, 'http://127.0.0.1:9/plain/sms', 'the listener put back what it found');
  });
});
