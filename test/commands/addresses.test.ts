import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import twilio from 'twilio';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER } from '../helpers/fixtures.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { osKeychain } from '../helpers/keychains.js';

// The fixture's config was added by the built binary: its token is in the (test) keychain.
const testKeychain = osKeychain();
const { runCliInProcess, startCliInProcess } = inProcessCliWith(testKeychain);

const { getExpectedTwilioSignature } = twilio;

/**
 * Issue 26, item 9 (in part): an address Twilio uses that the listener does not model (RCS, Messenger, a short
 * code) is refused with a reason that says so (not "must be E.164"), and doctor counts them.
 */
describe('addresses the listener does not model', () => {
  let f: EmulatorFixture;
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os' });
  });
  after(async () => {
    await f.cleanup();
  });

  test('RCS, Messenger and a short code: refused as unsupported_address (400), said as such; doctor counts them', async () => {
    const p = startCliInProcess(['listen', '--port', '0', '--check-missed', '0', '--no-inspect'], { env: f.env });
    const url = (await p.waitFor(/Ready! Listening for messages to \S+ at (\S+)/))[1]!;
    const post = async (from: string, to: string) => {
      const form = {
        MessageSid: `SM${'d'.repeat(32)}`,
        AccountSid: f.emulator.accountSid,
        From: from,
        To: to,
        Body: 'x',
      };
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': getExpectedTwilioSignature(f.emulator.authToken, url, form),
        },
        body: new URLSearchParams(form).toString(),
      });
      await res.text();
      return res.status;
    };
    assert.equal(await post('rcs:+14155550100', 'rcs:acme_agent'), 400);
    await p.waitFor(
      /refused unsupported_address from rcs:\+14155550100: From rcs:\+14155550100 is an RCS address: this listener takes SMS and WhatsApp/,
    );
    assert.equal(await post('messenger:1234567890', `messenger:${'9'.repeat(10)}`), 400);
    await p.waitFor(
      /refused unsupported_address from messenger:1234567890: From messenger:1234567890 is a messenger address/,
    );
    assert.equal(await post('+14155550100', '12345'), 400);
    await p.waitFor(/refused unsupported_address from \+14155550100: To 12345 is a short code/);
    assert.equal(await post('not a number', OUR_NUMBER), 400);
    await p.waitFor(/refused not_e164/);
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);

    const doctor = JSON.parse((await runCliInProcess(['doctor', '--json'], { env: f.env })).stdout);
    const route = doctor.checks.find((c: { name: string }) => c.name === 'route');
    assert.equal(route.ok, 'warn', route.detail);
    assert.match(route.detail, /3 request\(s\) from or to an address this tool does not model/);
  });
});
