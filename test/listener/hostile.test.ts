import assert from 'node:assert/strict';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { createConnection, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';
import { REFUSED_DETAILS_PER_MINUTE } from '../../src/listener/refusals.js';
import { openStore } from '../../src/store/index.js';
import { stopAllCliRuns } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, inboundFields, OUR_NUMBER, PHONE } from '../helpers/fixtures.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { osKeychain } from '../helpers/keychains.js';
import { jsonLines, startListen } from '../helpers/listen.js';

// Commands run in this process on the (test) keychain; so do the listens, except the flooded one and the one
// whose keychain connection is cut (those are the built binary, a process of their own).
const testKeychain = osKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);
const here = { inProcess: true } as const;

/** What a terminal obeys instead of showing: ESC, BEL, C1 (CSI, NEL), DEL, bidi overrides and isolates. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const EVIL = '\u001b]0;PWNED\u0007\u001b[2J\u001b[1A\rReady! fake\u202e\u2066\u009b31m\u007f';

function dirBytes(dir: string): number {
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

/** An inbound message form of this file's own MessageSid. */
function fields(overrides: Record<string, string> = {}): Record<string, string> {
  return inboundFields({ MessageSid: 'SM' + 'c'.repeat(32), SmsSid: 'SM' + 'c'.repeat(32), ...overrides });
}

async function postSigned(url: string, token: string, form: Record<string, string>): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': getExpectedTwilioSignature(token, url, form),
    },
    body: new URLSearchParams(form).toString(),
  });
  await res.text();
  return res.status;
}

