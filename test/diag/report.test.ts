import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { FruxonClient } from '../../src/fruxon/client.js';
import { buildReport } from '../../src/operations/report.js';
import { reportMarkdown } from '../../src/output/report.js';
import { memorySecretStore } from '../../src/secrets/memory.js';
import { openStore } from '../../src/store/index.js';
import { migrations } from '../../src/store/migrations.js';
import type { TwilioClient } from '../../src/twilio/client.js';
import { addConfigArgs } from '../helpers/add-config.js';
import { closedPort, tempHome } from '../helpers/cli.js';
import { builderToken, type FruxonDouble, startFruxonDouble } from '../helpers/fruxon-double.js';
import { type InProcessCli, inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';

// `doctor --report`: what a user pastes into a bug, in Markdown or JSON; grepped for every secret this file planted.

const { runCliInProcess: runCli, startCliInProcess } = inProcessCliWith(memoryKeychain());
const FROM = '+15005552301';

describe('doctor --report', () => {
  let emu: Emulator;
  let fruxon: FruxonDouble;
  let h: ReturnType<typeof tempHome>;
  const builder = `fx_pat_${randomBytes(16).toString('hex')}`;
  const ngrok = `2${randomBytes(12).toString('hex')}_${randomBytes(10).toString('hex')}Z`;
  const apiSecret = `S${randomBytes(15).toString('hex')}`;
  const env = () => ({ ...h.env, NGROK_AUTHTOKEN: ngrok, TWILIO_API_SECRET: apiSecret });
  let listen: InProcessCli;

  before(async () => {
    emu = await startEmulator({ statusDelayMs: 1, retryDelaysMs: [], numbers: [FROM] });
    fruxon = await startFruxonDouble({
      tokens: {
        [builder]: builderToken('umbrella', 'ada@umbrella.test'),
      },
    });
    h = tempHome();
    const add = await runCli(addConfigArgs('support', FROM, emu, 'stdin', '--default'), {
      env: env(),
      input: emu.authToken,
    });
    assert.equal(add.code, 0, add.stderr);
    const login = await runCli(['fruxon', 'login', '--tenant', 'umbrella', '--token-stdin', '--api-url', fruxon.url], {
      env: env(),
      input: builder,
    });
    assert.equal(login.code, 0, login.stderr);
    const link = await runCli(['link', '--config', 'support', '--json'], { env: env() });
    assert.equal(link.code, 0, link.stderr);
    // A bug the tool hit, whose message carried the token: its (redacted) file is in the report.
    const bug = await runCli(['configs', 'list'], {
      env: { ...env(), FRUXON_TWILIO_TEST_FAULT: `configs list:lost ${emu.authToken} and ${builder}` },
    });
    assert.equal(bug.code, 1);
    // A running listener: its lease is in the report.
    listen = startCliInProcess(['listen', '--port', '0', '--no-inspect', '--check-missed', '0'], { env: env() });
    await listen.waitFor(/Ready! Listening for messages/);
  });
  after(async () => {
    listen.kill('SIGINT');
    await listen.exited;
    await fruxon.close();
    await emu.stop();
    h.cleanup();
  });

  const production = () => {
    const c = [...fruxon.configs.values()].find((x) => x.displayName === 'support')!;
    return fruxon.webhookUrl(c)!;
  };
  const planted = () => {
    const p = production();
    return [
      emu.authToken,
      builder,
      ngrok,
      apiSecret,
      p.split('/').at(-1)!,
      encodeURIComponent(p),
      Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64'),
    ];
  };
  const assertNoSecret = (text: string) => {
    for (const s of planted()) assert.ok(!text.includes(s), `${s.slice(0, 6)}… in the report:\n${text}`);
  };

  test('Markdown: versions, store, configs with their routes, leases, alerts, last errors, the checks', async () => {
    const r = await runCli(['doctor', '--report'], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    const md = r.stdout;
    assertNoSecret(md);
    assertNoSecret(r.stderr);
    assert.match(md, /^## fruxon-twilio report$/m);
    assert.match(md, /^\| fruxon-twilio \| \d+\.\d+\.\d+ \|$/m);
    assert.match(md, /^\| twilio \| \d+\.\d+\.\d+ \|$/m);
    assert.match(md, new RegExp(`^\\| Node\\.js \\| ${process.version.replace(/\./g, '\\.')} \\|$`, 'm'));
    assert.match(md, new RegExp(`^Schema version ${migrations.length} of ${migrations.length} `, 'm'));
    assert.match(md, /^#### support \(default\)$/m);
    assert.match(md, new RegExp(`^- From \`\\${FROM}\` on \`AC…`, 'm'));
    assert.match(md, /^- Fruxon: linked to `[^`]+` of tenant `umbrella`$/m);
    // The listener holds the number now: SMS decided by the number, its URL the listener's.
    assert.match(
      md,
      /^- sms: number decides, URL `http:\/\/127\.0\.0\.1:\d+\/webhooks\/twilio\/[0-9a-f]{4}…`, fallback –$/m,
    );
    assert.match(md, new RegExp(`^\\| support \\| \\${FROM} \\| number \\| ${process.pid} \\| running \\|`, 'm'));
    assert.match(md, /^### Twilio alerts since \S+ for \+15005552301$/m);
    // The emulator serves Monitor's alerts (issue 27): every webhook answered, so none.
    assert.match(md, /^### Twilio alerts since \S+ for \+15005552301\n\nNone\.$/m);
    assert.match(
      md,
      /^<details><summary>Error: lost \[redacted\] and fx_pat_\[redacted\] \(.*\/errors\/error-.*\.txt\)<\/summary>$/m,
    );
    assert.match(md, /^\| ✔ \| credentials \| accepted by /m);
    assert.match(md, /^\| ✔ \| leases \| 1 running listener, no stale leases \| – \|$/m);
  });

  test('--json: the same as one JSON value', async () => {
    const r = await runCli(['doctor', '--report', '--json'], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    assertNoSecret(r.stdout);
    const j = JSON.parse(r.stdout);
    assert.equal(j.store.schema_version, migrations.length);
    assert.equal(j.configs[0].name, 'support');
    assert.equal(j.configs[0].fruxon_link.tenant, 'umbrella');
    assert.match(j.configs[0].production_webhook, /^https?:\/\/[^/]+\/…\/\S{0,4}…$/);
    assert.deepEqual(
      j.leases.map((l: { config: string; alive: boolean }) => [l.config, l.alive]),
      [['support', true]],
    );
    assert.equal(j.errors.length, 1);
    assert.equal(typeof j.doctor.ok, 'boolean');
    assert.ok(j.doctor.checks.some((c: { name: string }) => c.name === 'route'));
    assert.ok(Object.keys(j.dependencies).includes('better-sqlite3'));
  });

  test("the alerts that name the number, their URLs masked (a stand-in for Twilio's Monitor API)", async () => {
    const p = production();
    const alerts = [
      {
        dateCreated: new Date('2026-12-07T10:00:00Z'),
        errorCode: '11200',
        logLevel: 'error',
        alertText: `Msg=HTTP+retrieval+failure&sourceComponent=14100&url=${encodeURIComponent(p)}&To=${encodeURIComponent(FROM)}`,
        requestUrl: p,
        resourceSid: `SM${'1'.repeat(32)}`,
      },
      {
        dateCreated: new Date('2026-12-07T11:00:00Z'),
        errorCode: '30003',
        logLevel: 'warning',
        alertText: 'To=%2B19995550000&Msg=Unreachable',
        requestUrl: null,
        resourceSid: `SM${'2'.repeat(32)}`,
      },
    ];
    let since: Date | undefined;
    const fake = {
      monitor: {
        v1: {
          alerts: {
            list: async (o: { startDate: Date }) => {
              since = o.startDate;
              return alerts;
            },
          },
        },
      },
      // Route lookups fail: the report says so and goes on.
      incomingPhoneNumbers: {
        list: async () => {
          throw Object.assign(new Error('boom'), { status: 503, code: 20503 });
        },
      },
    } as unknown as TwilioClient;
    const secrets = memorySecretStore();
    const store = openStore(h.env);
    const config = store.configs.list()[0]!;
    store.close();
    secrets.set(config.id, emu.authToken);
    secrets.set(`${config.id}:webhook-url`, p);
    const now = new Date('2026-12-07T12:00:00Z');
    let opened: ReturnType<typeof openStore> | undefined;
    const r = await buildReport({
      env: h.env,
      openStore: () => (opened = openStore(h.env)),
      keychain: () => secrets,
      twilio: async () => fake,
      trace: null,
      fruxon: (o) => new FruxonClient(o),
      now: () => now,
      tool: { version: '0.0.0', node: 'v0', os: 'test' },
      dependencies: {},
      recentErrors: () => [],
    });
    opened?.close();
    assert.equal(since?.toISOString(), '2026-12-06T12:00:00.000Z', 'the last 24 h');
    assert.equal(r.alerts.items.length, 1, 'only the alert that names the number');
    assert.equal(r.alerts.items[0]!.error_code, '11200');
    assert.match(r.configs[0]!.routes_error!, /Twilio refused to look up where messages to \+15005552301 go/);
    const md = reportMarkdown(r);
    assertNoSecret(md);
    assertNoSecret(JSON.stringify(r));
    assert.match(
      md,
      /^\| 2026-12-07T10:00:00\.000Z \| 11200 \| error \| `https?:\/\/[^`]+…` \| Msg=HTTP retrieval failure/m,
    );
  });

  // Last: it points the number away from the listener.
  test("the emulator's alerts (they carry the webhook URL and the message SID, not the number) are the number's", async () => {
    const down = `http://127.0.0.1:${await closedPort()}/agent-down`;
    emu.setSmsUrl(FROM, down, 'POST');
    const lost = await emu.deliverInbound({ from: '+14155550177', to: FROM, body: 'anyone there?' });
    const r = await runCli(['doctor', '--report', '--json'], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.alerts.error, null);
    assert.equal(j.alerts.items.length, 1, JSON.stringify(j.alerts));
    const [alert] = j.alerts.items;
    assert.match(alert.error_code, /^112\d\d$/);
    assert.equal(alert.request_url, down);
    assert.ok(!alert.text.includes(FROM), 'found by its URL, not by the number');
    const md = await runCli(['doctor', '--report'], { env: env() });
    assert.match(md.stdout, new RegExp(`^\\| \\S+ \\| ${alert.error_code} \\| \\S+ \\| \`${down}\``, 'm'));
    assert.ok(lost.messageSid);
  });
});
