import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { CliChildProcess, type RunningCli, stopAllCliRuns } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, PHONE } from '../helpers/fixtures.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { osKeychain } from '../helpers/keychains.js';
import { startListen } from '../helpers/listen.js';
import { get, type InspectorUrl, inspectorUrl, login } from './helpers.js';

const PRODUCTION_URL = 'https://prod.fruxon.example/hooks/twilio/whsec_inspector_secret_path';
const FRUXON_TOKEN = 'frx_inspector_test_token_not_real_0123456789';

// Commands and the first block's listen run in this process, on the (test) keychain the other listens read.
const testKeychain = osKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

describe('inspector over HTTP: token, cookie, Host, action header, no secrets', () => {
  let f: EmulatorFixture;
  let p: RunningCli;
  let i: InspectorUrl;
  let listenUrl = '';
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os' });
    const set = await runCliInProcess(['configs', 'set', f.configName, '--webhook-url-stdin'], {
      env: f.env,
      input: PRODUCTION_URL,
    });
    assert.equal(set.code, 0, set.stderr);
    ({ p, url: listenUrl } = await startListen(
      f,
      ['--inspect-port', '0', '--json'],
      { FRUXON_TOKEN },
      { inProcess: true },
    ));
    i = await inspectorUrl(p);
    assert.equal(
      (await runCliInProcess(['simulate', '--from', PHONE, '--body', 'hello inspector'], { env: f.env })).code,
      0,
    );
    assert.equal((await runCliInProcess(['simulate', '--from', PHONE, '--bad-signature'], { env: f.env })).code, 1);
  });
  after(async () => {
    await stopAllCliRuns();
    await f.cleanup();
  });

  test('the Inspector line comes after Ready! on stderr, and --json keeps stdout to the events', async () => {
    assert.ok(p.stderr.indexOf('Ready!') < p.stderr.indexOf('Inspector: http://127.0.0.1:'), p.stderr);
    assert.equal(p.stderr.split('\n').filter((l) => l.startsWith('Inspector: ')).length, 1);
    await p.waitFor(/hello inspector/, { stream: 'stdout' });
    for (const line of p.stdout.trim().split('\n')) assert.equal(JSON.parse(line).trigger, 'twilio.message.received');
  });

  test('no token, a wrong token or a wrong cookie: 403 on the page, the assets, the API and the stream', async () => {
    for (const path of ['/', '/app.js', '/app.css', '/api/state', '/api/stream', '/api/events/1']) {
      assert.equal((await get(i.port, path)).status, 403, `${path} without a cookie`);
      assert.equal(
        (await get(i.port, path, { cookie: `fruxon_inspector_${i.port}=${'x'.repeat(i.token.length)}` })).status,
        403,
        `${path} with a wrong cookie`,
      );
      assert.equal(
        (await get(i.port, path, { cookie: `fruxon_inspector_${i.port}=${i.token}x` })).status,
        403,
        `${path} with a longer cookie`,
      );
    }
    assert.equal((await get(i.port, '/?token=wrong')).status, 403);
    assert.equal(
      (await get(i.port, `/api/state?token=${i.token}`)).status,
      403,
      'the API takes the cookie, not the URL token',
    );
  });

  test('the token is traded for an HttpOnly SameSite=Strict cookie; pages carry a strict CSP', async () => {
    const r = await get(i.port, `/?token=${i.token}`);
    assert.equal(r.status, 303);
    // The token goes to the page in the fragment (no server sees it); the page keeps it and clears the address bar.
    assert.equal(r.headers.location, `/#token=${i.token}`);
    const cookie = String((r.headers['set-cookie'] as string[])[0]);
    assert.equal(cookie.includes(i.token), false, 'the cookie (which every port on 127.0.0.1 gets) is not the token');
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const page = await get(i.port, '/', { cookie: cookie.split(';')[0] });
    assert.equal(page.status, 200);
    assert.match(page.body, /<script src="\/app\.js"/);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
  });

  test('a foreign Host (DNS rebinding) is refused even with the cookie; localhost:PORT is fine', async () => {
    const cookie = await login(i);
    for (const host of [
      `evil.example:${i.port}`,
      `127.0.0.1.nip.io:${i.port}`,
      '127.0.0.1',
      `127.0.0.1:${i.port + 1}`,
    ]) {
      assert.equal((await get(i.port, '/api/state', { cookie, host, token: i.token })).status, 403, host);
      assert.equal((await get(i.port, `/?token=${i.token}`, { host })).status, 403, host);
    }
    assert.equal(
      (await get(i.port, '/api/state', { cookie, host: `localhost:${i.port}`, token: i.token })).status,
      200,
    );
  });

  test('actions need the X-Fruxon-Inspector header, JSON and our own Origin', async () => {
    const cookie = await login(i);
    const body = JSON.stringify({ to: PHONE, channel: 'sms', body: 'should not be sent' });
    const json = { 'content-type': 'application/json' };
    const before = f.emulator.messages().length;
    assert.equal(
      (await get(i.port, '/api/reply', { method: 'POST', cookie, token: i.token, headers: json, body })).status,
      403,
      'no header',
    );
    assert.equal(
      (
        await get(i.port, '/api/reply', {
          method: 'POST',
          cookie,
          token: i.token,
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-fruxon-inspector': '1' },
          body: 'to=1',
        })
      ).status,
      415,
    );
    assert.equal(
      (await get(i.port, '/api/reply', { method: 'POST', headers: { ...json, 'x-fruxon-inspector': '1' }, body }))
        .status,
      403,
      'no cookie',
    );
    const cross = await get(i.port, '/api/reply', {
      method: 'POST',
      cookie,
      token: i.token,
      headers: { ...json, 'x-fruxon-inspector': '1', origin: 'https://evil.example' },
      body,
    });
    assert.equal(cross.status, 403, 'foreign Origin');
    assert.equal(
      (
        await get(i.port, '/api/events/1/replay', {
          method: 'POST',
          cookie,
          token: i.token,
          headers: json,
          body: '{"target":"listener","new_sid":true}',
        })
      ).status,
      403,
    );
    assert.equal(f.emulator.messages().length, before, 'nothing was sent');
    const bad = await get(i.port, '/api/reply', {
      method: 'POST',
      cookie,
      token: i.token,
      headers: { ...json, 'x-fruxon-inspector': '1' },
      body: JSON.stringify({ to: '0123', channel: 'sms', body: 'x' }),
    });
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).error, /^to must be an E\.164 number/);
  });

  test('no secret in any page or API answer', async () => {
    const cookie = await login(i);
    const state = await get(i.port, '/api/state', { cookie, token: i.token });
    const events = JSON.parse(state.body).events as { id: number; status: string }[];
    assert.equal(
      JSON.parse(state.body).status_callback_url,
      listenUrl,
      "the listener's status-callback URL (send --status-callback)",
    );
    assert.deepEqual(events.map((e) => e.status).sort(), ['accepted', 'refused']);
    const refused = JSON.parse(
      (await get(i.port, `/api/events/${events.find((e) => e.status === 'refused')!.id}`, { cookie, token: i.token }))
        .body,
    );
    assert.equal(refused.reason, 'invalid_signature');
    assert.match(refused.detail, /X-Twilio-Signature does not match/);
    const answers = [
      state,
      await get(i.port, '/', { cookie, token: i.token }),
      await get(i.port, '/app.js', { cookie, token: i.token }),
      await get(i.port, '/app.css', { cookie, token: i.token }),
      await get(i.port, '/api/stream', { cookie, stream: true, token: i.token }),
    ];
    for (const e of events) answers.push(await get(i.port, `/api/events/${e.id}`, { cookie, token: i.token }));
    const reply = await get(i.port, '/api/reply', {
      method: 'POST',
      cookie,
      token: i.token,
      headers: { 'content-type': 'application/json', 'x-fruxon-inspector': '1' },
      body: JSON.stringify({ to: PHONE, channel: 'sms', body: 'a reply' }),
    });
    assert.equal(reply.status, 200, reply.body);
    answers.push(reply, await get(i.port, '/api/state', { cookie, token: i.token }));
    for (const a of answers) {
      for (const secret of [f.emulator.authToken, PRODUCTION_URL, 'whsec_inspector_secret_path', FRUXON_TOKEN]) {
        assert.equal(a.body.includes(secret), false, `a secret in ${a.body.slice(0, 80)}`);
        assert.equal(JSON.stringify(a.headers).includes(secret), false);
      }
    }
  });
});

