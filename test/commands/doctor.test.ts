import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { openStore } from '../../src/store/index.js';
import { classifyWebhookUrl, isFruxonIngressUrl } from '../../src/twilio/webhook.js';
import { runCliChildProcess, tempHome } from '../helpers/cli.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';

// The keychain this file's in-process runs are handed (in memory: no child process reads it).
const testKeychain = memoryKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

const FROM = '+14155238886';
interface Report {
  ok: boolean;
  checks: { name: string; ok: boolean | 'warn'; detail: string; fix: string | null; skipped: boolean }[];
}
const check = (r: Report, name: string) => {
  const c = r.checks.find((x) => x.name === name);
  assert.ok(c, `no check named ${name}`);
  return c;
};

/** A pid that certainly belongs to no process any more. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

describe('doctor', () => {
  let emu: Emulator;
  let h: ReturnType<typeof tempHome>;
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}, input?: string) =>
    runCliInProcess(args, { env: { ...h.env, ...env }, input, timeoutMs: 30_000 });
  // The built binary with the real keychain out of reach (a D-Bus address that leads nowhere).
  const bin = (args: string[], env: NodeJS.ProcessEnv = {}, input?: string) =>
    runCliChildProcess(args, { env: { ...h.env, ...env }, input, timeoutMs: 30_000 });

  before(async () => {
    emu = await startEmulator({ port: 0, numbers: [FROM, '+14155238887'] });
    h = tempHome();
  });
  after(async () => {
    await emu.stop();
    h.cleanup();
  });

  test('no store and no configs: says so, with the fix, creates nothing, exit 1', async () => {
    const r = await cli(['doctor', '--json'], { NGROK_AUTHTOKEN: 'x' });
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.ok, false);
    assert.equal(check(report, 'config').ok, false);
    assert.match(check(report, 'config').fix!, /fruxon-twilio add-config/);
    assert.equal(check(report, 'node').ok, true);
    assert.equal(check(report, 'keychain').ok, true, 'the test keychain answers');
    assert.equal(check(report, 'credentials').skipped, true);
    const human = await cli(['doctor']);
    assert.match(human.stdout, /✖ config\s+no configs stored\s+fix: fruxon-twilio add-config/);
  });

  test('green: a keychain config on the emulator, its number ours, NGROK_AUTHTOKEN set', async () => {
    const add = await cli(
      [
        'add-config',
        '--name',
        'emu',
        '--from',
        FROM,
        '--account-sid',
        emu.accountSid,
        '--auth-token-stdin',
        '--api-url',
        emu.url,
      ],
      {},
      emu.authToken,
    );
    assert.equal(add.code, 0, add.stderr);
    const store = openStore(h.env);
    const config = store.configs.byName('emu')!;
    const ourUrl = 'https://abc123.ngrok.app/webhooks/twilio/' + config.id;
    store.leases.acquire({
      configId: config.id,
      numberSid: emu.numbers[0]!.sid,
      phoneNumber: FROM,
      previousSmsUrl: null,
      previousSmsMethod: null,
      ourUrl,
      pid: process.pid,
    });
    store.close();
    emu.setSmsUrl(FROM, ourUrl);

    const r = await cli(['doctor', '--json'], { NGROK_AUTHTOKEN: 'token' });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.ok, true);
    for (const c of report.checks) assert.equal(c.ok, true, `${c.name}: ${c.detail}`);
    assert.deepEqual(
      report.checks.map((c) => c.name),
      [
        'node',
        'data_dir',
        'schema',
        'config',
        'keychain',
        'secret',
        'credentials',
        'from_number',
        'sms_url',
        'route',
        'leases',
        'ngrok',
      ],
    );
    assert.match(check(report, 'sms_url').detail, /ours: the listener \(pid \d+\)/);
    assert.match(check(report, 'secret').detail, /Auth Token in the OS keychain/);
    assert.equal(r.stdout.includes(emu.authToken), false);

    const human = await cli(['doctor'], { NGROK_AUTHTOKEN: 'token' });
    assert.equal(human.code, 0);
    assert.equal(human.stdout.trim().split('\n').length, 12, 'one line per check');
    assert.match(human.stderr, /All checks passed/);

    const cleanup = openStore(h.env);
    cleanup.leases.release(config.id);
    cleanup.close();
  });

  test("SmsUrl owner: Fruxon's ingress and other services, printed as webhook show prints them (key-like parts cut)", async () => {
    emu.setSmsUrl(FROM, 'https://hooks.fruxon.com/twilio/very-secret-token-0123456789');
    let report = JSON.parse((await cli(['doctor', '--json'])).stdout) as Report;
    assert.equal(check(report, 'sms_url').detail, "SmsUrl is Fruxon's ingress (https://hooks.fruxon.com/…/very…)");
    assert.equal(JSON.stringify(report).includes('very-secret-token'), false);
    // A key of letters only is still a key on Fruxon's host: masked as a production URL is.
    emu.setSmsUrl(FROM, 'https://hooks.fruxon.com/twilio/averysecrettokenofletters');
    report = JSON.parse((await cli(['doctor', '--json'])).stdout) as Report;
    assert.equal(check(report, 'sms_url').detail, "SmsUrl is Fruxon's ingress (https://hooks.fruxon.com/…/aver…)");
    const shown = await cli(['webhook', 'show', '--json']);
    assert.equal(shown.stdout.includes('averysecrettoken'), false, shown.stdout);
    emu.setSmsUrl(FROM, 'https://example.org/hook?key=abc');
    report = JSON.parse((await cli(['doctor', '--json'])).stdout) as Report;
    assert.equal(check(report, 'sms_url').detail, "SmsUrl is another service's (https://example.org/hook?key=abc)");
    assert.equal(check(report, 'ngrok').ok, 'warn', 'no NGROK_AUTHTOKEN is a warning only');
    assert.equal(report.ok, true);
  });

  test('doctor and webhook show print one SmsUrl the same way: a key-like segment cut to 4 characters, a plain URL whole', async () => {
    const cases = [
      ['https://hooks.example.com/t/acme/Zk3y9Secr3tKey0123abc', 'https://hooks.example.com/t/acme/Zk3y…'],
      ['https://example.org/plain/sms', 'https://example.org/plain/sms'],
    ] as const;
    for (const [url, printed] of cases) {
      emu.setSmsUrl(FROM, url);
      const doctor = check(
        JSON.parse((await cli(['doctor', '--config', 'emu', '--json'])).stdout) as Report,
        'sms_url',
      ).detail;
      const show = await cli(['webhook', 'show', '--config', 'emu', '--json']);
      assert.equal(show.code, 0, show.stderr);
      assert.equal(JSON.parse(show.stdout).sms_url, printed);
      assert.equal(doctor, `SmsUrl is another service's (${printed})`);
      const human = await cli(['webhook', 'show', '--config', 'emu']);
      assert.ok(human.stdout.includes(`${printed} (POST)`), human.stdout);
      assert.equal((await cli(['doctor', '--config', 'emu'])).stdout.includes(printed), true);
    }
  });

  test("SmsUrl owner: the recorded production URL is Fruxon's, whatever its host", async () => {
    const production = 'https://ingress.example.net/t/acme/twilio/Zk3y9Secr3tKey0123';
    const set = await cli(['configs', 'set', 'emu', '--webhook-url-stdin'], {}, production);
    assert.equal(set.code, 0, set.stderr);
    try {
      emu.setSmsUrl(FROM, production);
      const out = await cli(['doctor', '--json']);
      const report = JSON.parse(out.stdout) as Report;
      assert.equal(check(report, 'sms_url').detail, "SmsUrl is Fruxon's ingress (https://ingress.example.net/…/Zk3y…)");
      assert.equal(out.stdout.includes('Zk3y9Secr3tKey0123'), false);
    } finally {
      await cli(['configs', 'set', 'emu', '--clear-webhook-url']);
    }
  });

  test('red: stale lease, open data dir, wrong token, number not owned, no keychain; every other check still runs', async () => {
    const store = openStore(h.env);
    const config = store.configs.byName('emu')!;
    const pid = deadPid();
    store.leases.acquire({
      configId: config.id,
      numberSid: emu.numbers[0]!.sid,
      phoneNumber: FROM,
      previousSmsUrl: null,
      previousSmsMethod: null,
      ourUrl: 'https://gone.ngrok.app/x',
      pid,
    });
    store.close();
    emu.setSmsUrl(FROM, 'https://gone.ngrok.app/x');
    chmodSync(h.home, 0o755);

    let r = await cli(['doctor', '--json']);
    assert.equal(r.code, 1);
    let report = JSON.parse(r.stdout) as Report;
    assert.equal(check(report, 'data_dir').ok, false);
    assert.match(check(report, 'data_dir').fix!, /^chmod 700 /);
    assert.equal(check(report, 'leases').ok, false);
    assert.match(check(report, 'leases').detail, new RegExp(`emu \\(\\+14155238886, pid ${pid} .* is gone\\)`));
    assert.equal(check(report, 'leases').fix, 'fruxon-twilio restore --config emu');
    assert.equal(check(report, 'sms_url').ok, false, 'the number points at a dead listener');
    assert.equal(check(report, 'credentials').ok, true);
    chmodSync(h.home, 0o700);

    // A config whose number the account does not own, with a wrong token from the environment, and no keychain at all.
    const noKeychain = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' };
    const add = await bin(
      [
        'add-config',
        '--name',
        'envcfg',
        '--from',
        '+14155550000',
        '--account-sid',
        emu.accountSid,
        '--token-from-env',
        '--api-url',
        emu.url,
      ],
      { ...noKeychain, TWILIO_AUTH_TOKEN: emu.authToken },
    );
    assert.equal(add.code, 0, add.stderr);
    r = await bin(['doctor', '--config', 'envcfg', '--json'], { ...noKeychain, TWILIO_AUTH_TOKEN: emu.authToken });
    report = JSON.parse(r.stdout) as Report;
    assert.equal(check(report, 'keychain').ok, 'warn', 'an env-sourced config does not need the keychain');
    assert.equal(check(report, 'from_number').ok, false);
    assert.match(check(report, 'from_number').detail, /\+14155550000 is not a phone number of account/);
    assert.equal(check(report, 'sms_url').skipped, true);

    r = await bin(['doctor', '--config', 'envcfg', '--json'], { ...noKeychain, TWILIO_AUTH_TOKEN: 'wrong' });
    report = JSON.parse(r.stdout) as Report;
    assert.equal(check(report, 'credentials').ok, false);
    assert.match(check(report, 'credentials').detail, /\(20003\)/);

    r = await bin(['doctor', '--config', 'emu'], noKeychain);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /✖ keychain\s+the OS keychain is not reachable/);
    assert.match(r.stdout, /– secret\s+not checked: the keychain is not reachable/);
    assert.match(r.stdout, /✖ leases\s+1 stale listener lease.*fix: fruxon-twilio restore --config emu/);
    assert.match(r.stdout, /✔ node/);
    assert.match(r.stderr, /\d checks failed/);

    const missing = await cli(['doctor', '--config', 'nope', '--json']);
    assert.equal(missing.code, 1);
    assert.match(check(JSON.parse(missing.stdout) as Report, 'config').detail, /no config named "nope"/);
  });
});

test('SmsUrl classification rules (the one classifier, with every lease of the store)', () => {
  const lease = {
    configId: 'c',
    numberSid: 'PN',
    phoneNumber: FROM,
    previousSmsUrl: null,
    previousSmsMethod: null,
    ourUrl: 'https://a.ngrok.app/webhooks/twilio/c',
    pid: 1,
    hostname: 'h',
    startedAt: '',
  };
  const none = { productionUrl: null };
  assert.equal(classifyWebhookUrl(null, { ...none, leases: [lease] }).kind, 'none');
  assert.deepEqual(classifyWebhookUrl('https://a.ngrok.app/webhooks/twilio/c', { ...none, leases: [lease] }), {
    kind: 'listener',
    lease,
    fruxon: false,
  });
  assert.deepEqual(classifyWebhookUrl('https://api.fruxon.com/hooks/1', { ...none, leases: [lease] }), {
    kind: 'other',
    lease: null,
    fruxon: true,
  });
  assert.deepEqual(classifyWebhookUrl('https://evilfruxon.com/hooks/1', { ...none, leases: [] }), {
    kind: 'other',
    lease: null,
    fruxon: false,
  });
  assert.deepEqual(
    classifyWebhookUrl('https://ingress.example/x', { productionUrl: 'https://ingress.example/x', leases: [] }),
    { kind: 'production', lease: null, fruxon: true },
  );
  assert.equal(isFruxonIngressUrl('not a url'), false);
});
