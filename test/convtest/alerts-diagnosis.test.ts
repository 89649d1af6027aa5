import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { closedPort } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER } from '../helpers/fixtures.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { osKeychain } from '../helpers/keychains.js';

// emulatorWithConfig keeps the token in the (test) keychain: the in-process runs read it there too.
const testKeychain = osKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

const TESTER = '+15005550007';

describe("fruxon-twilio test: a silence explained by Twilio's webhook alerts", () => {
  let f: EmulatorFixture;
  let dir: string;
  const secretPart = 'Zk3y9Secr3tKey0123abcdef';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fruxon-twilio-alerts-diag-'));
    f = await emulatorWithConfig({ keychain: 'os', numbers: [OUR_NUMBER, TESTER] });
  });
  after(async () => {
    await f?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('Fruxon\'s ingress down (a closed port): the cause is Twilio\'s alert with its time, not "no reply"; the URL masked', async () => {
    const production = `http://127.0.0.1:${await closedPort()}/ingress/twilio/${secretPart}`;
    const set = await runCliInProcess(['configs', 'set', 'emu', '--webhook-url-stdin'], {
      env: f.env,
      input: production,
    });
    assert.equal(set.code, 0, set.stderr);
    f.emulator.setSmsUrl(OUR_NUMBER, production);
    const path = join(dir, 'down.yaml');
    writeFileSync(path, `name: down\nfrom: "${TESTER}"\nsteps:\n  - send: hi\n  - expect: { within: 2s }\n`);
    const r = await runCliInProcess(['test', path], { env: f.env, timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /no reply from \+15005550006 to \+15005550007 within 2s/);
    assert.match(
      r.stdout,
      /cause: Twilio could not deliver SM[0-9a-f]{32} to http:\/\/127\.0\.0\.1:\d+\/\S+: \S.* \(11205\) at \d\d:\d\d:\d\d UTC: the agent never got the message/,
    );
    assert.match(r.stdout, /fix: nothing accepted the connection .*fruxon-twilio messages redeliver SM[0-9a-f]{32}/);
    assert.equal(r.stdout.includes(secretPart), false, r.stdout);
  });
});
