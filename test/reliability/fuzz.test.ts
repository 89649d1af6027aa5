import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';
import { REFUSED_DETAILS_PER_MINUTE } from '../../src/listener/refusals.js';
import { openStore } from '../../src/store/index.js';
import { CliChildProcess, runCliChildProcess, stopAllCliRuns, tempHome } from '../helpers/cli.js';

const TOKEN = 'fuzz0token0' + '7'.repeat(21);

/** Writes raw bytes on a fresh connection; resolves with the status code of the answer, or null when none came. */
function raw(
  port: number,
  bytes: Buffer | string,
  opts: { endAfterWrite?: boolean; waitMs?: number } = {},
): Promise<number | null> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let got = '';
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      const m = got.match(/^HTTP\/1\.[01] (\d{3})/);
      resolve(m ? Number(m[1]) : null);
    };
    const timer = setTimeout(done, opts.waitMs ?? 3000);
    sock.on('data', (d) => {
      got += d.toString('latin1');
      if (/^HTTP\/1\.[01] \d{3}[\s\S]*\r\n\r\n/.test(got)) done();
    });
    sock.on('error', done);
    sock.on('close', done);
    sock.write(bytes);
    if (opts.endAfterWrite) sock.end();
  });
}

function req(path: string, headers: Record<string, string | string[]>, body: Buffer | string): Buffer {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const lines = [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [k, v] of Object.entries(headers)) for (const x of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${x}`);
  if (
    !Object.keys(headers).some((k) => k.toLowerCase() === 'content-length' || k.toLowerCase() === 'transfer-encoding')
  )
    lines.push(`Content-Length: ${b.length}`);
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), b]);
}

describe('fuzzing the webhook endpoint', () => {
  const h = tempHome();
  const env = { ...h.env, TWILIO_AUTH_TOKEN: TOKEN };
  let p: CliChildProcess;
  let url: URL;
  before(async () => {
    const r = await runCliChildProcess(
      [
        'add-config',
        '--name',
        'fz',
        '--from',
        '+15005550006',
        '--account-sid',
        'AC' + '2'.repeat(32),
        '--token-from-env',
        '--no-verify',
      ],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    p = new CliChildProcess(['listen', '--json', '--no-register', '--port', '0', '--tunnel', 'none'], { env });
    url = new URL((await p.waitFor(/Ready! Listening for messages to \S+ at (\S+)/))[1]!);
  });
  after(async () => {
    await stopAllCliRuns();
    h.cleanup();
  });

  test('malformed input: no crash, every answer 4xx or 200, nothing accepted without a valid signature', async () => {
    const port = Number(url.port);
    const path = url.pathname;
    const form = 'application/x-www-form-urlencoded';
    const good = { MessageSid: 'SM' + 'e'.repeat(32), From: '+14155550123', To: '+15005550006', Body: 'ok' };
    const goodSig = getExpectedTwilioSignature(TOKEN, url.href, good);
    const forged = 'A'.repeat(27) + '=';
    const cases: [string, Buffer | string, { endAfterWrite?: boolean; waitMs?: number }?][] = [
      [
        'invalid percent-encoding',
        req(path, { 'Content-Type': form, 'X-Twilio-Signature': forged }, '%%%&=&a=%ZZ&b&&=x&MessageSid=%E0%A4%A'),
      ],
      ['no signature', req(path, { 'Content-Type': form }, new URLSearchParams(good).toString())],
      [
        'signature of another body',
        req(
          path,
          { 'Content-Type': form, 'X-Twilio-Signature': goodSig },
          new URLSearchParams({ ...good, Body: 'evil' }).toString(),
        ),
      ],
      [
        'two signature headers',
        req(
          path,
          { 'Content-Type': form, 'X-Twilio-Signature': [goodSig, goodSig] },
          new URLSearchParams({ ...good, Body: 'dup' }).toString(),
        ),
      ],
      ['binary body', req(path, { 'Content-Type': form, 'X-Twilio-Signature': forged }, randomBytes(4096))],
      [
        'non-UTF-8 body',
        req(
          path,
          { 'Content-Type': form, 'X-Twilio-Signature': forged },
          Buffer.from([0x42, 0x6f, 0x64, 0x79, 0x3d, 0xff, 0xfe, 0xc0, 0xaf, 0x26, 0x46, 0x72, 0x6f, 0x6d, 0x3d, 0xe9]),
        ),
      ],
      [
        'huge field under the limit',
        req(
          path,
          { 'Content-Type': form, 'X-Twilio-Signature': forged },
          'Body=' + 'x'.repeat(60_000) + '&MessageSid=SM1',
        ),
      ],
      [
        'huge field over the limit',
        req(path, { 'Content-Type': form, 'X-Twilio-Signature': forged }, 'Body=' + 'x'.repeat(200_000)),
      ],
      ['huge declared length', req(path, { 'Content-Type': form, 'Content-Length': '999999999' }, 'a=1')],
      [
        'JSON content type',
        req(path, { 'Content-Type': 'application/json', 'X-Twilio-Signature': goodSig }, JSON.stringify(good)),
      ],
      ['text/plain', req(path, { 'Content-Type': 'text/plain' }, new URLSearchParams(good).toString())],
      [
        'multipart',
        req(
          path,
          { 'Content-Type': 'multipart/form-data; boundary=x' },
          '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
        ),
      ],
      ['no content type', req(path, {}, new URLSearchParams(good).toString())],
      ['two content lengths', req(path, { 'Content-Type': form, 'Content-Length': ['3', '5'] }, 'a=1&b')],
      [
        'bad chunked encoding',
        req(path, { 'Content-Type': form, 'Transfer-Encoding': 'chunked' }, 'zz\r\nabc\r\n0\r\n\r\n'),
      ],
      [
        'header with a control character',
        Buffer.from(
          `POST ${path} HTTP/1.1\r\nHost: x\r\nX-Twilio-Signature: a\u0001b\r\nContent-Length: 0\r\n\r\n`,
          'latin1',
        ),
      ],
      ['garbage request line', 'GARBAGE\r\n\r\n'],
      ['binary instead of HTTP', randomBytes(512)],
      ['GET', `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`],
      ['another path', req('/webhooks/twilio/not-this-one', { 'Content-Type': form }, 'a=1')],
      ['path traversal', req(path + '/../../etc/passwd', { 'Content-Type': form }, 'a=1')],
      [
        'truncated body',
        req(path, { 'Content-Type': form, 'Content-Length': '500', 'X-Twilio-Signature': goodSig }, 'MessageSid=SM'),
        { endAfterWrite: true, waitMs: 500 },
      ],
    ];
    const statuses: Record<string, number | null> = {};
    for (const [name, bytes, o] of cases) statuses[name] = await raw(port, bytes, o);
    for (const [name, s] of Object.entries(statuses)) {
      if (name === 'truncated body') continue; // the client hung up: no answer is owed
      assert.ok(s !== null && s >= 400 && s < 500, `${name}: ${s}`);
    }
    assert.equal(statuses['no signature'], 403);
    assert.equal(statuses['signature of another body'], 403);
    assert.equal(statuses['two signature headers'], 403);
    assert.equal(statuses['huge field over the limit'], 413);
    assert.equal(statuses['JSON content type'], 415);

    // 200 concurrent random bodies with random (forged) signatures
    const rnd = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const body =
          i % 2
            ? randomBytes(64 + i).toString('latin1')
            : new URLSearchParams({ ...good, MessageSid: `SM${i}`, Body: randomBytes(20).toString('hex') }).toString();
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': form, 'x-twilio-signature': randomBytes(20).toString('base64') },
          body,
        });
        await res.text();
        return res.status;
      }),
    );
    // 400 for a body whose field name runs past the form limits (refused before the signature is checked).
    assert.ok(
      rnd.every((s) => s === 403 || s === 400),
      `statuses: ${[...new Set(rnd)]}`,
    );

    // Still alive and still accepting a valid, signed webhook.
    assert.equal(p.child.exitCode, null, p.stderr);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': form, 'x-twilio-signature': goodSig },
      body: new URLSearchParams(good).toString(),
    });
    assert.equal(res.status, 200, await res.text());
    await p.waitFor(/"message_sid":"SMe{32}"/, { stream: 'stdout' });
    assert.equal(p.stdout.trim().split('\n').length, 1, 'exactly one event printed');
    assert.doesNotMatch(p.stderr, /listener: |internal error/);

    const store = openStore(h.env);
    try {
      const accepted = store.events.list({ status: 'accepted', limit: 1000 });
      assert.deepEqual(
        accepted.map((e) => e.messageSid),
        ['SM' + 'e'.repeat(32)],
      );
      assert.ok(accepted.every((e) => e.signatureValid === true));
      const refused = store.events.list({ status: 'refused', limit: 1000 });
      // Refused requests are recorded within a per-minute budget (the test may straddle a minute: two budgets).
      assert.ok(
        refused.length >= 1 && refused.length <= 2 * REFUSED_DETAILS_PER_MINUTE,
        `refused rows: ${refused.length}`,
      );
      assert.ok(
        refused.every((e) => Object.keys(e.rawForm).length === 0 && (e.bodyExcerpt ?? '').length <= 1024),
        'refused events keep no form',
      );
      assert.ok(refused.every((e) => e.signatureValid !== true && e.payload === null));
      assert.equal(store.db.pragma('integrity_check', { simple: true }) as string, 'ok');
    } finally {
      store.close();
    }
  });
});