describe('inspector ports', () => {
  let f: EmulatorFixture;
  let blocker: Server | null = null;
  before(async () => (f = await emulatorWithConfig({ keychain: 'os' })));
  after(async () => {
    blocker?.close();
    await stopAllCliRuns();
    await f.cleanup();
  });

  test('the default port taken (say by another listen): another free port, printed; an explicit taken port is an error', async () => {
    // This test holds 7339 itself: a listen of a parallel test file may hold it for a moment, and let it go.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const server = createServer();
      const bound = await new Promise<boolean>((r) =>
        server.once('error', () => r(false)).listen(7339, '127.0.0.1', () => r(true)),
      );
      if (bound) {
        blocker = server;
        break;
      }
      assert.ok(Date.now() < deadline, 'port 7339 stayed in use by something else for a minute');
      await new Promise((r) => setTimeout(r, 100));
    }
    const { p } = await startListen(f);
    try {
      const i = await inspectorUrl(p);
      assert.notEqual(i.port, 7339);
    } finally {
      p.child.kill('SIGINT');
    }
    assert.equal((await p.exited).code, 0);
    // An explicit port that is taken (here by the inspector of another listen) is an error.
    const other = await emulatorWithConfig({ keychain: 'os', name: 'other' });
    try {
      const { p: q } = await startListen(other, ['--inspect-port', '0']);
      const taken = (await inspectorUrl(q)).port;
      const r = await runCliInProcess(['listen', '--port', '0', '--inspect-port', String(taken)], { env: f.env });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^error: --inspect-port ${taken} on 127\\.0\\.0\\.1 is already in use$`, 'm'));
      assert.match(r.stderr, /--no-inspect/);
      assert.equal(
        f.emulator.getNumber(f.emulator.numbers[0]!.phoneNumber)!.smsUrl ?? '',
        '',
        'nothing left registered',
      );
    } finally {
      await stopAllCliRuns();
      await other.cleanup();
    }
  });

  test('--no-inspect: no inspector line', async () => {
    const p = new CliChildProcess(['listen', '--port', '0', '--no-inspect', '--once'], { env: f.env });
    await p.waitFor(/Ready!/);
    assert.equal((await runCliInProcess(['simulate', '--from', PHONE], { env: f.env })).code, 0);
    assert.equal((await p.exited).code, 0);
    assert.doesNotMatch(p.stderr, /Inspector:/);
  });

  test('inspect serves the stored log without a listener, behind the same token', async () => {
    const p = new CliChildProcess(['inspect', '--port', '0'], { env: f.env });
    const i = await inspectorUrl(p);
    assert.equal((await get(i.port, '/api/state')).status, 403);
    const cookie = await login(i);
    const state = JSON.parse((await get(i.port, '/api/state', { cookie, token: i.token })).body);
    assert.equal(state.mode, 'inspect');
    assert.equal(state.actions.reply, false);
    assert.ok(state.events.length >= 1, 'the event of the --no-inspect test');
    const reply = await get(i.port, '/api/reply', {
      method: 'POST',
      cookie,
      token: i.token,
      headers: { 'content-type': 'application/json', 'x-fruxon-inspector': '1' },
      body: JSON.stringify({ to: PHONE, channel: 'sms', body: 'x' }),
    });
    assert.equal(reply.status, 400);
    assert.match(JSON.parse(reply.body).error, /replies need a running listen/);
    p.child.kill('SIGINT');
    assert.equal((await p.exited).code, 0);
  });
});
