import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { isValidTwilioSignature } from '../../src/listener/signature.js';
import { openStore } from '../../src/store/index.js';
import { addConfigArgs } from '../helpers/add-config.js';
import { CliChildProcess, closedPort, stopAllCliRuns, tempHome } from '../helpers/cli.js';
import { emulatorControl } from '../helpers/emulator-client.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { osKeychain } from '../helpers/keychains.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

// The listen killed with SIGKILL is the built binary, which reads its token from the (test) keychain.
const testKeychain = osKeychain();
const { runCliInProcess, startCliInProcess } = inProcessCliWith(testKeychain);

const NUMBER = '+15005552801';
const PROD = 'http://127.0.0.1:9/ingress/twilio/fx_0123456789abcdef0123';
const OVERRIDES = '#rc=3&ct=2000&e=ie1';
const PHONE = '+14155550142';

/**
 * Issue 26, item 8: connection overrides in a webhook URL's fragment. The production URL with overrides is
 * still the production URL (compared without the fragment), kept byte for byte through webhook set, listen and
 * restore; the emulator calls and signs the URL without its fragment (a GET's query goes before none).
 */
describe('connection overrides (#rc=…&ct=…) in a webhook URL', () => {
  let emu: Emulator;
  let h: ReturnType<typeof tempHome>;
  const cli = (args: string[], input?: string) => runCliInProcess(args, { env: h.env, input });
  const smsUrl = () => emu.getNumber(NUMBER)!.smsUrl;

  before(async () => {
    emu = await startEmulator({
      statusDelayMs: 1,
      retryDelaysMs: [],
      topology: { numbers: [{ phone_number: NUMBER, sms_url: PROD + OVERRIDES }] } as never,
    });
    h = tempHome();
    const r = await cli(addConfigArgs('prod', NUMBER, emu, 'stdin'), emu.authToken);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await cli(['configs', 'set', 'prod', '--webhook-url-stdin'], PROD)).code, 0);
  });
  after(async () => {
    await stopAllCliRuns();
    await emu.stop();
    h.cleanup();
  });

  test('webhook show: the production URL (not "another URL"); webhook set keeps the overrides', async () => {
    const shown = JSON.parse((await cli(['webhook', 'show', '--config', 'prod', '--json'])).stdout);
    assert.equal(shown.kind, 'production');
    const human = await cli(['webhook', 'show', '--config', 'prod']);
    assert.doesNotMatch(human.stderr + human.stdout, /To point it at Fruxon/);
    const set = await cli(['webhook', 'set', '--config', 'prod', '--yes']);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(smsUrl(), PROD + OVERRIDES, 'byte for byte');
  });

  test('listen puts it back byte for byte on stop, and after a crash with restore; the lease holds no secret', async () => {
    const p = startCliInProcess(['listen', '--config', 'prod', '--port', '0', '--check-missed', '0'], { env: h.env });
    await p.waitFor(/Ready!/);
    assert.notEqual(smsUrl(), PROD + OVERRIDES);
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
    assert.equal(smsUrl(), PROD + OVERRIDES);

    const crashed = new CliChildProcess(['listen', '--config', 'prod', '--port', '0', '--check-missed', '0'], {
      env: h.env,
    });
    await crashed.waitFor(/Ready!/);
    crashed.kill('SIGKILL');
    await crashed.exited;
    const store = openStore(h.env);
    const lease = store.leases.list()[0]!;
    assert.equal(lease.previousIsProduction, true);
    assert.equal(lease.previous?.numberUrlFragment, OVERRIDES);
    assert.ok(!JSON.stringify(lease).includes('fx_0123456789abcdef0123'));
    store.close();
    assert.equal((await cli(['restore', '--config', 'prod'])).code, 0);
    assert.equal(smsUrl(), PROD + OVERRIDES);
  });

  test('the emulator calls and signs the URL without its fragment, POST and GET', async () => {
    const receiver = await WebhookReceiver.start();
    try {
      for (const method of ['POST', 'GET'] as const) {
        const base = `${receiver.url}/hook/${method.toLowerCase()}`;
        emu.setSmsUrl(NUMBER, base + OVERRIDES, method);
        const res = await emulatorControl<{ outcome: string }>(emu, 'POST', 'inbound', {
          from: PHONE,
          to: NUMBER,
          body: `via ${method}`,
        });
        assert.equal(res.status, 202);
        assert.equal(res.json.outcome, 'delivered');
        const got = receiver.requests.at(-1)!;
        assert.equal(got.method, method);
        assert.equal(got.params.Body, `via ${method}`, 'the form (or query) arrives');
        assert.ok(!got.path.includes('#') && !got.path.includes('rc='), got.path);
        const signedUrl = method === 'POST' ? base : `${receiver.url}${got.path}`;
        assert.ok(
          isValidTwilioSignature(
            emu.authToken,
            got.headers['x-twilio-signature'] as string,
            signedUrl,
            method === 'POST' ? got.params : {},
          ),
          `${method}: signed over the URL without its fragment`,
        );
      }
    } finally {
      emu.setSmsUrl(NUMBER, PROD + OVERRIDES);
      await receiver.stop();
    }
  });
  test('a failure at a URL with overrides is an alert of the number (webhook show); messages redeliver signs for the URL without its fragment', async () => {
    const receiver = await WebhookReceiver.start();
    try {
      // Down: Twilio logs an alert for the URL it called, which webhook show matches to the layer's URL.
      emu.setSmsUrl(NUMBER, `http://127.0.0.1:${await closedPort()}/hook/down${OVERRIDES}`);
      const lost = await emu.deliverInbound({ from: PHONE, to: NUMBER, body: 'while down' });
      assert.equal(lost.outcome, 'failed');
      const shown = await cli(['webhook', 'show', '--config', 'prod', '--json']);
      assert.equal(shown.code, 0, shown.stderr);
      assert.ok(JSON.parse(shown.stdout).alerts?.count >= 1, shown.stdout);

      // Back, with its overrides: the message posted again, to and signed for the URL Twilio would call.
      const base = `${receiver.url}/hook/back`;
      emu.setSmsUrl(NUMBER, base + OVERRIDES);
      const r = await cli(['messages', 'redeliver', lost.messageSid, '--config', 'prod', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const got = receiver.requests.at(-1)!;
      assert.equal(got.path, '/hook/back');
      assert.equal(got.params.Body, 'while down');
      assert.ok(
        isValidTwilioSignature(emu.authToken, got.headers['x-twilio-signature'] as string, base, got.params),
        'signed over the URL without its fragment',
      );
    } finally {
      emu.setSmsUrl(NUMBER, PROD + OVERRIDES);
      await receiver.stop();
    }
  });
});
