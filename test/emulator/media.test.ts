import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { runCliChildProcess, tempHome } from '../helpers/cli.js';
import { emulatorClient } from '../helpers/emulator-client.js';

describe("emulator: a message's Media list", () => {
  let emu: Emulator;
  const h = tempHome();
  before(async () => {
    emu = await startEmulator({ numbers: ['+15005550006'], statusDelayMs: 5 });
  });
  after(async () => {
    await emu.stop();
    h.cleanup();
  });

  it('lists each media item with a stable ME sid, its content type and its parent, through the twilio client', async () => {
    const client = emulatorClient(emu);
    const m = await client.messages.create({
      from: '+15005550006',
      to: '+14155550123',
      mediaUrl: ['https://example.test/a.jpg', 'https://example.test/b.png'],
    });
    const first = await client.messages(m.sid).media.list();
    const again = await client.messages(m.sid).media.list();
    assert.equal(first.length, 2);
    assert.deepEqual(
      first.map((x) => x.contentType),
      ['image/jpeg', 'image/png'],
    );
    for (const item of first) {
      assert.match(item.sid, /^ME[0-9a-f]{32}$/);
      assert.equal(item.parentSid, m.sid);
      assert.equal(item.uri, `/2010-04-01/Accounts/${emu.accountSid}/Messages/${m.sid}/Media/${item.sid}.json`);
    }
    assert.deepEqual(
      again.map((x) => x.sid),
      first.map((x) => x.sid),
    );
    assert.notEqual(first[0]!.sid, first[1]!.sid);
    await assert.rejects(
      client.messages('SM' + '0'.repeat(32)).media.list(),
      (err: { status?: number; code?: number }) => err.status === 404 && err.code === 20404,
    );
  });

  it('messages show prints the media URLs of a message (built CLI)', async () => {
    const env = { ...h.env, TWILIO_AUTH_TOKEN: emu.authToken };
    const add = await runCliChildProcess(
      [
        'add-config',
        '--name',
        'm',
        '--from',
        '+15005550006',
        '--account-sid',
        emu.accountSid,
        '--api-url',
        emu.url,
        '--token-from-env',
      ],
      { env },
    );
    assert.equal(add.code, 0, add.stderr);
    const m = await emulatorClient(emu).messages.create({
      from: '+15005550006',
      to: '+14155550123',
      mediaUrl: ['https://example.test/c.gif'],
    });
    const r = await runCliChildProcess(['messages', 'show', m.sid, '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const shown = JSON.parse(r.stdout);
    assert.equal(shown.media.length, 1);
    assert.equal(shown.media[0].content_type, 'image/gif');
    assert.match(
      shown.media[0].url,
      new RegExp(`^${emu.url}/2010-04-01/Accounts/${emu.accountSid}/Messages/${m.sid}/Media/ME[0-9a-f]{32}$`),
    );
    assert.equal(r.stderr, '', 'no warning: the media list was available');
  });
});

describe('emulator: Twilio-hosted inbound media', () => {
  let emu: Emulator;
  let source: import('node:http').Server;
  let sourceUrl = '';
  before(async () => {
    const http = await import('node:http');
    source = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'image/png' });
      res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    });
    await new Promise<void>((r) => source.listen(0, '127.0.0.1', r));
    sourceUrl = `http://127.0.0.1:${(source.address() as import('node:net').AddressInfo).port}/photo.png`;
    emu = await startEmulator({ numbers: ['+15005551501'], statusDelayMs: 5 });
  });
  after(async () => {
    await emu.stop();
    source.closeAllConnections();
    await new Promise((r) => source.close(r));
  });

  async function inboundWithMedia(): Promise<{ sid: string; urls: string[] }> {
    const res = await fetch(`${emu.url}/_emulator/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        from: '+14155550144',
        to: '+15005551501',
        body: 'pics',
        media_urls: ['data:text/plain;base64,aGVsbG8=', sourceUrl],
      }),
    });
    assert.equal(res.status, 202);
    const sid = ((await res.json()) as { message_sid: string }).message_sid;
    const items = await emulatorClient(emu).messages(sid).media.list();
    return {
      sid,
      urls: items.map((x) => `${emu.url}/2010-04-01/Accounts/${emu.accountSid}/Messages/${sid}/Media/${x.sid}`),
    };
  }

  it("serves the bytes at the emulator's own media URLs, with no credentials by default", async () => {
    const { sid, urls } = await inboundWithMedia();
    assert.match(sid, /^MM[0-9a-f]{32}$/);
    const text = await fetch(urls[0]!);
    assert.equal(text.status, 200);
    assert.equal(text.headers.get('content-type'), 'text/plain');
    assert.equal(await text.text(), 'hello');
    const png = await fetch(urls[1]!);
    assert.equal(png.status, 200);
    assert.equal(png.headers.get('content-type'), 'image/png');
    assert.deepEqual([...new Uint8Array(await png.arrayBuffer())], [0x89, 0x50, 0x4e, 0x47]);
    assert.equal((await fetch(`${urls[0]!.slice(0, -32)}${'0'.repeat(32)}`)).status, 404);
    assert.equal(emu.getMessage(sid)!.media[0]!.url, urls[0], 'the message records the hosted URL');
  });

  it('with "enforce HTTP auth on media" the media answers 401 without Basic auth, 200 with it', async () => {
    const on = await fetch(`${emu.url}/_emulator/account`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ enforce_media_auth: true }),
    });
    assert.equal(on.status, 200);
    const { urls } = await inboundWithMedia();
    const anonymous = await fetch(urls[0]!);
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { code: number }).code, 20003);
    const wrong = await fetch(urls[0]!, {
      headers: { Authorization: 'Basic ' + Buffer.from(`${emu.accountSid}:nope`).toString('base64') },
    });
    assert.equal(wrong.status, 401);
    const authed = await fetch(urls[0]!, {
      headers: { Authorization: 'Basic ' + Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64') },
    });
    assert.equal(authed.status, 200);
    assert.equal(await authed.text(), 'hello');
    await fetch(`${emu.url}/_emulator/account`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ enforce_media_auth: false }),
    });
    assert.equal((await fetch(urls[0]!)).status, 200);
  });
});
