import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { CliChildProcess, stopAllCliRuns, tempHome } from '../helpers/cli.js';

const NUMBER = '+15005550006';
const INBOUND = JSON.stringify({ from: '+14155550123', to: NUMBER, body: 'forged by a web page' });

function post(url: string, headers: Record<string, string>, body = INBOUND): Promise<Response> {
  return fetch(url, { method: 'POST', headers, body });
}

describe('emulator control API: no web page can reach it (issue 28)', () => {
  let emu: Emulator;
  before(async () => {
    emu = await startEmulator({ numbers: [NUMBER], statusDelayMs: 5 });
  });
  after(async () => {
    await emu.stop();
  });

  it('a foreign Origin (another loopback port, a site, null) is refused 403 and nothing is received', async () => {
    const port = new URL(emu.url).port;
    for (const origin of ['http://127.0.0.1:8080', `http://evil.test:${port}`, 'null', 'https://example.com']) {
      const res = await post(`${emu.url}/_emulator/inbound`, { 'content-type': 'application/json', origin });
      assert.equal(res.status, 403, origin);
      assert.match((await res.json()).error, /^cross-origin request refused/);
    }
    const topology = await fetch(`${emu.url}/_emulator/topology`, { headers: { origin: 'http://127.0.0.1:8080' } });
    assert.equal(topology.status, 403);
    // Before: the listener behind the number recorded a signed trigger for each of these.
    assert.equal(emu.messages().length, 0);
  });

  it('a foreign Host on loopback (a site rebound to 127.0.0.1: its same-origin GET has no Origin) is refused 403', async () => {
    const port = Number(new URL(emu.url).port);
    const get = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/_emulator/topology', headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    assert.equal(await get(`evil.test:${port}`), 403);
    assert.equal(await get(`127.0.0.1.nip.io:${port}`), 403);
    assert.equal(await get(`127.0.0.1:${port}`), 200);
    assert.equal(await get(`localhost:${port}`), 200);
  });

  it('what a no-cors fetch or a form can send (text/plain, urlencoded, multipart, none) is refused 415', async () => {
    for (const type of ['text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data']) {
      const res = await post(`${emu.url}/_emulator/inbound`, { 'content-type': type });
      assert.equal(res.status, 415, type);
      assert.match(
        (await res.json()).error,
        /^unsupported media type: the control API takes Content-Type: application\/json/,
      );
    }
    const none = await fetch(`${emu.url}/_emulator/inbound`, {
      method: 'POST',
      body: new Uint8Array(Buffer.from(INBOUND)),
    });
    assert.equal(none.status, 415);
    assert.equal(emu.messages().length, 0);
  });

  it('its own origin, and a script (no Origin) sending JSON, still work', async () => {
    const own = await post(`${emu.url}/_emulator/inbound`, { 'content-type': 'application/json', origin: emu.url });
    assert.equal(own.status, 202);
    const script = await post(`${emu.url}/_emulator/inbound`, { 'content-type': 'application/json; charset=utf-8' });
    assert.equal(script.status, 202);
    const port = new URL(emu.url).port;
    const local = await post(`${emu.url}/_emulator/inbound`, {
      'content-type': 'application/json',
      origin: `http://localhost:${port}`,
    });
    assert.equal(local.status, 202, 'localhost is the same emulator on loopback');
    assert.equal((await fetch(`${emu.url}/_emulator/topology`)).status, 200);
  });
});

describe('emulator --control-token', () => {
  const h = tempHome();
  after(async () => {
    await stopAllCliRuns();
    h.cleanup();
  });

  it('the library: without the bearer token 401, with it 202', async () => {
    const emu = await startEmulator({ numbers: [NUMBER], statusDelayMs: 5, controlToken: 'sekrit-token-1' });
    try {
      assert.equal(emu.controlToken, 'sekrit-token-1');
      const json = { 'content-type': 'application/json' };
      assert.equal((await post(`${emu.url}/_emulator/inbound`, json)).status, 401);
      assert.equal(
        (await post(`${emu.url}/_emulator/inbound`, { ...json, authorization: 'Bearer sekrit-token-2' })).status,
        401,
      );
      assert.equal((await fetch(`${emu.url}/_emulator/topology`)).status, 401);
      assert.equal(
        (await post(`${emu.url}/_emulator/inbound`, { ...json, authorization: 'Bearer sekrit-token-1' })).status,
        202,
      );
    } finally {
      await emu.stop();
    }
  });

  it('the CLI: a generated token is printed in the --json first line and opens the control API; none without the option', async () => {
    const p = new CliChildProcess(['emulator', '--json', '--port', '0', '--number', NUMBER, '--control-token'], {
      env: h.env,
    });
    await p.waitFor(/\n/, { stream: 'stdout' });
    const first = JSON.parse(p.stdout.split('\n')[0]!);
    assert.match(first.control_token, /^[\w-]{32}$/);
    const json = { 'content-type': 'application/json' };
    assert.equal((await post(`${first.url}/_emulator/inbound`, json)).status, 401);
    const ok = await post(`${first.url}/_emulator/inbound`, {
      ...json,
      authorization: `Bearer ${first.control_token}`,
    });
    assert.equal(ok.status, 202);
    await p.stop();

    const q = new CliChildProcess(
      ['emulator', '--json', '--port', '0', '--number', NUMBER, '--control-token', 'mine-12345'],
      {
        env: h.env,
      },
    );
    await q.waitFor(/\n/, { stream: 'stdout' });
    assert.equal(JSON.parse(q.stdout.split('\n')[0]!).control_token, 'mine-12345');
    await q.stop();

    const r = new CliChildProcess(['emulator', '--json', '--port', '0', '--number', NUMBER], { env: h.env });
    await r.waitFor(/\n/, { stream: 'stdout' });
    assert.equal('control_token' in JSON.parse(r.stdout.split('\n')[0]!), false, 'the first line is as before');
    await r.stop();
  });
});