describe('what anyone on the internet can send to the listener', () => {
  let f: EmulatorFixture;
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os' });
  });
  after(async () => {
    await stopAllCliRuns();
    await f?.cleanup();
  });

  test('1,000 forged 60 KB requests: 403 each, a bounded number recorded small, the data directory barely grows; a signed message still goes through', async () => {
    const { p, url } = await startListen(f, ['--json']);
    try {
      const before = dirBytes(f.home);
      // Within the form limits (fields of 4,000 characters), so each one reaches the signature check.
      const pad = Object.fromEntries(Array.from({ length: 14 }, (_, i) => [`Pad${i}`, 'y'.repeat(4000)]));
      const big = new URLSearchParams({ ...fields(), Body: 'x'.repeat(4000), ...pad }).toString();
      assert.ok(big.length > 60_000);
      let next = 0;
      const statuses: number[] = [];
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          while (next < 1000) {
            next++;
            const res = await fetch(url, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'forged' },
              body: big,
            });
            await res.text();
            statuses.push(res.status);
          }
        }),
      );
      assert.ok(
        statuses.every((s) => s === 403),
        `statuses: ${[...new Set(statuses)]}`,
      );
      assert.equal(await postSigned(url, f.emulator.authToken, fields({ Body: 'still here' })), 200);
      await p.waitFor(/still here/, { stream: 'stdout' });
      const grown = dirBytes(f.home) - before;
      // Each forged request used to be stored whole (60 MB for these); now at most the budget, 1 KiB each.
      assert.ok(grown < 2 * 1024 * 1024, `the data directory grew ${grown} bytes`);
      assert.equal((p.stderr.match(/refused requests this minute/g) ?? []).length, 1, p.stderr);
      assert.ok((p.stderr.match(/refused invalid_signature/g) ?? []).length <= 2 * REFUSED_DETAILS_PER_MINUTE);
      const store = openStore(f.env);
      try {
        const refused = store.events.list({ status: 'refused', limit: 2000 });
        assert.ok(
          refused.length >= 1 && refused.length <= 2 * REFUSED_DETAILS_PER_MINUTE,
          `refused rows: ${refused.length}`,
        );
        for (const e of refused) {
          assert.deepEqual(e.rawForm, {});
          assert.ok(e.bodyExcerpt !== null && Buffer.byteLength(e.bodyExcerpt) <= 1024);
          assert.equal(e.remoteAddress, '127.0.0.1');
          assert.equal(e.headers['x-twilio-signature'], '(present)');
        }
      } finally {
        store.close();
      }
    } finally {
      p.kill('SIGINT');
      await p.exited;
    }
  });

  test('signed, but not an inbound message to this number: another To is refused (403), a non-E.164 From or To 400; a status callback of our own message is acknowledged, no trigger', async () => {
    const { p, url } = await startListen(f, ['--json'], {}, here);
    try {
      const token = f.emulator.authToken;
      assert.equal(
        await postSigned(url, token, fields({ MessageSid: 'SM' + '1'.repeat(32), To: '+15005550007' })),
        403,
      );
      assert.equal(
        await postSigned(url, token, fields({ MessageSid: 'SM' + '2'.repeat(32), To: 'whatsapp:+15005550007' })),
        403,
      );
      assert.equal(await postSigned(url, token, fields({ MessageSid: 'SM' + '3'.repeat(32), From: 'alice' })), 400);
      assert.equal(
        await postSigned(url, token, fields({ MessageSid: 'SM' + '4'.repeat(32), To: OUR_NUMBER + 'x' })),
        400,
      );
      const callback = {
        AccountSid: 'AC' + 'b'.repeat(32),
        From: OUR_NUMBER,
        To: PHONE,
        MessageSid: 'SM' + '5'.repeat(32),
        SmsSid: 'SM' + '5'.repeat(32),
        MessageStatus: 'delivered',
        SmsStatus: 'delivered',
        ApiVersion: '2010-04-01',
      };
      assert.equal(await postSigned(url, token, callback), 200);
      assert.equal(
        await postSigned(
          url,
          token,
          fields({ MessageSid: 'SM' + '6'.repeat(32), To: 'whatsapp:' + OUR_NUMBER, From: 'whatsapp:' + PHONE }),
        ),
        200,
      );
      await p.waitFor(/SM6{32}/, { stream: 'stdout' });
      const lines = jsonLines(p.stdout);
      assert.deepEqual(
        lines.map((l) => l.payload.message_sid),
        ['SM' + '6'.repeat(32)],
        'only the message to our number fired a trigger',
      );
      assert.match(p.stderr, /refused not_our_number from \+14155550123: the message is to \+15005550007/);
      assert.match(p.stderr, /refused not_e164/);
      assert.match(p.stderr, /status callback: SM5{32} delivered/);
    } finally {
      p.kill('SIGINT');
      await p.exited;
    }
  });

  test("the emulator's signed status callbacks of a message sent from the number, pointed at the listener, keep working: 200, no trigger, nothing refused", async () => {
    const { p, url } = await startListen(f, ['--json'], {}, here);
    try {
      const sent = await runCliInProcess(
        ['send', '--to', PHONE, '--body', 'callback me', '--status-callback', url, '--wait', '--json'],
        { env: f.env },
      );
      assert.equal(sent.code, 0, sent.stderr);
      const sid = JSON.parse(sent.stdout).sid as string;
      await p.waitFor(new RegExp(`status callback: ${sid} delivered`));
      assert.equal(p.stdout.trim(), '', 'no trigger');
      assert.doesNotMatch(p.stderr, /refused/);
    } finally {
      p.kill('SIGINT');
      await p.exited;
    }
  });

  test('events replay refuses a refused event, to the listener (no laundering) and to --forward-to', async () => {
    const { p, url } = await startListen(f, ['--json'], {}, here);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields({ MessageSid: 'SM' + '7'.repeat(32) })).toString(),
      });
      assert.equal(res.status, 403);
      const m = await p.waitFor(/refused missing_signature.*\(#(\d+)\)/);
      const id = m[1]!;
      const toListener = await runCliInProcess(['events', 'replay', id, '--to-listener'], { env: f.env });
      assert.equal(toListener.code, 1, toListener.stderr);
      assert.match(
        toListener.stderr,
        new RegExp(`error: event #${id} was refused \\(missing_signature\\): a refused request is never replayed`),
      );
      const forward = await runCliInProcess(['events', 'replay', id, '--forward-to', 'http://127.0.0.1:9/x'], {
        env: f.env,
      });
      assert.equal(forward.code, 1);
      assert.match(forward.stderr, /was refused/);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(p.stdout.trim(), '', 'no trigger');
    } finally {
      p.kill('SIGINT');
      await p.exited;
    }
  });

  test('escape sequences from outside are shown escaped in every human output; --json keeps them exact', async () => {
    const { p, url } = await startListen(f, [], {}, here);
    try {
      // A forged request with an evil From and path query, and a signed message with an evil body and profile name.
      const forged = await fetch(url + '?x=' + encodeURIComponent(EVIL), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields({ From: EVIL })).toString(),
      });
      assert.equal(forged.status, 403);
      await p.waitFor(/refused missing_signature/);
      const d = await f.emulator.deliverInbound({
        from: PHONE,
        to: OUR_NUMBER,
        body: `evil ${EVIL} body`,
        whatsapp: true,
        profileName: `Eve ${EVIL}`,
      });
      assert.equal(d.statusCode, 200);
      await p.waitFor(/evil/, { stream: 'stdout' });
    } finally {
      p.kill('SIGINT');
      await p.exited;
    }
    assert.doesNotMatch(p.stdout, CONTROL, 'listen stdout');
    assert.doesNotMatch(p.stderr, CONTROL, 'listen stderr');
    assert.match(p.stdout, /evil \\x1b\]0;PWNED\\x07\\x1b\[2J/);
    assert.match(p.stdout, /\\u202e/);

    const list = await runCliInProcess(['events', 'list'], { env: f.env });
    assert.equal(list.code, 0, list.stderr);
    assert.doesNotMatch(list.stdout, CONTROL, 'events list');
    assert.match(list.stdout, /\\x1b/);
    const ids = JSON.parse((await runCliInProcess(['events', 'list', '--json'], { env: f.env })).stdout) as {
      id: number;
      status: string;
      text: string | null;
      from: string | null;
    }[];
    const accepted = ids.find((e) => e.status === 'accepted' && e.text?.includes('evil'))!;
    assert.equal(accepted.text, `evil ${EVIL} body`, '--json is exact');
    const refused = ids.find((e) => e.status === 'refused')!;
    for (const id of [accepted.id, refused.id]) {
      const show = await runCliInProcess(['events', 'show', String(id)], { env: f.env });
      assert.equal(show.code, 0, show.stderr);
      assert.doesNotMatch(show.stdout, CONTROL, `events show ${id}`);
    }

    const messages = await runCliInProcess(['messages', 'list'], { env: f.env });
    assert.equal(messages.code, 0, messages.stderr);
    assert.doesNotMatch(messages.stdout, CONTROL, 'messages list');
    assert.match(messages.stdout, /evil \\x1b/);
    const msgJson = JSON.parse((await runCliInProcess(['messages', 'list', '--json'], { env: f.env })).stdout) as {
      sid: string;
      body: string;
    }[];
    const evil = msgJson.find((m) => m.body.includes('evil'))!;
    assert.equal(evil.body, `evil ${EVIL} body`);
    const show = await runCliInProcess(['messages', 'show', evil.sid], { env: f.env });
    assert.equal(show.code, 0, show.stderr);
    assert.doesNotMatch(show.stdout, CONTROL, 'messages show');
  });

  test('an error line quoting the input is escaped too', async () => {
    // An unknown SID: the error line carries what was asked for, escaped.
    const r = await runCliInProcess(['messages', 'show', `SM${EVIL}`], { env: f.env });
    assert.notEqual(r.code, 0);
    assert.doesNotMatch(r.stderr, CONTROL);
  });
});

