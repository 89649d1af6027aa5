import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { callSite, rewriteTwilioOrigin, twilioError, twilioOrigin } from '../../src/twilio/client.js';
import { addConfigArgs } from '../helpers/add-config.js';
import { type EmulatorFixture, emulatorWithConfig } from '../helpers/fixtures.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { osKeychain } from '../helpers/keychains.js';

// The fixture's config was added by the built binary: its token is in the (test) keychain.
const testKeychain = osKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

/**
 * Issue 26, item 7 (in part): TWILIO_REGION / TWILIO_EDGE are honoured as twilio-node does, doctor names the
 * region, and a rejected pair names it (or, in US1, says that another region's credentials need TWILIO_REGION)
 * instead of only "check the Auth Token".
 */
describe('regions and edges', () => {
  let f: EmulatorFixture;
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os' });
  });
  after(async () => {
    await f.cleanup();
  });

  test("the origin twilio-node calls, and the stand-in's rewrite of every regional host form", () => {
    assert.equal(twilioOrigin({}), 'https://api.twilio.com');
    assert.equal(twilioOrigin({ region: 'ie1' }), 'https://api.ie1.twilio.com');
    assert.equal(twilioOrigin({ region: 'ie1', edge: 'dublin' }), 'https://api.dublin.ie1.twilio.com');
    assert.equal(twilioOrigin({ edge: 'sydney' }), 'https://api.sydney.us1.twilio.com');
    for (const host of ['api.dublin.ie1.twilio.com', 'messaging.sydney.au1.twilio.com', 'conversations.ie1.twilio.com'])
      assert.equal(
        rewriteTwilioOrigin(`https://${host}/v1/Services`, 'http://127.0.0.1:1'),
        'http://127.0.0.1:1/v1/Services',
      );
  });

  test('with TWILIO_REGION/TWILIO_EDGE the commands still reach the stand-in; doctor names the region', async () => {
    const env = { ...f.env, TWILIO_REGION: 'ie1', TWILIO_EDGE: 'dublin' };
    const shown = await runCliInProcess(['webhook', 'show', '--json'], { env });
    assert.equal(shown.code, 0, shown.stderr);
    const doctor = JSON.parse((await runCliInProcess(['doctor', '--json'], { env })).stdout);
    const creds = doctor.checks.find((c: { name: string }) => c.name === 'credentials');
    assert.equal(creds.ok, true, creds.detail);
    assert.match(creds.detail, /\(region ie1, edge dublin\)/);
    const plain = JSON.parse((await runCliInProcess(['doctor', '--json'], { env: f.env })).stdout);
    assert.match(
      plain.checks.find((c: { name: string }) => c.name === 'credentials').detail,
      /\(region us1 \(the default\)\)/,
    );
  });

  test('every refusal names the region the call went to, and listen says once where it registers', async () => {
    const env = { ...f.env, TWILIO_REGION: 'ie1', TWILIO_EDGE: 'dublin' };
    // 21408 (region not enabled) from the emulator's magic recipient: a refusal of a call made in IE1.
    const sent = await runCliInProcess(['send', '--to', '+15005550003', '--body', 'hi'], { env });
    assert.notEqual(sent.code, 0);
    assert.match(sent.stderr, /Twilio \(region ie1, edge dublin\) refused to send/);
    const us = await runCliInProcess(['send', '--to', '+15005550003', '--body', 'hi'], { env: f.env });
    assert.match(us.stderr, /Twilio refused to send/, 'US1 wording unchanged');

    const listen = await runCliInProcess(['listen', '--port', '0', '--timeout', '1'], { env });
    assert.match(listen.stderr, /Ready!/, 'it registered and listened (then timed out)');
    const said = listen.stderr.split('\n').filter((l) => /region ie1, edge dublin: the webhook is set in/.test(l));
    assert.equal(said.length, 1, listen.stderr);
    assert.match(said[0]!, /processed in region ie1, which its API does not say/);
    const plainListen = await runCliInProcess(['listen', '--port', '0', '--timeout', '1'], { env: f.env });
    assert.doesNotMatch(plainListen.stderr, /the webhook is set in/);
  });

  test('a rejected pair names the region, or says another region needs TWILIO_REGION', () => {
    const rejected = Object.assign(new Error('Authenticate'), { status: 401, code: 20003 });
    const us = twilioError(rejected, 'fetch account', { accountSid: `AC${'a'.repeat(32)}` });
    assert.match(us.message, /pair for AC…aaaa \(20003\)/);
    assert.match(us.hint!, /credentials of another region \(ie1, au1\) need TWILIO_REGION/);
    const ie = twilioError(rejected, 'fetch account', { accountSid: `AC${'a'.repeat(32)}`, region: 'ie1' });
    assert.match(ie.message, /pair for AC…aaaa in region ie1 \(20003\)/);
    assert.match(ie.hint!, /of region ie1 \(TWILIO_REGION\)/);
    const down = twilioError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'fetch account', {
      region: 'au1',
      edge: 'sydney',
    });
    assert.match(down.message, /could not reach Twilio at https:\/\/api\.sydney\.au1\.twilio\.com/);
    // The site comes from the credentials (callSite), and an explicit US1 is named by nothing.
    const site = callSite({ apiUrl: null, accountSid: `AC${'a'.repeat(32)}`, region: 'us1', edge: null });
    assert.match(twilioError(rejected, 'fetch account', site).message, /pair for AC…aaaa \(20003\)/);
    const refused = Object.assign(new Error('Not found'), { status: 404, code: 20404 });
    assert.match(
      twilioError(refused, 'fetch X', callSite({ accountSid: 'AC1', region: 'au1', edge: 'sydney' })).message,
      /^Twilio \(region au1, edge sydney\) refused to fetch X: Not found \(20404\)/,
    );
  });
});

describe('add-config --region --edge', () => {
  let f: EmulatorFixture;
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os' });
  });
  after(async () => {
    await f.cleanup();
  });

  test('stored on the config (configs show --json), used by every call (doctor names it); a bad name is exit 2', async () => {
    const add = await runCliInProcess(
      addConfigArgs(
        'dublin',
        f.emulator.numbers[0]!.phoneNumber,
        f.emulator,
        'stdin',
        '--region',
        'IE1',
        '--edge',
        'dublin',
        '--json',
      ),
      { env: f.env, input: f.emulator.authToken },
    );
    assert.equal(add.code, 0, add.stderr);
    const saved = JSON.parse(add.stdout);
    assert.equal(saved.region, 'ie1');
    assert.equal(saved.edge, 'dublin');
    const doctor = JSON.parse(
      (await runCliInProcess(['doctor', '--config', 'dublin', '--json'], { env: f.env })).stdout,
    );
    assert.match(
      doctor.checks.find((c: { name: string }) => c.name === 'credentials').detail,
      /\(region ie1, edge dublin\)/,
    );
    const env = await runCliInProcess(['doctor', '--config', 'dublin', '--json'], {
      env: { ...f.env, TWILIO_REGION: 'au1' },
    });
    assert.match(
      JSON.parse(env.stdout).checks.find((c: { name: string }) => c.name === 'credentials').detail,
      /region au1/,
    );
    const bad = await runCliInProcess(
      addConfigArgs(
        'x',
        f.emulator.numbers[0]!.phoneNumber,
        { accountSid: f.emulator.accountSid },
        'stdin',
        '--region',
        'eu west',
      ),
      { env: f.env, input: f.emulator.authToken },
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--region must be a Twilio region name such as ie1/);
  });
});
