import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CliError } from '../../src/errors.js';
import { type ListenPlanOptions, planListen } from '../../src/listener/plan.js';
import { secretAccount } from '../../src/secrets/index.js';
import { memorySecretStore } from '../../src/secrets/memory.js';
import { type Config, type NewConfig, openStore, type Store } from '../../src/store/index.js';
import { tempHome } from '../helpers/cli.js';

/** listen's plan in-process: flags + config + env -> what to start, with no subprocess, tunnel or Twilio call. */
describe('planListen: the secret sources, the tunnel and the loopback refusal', () => {
  const h = tempHome();
  let store: Store;
  const secrets = memorySecretStore();
  const stdinRead: string[] = [];
  const readStdin = async (what: string) => {
    stdinRead.push(what);
    return `piped for ${what}`;
  };
  const deps = (env: NodeJS.ProcessEnv = {}) => ({ store, env, secrets: () => secrets, readStdin });
  const flags = (o: Partial<ListenPlanOptions> = {}): ListenPlanOptions => ({
    register: true,
    skipVerify: false,
    ...o,
  });
  let real: Config;
  let emulated: Config;
  let apiKey: Config;
  let fromEnv: Config;

  const add = (c: Partial<NewConfig> & { name: string }, secret: string | null): Config => {
    const config = store.configs.insert({
      fromNumber: '+15005550006',
      accountSid: 'AC' + '1'.repeat(32),
      authMethod: 'auth-token',
      apiKeySid: null,
      secretSource: 'keychain',
      apiUrl: null,
      ...c,
    });
    if (secret !== null) secrets.set(secretAccount(config.id), secret);
    return config;
  };

  before(() => {
    store = openStore(h.env);
    real = add({ name: 'real' }, 'real-token');
    emulated = add({ name: 'emu', apiUrl: 'http://127.0.0.1:9/' }, 'emu-token');
    apiKey = add({ name: 'key', authMethod: 'api-key', apiKeySid: 'SK' + '2'.repeat(32) }, 'key-secret');
    fromEnv = add({ name: 'env', secretSource: 'env' }, null);
  });
  after(() => {
    store.close();
    h.cleanup();
  });

  const refusal = async (p: Promise<unknown>): Promise<CliError> => {
    const err = await p.then(
      () => assert.fail('planListen did not refuse'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof CliError, String(err));
    return err;
  };

  test('the tunnel: ngrok for real Twilio (authtoken from NGROK_AUTHTOKEN), none for a local --api-url, public-url when given', async () => {
    const ngrok = await planListen(
      flags(),
      real,
      deps({ NGROK_AUTHTOKEN: 'ngrok-tok', NGROK_SERVER_ADDR: 'localhost:1' }),
    );
    assert.deepEqual(ngrok.tunnel, {
      kind: 'ngrok',
      publicUrl: undefined,
      ngrokAuthtoken: 'ngrok-tok',
      ngrokServerAddr: 'localhost:1',
    });
    assert.equal(ngrok.apiUrl, null);
    assert.equal(ngrok.authToken, 'real-token');
    assert.deepEqual(ngrok.credentials, {
      accountSid: real.accountSid,
      authMethod: 'auth-token',
      apiKeySid: null,
      secret: 'real-token',
      apiUrl: null,
      // No TWILIO_REGION/TWILIO_EDGE and none stored on the config: US1, as twilio-node's default.
      region: null,
      edge: null,
    });
    assert.deepEqual(ngrok.warnings, []);

    const local = await planListen(flags(), emulated, deps({ NGROK_AUTHTOKEN: 'ngrok-tok' }));
    assert.equal(local.tunnel.kind, 'none');
    assert.equal(local.tunnel.ngrokAuthtoken, undefined, 'no ngrok, so no authtoken is read');
    assert.equal(local.apiUrl, 'http://127.0.0.1:9/');

    const given = await planListen(flags({ publicUrl: 'https://me.trycloudflare.com' }), real, deps());
    assert.deepEqual(given.tunnel, {
      kind: 'public-url',
      publicUrl: 'https://me.trycloudflare.com',
      ngrokAuthtoken: undefined,
      ngrokServerAddr: undefined,
    });

    // FRUXON_TWILIO_API_URL makes any config local: no tunnel by default.
    assert.equal(
      (await planListen(flags(), real, deps({ FRUXON_TWILIO_API_URL: 'http://127.0.0.1:9' }))).tunnel.kind,
      'none',
    );
    stdinRead.length = 0;
    const piped = await planListen(flags({ ngrokAuthtokenStdin: true }), real, deps({ NGROK_AUTHTOKEN: 'ignored' }));
    assert.equal(piped.tunnel.ngrokAuthtoken, 'piped for --ngrok-authtoken-stdin');
    assert.deepEqual(stdinRead, ['--ngrok-authtoken-stdin']);
  });

  test('registering needs a URL Twilio can reach: --tunnel none or a loopback --public-url is refused on real Twilio (exit 2), fine on the emulator or with --no-register', async () => {
    for (const o of [
      { tunnel: 'none' as const },
      { publicUrl: 'http://127.0.0.1:8080' },
      { publicUrl: 'https://localhost' },
    ]) {
      const err = await refusal(planListen(flags(o), real, deps()));
      assert.equal(err.exitCode, 2);
      assert.equal(err.message, 'Twilio cannot reach a loopback URL, so it will not be registered on +15005550006');
      assert.equal(err.hint, 'use the ngrok tunnel (default) or --public-url https://…, or pass --no-register');
    }
    assert.equal((await planListen(flags({ tunnel: 'none' }), emulated, deps())).register, true);
    const unregistered = await planListen(flags({ tunnel: 'none', register: false }), real, deps());
    assert.equal(unregistered.register, false);
    assert.equal(unregistered.credentials, null, 'no Twilio client without registering');
    assert.equal(unregistered.productionUrl(), null);
    assert.equal(unregistered.authToken, 'real-token', 'the Auth Token still verifies signatures');
  });

  test('an API Key config: the Auth Token comes from --auth-token-stdin, else TWILIO_AUTH_TOKEN, else a usage error that names --skip-verify', async () => {
    stdinRead.length = 0;
    const piped = await planListen(
      flags({ authTokenStdin: true, tunnel: 'none', register: false }),
      apiKey,
      deps({ TWILIO_AUTH_TOKEN: 'ignored' }),
    );
    assert.equal(piped.authToken, 'piped for --auth-token-stdin');
    assert.deepEqual(stdinRead, ['--auth-token-stdin']);
    const env = await planListen(
      flags({ publicUrl: 'https://me.example.com' }),
      apiKey,
      deps({ TWILIO_AUTH_TOKEN: 'env-auth' }),
    );
    assert.equal(env.authToken, 'env-auth');
    assert.equal(env.credentials?.secret, 'key-secret', 'the client authenticates with the API Key Secret');
    const err = await refusal(planListen(flags({ publicUrl: 'https://me.example.com' }), apiKey, deps()));
    assert.equal(err.exitCode, 2);
    assert.equal(
      err.message,
      `config "key" uses an API Key, but Twilio signs webhooks with the account's Auth Token: set TWILIO_AUTH_TOKEN or pass --auth-token-stdin`,
    );
    assert.equal(err.hint, 'or accept unsigned requests with --skip-verify (unsafe)');
  });

  test('--skip-verify: no signing key, the warning as data; with --no-register too, no secret is read at all', async () => {
    const p = await planListen(flags({ skipVerify: true, register: false, tunnel: 'none' }), fromEnv, deps());
    assert.equal(p.authToken, null);
    assert.deepEqual(
      p.warnings.map((w) => w.code),
      ['skip_verify'],
    );
    assert.match(p.warnings[0]!.message, /^--skip-verify: requests are accepted WITHOUT checking X-Twilio-Signature/);
  });

  test('a missing secret: the config\'s own error, or "was removed" when configs remove won the race', async () => {
    const missing = await refusal(planListen(flags({ tunnel: 'none', register: false }), fromEnv, deps()));
    assert.equal(missing.message, 'config "env" reads its secret from TWILIO_AUTH_TOKEN, which is not set');
    assert.equal(
      (await planListen(flags({ register: false, tunnel: 'none' }), fromEnv, deps({ TWILIO_AUTH_TOKEN: 'from-env' })))
        .authToken,
      'from-env',
    );

    const gone = add({ name: 'gone' }, null);
    store.configs.remove(gone.id);
    const removed = await refusal(planListen(flags(), gone, deps({ NGROK_AUTHTOKEN: 'x' })));
    assert.equal(removed.message, 'config "gone" was removed while the listener was starting');
    assert.equal(removed.reason, 'config_removed');
  });

  test('the production URL is read when asked (at registration and again at restore), from the keychain', async () => {
    const p = await planListen(flags(), real, deps({ NGROK_AUTHTOKEN: 'x' }));
    assert.equal(p.productionUrl(), null);
    secrets.set(secretAccount(real.id, 'webhook-url'), 'https://api.fruxon.com/hooks/abc');
    assert.equal(p.productionUrl(), 'https://api.fruxon.com/hooks/abc');
  });
});
