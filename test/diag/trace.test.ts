import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { tempHome } from '../helpers/cli.js';
import { type FruxonDouble, startFruxonDouble } from '../helpers/fruxon-double.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

// FRUXON_TWILIO_DEBUG=api / --debug api: one stderr line per call to Twilio and Fruxon and per webhook the
// listener receives or forwards, with status and timing; with api,body the bodies; never a planted secret;
// --json stdout untouched; FRUXON_TWILIO_DEBUG_FILE takes the lines instead of stderr.

const FROM = '+15005552101';
const PHONE = '+14155550177';
const { runCliInProcess: runCli, startCliInProcess } = inProcessCliWith(memoryKeychain());
const LINE = /^\[api\] (twilio|fruxon|ngrok|webhook) (->|<-) ([A-Z]+) (\S+) (\d{3}|ok|failed.*?) (\d+)ms/;

describe('the API trace', () => {
  let emu: Emulator;
  let fruxon: FruxonDouble;
  let receiver: WebhookReceiver;
  let h: ReturnType<typeof tempHome>;
  const builder = `fx_pat_${randomBytes(16).toString('hex')}`;
  const productionKey = `k${randomBytes(12).toString('hex')}Q9`;
  const production = `https://ingress.fruxon.test/v1/tenants/umbrella/webhooks/twilio/prod/${productionKey}`;
  /** Everything this file's runs wrote on stderr or in a trace file: grepped for the planted secrets at the end. */
  const seen: string[] = [];
  const cli = async (args: string[], env: NodeJS.ProcessEnv = {}, input?: string) => {
    const r = await runCli(args, { env: { ...h.env, ...env }, input });
    seen.push(r.stderr);
    return r;
  };
  const traced = (stderr: string) =>
    stderr
      .split('\n')
      .filter((l) => l.startsWith('[api]'))
      .map((l) => {
        const m = LINE.exec(l);
        assert.ok(m, `a trace line in the documented shape: ${l}`);
        return { line: l, service: m[1]!, dir: m[2]!, method: m[3]!, url: m[4]!, status: m[5]!, ms: Number(m[6]) };
      });

  before(async () => {
    emu = await startEmulator({ statusDelayMs: 1, retryDelaysMs: [], numbers: [FROM] });
    fruxon = await startFruxonDouble({
      tokens: {
        [builder]: {
          tenant: 'umbrella',
          scopes: ['agents:read', 'agents:write', 'integrations:read', 'integrations:write'],
          email: 'ada@umbrella.test',
          apiKeyName: 'laptop',
        },
      },
    });
    receiver = await WebhookReceiver.start();
    h = tempHome();
    const add = await cli(
      [
        'add-config',
        '--name',
        'support',
        '--from',
        FROM,
        '--account-sid',
        emu.accountSid,
        '--api-url',
        emu.url,
        '--auth-token-stdin',
        '--webhook-url-stdin',
        '--default',
        '--json',
      ],
      {},
      `${emu.authToken}\n${production}\n`,
    );
    assert.equal(add.code, 0, add.stderr);
    const login = await cli(
      ['fruxon', 'login', '--tenant', 'umbrella', '--token-stdin', '--api-url', fruxon.url],
      {},
      builder,
    );
    assert.equal(login.code, 0, login.stderr);
  });
  after(async () => {
    await fruxon.close();
    await emu.stop();
    await receiver.stop();
    h.cleanup();
  });

  test('send: the Twilio calls with status, timing and request id; --json stdout is the message alone', async () => {
    const r = await cli(['send', '--to', PHONE, '--body', 'hello trace', '--json'], { FRUXON_TWILIO_DEBUG: 'api' });
    assert.equal(r.code, 0, r.stderr);
    const message = JSON.parse(r.stdout);
    assert.match(message.sid, /^SM/);
    assert.doesNotMatch(r.stdout, /\[api\]/);
    const lines = traced(r.stderr);
    const post = lines.find((l) => l.method === 'POST' && l.url.endsWith(`/Accounts/${emu.accountSid}/Messages.json`));
    assert.ok(post, r.stderr);
    assert.equal(post.service, 'twilio');
    assert.equal(post.dir, '->');
    assert.equal(post.status, '201');
    assert.ok(post.url.startsWith(emu.url), 'the URL the call went to');
    assert.match(post.line, / request-id=RQ[0-9a-f]{32}/);
    assert.doesNotMatch(post.line, /request=/, 'no bodies without api,body');
  });

  test('--debug api,body on the command: the bodies, with the secrets in them redacted', async () => {
    const r = await cli(['send', '--to', PHONE, '--body', 'with bodies', '--json', '--debug', 'api,body']);
    assert.equal(r.code, 0, r.stderr);
    JSON.parse(r.stdout);
    const post = traced(r.stderr).find((l) => l.method === 'POST' && l.url.endsWith('/Messages.json'))!;
    assert.match(post.line, /request="[^"]*Body=with\+bodies/);
    assert.match(post.line, /response="\{.*\\"sid\\":\\"SM/);
  });

  test('link: Fruxon and Twilio calls, the minted webhook URL and the production one never in clear', async () => {
    const r = await cli(['link', '--config', 'support', '--json'], { FRUXON_TWILIO_DEBUG: 'api,body' });
    assert.equal(r.code, 0, r.stderr);
    JSON.parse(r.stdout);
    const lines = traced(r.stderr);
    assert.ok(
      lines.some((l) => l.service === 'fruxon' && l.url.startsWith(fruxon.url) && /^2\d\d$/.test(l.status)),
      r.stderr,
    );
    assert.ok(
      lines.some((l) => l.service === 'twilio' && l.method === 'POST' && l.status === '200'),
      r.stderr,
    );
    const minted = [...fruxon.configs.values()].map((c) => fruxon.webhookUrl(c)).filter(Boolean) as string[];
    assert.ok(minted.length > 0);
    for (const url of minted) {
      const key = url.split('/').at(-1)!;
      assert.ok(!r.stderr.includes(key), `the minted key in the trace:\n${r.stderr}`);
    }
  });

  test('listen: each webhook received and forwarded, with status and timing', async () => {
    const p = startCliInProcess(
      ['listen', '--port', '0', '--no-inspect', '--check-missed', '0', '--forward-to', `${receiver.url}/agent`],
      { env: { ...h.env, FRUXON_TWILIO_DEBUG: 'api' } },
    );
    try {
      await p.waitFor(/Ready! Listening for messages/);
      await emu.deliverInbound({ from: PHONE, to: FROM, body: 'inbound traced' });
      await p.waitFor(/^\[api\] webhook <- POST .* 200 \d+ms/m);
      await p.waitFor(/^\[api\] webhook -> POST .*\/agent 200 \d+ms/m);
      const lines = traced(p.stderr);
      const received = lines.find((l) => l.service === 'webhook' && l.dir === '<-')!;
      assert.match(received.url, /^http:\/\/127\.0\.0\.1:\d+\/webhooks\/twilio\/[0-9a-f-]{36}$/);
      // Registering the listener was traced too (the number pointed at it).
      assert.ok(
        lines.some((l) => l.service === 'twilio' && l.method === 'POST'),
        p.stderr,
      );
    } finally {
      p.kill('SIGINT');
      const { code } = await p.exited;
      seen.push(p.stderr);
      assert.equal(code, 0, p.stderr);
    }
  });

  test('FRUXON_TWILIO_DEBUG_FILE: the lines go to the file (0600), stderr stays quiet', async () => {
    const file = join(h.home, '..', 'trace.log');
    const r = await cli(['webhook', 'show', '--json'], {
      FRUXON_TWILIO_DEBUG: 'api,body',
      FRUXON_TWILIO_DEBUG_FILE: file,
    });
    assert.equal(r.code, 0, r.stderr);
    JSON.parse(r.stdout);
    assert.equal(r.stderr, '');
    const text = readFileSync(file, 'utf8');
    seen.push(text);
    assert.ok(
      traced(text).some((l) => l.service === 'twilio' && l.method === 'GET' && l.status === '200'),
      text,
    );
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  test('without it: no trace; a bad topic is a usage error', async () => {
    const r = await cli(['webhook', 'show', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /\[api\]/);
    const bad = await cli(['webhook', 'show', '--debug', 'everything']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--debug: unknown debug topic "everything"/);
    const badEnv = await cli(['webhook', 'show'], { FRUXON_TWILIO_DEBUG: 'verbose' });
    assert.equal(badEnv.code, 2);
    assert.match(badEnv.stderr, /FRUXON_TWILIO_DEBUG: unknown debug topic/);
    // Before the command's name works too.
    const first = await cli(['--debug', 'api', 'webhook', 'show', '--json']);
    assert.equal(first.code, 0, first.stderr);
    assert.ok(traced(first.stderr).length > 0, first.stderr);
  });

  test('no planted secret in anything traced', () => {
    const all = seen.join('\n');
    assert.ok(all.includes('[api]'));
    const basic = Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64');
    for (const s of [emu.authToken, builder, productionKey, basic, encodeURIComponent(production)])
      assert.ok(!all.includes(s), `${s.slice(0, 6)}… in the trace`);
  });
});
