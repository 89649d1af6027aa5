import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { loadProductionWebhookUrl } from '../../src/config/webhook-url.js';
import { type Emulator, type EmulatorLogEntry, startEmulator } from '../../src/emulator/index.js';
import { secretAccount } from '../../src/secrets/index.js';
import { openStore } from '../../src/store/index.js';
import { describeRestore } from '../../src/twilio/webhook.js';
import { errorLine, storeBytes } from '../helpers/checks.js';
import { tempHome } from '../helpers/cli.js';
import { emulatorClient } from '../helpers/emulator-client.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';

// The keychain this file's in-process runs are handed (in memory: no child process reads it).
const testKeychain = memoryKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

const hex = (n: number) => randomBytes(n).toString('hex');
const keychain = () => testKeychain;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('webhook show/set and messages list/show, against the emulator', () => {
  const from = '+14155238886';
  const key = `fx_${hex(20)}`;
  // A loopback URL (the config points at the emulator), on a port nothing listens on: nothing leaves the machine.
  const productionUrl = `http://127.0.0.1:9/ingress/twilio/${key}`;
  let emu: Emulator;
  const log: EmulatorLogEntry[] = [];
  let h: ReturnType<typeof tempHome>;
  let configId: string;
  const outputs: string[] = [];
  const cli = async (args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) => {
    const r = await runCliInProcess(args, { input: opts.input, env: { ...h.env, ...opts.env } });
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const smsUrl = () => emu.getNumber(from)!.smsUrl;

  before(async () => {
    emu = await startEmulator({ numbers: [from], statusDelayMs: 1, retryDelaysMs: [], onLog: (e) => log.push(e) });
    h = tempHome();
    const add = await cli(
      [
        'add-config',
        '--name',
        'Support Line',
        '--from',
        from,
        '--account-sid',
        emu.accountSid,
        '--auth-token-stdin',
        '--api-url',
        emu.url,
        '--json',
      ],
      { input: emu.authToken },
    );
    assert.equal(add.code, 0, add.stderr);
    configId = JSON.parse(add.stdout).id;
  });
  after(async () => {
    await emu.stop();
    const store = openStore(h.env);
    store.leases.release(configId);
    store.close();
    await runCliInProcess(['configs', 'remove', 'Support Line', '--force'], { env: h.env });
    h.cleanup();
  });

  test('show: none, then something else, each said plainly', async () => {
    emu.setSmsUrl(from, '');
    const none = await cli(['webhook', 'show', '--json']);
    assert.equal(none.code, 0, none.stderr);
    const j = JSON.parse(none.stdout);
    assert.equal(j.kind, 'none');
    assert.equal(j.sms_url, null);
    assert.equal(j.production_url_recorded, false);
    assert.equal(j.phone_number, from);
    const noneHuman = await cli(['webhook', 'show']);
    assert.match(noneHuman.stdout, /Inbound messages currently go nowhere/);

    emu.setSmsUrl(from, 'https://elsewhere.example/sms', 'GET');
    const other = await cli(['webhook', 'show']);
    assert.equal(other.code, 0, other.stderr);
    assert.match(other.stdout, /sms url\s+https:\/\/elsewhere\.example\/sms \(GET\)/);
    assert.match(
      other.stdout,
      /Inbound messages currently go to https:\/\/elsewhere\.example\/sms, which is neither the recorded production URL/,
    );
    assert.match(other.stderr, /configs set "Support Line" --webhook-url-stdin/);
    assert.equal(JSON.parse((await cli(['webhook', 'show', '--json'])).stdout).kind, 'other');
  });

  test('set without a recorded URL: a usage error naming how to record it; without a TTY it needs --yes', async () => {
    const r = await cli(['webhook', 'set', '--yes']);
    assert.equal(r.code, 2);
    assert.match(
      errorLine(r),
      /no production webhook URL is recorded for config "Support Line", and no --url was given/,
    );
    assert.match(r.stderr, /hint: .*configs set 'Support Line' --webhook-url-stdin/);

    const noYes = await cli(['webhook', 'set', '--url', 'https://other.example/x']);
    assert.equal(noYes.code, 2);
    assert.match(errorLine(noYes), /pass --yes/);
    assert.equal(smsUrl(), 'https://elsewhere.example/sms', 'nothing changed');

    const withUrl = await cli(['webhook', 'set', '--url', 'https://other.example/x', '--yes', '--json']);
    assert.equal(withUrl.code, 0, withUrl.stderr);
    const j = JSON.parse(withUrl.stdout);
    assert.equal(j.changed, true);
    assert.equal(j.previous_sms_url, 'https://elsewhere.example/sms');
    assert.equal(j.sms_url, 'https://other.example/x');
    assert.equal(smsUrl(), 'https://other.example/x');
    assert.equal(emu.getNumber(from)!.smsMethod, 'POST');
  });

  test('record the production URL (keychain, masked everywhere), set it, show says production', async () => {
    const rec = await cli(['configs', 'set', 'Support Line', '--webhook-url-stdin', '--json'], {
      input: productionUrl + '\n',
    });
    assert.equal(rec.code, 0, rec.stderr);
    assert.equal(
      JSON.parse(rec.stdout).webhook_url_hint,
      'http://127.0.0.1:9/…/fx_3…'.replace('fx_3', key.slice(0, 4)),
    );
    assert.equal(testKeychain.get(secretAccount(configId, 'webhook-url')), productionUrl);

    const before = await cli(['webhook', 'show', '--json']);
    assert.equal(JSON.parse(before.stdout).kind, 'other');
    assert.equal(JSON.parse(before.stdout).production_url_recorded, true);

    const set = await cli(['webhook', 'set', '--yes']);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stderr, /now\s+https:\/\/other\.example\/x \(POST\)/, 'shows the old value');
    assert.match(set.stderr, /new\s+http:\/\/127\.0\.0\.1:9\/…\/fx_\w…/, 'and the new one, masked');
    assert.equal(smsUrl(), productionUrl);

    const again = await cli(['webhook', 'set', '--yes']);
    assert.equal(again.code, 0);
    assert.match(again.stderr, /already points at the recorded production URL/);

    const show = await cli(['webhook', 'show', '--json']);
    const j = JSON.parse(show.stdout);
    assert.equal(j.kind, 'production');
    assert.equal(j.sms_url, j.production_url);
    assert.match(j.sms_url, /…$/);
    const human = await cli(['webhook', 'show']);
    assert.match(human.stdout, /Inbound messages go to Fruxon/);

    const cfg = await cli(['configs', 'show', 'Support Line']);
    assert.match(cfg.stdout, /production url\s+http:\/\/127\.0\.0\.1:9\/…\/fx_\w… \(in the OS keychain\)/);

    for (const o of outputs) assert.equal(o.includes(key), false, `the webhook key was printed: ${o}`);
    assert.equal(storeBytes(h.home).includes(Buffer.from(key)), false, 'the webhook key is in the SQLite files');
  });

  test('under a running listen: show names it, set refuses with exit 5 and changes nothing', async () => {
    const ourUrl = `http://127.0.0.1:1/webhooks/twilio/${configId}`;
    const store = openStore(h.env);
    try {
      const r = store.leases.acquire({
        configId,
        numberSid: emu.getNumber(from)!.sid,
        phoneNumber: from,
        previousSmsUrl: productionUrl,
        previousSmsMethod: 'POST',
        ourUrl,
        pid: process.pid,
      });
      assert.equal(r.acquired, true);
      emu.setSmsUrl(from, ourUrl);

      const show = await cli(['webhook', 'show', '--json']);
      const j = JSON.parse(show.stdout);
      assert.equal(j.kind, 'listener');
      assert.equal(j.listener.alive, true);
      assert.equal(j.listener.pid, process.pid);
      const human = await cli(['webhook', 'show']);
      assert.match(human.stdout, new RegExp(`a running listen on this machine \\(pid ${process.pid}`));

      const set = await cli(['webhook', 'set', '--yes']);
      assert.equal(set.code, 5, set.stderr);
      assert.match(errorLine(set), /held by a running listen/);
      const setUrl = await cli(['webhook', 'set', '--yes', '--url', 'https://x.example/y']);
      assert.equal(setUrl.code, 5);
      assert.equal(smsUrl(), ourUrl, 'the number is untouched');

      // What listen's restore does with this lease: the previous value was the production URL, nothing to say.
      const prod = loadProductionWebhookUrl(store.configs.byId(configId)!, {}, keychain);
      assert.equal(prod, productionUrl);
      assert.deepEqual(describeRestore(r.acquired ? r.lease.previousSmsUrl : null, prod, 'Support Line'), {
        restoreUrl: productionUrl,
        kind: 'production',
        note: null,
      });
    } finally {
      store.leases.release(configId);
      store.close();
    }
  });

  test('a lease whose process is gone: show says so, set refuses until it is restored', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const pid = Number(dead.stdout);
    const store = openStore(h.env);
    try {
      store.leases.acquire({
        configId,
        numberSid: emu.getNumber(from)!.sid,
        phoneNumber: from,
        previousSmsUrl: '',
        previousSmsMethod: 'POST',
        ourUrl: 'http://127.0.0.1:1/x',
        pid,
      });
      emu.setSmsUrl(from, 'http://127.0.0.1:1/x');
      const show = await cli(['webhook', 'show']);
      assert.match(show.stdout, new RegExp(`a listen that is no longer running \\(pid ${pid}\\)`));
      const set = await cli(['webhook', 'set', '--yes']);
      assert.equal(set.code, 5);
      assert.match(errorLine(set), /never restored/);

      // Restore interplay: the number had no webhook before listen; restore leaves it empty and says so.
      const plan = describeRestore(
        store.leases.get(configId)!.previousSmsUrl,
        loadProductionWebhookUrl(store.configs.byId(configId)!, {}, keychain),
        'Support Line',
      );
      assert.equal(plan.restoreUrl, '');
      assert.match(plan.note!, /had no webhook before listen/);
      assert.equal(plan.note!.includes(key), false);
    } finally {
      store.leases.release(configId);
      store.close();
    }
    emu.setSmsUrl(from, '');
  });

  test('https only without a local stand-in; env-sourced configs read FRUXON_TWILIO_WEBHOOK_URL', async () => {
    const sid = `AC${hex(16)}`;
    const real = await cli(
      ['add-config', '--name', 'real', '--from', from, '--account-sid', sid, '--auth-token-stdin', '--no-verify'],
      { input: hex(16) },
    );
    assert.equal(real.code, 0, real.stderr);
    const http = await cli(['configs', 'set', 'real', '--webhook-url-stdin'], {
      input: 'http://ingress.example/x/abc',
    });
    assert.equal(http.code, 2);
    assert.match(errorLine(http), /must be an https URL/);
    const loop = await cli(['configs', 'set', 'real', '--webhook-url', 'https://localhost/x/abc']);
    assert.equal(loop.code, 2);
    assert.match(loop.stderr, /warning: --webhook-url shows the URL .* in the process list/);
    assert.match(errorLine(loop), /points at this machine/);
    assert.equal((await cli(['configs', 'remove', 'real'])).code, 0);

    const env = { TWILIO_AUTH_TOKEN: emu.authToken };
    const ci = await cli(
      [
        'add-config',
        '--name',
        'ci',
        '--from',
        from,
        '--account-sid',
        emu.accountSid,
        '--token-from-env',
        '--api-url',
        emu.url,
      ],
      { env },
    );
    assert.equal(ci.code, 0, ci.stderr);
    const refused = await cli(['configs', 'set', 'ci', '--webhook-url-stdin'], { input: productionUrl, env });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /FRUXON_TWILIO_WEBHOOK_URL/);
    emu.setSmsUrl(from, productionUrl);
    const show = await cli(['webhook', 'show', '--config', 'ci', '--json'], {
      env: { ...env, FRUXON_TWILIO_WEBHOOK_URL: productionUrl },
    });
    assert.equal(show.code, 0, show.stderr);
    assert.equal(JSON.parse(show.stdout).kind, 'production');
    assert.equal(JSON.parse(show.stdout).production_url_source, 'env');
    const noEnv = await cli(['webhook', 'show', '--config', 'ci', '--json'], { env });
    assert.equal(JSON.parse(noEnv.stdout).kind, 'other');
    assert.equal((await cli(['configs', 'remove', 'ci'], { env })).code, 0);
    emu.setSmsUrl(from, '');
    for (const o of outputs) assert.equal(o.includes(key), false);
  });

  test('add-config takes the token and the webhook URL on two lines of standard input', async () => {
    const r = await cli(
      [
        'add-config',
        '--name',
        'two-lines',
        '--from',
        from,
        '--account-sid',
        emu.accountSid,
        '--auth-token-stdin',
        '--webhook-url-stdin',
        '--api-url',
        emu.url,
        '--json',
      ],
      { input: `${emu.authToken}\n${productionUrl}\n` },
    );
    assert.equal(r.code, 0, r.stderr);
    const saved = JSON.parse(r.stdout);
    assert.equal(testKeychain.get(saved.id), emu.authToken);
    assert.equal(testKeychain.get(secretAccount(saved.id, 'webhook-url')), productionUrl);
    assert.match(saved.webhook_url_hint, /^http:\/\/127\.0\.0\.1:9\/…\/\w{4}…$/);
    assert.equal((await cli(['configs', 'remove', 'two-lines'])).code, 0);
    assert.equal(testKeychain.get(secretAccount(saved.id, 'webhook-url')), null, 'remove deletes the webhook URL too');
  });

  test('messages list: newest first, both directions and channels, filtering, paging; show', async () => {
    emu.setSmsUrl(from, '');
    const client = emulatorClient(emu);
    await emu.deliverInbound({ from: '+15550002222', to: from, body: 'hello from a phone' });
    await sleep(1100); // Twilio's timestamps have one-second resolution
    const out = await client.messages.create({ from, to: '+15550001111', body: 'a reply\nover two lines' });
    await sleep(1100);
    await emu.deliverInbound({ from: '+15550003333', to: from, body: 'hola', whatsapp: true });
    await emu.idle();

    const all = await cli(['messages', 'list', '--json']);
    assert.equal(all.code, 0, all.stderr);
    const list = JSON.parse(all.stdout) as Record<string, unknown>[];
    assert.deepEqual(
      list.map((m) => [m.direction, m.channel, m.other_party, m.body]),
      [
        ['in', 'whatsapp', '+15550003333', 'hola'],
        ['out', 'sms', '+15550001111', 'a reply\nover two lines'],
        ['in', 'sms', '+15550002222', 'hello from a phone'],
      ],
    );
    assert.equal(list[1]!.sid, out.sid);
    assert.equal(list[1]!.status, 'delivered');

    const human = await cli(['messages', 'list']);
    assert.match(human.stdout.split('\n')[0]!, /TIME\s+DIR\s+CHANNEL\s+FROM\/TO\s+STATUS\s+BODY\s+ERROR/);
    assert.match(human.stdout, /out\s+sms\s+\+15550001111\s+delivered\s+a reply over two lines/);

    const inbound = JSON.parse((await cli(['messages', 'list', '--direction', 'in', '--json'])).stdout) as {
      direction: string;
    }[];
    assert.deepEqual(
      inbound.map((m) => m.direction),
      ['in', 'in'],
    );
    const outbound = JSON.parse((await cli(['messages', 'list', '--direction', 'out', '--json'])).stdout) as {
      sid: string;
    }[];
    assert.deepEqual(
      outbound.map((m) => m.sid),
      [out.sid],
    );
    assert.equal(JSON.parse((await cli(['messages', 'list', '--limit', '1', '--json'])).stdout).length, 1);

    const failed = await client.messages.create({ from, to: '+15005553008', body: 'will fail' });
    await emu.idle();
    const failedRow = (
      JSON.parse((await cli(['messages', 'list', '--limit', '1', '--json'])).stdout) as Record<string, unknown>[]
    )[0]!;
    assert.equal(failedRow.sid, failed.sid);
    assert.equal(failedRow.status, 'failed');
    assert.equal(failedRow.error_code, 30008);

    // Paging: more than one page (50) of outbound messages.
    for (let i = 0; i < 55; i++) await client.messages.create({ from, to: '+15550004444', body: `bulk ${i}` });
    await emu.idle();
    log.length = 0;
    const many = JSON.parse(
      (await cli(['messages', 'list', '--direction', 'out', '--limit', '70', '--json'])).stdout,
    ) as { sid: string }[];
    assert.equal(many.length, 57, 'every outbound message, across pages');
    assert.equal(new Set(many.map((m) => m.sid)).size, 57);
    assert.ok(
      log.some(
        (e) =>
          e.event === 'http.request' && e.route?.endsWith('/Messages.json') && e.queryParams?.includes('PageToken'),
      ),
      'the second page was fetched',
    );

    const bad = await cli(['messages', 'list', '--direction', 'sideways']);
    assert.equal(bad.code, 2);
    assert.match(errorLine(bad), /--direction must be in or out/);
    const badLimit = await cli(['messages', 'list', '--limit', '0']);
    assert.equal(badLimit.code, 2);
    assert.match(errorLine(badLimit), /--limit must be a whole number from 1 to 1000/);

    const show = await cli(['messages', 'show', out.sid, '--json']);
    assert.equal(show.code, 0, show.stderr);
    const s = JSON.parse(show.stdout);
    assert.equal(s.sid, out.sid);
    assert.equal(s.body, 'a reply\nover two lines');
    assert.equal(s.from, from);
    assert.equal(s.to, '+15550001111');
    assert.deepEqual(s.media, []);
    const showHuman = await cli(['messages', 'show', out.sid]);
    assert.match(showHuman.stdout, /direction\s+out \(outbound-api\)/);
    assert.match(showHuman.stdout, /a reply\nover two lines/);

    const missing = await cli(['messages', 'show', `SM${hex(16)}`]);
    assert.equal(missing.code, 1);
    assert.match(errorLine(missing), /no message SM\w+ on the account of config "Support Line"/);
    const malformed = await cli(['messages', 'show', 'SM123']);
    assert.equal(malformed.code, 2);
    assert.match(errorLine(malformed), /SID must be a Twilio Message SID/);
  });
});
