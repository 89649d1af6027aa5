/**
 * The emulator against what `npm run live` recorded from Twilio itself (test/fixtures/live/: each answer with
 * SIDs, numbers and dates normalised, secrets redacted): the same call replayed on the emulator must answer with
 * the same status, the same Twilio error code, and fields of the same names and types. The comparison itself is
 * tested first, on hand-written pairs. Runs in the `--shared` pass only (npm run test:shared).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  compareAnswer,
  describeDifferences,
  fillPlaceholders,
  fixtureFromTrace,
  type LiveFixture,
  parseTraceLine,
  placeholdersOf,
} from '../../bench/live/fixtures.js';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { Redactor } from '../../src/redact.js';
import { createTrace } from '../../src/trace.js';
import { childEnv, repoRoot } from '../helpers/cli.js';

const FIXTURES = join(repoRoot, 'test', 'fixtures', 'live');

const base: LiveFixture = {
  recorded: 'hand-written',
  request: { method: 'GET', path: '/x' },
  response: {
    status: 200,
    body: { sid: 'SM0', num_media: '0', price: null, tags: [{ name: 'a' }], nested: { a: 1, b: 'x' } },
  },
};

describe('the comparison of an answer to a recording', () => {
  test('the same shape with other values: no difference; null matches any type', () => {
    assert.deepEqual(
      compareAnswer(base, {
        status: 200,
        body: {
          sid: 'SM1',
          num_media: '3',
          price: '-0.0075',
          tags: [{ name: 'b' }, { name: 'c' }],
          nested: { a: 2, b: 'y' },
        },
      }),
      [],
    );
  });

  test('a missing field, an extra one, a type that changed, at any depth', () => {
    const diffs = compareAnswer(base, {
      status: 200,
      body: { sid: 'SM1', num_media: 0, price: null, tags: [{ label: 'b' }], nested: { a: 2, b: 'y', c: true } },
    });
    assert.deepEqual(
      diffs.map((d) => [d.kind, d.where, d.recorded, d.emulator]),
      [
        ['type', 'num_media', 'string', 'number'],
        ['missing', 'tags[].name', 'string', '(none)'],
        ['extra', 'tags[].label', '(none)', 'string'],
        ['extra', 'nested.c', '(none)', 'boolean'],
      ],
    );
    assert.match(
      describeDifferences('x.json', diffs),
      /^x\.json: num_media is string in the recording, number in the emulator$/m,
    );
    assert.match(describeDifferences('x.json', diffs), /^x\.json: the emulator lacks tags\[\]\.name/m);
  });

  test('ignored fields are not compared', () => {
    const f: LiveFixture = { ...base, ignore: ['tags[].name', 'nested'] };
    assert.deepEqual(
      compareAnswer(f, { status: 200, body: { ...(base.response.body as object), tags: [{}], nested: 5 } }),
      [],
    );
  });

  test('another status, another Twilio error code', () => {
    const refused: LiveFixture = {
      ...base,
      response: { status: 400, body: { code: 21211, message: 'Invalid To', status: 400 } },
    };
    assert.deepEqual(
      compareAnswer(refused, { status: 400, body: { code: 21604, message: 'To is required', status: 400 } }).map(
        (d) => [d.kind, d.recorded, d.emulator],
      ),
      [['code', '21211', '21604']],
    );
    assert.deepEqual(
      compareAnswer(refused, { status: 201, body: { sid: 'SM1' } }).map((d) => d.kind),
      ['status', 'code', 'missing', 'missing', 'missing', 'extra'],
    );
  });

  test('a traced call becomes a fixture: placeholders in the path and form, SIDs zeroed, dates fixed, secrets gone', () => {
    const lines: string[] = [];
    const authToken = 'f'.repeat(8) + '0123456789abcdef0123456789ab'.slice(0, 24);
    const trace = createTrace({ bodies: true, redactor: new Redactor().add(authToken), write: (l) => lines.push(l) });
    const acct = `AC${'1'.repeat(32)}`;
    const pn = `PN${'2'.repeat(32)}`;
    trace.http({
      service: 'twilio',
      method: 'POST',
      url: `https://api.twilio.com/2010-04-01/Accounts/${acct}/IncomingPhoneNumbers/${pn}.json`,
      status: 200,
      ms: 120,
      requestId: `RQ${'3'.repeat(32)}`,
      requestBody: 'SmsUrl=https%3A%2F%2Fx.ngrok-free.app%2Fw&SmsMethod=POST&FriendlyName=%2B15005550006',
      responseBody: JSON.stringify({
        sid: pn,
        account_sid: acct,
        phone_number: '+15005550006',
        date_updated: 'Mon, 07 Dec 2026 12:54:03 +0000',
        auth_token: authToken,
      }),
    });
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]!.includes(authToken));
    const call = parseTraceLine(lines[0]!)!;
    assert.equal(call.status, 200);
    const f = fixtureFromTrace(
      call,
      { from: '+15005550006', tester: '+15005550007' },
      'npm run live 2026-12-07',
      'listen',
    )!;
    assert.deepEqual(f.request, {
      method: 'POST',
      path: '/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{PN}.json',
      form: 'SmsUrl=https%3A%2F%2Fx.ngrok-free.app%2Fw&SmsMethod=POST&FriendlyName=%7BFrom%7D',
    });
    assert.deepEqual(f.response.body, {
      sid: `PN${'0'.repeat(32)}`,
      account_sid: `AC${'0'.repeat(32)}`,
      phone_number: '{From}',
      date_updated: 'Thu, 01 Jan 2026 00:00:00 +0000',
      auth_token: '[redacted]',
    });
    assert.deepEqual(placeholdersOf(f).sort(), ['AccountSid', 'From', 'PN']);
    assert.equal(parseTraceLine('Checking the credentials…'), null);
  });
});

describe('the emulator answers as Twilio did (test/fixtures/live/)', () => {
  const FROM = '+15005550006';
  const TESTER = '+15005550007';
  let emu: Emulator;
  let values: Record<string, string>;
  const fixtures = readdirSync(FIXTURES)
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((name) => ({ name, fixture: JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as LiveFixture }));

  before(async () => {
    emu = await startEmulator({ statusDelayMs: 1, retryDelaysMs: [], numbers: [FROM, TESTER] });
    const sent = await call(
      'POST',
      `/2010-04-01/Accounts/${emu.accountSid}/Messages.json`,
      `To=${encodeURIComponent(FROM)}&From=${encodeURIComponent(TESTER)}&Body=setup`,
    );
    assert.equal(sent.status, 201);
    values = {
      AccountSid: emu.accountSid,
      From: FROM,
      Tester: TESTER,
      PN: emu.getNumber(FROM)!.sid,
      SM: (sent.body as { sid: string }).sid,
    };
  });
  after(() => emu.stop());

  async function call(method: string, path: string, form?: string | null): Promise<{ status: number; body: unknown }> {
    const res = await fetch(emu.url + path, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64')}`,
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ?? undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  test('there are recordings to compare against', () => {
    assert.ok(fixtures.length >= 6, `${fixtures.length} fixtures in ${FIXTURES}`);
    for (const { name, fixture } of fixtures) {
      assert.ok(fixture.request?.method && fixture.request.path?.startsWith('/'), `${name}: a request`);
      assert.equal(typeof fixture.response?.status, 'number', `${name}: a status`);
    }
  });

  for (const { name, fixture } of fixtures) {
    test(`${name}: ${fixture.request.method} ${fixture.request.path.split('?')[0]}`, async () => {
      const missing = placeholdersOf(fixture).filter((p) => !(p in values));
      assert.deepEqual(missing, [], `${name} needs placeholders this replay cannot fill`);
      const answer = await call(
        fixture.request.method,
        fillPlaceholders(fixture.request.path, values),
        fixture.request.form ? fillPlaceholders(fixture.request.form, values) : null,
      );
      const diffs = compareAnswer(fixture, answer);
      assert.deepEqual(diffs, [], describeDifferences(name, diffs));
    });
  }
});

/** `npm run live` itself (dist/bench/live/run.js), with `env` added to a clean environment. */
function runLive(env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist', 'bench', 'live', 'run.js')], {
      env: childEnv(env),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`npm run live did not finish within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('npm run live', () => {
  test('without credentials: exit 2, naming every variable it needs', async () => {
    const r = await runLive({ FRUXON_TWILIO_LIVE_FROM: '+15005550006' });
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /^npm run live: missing FRUXON_TWILIO_LIVE_ACCOUNT_SID, FRUXON_TWILIO_LIVE_AUTH_TOKEN, FRUXON_TWILIO_LIVE_TESTER, NGROK_AUTHTOKEN$/m,
    );
    assert.match(r.stderr, /✔ FRUXON_TWILIO_LIVE_FROM/);
    assert.match(r.stderr, /docs\/live-smoke\.md/);
  });

  test('a rehearsal on the emulator runs the whole loop and records answers the contract test replays', async () => {
    const emu = await startEmulator({ statusDelayMs: 1, retryDelaysMs: [], numbers: ['+15005550006', '+15005550007'] });
    const dir = mkdtempSync(join(tmpdir(), 'fruxon-twilio-live-fixtures-'));
    try {
      const r = await runLive({
        FRUXON_TWILIO_LIVE_ACCOUNT_SID: emu.accountSid,
        FRUXON_TWILIO_LIVE_AUTH_TOKEN: emu.authToken,
        FRUXON_TWILIO_LIVE_FROM: '+15005550006',
        FRUXON_TWILIO_LIVE_TESTER: '+15005550007',
        FRUXON_TWILIO_LIVE_API_URL: emu.url,
        FRUXON_TWILIO_LIVE_FIXTURES: dir,
      });
      assert.equal(r.code, 0, r.stderr);
      for (const step of [
        'add-config',
        'doctor',
        'webhook show',
        'listen',
        'message arrives at listen',
        'restore',
        'messages list',
      ])
        assert.match(r.stderr, new RegExp(`^✔ ${step} `, 'm'), r.stderr);
      assert.ok(!r.stderr.includes(emu.authToken), 'the token is never printed');
      const names = readdirSync(dir).sort();
      assert.ok(names.includes('post-2010-04-01-accounts-messages-201.json'), names.join(' '));
      assert.ok(names.includes('post-2010-04-01-accounts-incomingphonenumbers-200.json'), names.join(' '));
      for (const name of names) {
        const text = readFileSync(join(dir, name), 'utf8');
        assert.ok(!text.includes(emu.authToken), `${name} has the token`);
        assert.ok(!text.includes(emu.accountSid), `${name} has the account SID (normalised away)`);
        const f = JSON.parse(text) as LiveFixture;
        assert.match(f.recorded, /^npm run live \d{4}-\d{2}-\d{2} \(rehearsal on the emulator\)$/);
      }
    } finally {
      await emu.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