/**
 * A D-Bus socket the test can pull away: connections to it are piped to the test keychain's bus, until
 * `cut()` closes it and every piped connection, as a logout ends the session bus.
 */
async function dbusProxy(): Promise<{ address: string; cut(): Promise<void>; cleanup(): void }> {
  const real = process.env.DBUS_SESSION_BUS_ADDRESS ?? '';
  const m = /unix:(path|abstract)=([^,;]+)/.exec(real);
  if (!m) throw new Error(`cannot proxy DBUS_SESSION_BUS_ADDRESS=${real}`);
  const target = m[1] === 'abstract' ? '\0' + m[2] : m[2]!;
  const path = join(tmpdir(), `fruxon-dbus-proxy-${process.pid}-${Date.now()}.sock`);
  const sockets = new Set<Socket>();
  const server: NetServer = createNetServer((client) => {
    const upstream = createConnection(target);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(path, r));
  return {
    address: `unix:path=${path}`,
    cut: async () => {
      await new Promise<void>((r) => {
        server.close(() => r());
        for (const s of sockets) s.destroy();
      });
      rmSync(path, { force: true });
    },
    cleanup: () => rmSync(path, { force: true }),
  };
}

describe('restore when the keychain went away', () => {
  let f: EmulatorFixture;
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os', name: 'logout' });
  });
  after(async () => {
    await stopAllCliRuns();
    await f?.cleanup();
  });

  test('the keychain unreachable at stop: the number still gets its production URL back (everything was loaded at start)', async () => {
    const production = 'https://ingress.fruxon.test/v1/tenants/acme/webhooks/twilio/cfg/k3yL0g0utK3yL0g0utK3y';
    const set = await runCliInProcess(['configs', 'set', 'logout', '--webhook-url-stdin'], {
      env: f.env,
      input: production,
    });
    assert.equal(set.code, 0, set.stderr);
    f.emulator.setSmsUrl(OUR_NUMBER, production);
    const proxy = await dbusProxy();
    try {
      const { p, url } = await startListen(f, [], { DBUS_SESSION_BUS_ADDRESS: proxy.address });
      assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, url);
      await proxy.cut();
      p.kill('SIGINT');
      const { code } = await p.exited;
      assert.equal(code, 0, p.stderr);
      assert.match(
        p.stderr,
        /could not read the production webhook URL again .*: using the one read at start/,
        'the keychain was unreachable',
      );
      assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, production);
      assert.match(p.stderr, /Restored the webhook of \+15005550006 to https:\/\/ingress\.fruxon\.test\/…/);
      assert.equal(p.stderr.includes('k3yL0g0utK3yL0g0utK3y'), false);
      const store = openStore(f.env);
      try {
        assert.equal(store.leases.get(f.configId), undefined, 'the lease is released');
      } finally {
        store.close();
      }
    } finally {
      proxy.cleanup();
    }
  });
});
