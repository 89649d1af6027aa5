import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FruxonClient } from '../../src/fruxon/client.js';
import { type TailEvent, tailMessages } from '../../src/operations/tail.js';
import { openStore } from '../../src/store/index.js';
import { createTwilioClient } from '../../src/twilio/client.js';
import { stopAllCliRuns } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER } from '../helpers/fixtures.js';
import { type FruxonDouble, startFruxonDouble } from '../helpers/fruxon-double.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { osKeychain } from '../helpers/keychains.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

// emulatorWithConfig and fruxon login keep their secrets in the (test) keychain: the in-process runs read them there.
const testKeychain = osKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

const ALICE = '+14155550191';
const STRANGER = '+14155550192';
const BOB = '+14155550193';

describe("messages tail on a linked config: Fruxon's side of each inbound message", () => {
  const token = `fx_pat_${randomBytes(16).toString('hex')}`;
  let f: EmulatorFixture;
  let fruxon: FruxonDouble;
  let hooks: WebhookReceiver;
  let fxId = '';
  const sids: Record<string, string> = {};

  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os', name: 'Support Line' });
    fruxon = await startFruxonDouble({ tokens: { [token]: { tenant: 'tailco', scopes: ['*'] } } });
    hooks = await WebhookReceiver.start();
    const login = await runCliInProcess(
      ['fruxon', 'login', '--tenant', 'tailco', '--token-stdin', '--api-url', fruxon.url],
      {
        env: f.env,
        input: token,
      },
    );
    assert.equal(login.code, 0, login.stderr);
    const link = await runCliInProcess(['link', '--json'], { env: f.env });
    assert.equal(link.code, 0, link.stderr);
    fxId = JSON.parse(link.stdout).fruxon_config_id;
    // Fruxon's ingress stands here: it answers 200; what Fruxon then did is in its API.
    f.emulator.setSmsUrl(OUR_NUMBER, `${hooks.url}/ingress`);
    sids.alice = (await f.emulator.deliverInbound({ from: ALICE, to: OUR_NUMBER, body: 'hi there' })).messageSid;
    fruxon.addMessage({
      integrationConfigId: fxId,
      from: ALICE,
      message: 'hi there',
      conversationId: 'conv-7',
      executionRecordId: 'run-42',
    });
    // Noise: the same text from someone else, and another config's record.
    fruxon.addMessage({ integrationConfigId: fxId, from: BOB, message: 'hi there', executionRecordId: 'run-x' });
    fruxon.addMessage({ integrationConfigId: 'other-config', from: STRANGER, message: 'who are you?' });
    sids.stranger = (
      await f.emulator.deliverInbound({ from: STRANGER, to: OUR_NUMBER, body: 'who are you?' })
    ).messageSid;
    fruxon.addAccessRequest({ integrationConfigId: fxId, address: STRANGER, agentId: 'support-agent' });
    sids.bob = (await f.emulator.deliverInbound({ from: BOB, to: OUR_NUMBER, body: 'lost?' })).messageSid;
  });
  after(async () => {
    await stopAllCliRuns();
    await hooks?.stop();
    await fruxon?.close();
    await f?.cleanup();
  });

  test('received (conversation, run), held as an access request, no record: one fruxon event each', async () => {
    const store = openStore(f.env);
    const controller = new AbortController();
    const events: TailEvent[] = [];
    const done = tailMessages(
      {
        store,
        env: f.env,
        secrets: () => testKeychain,
        twilio: createTwilioClient,
        fruxon: (o) => new FruxonClient(o),
        trace: null,
        now: () => new Date(),
        signal: controller.signal,
      },
      {
        sinceMs: 60_000,
        channel: 'sms',
        onEvent: (e) => events.push(e),
        fruxonEveryMs: 200,
        fruxonGiveUpMs: 1000,
        timeoutMs: 20_000,
      },
    );
    const deadline = Date.now() + 15_000;
    while (events.filter((e) => e.kind === 'fruxon').length < 3 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    controller.abort('SIGINT');
    await done;
    store.close();
    const fruxonEvents = events.filter((e): e is Extract<TailEvent, { kind: 'fruxon' }> => e.kind === 'fruxon');
    const by = (sid: string) => fruxonEvents.filter((e) => e.message.sid === sid);
    assert.equal(by(sids.alice!).length, 1);
    const alice = by(sids.alice!)[0]!.finding;
    assert.equal(alice.kind, 'received');
    assert.equal(alice.kind === 'received' && alice.record.executionRecordId, 'run-42');
    assert.equal(alice.kind === 'received' && alice.record.conversationId, 'conv-7');
    assert.deepEqual(
      by(sids.stranger!).map((e) => e.finding.kind),
      ['held'],
    );
    assert.deepEqual(
      by(sids.bob!).map((e) => e.finding.kind),
      ['none'],
    );
    assert.equal(fruxonEvents.length, 3, 'once each');
  });

  test("test's diagnosis of a silence on Fruxon: the agent run Fruxon recorded for the tester's message, or no record", async () => {
    const TESTER = '+15005550007'; // the account's other number
    const production = `${hooks.url}/ingress/twilio/k3y0secretsecretsecret`;
    const set = await runCliInProcess(['configs', 'set', 'Support Line', '--webhook-url-stdin'], {
      env: f.env,
      input: production,
    });
    assert.equal(set.code, 0, set.stderr);
    f.emulator.setSmsUrl(OUR_NUMBER, production);
    fruxon.addMessage({
      integrationConfigId: fxId,
      from: TESTER,
      message: 'anyone home?',
      conversationId: 'conv-t',
      executionRecordId: 'run-t',
    });
    const dir = mkdtempSync(join(tmpdir(), 'fruxon-twilio-tail-fruxon-'));
    try {
      const scenario = (name: string, text: string) => {
        const path = join(dir, `${name}.yaml`);
        writeFileSync(
          path,
          `name: ${name}\nfrom: "${TESTER}"\nsteps:\n  - send: "${text}"\n  - expect: { within: 1s }\n`,
        );
        return path;
      };
      const recorded = await runCliInProcess(['test', scenario('recorded', 'anyone home?')], {
        env: f.env,
        timeoutMs: 60_000,
      });
      assert.equal(recorded.code, 1, recorded.stdout + recorded.stderr);
      assert.match(
        recorded.stdout,
        /cause: no reply at all; inbound to \+15005550006 goes to Fruxon \(.*\): the agent got the message but sent no reply; Fruxon received it \(conversation conv-t, at \S+\) → run run-t/,
      );
      const unknown = await runCliInProcess(['test', scenario('unknown', 'nobody saw this')], {
        env: f.env,
        timeoutMs: 60_000,
      });
      assert.equal(unknown.code, 1);
      assert.match(unknown.stdout, /cause: no reply at all; .*; Fruxon has no record of it/);
      assert.equal(recorded.stdout.includes('secretsecret') || unknown.stdout.includes('secretsecret'), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      f.emulator.setSmsUrl(OUR_NUMBER, `${hooks.url}/ingress`);
    }
  });

  test('the CLI: a JSON line {"kind": "fruxon"} with its sentence', async () => {
    const r = await runCliInProcess(
      ['messages', 'tail', '--since', '1h', '--channel', 'sms', '--timeout', '6s', '--json'],
      {
        env: f.env,
        timeoutMs: 30_000,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const alice = lines.find((l) => l.kind === 'fruxon' && l.sid === sids.alice);
    assert.ok(alice, r.stdout);
    assert.equal(alice.status, 'received');
    assert.equal(alice.execution_record_id, 'run-42');
    assert.match(
      alice.text,
      /^Fruxon received it \(conversation conv-7, at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\) → run run-42$/,
    );
    const held = lines.find((l) => l.kind === 'fruxon' && l.sid === sids.stranger);
    assert.equal(held.status, 'held');
    assert.match(held.text, /fruxon-twilio fruxon access-requests approve /);
  });

  test("doctor on a linked config: Fruxon's record of the last inbound message (its run), or a warning with the fix", async () => {
    await new Promise((r) => setTimeout(r, 1100)); // Twilio's dates are to the second: the next message is the newest
    const seenSid = (await f.emulator.deliverInbound({ from: ALICE, to: OUR_NUMBER, body: 'doctor, are you there?' }))
      .messageSid;
    fruxon.addMessage({
      integrationConfigId: fxId,
      from: ALICE,
      message: 'doctor, are you there?',
      executionRecordId: 'run-d',
    });
    const doctor = async () => {
      const r = await runCliInProcess(['doctor', '--json'], {
        env: { ...f.env, NGROK_AUTHTOKEN: 'x' },
        timeoutMs: 30_000,
      });
      const report = JSON.parse(r.stdout) as { checks: { name: string; ok: unknown; detail: string; fix?: string }[] };
      return report.checks.find((c) => c.name === 'fruxon_inbound');
    };
    const good = await doctor();
    assert.ok(good);
    assert.equal(good.ok, true);
    assert.match(
      good.detail,
      new RegExp(
        `^the last inbound message ${seenSid} \\(\\d\\d:\\d\\d UTC, from \\${ALICE}\\): Fruxon received it .*→ run run-d$`,
      ),
    );

    await new Promise((r) => setTimeout(r, 1100));
    const lostSid = (await f.emulator.deliverInbound({ from: BOB, to: OUR_NUMBER, body: 'never seen by Fruxon' }))
      .messageSid;
    const bad = await doctor();
    assert.ok(bad);
    assert.equal(bad.ok, 'warn');
    assert.match(bad.detail, /Fruxon has no record of it$/);
    assert.match(bad.fix!, new RegExp(`fruxon-twilio messages redeliver ${lostSid} --config 'Support Line'`));
  });
});
