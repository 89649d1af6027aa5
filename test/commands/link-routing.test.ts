import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { runCliChildProcess } from '../helpers/cli.js';
import { emulatorClient } from '../helpers/emulator-client.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER } from '../helpers/fixtures.js';
import { type FruxonDouble, startFruxonDouble } from '../helpers/fruxon-double.js';

const OTHER = '+15005550007';

describe('link and fruxon status at the layer that wins: a Messaging Service', () => {
  const builder = `fx_pat_${randomBytes(16).toString('hex')}`;
  let fx: EmulatorFixture;
  let fruxon: FruxonDouble;
  let serviceSid = '';
  const cli = (args: string[], input?: string) => runCliChildProcess(args, { input, env: fx.env });
  const service = () => fx.emulator.services().find((s) => s.sid === serviceSid)!;

  before(async () => {
    fx = await emulatorWithConfig({ keychain: 'os', name: 'svc', numbers: [OUR_NUMBER, OTHER] });
    fruxon = await startFruxonDouble({
      tokens: {
        [builder]: {
          tenant: 'initech',
          scopes: ['agents:read', 'agents:write', 'integrations:read', 'integrations:write'],
          email: 'dana@initech.test',
          apiKeyName: 'laptop',
        },
      },
    });
    const client = emulatorClient(fx.emulator);
    const s = await client.messaging.v1.services.create({
      friendlyName: 'Support',
      inboundRequestUrl: 'http://127.0.0.1:9/support',
    });
    serviceSid = s.sid;
    for (const n of fx.emulator.numbers)
      await client.messaging.v1.services(s.sid).phoneNumbers.create({ phoneNumberSid: n.sid });
    const login = await cli(
      ['fruxon', 'login', '--tenant', 'initech', '--token-stdin', '--api-url', fruxon.url],
      builder,
    );
    assert.equal(login.code, 0, login.stderr);
  });
  after(async () => {
    await fruxon.close();
    await fx.cleanup();
  });

  test('link without --messaging-service stops at register (exit 4) and says why; the service is untouched', async () => {
    const r = await cli(['link', '--json']);
    assert.equal(r.code, 4, r.stderr);
    assert.match(
      r.stderr,
      /Messaging Service 'Support' \(MG\w+\) receives the messages of \+15005550006 and also serves \+15005550007/,
    );
    assert.match(r.stderr, /--messaging-service/);
    assert.equal(service().inboundRequestUrl, 'http://127.0.0.1:9/support');
    const status = JSON.parse((await cli(['fruxon', 'status', '--json'])).stdout);
    assert.equal(status.number.points_at_fruxon, false);
  });

  test('link --messaging-service points the service at Fruxon; fruxon status reads the service', async () => {
    const before = fx.emulator.getNumber(OUR_NUMBER)!.smsUrl;
    const r = await cli(['link', '--messaging-service', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.registered, true);
    const url = fruxon.webhookUrl([...fruxon.configs.values()][0]!)!;
    assert.equal(service().inboundRequestUrl, url);
    assert.equal(
      fx.emulator.getNumber(OUR_NUMBER)!.smsUrl,
      before,
      "the number's own SmsUrl is not what decides, and is left alone",
    );
    const status = JSON.parse((await cli(['fruxon', 'status', '--json'])).stdout);
    assert.equal(status.number.points_at_fruxon, true);
    assert.equal(status.number.kind, 'production');
  });
});
