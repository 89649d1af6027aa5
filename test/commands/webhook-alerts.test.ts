import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { addConfigArgs } from '../helpers/add-config.js';
import { closedPort, tempHome } from '../helpers/cli.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';

// The keychain this file's in-process runs are handed (in memory: no child process reads it).
const testKeychain = memoryKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

const OWN = '+15005551491';
const PHONE = '+14155550149';

describe('webhook alerts in webhook show, doctor and messages tail: a webhook on a closed port', () => {
  let emu: Emulator;
  let h: ReturnType<typeof tempHome>;
  let url: string;
  let messageSid: string;
  const secretPart = 'Zk3y9Secr3tKey0123abcdef';
  const cli = (args: string[], input?: string) =>
    runCliInProcess(args, { env: { ...h.env, NGROK_AUTHTOKEN: 'x' }, input, timeoutMs: 30_000 });

  before(async () => {
    emu = await startEmulator({ numbers: [OWN], statusDelayMs: 1 });
    h = tempHome();
    const add = await cli(addConfigArgs('alerts', OWN, emu, 'stdin'), emu.authToken);
    assert.equal(add.code, 0, add.stderr);
    // The production URL (a secret: printed masked only) is down.
    url = `http://127.0.0.1:${await closedPort()}/ingress/twilio/${secretPart}`;
    const set = await cli(['configs', 'set', 'alerts', '--webhook-url-stdin'], url);
    assert.equal(set.code, 0, set.stderr);
    emu.setSmsUrl(OWN, url);
    messageSid = (await emu.deliverInbound({ from: PHONE, to: OWN, body: 'hello?' })).messageSid;
    assert.equal(emu.alerts().length, 1);
  });
  after(async () => {
    await emu.stop();
    h.cleanup();
  });

  it('webhook show: the count and the latest alert of the last 24 h, with the fix; the URL masked', async () => {
    const json = await cli(['webhook', 'show', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const view = JSON.parse(json.stdout);
    assert.equal(view.alerts.count, 1);
    assert.equal(view.alerts.latest.message_sid, messageSid);
    assert.equal(view.alerts.latest.error_code, 11205);
    assert.match(
      view.alerts.latest.text,
      new RegExp(`^Twilio could not deliver ${messageSid} to http://127\\.0\\.0\\.1:\\d+/`),
    );
    assert.match(view.alerts.latest.fix, /redeliver/);
    const human = await cli(['webhook', 'show']);
    assert.match(human.stdout, /alerts\s+1 in the last 24 h; latest \d\d:\d\d UTC: Twilio could not deliver SM/);
    assert.match(human.stderr, /Webhook alerts: nothing accepted the connection/);
    for (const out of [json.stdout, human.stdout, human.stderr]) assert.equal(out.includes(secretPart), false, out);
  });

  it('doctor: a warning with the fix (the doctor still passes)', async () => {
    const r = await cli(['doctor', '--json']);
    const report = JSON.parse(r.stdout) as {
      ok: boolean;
      checks: { name: string; ok: unknown; detail: string; fix: string }[];
    };
    const alerts = report.checks.find((c) => c.name === 'webhook_alerts');
    assert.ok(alerts, r.stdout);
    assert.equal(alerts.ok, 'warn');
    assert.match(
      alerts.detail,
      new RegExp(
        `^1 webhook alert in the last 24 h; the latest at \\d\\d:\\d\\d UTC: Twilio could not deliver ${messageSid}`,
      ),
    );
    assert.match(
      alerts.fix,
      new RegExp(`fruxon-twilio messages redeliver ${messageSid}.*messages tail --since 24h --config alerts`),
    );
    assert.equal(r.stdout.includes(secretPart), false);
    assert.equal(
      report.checks.findIndex((c) => c.name === 'webhook_alerts'),
      report.checks.findIndex((c) => c.name === 'route') + 1,
    );
  });

  it('messages tail --since: the alert line, the URL masked', async () => {
    const r = await cli(['messages', 'tail', '--since', '1h', '--timeout', '2s', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const alert = lines.find((l) => l.kind === 'alert');
    assert.equal(alert.message_sid, messageSid);
    assert.equal(
      lines
        .filter((l) => l.kind === 'message')
        .map((l) => l.sid)
        .join(),
      messageSid,
    );
    assert.equal(r.stdout.includes(secretPart), false);
  });
});
