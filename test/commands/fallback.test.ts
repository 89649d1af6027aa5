import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { openStore } from '../../src/store/index.js';
import { addConfigArgs } from '../helpers/add-config.js';
import { CliChildProcess, type RunningCli, stopAllCliRuns, tempHome } from '../helpers/cli.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { osKeychain } from '../helpers/keychains.js';

// The listens killed with SIGKILL are the built binary, which reads the tokens from the (test) keychain.
const testKeychain = osKeychain();
const { runCliInProcess, startCliInProcess } = inProcessCliWith(testKeychain);

const PLAIN = '+15005552401';
const APP = '+15005552402';
const SVC = '+15005552403';
const WA = '+15005552404';
const PROD = 'http://127.0.0.1:9/ingress/twilio/fx_0123456789abcdef0123';

/**
 * Issue 26, item 1: listen keeps the fallback of the layer that wins (every layer alike, the Messaging Service
 * included), says where it goes, and --no-fallback clears it for the run and puts it back exactly on stop,
 * after a crash (`restore`) and on the next listen.
 */
describe('fallback URLs while listening', () => {
  let emu: Emulator;
  let h: ReturnType<typeof tempHome>;
  const cli = (args: string[], input?: string) => runCliInProcess(args, { env: h.env, input });
  const listen = async (args: string[], binary = false) => {
    const p: RunningCli = binary
      ? new CliChildProcess(['listen', '--port', '0', '--check-missed', '0', ...args], { env: h.env })
      : startCliInProcess(['listen', '--port', '0', '--check-missed', '0', ...args], { env: h.env });
    const m = await p.waitFor(/Ready! Listening for messages to \S+ at (\S+)/);
    const line = p.stderr.split('\n').find((l) => l.startsWith('Ready!'))!;
    return { p, url: m[1]!, line };
  };
  const stop = async (p: RunningCli) => {
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
  };
  const service = () => emu.services().find((s) => s.friendlyName === 'Support')!;
  const app = () => emu.applications().find((a) => a.friendlyName === 'Bot')!;
  const sender = () => emu.senders()[0]!;
  /** Every fallback of the account, to compare before and after. */
  const fallbacks = () =>
    JSON.stringify({
      plain: [emu.getNumber(PLAIN)!.smsFallbackUrl, emu.getNumber(PLAIN)!.smsFallbackMethod],
      app: [emu.getNumber(APP)!.smsFallbackUrl, app().smsFallbackUrl],
      svc: [service().fallbackUrl, service().fallbackMethod],
      wa: [sender().fallbackUrl, sender().fallbackMethod],
    });

  before(async () => {
    emu = await startEmulator({
      statusDelayMs: 1,
      retryDelaysMs: [],
      topology: {
        numbers: [
          { phone_number: PLAIN, sms_url: PROD, sms_fallback_url: PROD, sms_fallback_method: 'GET' },
          {
            phone_number: APP,
            sms_url: 'http://127.0.0.1:9/app-number/sms',
            sms_fallback_url: 'http://127.0.0.1:9/own/fb',
          },
          { phone_number: SVC },
          { phone_number: WA, sms_url: 'http://127.0.0.1:9/wa-number/sms' },
        ],
        services: [
          {
            friendly_name: 'Support',
            inbound_request_url: 'http://127.0.0.1:9/support/in',
            fallback_url: 'http://127.0.0.1:9/support/fb',
            phone_numbers: [SVC],
          },
        ],
        applications: [
          {
            friendly_name: 'Bot',
            sms_url: 'http://127.0.0.1:9/bot/sms',
            sms_fallback_url: 'http://127.0.0.1:9/bot/fb',
            phone_numbers: [APP],
          },
        ],
        senders: [
          {
            sender_id: `whatsapp:${WA}`,
            webhook: { callback_url: 'http://127.0.0.1:9/wa/in', fallback_url: 'http://127.0.0.1:9/wa/fb' },
          },
        ],
      } as never,
    });
    h = tempHome();
    for (const [name, from] of [
      ['plain', PLAIN],
      ['app', APP],
      ['svc', SVC],
      ['wa', WA],
    ] as const) {
      const r = await cli(addConfigArgs(name, from, emu, 'stdin'), emu.authToken);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.equal((await cli(['configs', 'set', 'plain', '--webhook-url-stdin'], PROD)).code, 0);
  });
  after(async () => {
    await stopAllCliRuns();
    await emu.stop();
    h.cleanup();
  });

  test('default: every layer keeps its fallback, the Ready line names it (masked), a refusal says Twilio tries it', async () => {
    const before = fallbacks();

    const plain = await listen(['--config', 'plain']);
    assert.match(plain.line, /; fallback: http:\/\/127\.0\.0\.1:9\/…\/fx_0… \(production\)$/, plain.line);
    assert.ok(!plain.p.stderr.includes('fx_0123456789abcdef0123'), 'the production URL is masked');
    assert.equal(emu.getNumber(PLAIN)!.smsFallbackUrl, PROD);
    // A request the listener answers with an error: Twilio re-sends it to the fallback.
    const res = await fetch(plain.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'From=%2B14155550100&To=%2B15005552401',
    });
    assert.equal(res.status, 403);
    await plain.p.waitFor(
      /refused missing_signature.*Twilio will now try the fallback http:\/\/127\.0\.0\.1:9\/…\/fx_0… \(production\)/,
    );
    await stop(plain.p);

    // A TwiML App: the number is detached for the listen; the app's fallback goes with it.
    const a = await listen(['--config', 'app']);
    assert.match(a.line, /; fallback: http:\/\/127\.0\.0\.1:9\/bot\/fb \(not the recorded production URL\)$/);
    assert.equal(emu.getNumber(APP)!.smsApplicationSid, '');
    assert.equal(emu.getNumber(APP)!.smsFallbackUrl, 'http://127.0.0.1:9/bot/fb');
    await stop(a.p);
    assert.equal(emu.getNumber(APP)!.smsApplicationSid, app().sid);

    // The Messaging Service's fallback is kept too (it was cleared before).
    const s = await listen(['--config', 'svc', '--messaging-service']);
    assert.equal(service().inboundRequestUrl, s.url);
    assert.equal(service().fallbackUrl, 'http://127.0.0.1:9/support/fb');
    assert.match(s.line, /; fallback: http:\/\/127\.0\.0\.1:9\/support\/fb/);
    await stop(s.p);

    // A WhatsApp sender beside the number's SmsUrl: two fallbacks, one per channel.
    const w = await listen(['--config', 'wa']);
    assert.equal(sender().callbackUrl, w.url);
    assert.equal(sender().fallbackUrl, 'http://127.0.0.1:9/wa/fb');
    assert.match(w.line, /; WhatsApp fallback: http:\/\/127\.0\.0\.1:9\/wa\/fb/);
    await stop(w.p);

    assert.equal(fallbacks(), before, 'every fallback as it was');
  });

  test('--no-fallback clears it on every layer for the run and puts it back exactly on stop', async () => {
    const before = fallbacks();
    for (const [config, extra] of [
      ['plain', []],
      ['app', []],
      ['svc', ['--messaging-service']],
      ['wa', ['--channel', 'whatsapp']],
    ] as const) {
      const l = await listen(['--config', config, '--no-fallback', ...extra]);
      assert.match(l.line, /; fallback: none for this run \(--no-fallback\), put back on stop$/);
      if (config === 'plain') assert.equal(emu.getNumber(PLAIN)!.smsFallbackUrl, '');
      if (config === 'app') assert.equal(emu.getNumber(APP)!.smsFallbackUrl, '');
      if (config === 'svc') assert.equal(service().fallbackUrl, '');
      if (config === 'wa') assert.equal(sender().fallbackUrl, '');
      const res = await fetch(l.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'From=%2B14155550100',
      });
      assert.equal(res.status, 403);
      await l.p.waitFor(/refused missing_signature/);
      assert.doesNotMatch(l.p.stderr, /will now try the fallback/);
      await stop(l.p);
      assert.equal(fallbacks(), before, `${config}: every fallback as it was`);
    }
  });

  test('--no-fallback and a crash: the lease records the fallback; restore (or the next listen) puts it back', async () => {
    const before = fallbacks();
    const crashed = await listen(['--config', 'plain', '--no-fallback'], true);
    assert.equal(emu.getNumber(PLAIN)!.smsFallbackUrl, '');
    crashed.p.kill('SIGKILL');
    await crashed.p.exited;
    const store = openStore(h.env);
    const lease = store.leases.list()[0]!;
    assert.deepEqual(lease.previous?.numberFallback, { url: { production: true }, method: 'GET' });
    assert.ok(!JSON.stringify(lease).includes('fx_0123456789abcdef0123'), 'the production URL is never in the lease');
    store.close();
    const r = await cli(['restore', '--config', 'plain']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(emu.getNumber(PLAIN)!.smsUrl, PROD);
    assert.equal(fallbacks(), before);

    const svc = await listen(['--config', 'svc', '--messaging-service', '--no-fallback'], true);
    assert.equal(service().fallbackUrl, '');
    svc.p.kill('SIGKILL');
    await svc.p.exited;
    const next = await listen(['--config', 'svc', '--messaging-service']);
    assert.match(next.p.stderr, /a crashed listener had left/);
    assert.equal(service().fallbackUrl, 'http://127.0.0.1:9/support/fb', 'the next listen keeps it');
    await stop(next.p);
    assert.equal(fallbacks(), before);
  });

  test('webhook show and doctor show the fallback of the layer that wins, and flag one at a listener that is gone', async () => {
    const setServiceFallback = (url: string) =>
      fetch(`${emu.url}/v1/Services/${service().sid}`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: `FallbackUrl=${encodeURIComponent(url)}`,
      });
    const route = async () => {
      const r = await cli(['doctor', '--config', 'svc', '--json']);
      return (JSON.parse(r.stdout).checks as { name: string; ok: unknown; detail: string; fix?: string }[]).find(
        (c) => c.name === 'route',
      )!;
    };

    let human = await cli(['webhook', 'show', '--config', 'svc']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(
      human.stdout,
      /fallback\s+http:\/\/127\.0\.0\.1:9\/support\/fb \(POST\) \(Messaging Service 'Support'/,
    );
    let d = await route();
    assert.equal(d.ok, true, d.detail);
    assert.match(d.detail, /SMS fallback: http:\/\/127\.0\.0\.1:9\/support\/fb/);

    // A listener of this machine that is gone (its lease was never restored).
    const store = openStore(h.env);
    const wa = store.configs.byName('wa')!;
    const dead = 'http://127.0.0.1:9/webhooks/twilio/' + wa.id;
    store.leases.acquire({
      configId: wa.id,
      numberSid: emu.getNumber(WA)!.sid,
      phoneNumber: WA,
      previousSmsUrl: null,
      previousSmsMethod: null,
      ourUrl: dead,
      pid: 4_194_303,
    });
    try {
      await setServiceFallback(dead);
      const json = JSON.parse((await cli(['webhook', 'show', '--config', 'svc', '--json'])).stdout);
      assert.equal(json.fallback_listener, 'gone');
      human = await cli(['webhook', 'show', '--config', 'svc']);
      assert.match(human.stderr, /the fallback URL points at a listen that is no longer running \(pid 4194303\)/);
      d = await route();
      assert.equal(d.ok, false);
      assert.match(d.detail, /SMS fallback points at a listener that is gone \(pid 4194303\)/);
    } finally {
      store.leases.release(wa.id);
      store.close();
    }

    // A listener's URL that no lease here holds: maybe another machine's, maybe gone.
    await setServiceFallback('http://127.0.0.1:9/webhooks/twilio/00000000-1111-4222-8333-444444444444');
    const json = JSON.parse((await cli(['webhook', 'show', '--config', 'svc', '--json'])).stdout);
    assert.equal(json.fallback_listener, 'unknown');
    d = await route();
    assert.equal(d.ok, 'warn');
    assert.match(d.detail, /is a listener's that no lease of this machine holds/);
    await setServiceFallback('http://127.0.0.1:9/support/fb');
  });
});
