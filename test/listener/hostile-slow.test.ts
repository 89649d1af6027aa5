import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';
import { slowClients } from '../../bench/slow.js';
import { CONNECTION_LIMITS } from '../../src/listener/server.js';
import { stopAllCliRuns } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, inboundFields } from '../helpers/fixtures.js';
import { startListen } from '../helpers/listen.js';

/** Twilio gives up on a webhook after 15 s. */
const TWILIO_TIMEOUT_MS = 15_000;
const SLOTS = CONNECTION_LIMITS.maxConnections;

async function postSigned(url: string, token: string, body: string): Promise<number> {
  const form = inboundFields({ MessageSid: 'SM' + body.replace(/\W/g, '').padEnd(32, '0').slice(0, 32), Body: body });
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': getExpectedTwilioSignature(token, url, form),
      connection: 'close',
    },
    body: new URLSearchParams(form).toString(),
    signal: AbortSignal.timeout(TWILIO_TIMEOUT_MS),
  });
  await res.text();
  return res.status;
}

const CROWDED =
  /warning: the listener's 512 connection slots were full for (\d+) s \(slow clients or an attack\): closed (\d+) connections that had not finished a request/g;

describe(`${SLOTS} slow connections held open against the listener (issue 28)`, () => {
  let f: EmulatorFixture;
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os' });
  });
  after(async () => {
    await stopAllCliRuns();
    await f?.cleanup();
  });

  for (const kind of ['headers', 'body'] as const) {
    test(`slow ${kind}: a signed webhook is answered 200 within Twilio's 15 s, again after the attackers reconnect; the episode is logged once with its count`, {
      timeout: 120_000,
    }, async () => {
      const { p, url } = await startListen(f, ['--json']);
      const u = new URL(url);
      const attack = slowClients(u, SLOTS, kind);
      try {
        try {
          await attack.connected;
          await new Promise((r) => setTimeout(r, 1000)); // the listener has accepted them all by now
          // Before: every slot taken, each new connection was dropped at once (ECONNRESET) for as long as it lasted.
          assert.equal(await postSigned(url, f.emulator.authToken, `slow ${kind} one`), 200);
          await p.waitFor(new RegExp(`slow ${kind} one`), { stream: 'stdout' });
          // Keep the attack up through the headers timeout (every slow-headers socket is closed and re-opened).
          await new Promise((r) => setTimeout(r, CONNECTION_LIMITS.headersTimeoutMs / 2));
          assert.equal(await postSigned(url, f.emulator.authToken, `slow ${kind} two`), 200);
          await new Promise((r) => setTimeout(r, CONNECTION_LIMITS.headersTimeoutMs / 2 + 1000));
          assert.equal(await postSigned(url, f.emulator.authToken, `slow ${kind} three`), 200);
          await p.waitFor(new RegExp(`slow ${kind} three`), { stream: 'stdout' });
        } finally {
          attack.stop();
        }
        // Once the table has room again for a while, the episode is told in one line, with its count.
        await p.waitFor(/connection slots were full/, { timeoutMs: 20_000 });
        await new Promise((r) => setTimeout(r, 500));
        const lines = [...p.stderr.matchAll(CROWDED)];
        assert.equal(lines.length, 1, p.stderr);
        // Each webhook took the place of a slow connection (the table was full): at least the later two did.
        assert.ok(Number(lines[0]![2]) >= 2, lines[0]![0]);
        assert.ok(attack.opened() > SLOTS, 'the slow connections pushed out came back, as an attacker would');
        assert.ok(Number(lines[0]![1]) >= 5, `the episode lasted the attack: ${lines[0]![0]}`);
      } finally {
        await p.stop();
      }
    });
  }
});
