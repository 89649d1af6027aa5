import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { fruxonTokenAccount, secretAccount } from '../../src/secrets/index.js';
import { openStore } from '../../src/store/index.js';
import { errorLine, storeBytes } from '../helpers/checks.js';
import { CliChildProcess, stopAllCliRuns } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER } from '../helpers/fixtures.js';
import { type DoubleConfig, type FruxonDouble, startFruxonDouble } from '../helpers/fruxon-double.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { osKeychain, osKeychainGet } from '../helpers/keychains.js';

// In-process runs share the (test) keychain with the `listen` children this file starts.
const testKeychain = osKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

const hex = (n: number) => randomBytes(n).toString('hex');

describe('fruxon login/status and link, against the Fruxon stand-in and the Twilio emulator', () => {
  const builder = `fx_pat_${hex(16)}`;
  const runner = `fx_sat_${hex(16)}`;
  const otherTenant = `fx_pat_${hex(16)}`;
  let fx: EmulatorFixture;
  let fruxon: FruxonDouble;
  const outputs: string[] = [];
  const keysSeen = new Set<string>();
  const cli = async (args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) => {
    const r = await runCliInProcess(args, { input: opts.input, env: { ...fx.env, ...opts.env } });
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const smsUrl = () => fx.emulator.getNumber(OUR_NUMBER)!.smsUrl;
  const ours = (): DoubleConfig => {
    const all = [...fruxon.configs.values()];
    assert.equal(all.length, 1, 'exactly one Fruxon config');
    return all[0]!;
  };
  const remember = () => {
    for (const c of fruxon.configs.values()) for (const k of [c.webhookKey, ...c.revokedKeys]) if (k) keysSeen.add(k);
  };

  before(async () => {
    fx = await emulatorWithConfig({ keychain: 'os', name: 'Support Line' });
    fruxon = await startFruxonDouble({
      tokens: {
        [builder]: {
          tenant: 'acme',
          scopes: ['agents:read', 'agents:write', 'integrations:read', 'integrations:write'],
          email: 'dana@acme.test',
          apiKeyName: 'laptop',
        },
        [runner]: { tenant: 'acme', scopes: ['agents:execute', 'traces:write'], apiKeyName: 'ci-runner' },
        [otherTenant]: { tenant: 'globex', scopes: ['*'], email: 'eve@globex.test' },
      },
    });
  });
  after(async () => {
    await fruxon.close();
    await fx.cleanup();
  });

  test('login: 401 and 403 fail with their own messages and store nothing; no token without a TTY is a usage error', async () => {
    const bad = await cli(['fruxon', 'login', '--tenant', 'acme', '--token-stdin', '--api-url', fruxon.url], {
      input: `fx_pat_${hex(16)}`,
    });
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(errorLine(bad), /Fruxon rejected the token \(HTTP 401/);

    const wrong = await cli(['fruxon', 'login', '--tenant', 'acme', '--token-stdin', '--api-url', fruxon.url], {
      input: otherTenant,
    });
    assert.equal(wrong.code, 1, wrong.stderr);
    assert.match(errorLine(wrong), /the token is valid but not for tenant "acme" \(HTTP 403\)/);
    assert.equal(osKeychainGet(fruxonTokenAccount('acme')), null, 'a refused token is not stored');

    const none = await cli(['fruxon', 'login', '--tenant', 'acme', '--api-url', fruxon.url]);
    assert.equal(none.code, 2);
    assert.match(errorLine(none), /pass --token-stdin .* or set FRUXON_TOKEN/);

    const noTenant = await cli(['fruxon', 'login', '--token-stdin', '--api-url', fruxon.url], { input: builder });
    assert.equal(noTenant.code, 2);
    assert.match(errorLine(noTenant), /--tenant is required/);
  });

  test('login: a token without integrations:write is stored with a warning; a Builder token shows who and its scopes', async () => {
    const weak = await cli(['fruxon', 'login', '--tenant', 'acme', '--token-stdin', '--api-url', fruxon.url], {
      input: runner + '\n',
    });
    assert.equal(weak.code, 0, weak.stderr);
    assert.match(
      weak.stderr,
      /warning: the token has no integrations:write scope \(scopes: agents:execute, traces:write\)/,
    );
    assert.match(weak.stdout, /who\s+token "ci-runner"/);

    // Missing scope: link stops at Fruxon's 403 and touches nothing.
    const before = smsUrl();
    const link = await cli(['link', '--json']);
    assert.equal(link.code, 1, link.stderr);
    assert.equal(link.stdout, '');
    assert.match(
      errorLine(link),
      /Fruxon refused to list the Twilio configs: Forbidden \(HTTP 403\): The token lacks the integrations:read scope/,
    );
    assert.match(link.stderr, /hint: .*Builder preset/);
    assert.equal(fruxon.configs.size, 0);
    assert.equal(smsUrl(), before);

    const ok = await cli(['fruxon', 'login', '--tenant', 'acme', '--token-stdin', '--api-url', fruxon.url, '--json'], {
      input: builder,
    });
    assert.equal(ok.code, 0, ok.stderr);
    assert.doesNotMatch(ok.stderr, /warning/);
    const j = JSON.parse(ok.stdout);
    assert.equal(j.tenant, 'acme');
    assert.equal(j.tenant_id, '3f2b9a1e-0000-4000-8000-00000000a11e');
    assert.equal(j.email, 'dana@acme.test');
    assert.equal(j.api_key_name, 'laptop');
    assert.deepEqual(j.scopes, ['agents:read', 'agents:write', 'integrations:read', 'integrations:write']);
    assert.equal(j.integrations_write, true);
    assert.equal(j.token_stored, 'keychain');
    assert.equal(osKeychainGet(fruxonTokenAccount('acme')), builder);
  });

  test('fruxon status before link says it is not linked', async () => {
    const r = await cli(['fruxon', 'status', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { config: 'Support Line', linked: false });
  });

  test('link end to end: Fruxon config created and published, URL minted and kept in the keychain, number pointed at it', async () => {
    const r = await cli(['link', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    const c = ours();
    remember();
    const url = fruxon.webhookUrl(c)!;
    assert.equal(j.config, 'Support Line');
    assert.equal(j.fruxon_config_id, c.id);
    assert.equal(j.created, true);
    assert.equal(j.published, true);
    assert.equal(j.registered, true);
    assert.equal(j.webhook.minted, true);
    assert.equal(j.webhook.key_prefix, c.webhookKey!.slice(0, 8));
    assert.equal(j.webhook.masked_url, 'https://ingress.fruxon.test/…/whk_…');
    assert.deepEqual(
      j.steps.map((s: { step: string; action: string }) => `${s.step}:${s.action}`),
      ['config:created', 'publish:published', 'webhook:minted', 'store:stored', 'register:registered'],
    );

    // What Fruxon got: the display name, the From number under the name its metadata gives, the SID and token.
    assert.equal(c.displayName, 'Support Line');
    assert.deepEqual(c.parameters, { fromNumber: OUR_NUMBER });
    assert.equal(c.auth.integrationAuthMetadataId, 'twilio-account-sid-auth-token');
    assert.deepEqual(c.auth.parameters, { username: fx.emulator.accountSid, password: fx.emulator.authToken });
    assert.notEqual(c.publishedRevisionId, null);

    assert.equal(smsUrl(), url);
    assert.equal(fx.emulator.getNumber(OUR_NUMBER)!.smsMethod, 'POST');
    assert.equal(osKeychainGet(secretAccount(fx.configId, 'webhook-url')), url);

    const show = await cli(['webhook', 'show', '--json']);
    assert.equal(JSON.parse(show.stdout).kind, 'production');

    const status = await cli(['fruxon', 'status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout);
    assert.equal(s.fruxon_config_id, c.id);
    assert.equal(s.state, 'published');
    assert.equal(s.webhook_key_prefix, c.webhookKey!.slice(0, 8));
    assert.equal(s.number.points_at_fruxon, true);
    const human = await cli(['fruxon', 'status']);
    assert.match(human.stdout, /state\s+published/);
    assert.match(human.stdout, new RegExp(`number\\s+\\${OUR_NUMBER} points at it`));
  });

  test('a rerun is a no-op: no create, no publish, no mint, the number already points at it', async () => {
    const counts = {
      create: fruxon.calls('create'),
      publish: fruxon.calls('publish'),
      generate: fruxon.calls('generate'),
      rotate: fruxon.calls('rotate'),
    };
    const key = ours().webhookKey;
    const r = await cli(['link']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      {
        create: fruxon.calls('create'),
        publish: fruxon.calls('publish'),
        generate: fruxon.calls('generate'),
        rotate: fruxon.calls('rotate'),
      },
      counts,
    );
    assert.equal(ours().webhookKey, key);
    assert.match(r.stderr, /config\s+linked: /);
    assert.match(r.stderr, /publish\s+unchanged: already published/);
    assert.match(
      r.stderr,
      /webhook\s+reused: the URL stored in the keychain \(https:\/\/ingress\.fruxon\.test\/…\/whk_…\), no call to Fruxon/,
    );
    assert.match(r.stderr, /register\s+unchanged: .* already points at it/);
    assert.equal(r.stderr.split('\n').filter((l) => /^[✔!✖–] /.test(l)).length, 6, 'one line per step and a summary');

    const skip = await cli(['link', '--no-register', '--json']);
    assert.equal(skip.code, 0, skip.stderr);
    const j = JSON.parse(skip.stdout);
    assert.equal(j.created, false);
    assert.equal(j.registered, 'skipped');
    assert.equal(j.webhook.reused, true);
  });

  test('--rotate mints a new key (the old one is revoked), stores it and re-registers the number', async () => {
    const oldUrl = fruxon.webhookUrl(ours())!;
    const r = await cli(['link', '--rotate', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    const c = ours();
    remember();
    const newUrl = fruxon.webhookUrl(c)!;
    assert.notEqual(newUrl, oldUrl);
    assert.equal(c.revokedKeys.length, 1);
    assert.equal(j.webhook.rotated, true);
    assert.equal(j.created, false);
    assert.equal(j.registered, true);
    assert.equal(smsUrl(), newUrl);
    assert.equal(osKeychainGet(secretAccount(fx.configId, 'webhook-url')), newUrl);
  });

  test('link on a tenant the token is not for: Fruxon answers 403, said plainly', async () => {
    const r = await cli(['link', '--tenant', 'globex', '--api-url', fruxon.url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no Fruxon token for tenant "globex"/);
    const env = await cli(['link', '--tenant', 'globex'], {
      env: { FRUXON_TOKEN: builder, FRUXON_API_URL: fruxon.url },
    });
    assert.equal(env.code, 1);
    assert.match(
      errorLine(env),
      /Fruxon refused to list the Twilio configs: Forbidden \(HTTP 403\): The credential is not valid for tenant globex/,
    );
  });

  test('link while a real listen runs: the listener keeps the number, and points it at the production URL when it stops', async () => {
    const before = smsUrl();
    const p = new CliChildProcess(['listen', '--port', '0'], { env: fx.env });
    try {
      await p.waitFor(/Ready!/);
      const r = await cli(['link', '--rotate', '--json']);
      remember();
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).registered, 'deferred');
      assert.match(smsUrl() ?? '', /\/webhooks\/twilio\//, 'the listener still has the number');
      p.kill('SIGINT');
      assert.equal((await p.exited).code, 0, p.stderr);
    } finally {
      await stopAllCliRuns();
    }
    assert.notEqual(smsUrl(), before);
    assert.equal(smsUrl(), fruxon.webhookUrl(ours()), 'the listener restored the production URL, not what it found');
    assert.equal(p.stderr.includes(fruxon.webhookUrl(ours())!), false, 'printed masked');
  });

  test('while a listen holds the number: steps 1-3 run, the number is untouched, registration is deferred', async () => {
    const ourUrl = `http://127.0.0.1:1/webhooks/twilio/${fx.configId}`;
    const store = openStore(fx.env);
    try {
      // (What the number pointed at before listen; not the production URL, which must never reach SQLite.)
      const prev = 'https://elsewhere.example/sms';
      store.leases.acquire({
        configId: fx.configId,
        numberSid: fx.emulator.getNumber(OUR_NUMBER)!.sid,
        phoneNumber: OUR_NUMBER,
        previousSmsUrl: prev,
        previousSmsMethod: 'POST',
        ourUrl,
        pid: process.pid,
      });
      fx.emulator.setSmsUrl(OUR_NUMBER, ourUrl);
      const r = await cli(['link', '--rotate', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      remember();
      assert.equal(j.registered, 'deferred');
      assert.equal(j.webhook.rotated, true);
      assert.equal(smsUrl(), ourUrl, 'the listener keeps the number');
      const step = j.steps.find((s: { step: string }) => s.step === 'register');
      assert.match(
        step.detail,
        new RegExp(
          `a listen \\(pid ${process.pid}\\) holds \\${OUR_NUMBER}; when it stops it points the number at the production URL \\(https://`,
        ),
      );
      const lease = store.leases.get(fx.configId)!;
      assert.equal(lease.previousIsProduction, true, 'the lease now puts back the production URL');
      assert.equal(lease.previousSmsUrl, null, 'by a flag: the URL itself stays in the keychain');
      assert.equal(osKeychainGet(secretAccount(fx.configId, 'webhook-url')), fruxon.webhookUrl(ours()));
    } finally {
      store.leases.release(fx.configId);
      store.close();
    }
    // Once the listener is gone, link finishes the job.
    const done = await cli(['link', '--json']);
    assert.equal(done.code, 0, done.stderr);
    assert.equal(JSON.parse(done.stdout).registered, true);
    assert.equal(smsUrl(), fruxon.webhookUrl(ours()));
  });

  test('Twilio failing at step 4: exit 4, steps 1-3 done, the hint says how to finish', async () => {
    await fx.emulator.stop();
    const r = await cli(['link', '--rotate', '--json']);
    remember();
    assert.equal(r.code, 4, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.registered, false);
    assert.deepEqual(
      j.steps.map((s: { step: string; action: string }) => `${s.step}:${s.action}`),
      ['config:linked', 'publish:unchanged', 'webhook:rotated', 'store:stored', 'register:failed'],
    );
    assert.equal(osKeychainGet(secretAccount(fx.configId, 'webhook-url')), fruxon.webhookUrl(ours()), 'step 3 is done');
    errorLine(r);
    assert.match(
      r.stderr,
      /hint: steps 1-3 are done \(the URL is stored\); to finish: fruxon-twilio webhook set --config 'Support Line' --yes/,
    );

    const human = await cli(['link']);
    assert.equal(human.code, 4);
    assert.match(human.stderr, /✖ register\s+failed: /);
  });

  test('no token, no Fruxon webhook key and no full webhook URL ever printed or written to SQLite', () => {
    remember();
    assert.ok(keysSeen.size >= 3);
    const secrets = [builder, runner, otherTenant, fx.emulator.authToken, ...keysSeen];
    for (const o of outputs) for (const s of secrets) assert.equal(o.includes(s), false, `a secret was printed: ${o}`);
    const bytes = storeBytes(fx.home);
    for (const s of secrets) assert.equal(bytes.includes(Buffer.from(s)), false, 'a secret is in the SQLite files');
  });
});
