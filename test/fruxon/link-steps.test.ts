import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { twilioCredentials } from '../../src/config/resolve.js';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { FruxonClient } from '../../src/fruxon/client.js';
import { fruxonStatus } from '../../src/operations/fruxon-status.js';
import {
  findOrCreateFruxonConfig,
  type LinkReport,
  type LinkStep,
  linkConfig,
  mintWebhookUrl,
  pointNumberAtFruxon,
  storeWebhookUrl,
} from '../../src/operations/link.js';
import { secretAccount } from '../../src/secrets/index.js';
import { memorySecretStore } from '../../src/secrets/memory.js';
import { type Config, openStore, type Store } from '../../src/store/index.js';
import { createTwilioClient } from '../../src/twilio/client.js';
import { tempHome } from '../helpers/cli.js';
import { type FruxonDouble, startFruxonDouble } from '../helpers/fruxon-double.js';

const OWN = '+15005550006';

/** link's four steps and fruxon status as cores, in-process: plain values back, nothing printed. */
describe("link's steps and fruxonStatus, called directly", () => {
  const h = tempHome();
  const token = `fx_pat_${randomBytes(16).toString('hex')}`;
  const secrets = memorySecretStore();
  let emu: Emulator;
  let fruxon: FruxonDouble;
  let store: Store;
  let config: Config;
  let client: FruxonClient;
  const env = () => ({ FRUXON_TOKEN: token });
  const collect = () => {
    const steps: LinkStep[] = [];
    const report: LinkReport = (step, action, detail) => void steps.push({ step, action, detail });
    return { steps, report };
  };
  const twilio = async () => {
    const creds = twilioCredentials(config, emu.authToken, {});
    return { client: await createTwilioClient(creds), creds };
  };

  before(async () => {
    emu = await startEmulator({ numbers: [OWN] });
    fruxon = await startFruxonDouble({
      tokens: {
        [token]: { tenant: 'initech', scopes: ['integrations:read', 'integrations:write'], email: 'bob@initech.test' },
      },
    });
    store = openStore(h.env);
    config = store.configs.insert({
      name: 'steps',
      fromNumber: OWN,
      accountSid: emu.accountSid,
      authMethod: 'auth-token',
      apiKeySid: null,
      secretSource: 'keychain',
      apiUrl: emu.url,
    });
    secrets.set(secretAccount(config.id), emu.authToken);
    client = new FruxonClient({ apiUrl: fruxon.url, tenant: 'initech', token });
  });
  after(async () => {
    store.close();
    await fruxon.close();
    await emu.stop();
    h.cleanup();
  });

  test('fruxonStatus of an unlinked config: linked false, and no secret store is loaded', async () => {
    const s = await fruxonStatus(
      { config: 'steps' },
      {
        store,
        env: env(),
        secrets: () => assert.fail('the secret store was loaded'),
        twilio: createTwilioClient,
        fruxon: (o) => new FruxonClient(o),
      },
    );
    assert.equal(s.linked, false);
    assert.equal(s.config.id, config.id);
  });

  test('the steps one by one: create and publish, mint, store, then point the number (skipped, deferred under a lease, registered)', async () => {
    const base = {
      store,
      config,
      fruxon: client,
      env: env(),
      keychain: () => secrets,
      authToken: () => emu.authToken,
      twilio,
      rotate: false,
      register: true,
    };

    const one = collect();
    const found = await findOrCreateFruxonConfig(base, one.report);
    assert.equal(found.created, true);
    assert.equal(found.published, true);
    assert.equal(found.sameConfigAsBefore, false);
    assert.deepEqual(
      one.steps.map((s) => `${s.step}:${s.action}`),
      ['config:created', 'publish:published'],
    );
    assert.equal(store.fruxon.link(config.id)?.fruxonConfigId, found.fx.id, 'step 1 saves the link');

    const two = collect();
    const webhook = await mintWebhookUrl(base, found, two.report);
    assert.equal(webhook.action, 'minted');
    assert.equal(webhook.url, fruxon.webhookUrl(fruxon.configs.get(found.fx.id)!));
    assert.deepEqual(
      two.steps.map((s) => `${s.step}:${s.action}`),
      ['webhook:minted'],
    );
    assert.ok(!two.steps[0]!.detail.includes(webhook.url), 'the URL is a secret: the report never carries it');

    const three = collect();
    const stored = storeWebhookUrl(base, found, webhook, three.report);
    assert.equal(secrets.get(secretAccount(config.id, 'webhook-url')), webhook.url);
    assert.ok(
      stored.webhookUrlHint && !stored.webhookUrlHint.includes(webhook.url.slice(-12)),
      'SQLite keeps the masked form',
    );
    assert.equal(store.fruxon.link(config.id)?.webhookKeyPrefix, webhook.keyPrefix);
    assert.deepEqual(
      three.steps.map((s) => `${s.step}:${s.action}`),
      ['store:stored'],
    );

    const skipped = collect();
    assert.deepEqual(await pointNumberAtFruxon({ ...base, register: false }, stored, webhook.url, skipped.report), {
      registered: 'skipped',
      error: null,
    });
    assert.equal(emu.getNumber(OWN)!.smsUrl || null, null, '--no-register changes nothing');

    // A listener holds the number: step 4 leaves it to the listener, which now puts the production URL back.
    const lease = {
      configId: config.id,
      numberSid: emu.getNumber(OWN)!.sid,
      phoneNumber: OWN,
      previousSmsUrl: 'https://before.example/x',
      previousSmsMethod: 'POST',
      ourUrl: 'http://127.0.0.1:1/x',
      pid: process.pid,
    };
    emu.setSmsUrl(OWN, lease.ourUrl);
    store.leases.acquire(lease);
    const deferred = collect();
    assert.deepEqual(await pointNumberAtFruxon(base, stored, webhook.url, deferred.report), {
      registered: 'deferred',
      error: null,
    });
    assert.match(
      deferred.steps[0]!.detail,
      new RegExp(
        `^a listen \\(pid ${process.pid}\\) holds \\${OWN}; when it stops it points the number at the production URL`,
      ),
    );
    assert.equal(store.leases.get(config.id)?.previousIsProduction, true);
    assert.equal(emu.getNumber(OWN)!.smsUrl, lease.ourUrl, "the number stays the listener's until it stops");
    store.leases.release(config.id);

    // A lease whose number no longer points at the listener (a restore that failed part-way put it back): pointed now.
    emu.setSmsUrl(OWN, 'https://before.example/x');
    store.leases.acquire(lease);
    const putBack = collect();
    assert.deepEqual(await pointNumberAtFruxon(base, stored, webhook.url, putBack.report), {
      registered: true,
      error: null,
    });
    assert.equal(emu.getNumber(OWN)!.smsUrl, webhook.url);
    assert.deepEqual(
      putBack.steps.map((s) => `${s.step}:${s.action}`),
      ['register:registered'],
    );
    assert.match(
      putBack.steps[0]!.detail,
      new RegExp(
        `^\\${OWN} now \\S+ \\(POST\\); the listen \\(pid ${process.pid}\\) that holds it no longer receives its messages$`,
      ),
    );
    store.leases.release(config.id);
    emu.setSmsUrl(OWN, 'https://before.example/x');

    const four = collect();
    assert.deepEqual(await pointNumberAtFruxon(base, stored, webhook.url, four.report), {
      registered: true,
      error: null,
    });
    assert.equal(emu.getNumber(OWN)!.smsUrl, webhook.url);
    assert.deepEqual(
      four.steps.map((s) => `${s.step}:${s.action}`),
      ['register:registered'],
    );
  });

  test('linkConfig runs them in order: a second run finds the link, reuses the stored URL and finds the number pointed', async () => {
    const r = await linkConfig({
      store,
      config: store.configs.byName('steps')!,
      fruxon: client,
      env: env(),
      keychain: () => secrets,
      authToken: () => emu.authToken,
      twilio,
      rotate: false,
      register: true,
    });
    assert.deepEqual(
      r.steps.map((s) => `${s.step}:${s.action}`),
      ['config:linked', 'publish:unchanged', 'webhook:reused', 'store:unchanged', 'register:unchanged'],
    );
    assert.equal(r.registered, true);
    assert.equal(r.error, null);
    assert.equal(r.webhook.action, 'reused');
  });

  test('fruxonStatus of the linked config: published, the number points at it, and the value holds no production URL', async () => {
    const s = await fruxonStatus(
      { config: 'steps', apiUrl: fruxon.url },
      {
        store,
        env: env(),
        secrets: async () => secrets,
        twilio: createTwilioClient,
        fruxon: (o) => new FruxonClient(o),
      },
    );
    assert.ok(s.linked);
    assert.equal(s.state, 'published');
    assert.equal(s.webhookUrlStored, true);
    assert.deepEqual(s.number && { ...s.number, smsUrl: null }, {
      phoneNumber: OWN,
      kind: 'production',
      pointsAtFruxon: true,
      smsUrl: null,
    });
    assert.equal(s.numberError, null);
    const url = secrets.get(secretAccount(config.id, 'webhook-url'))!;
    assert.ok(!JSON.stringify(s).includes(url), 'the production URL (a secret) is not part of the value');
  });
});
