import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';
import { openStore } from '../../src/store/index.js';
import { CliChildProcess, runCliChildProcess, stopAllCliRuns } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER, PHONE } from '../helpers/fixtures.js';

const PREVIOUS = 'https://previous.example.com/sms';

/**
 * Fires signed webhooks from `workers` concurrent loops until `stop()`; records the MessageSids that got a 200.
 * Requests cut off by the kill count as failures, never as successes.
 */
function load(url: string, token: string, tag: string, workers = 8) {
  const ok: string[] = [];
  let failed = 0;
  let n = 0;
  let stopped = false;
  const loops = Array.from({ length: workers }, async () => {
    while (!stopped) {
      const i = n++;
      const fields = {
        MessageSid: `SM${tag}${String(i).padStart(30, '0')}`.slice(0, 34),
        From: PHONE,
        To: OUR_NUMBER,
        Body: `load ${i}`,
        NumMedia: '0',
      };
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'x-twilio-signature': getExpectedTwilioSignature(token, url, fields),
          },
          body: new URLSearchParams(fields).toString(),
          signal: AbortSignal.timeout(3000),
        });
        await res.text();
        if (res.status === 200) ok.push(fields.MessageSid);
        else failed++;
      } catch {
        failed++;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  });
  return {
    ok,
    get failed() {
      return failed;
    },
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

describe('kill -9 in the middle of a load', () => {
  let f: EmulatorFixture;
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os', name: 'crash' });
  });
  after(async () => {
    await stopAllCliRuns();
    await f.cleanup();
  });

  async function killMidLoad(tag: string): Promise<string[]> {
    const p = new CliChildProcess(['listen', '--json', '--port', '0'], { env: f.env });
    const url = (await p.waitFor(/Ready! Listening for messages to \S+ at (\S+)/))[1]!;
    assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, url);
    const l = load(url, f.emulator.authToken, tag);
    const deadline = Date.now() + 15_000;
    while (l.ok.length < 150 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    p.kill('SIGKILL');
    const exit = await p.exited;
    await l.stop();
    assert.equal(exit.signal, 'SIGKILL');
    assert.ok(l.ok.length >= 150, `only ${l.ok.length} answered before the deadline`);
    return l.ok;
  }

  function acceptedSids(): Set<string> {
    const store = openStore(f.env);
    try {
      return new Set(store.events.list({ status: 'accepted', limit: 100_000 }).map((e) => e.messageSid!));
    } finally {
      store.close();
    }
  }

  test('every 200 is in the event log after the crash; `restore` puts the previous webhook back', async () => {
    f.emulator.setSmsUrl(OUR_NUMBER, PREVIOUS, 'POST');
    const ok = await killMidLoad('a');
    const logged = acceptedSids();
    const lost = ok.filter((s) => !logged.has(s));
    assert.deepEqual(lost, [], `${lost.length} of ${ok.length} answered events are missing`);
    assert.notEqual(
      f.emulator.getNumber(OUR_NUMBER)!.smsUrl,
      PREVIOUS,
      'the crash left the number pointing at the dead listener',
    );

    const r = await runCliChildProcess(['restore', '--config', 'crash'], { env: f.env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, PREVIOUS);
  });

  test('the next listen restores a crashed one before registering itself, and keeps every answered event', async () => {
    f.emulator.setSmsUrl(OUR_NUMBER, PREVIOUS, 'POST');
    const ok = await killMidLoad('b');
    const logged = acceptedSids();
    assert.deepEqual(
      ok.filter((s) => !logged.has(s)),
      [],
    );

    const p = new CliChildProcess(['listen', '--json', '--port', '0'], { env: f.env });
    await p.waitFor(/Ready! Listening/);
    assert.match(
      p.stderr,
      /a crashed listener had left \+15005550006 pointing at it: restored its previous webhook \(https:\/\/previous\.example\.com\/sms\)/,
    );
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
    assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, PREVIOUS);
  });
});
