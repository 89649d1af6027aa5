import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { commandReference } from '../../src/docs.js';
import { openStore } from '../../src/store/index.js';
import { stopAllCliRuns } from '../helpers/cli.js';
import { storeEvent } from '../helpers/events.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER } from '../helpers/fixtures.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';
import { startListen } from '../helpers/listen.js';
import { TmuxPane } from '../helpers/tmux.js';

// The keychain this file's in-process runs are handed (in memory: no child process reads it).
const testKeychain = memoryKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

const TESTER = '+15005550007';

/** What a newcomer tripped on in the first ten minutes (issue 30, items 6 to 9), each as they ran into it. */
describe('the first ten minutes: events, doctor, the emulator, the smaller things', () => {
  let f: EmulatorFixture;
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCliInProcess(args, { env: { ...f.env, ...env } });
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os', tokenFromEnv: true, numbers: [OUR_NUMBER, TESTER] });
  });
  after(async () => {
    await stopAllCliRuns();
    await f.cleanup();
  });

  test('events: a status event has its own ids: events show N --kind status; the status list has a header and plain times', async () => {
    const store = openStore(f.env);
    try {
      store.events.record(
        storeEvent(1, {
          configId: f.configId,
          configName: 'emu',
          body: 'the message event',
          receivedAt: new Date().toISOString(),
        }),
      );
      store.events.addStatus({
        configId: f.configId,
        configName: 'emu',
        receivedAt: '2026-03-04T05:06:07.000Z',
        messageSid: `SM${'a'.repeat(32)}`,
        status: 'delivered',
        errorCode: null,
        to: '+14155550123',
        from: OUR_NUMBER,
      });
    } finally {
      store.close();
    }
    const shown = await cli(['events', 'show', '1', '--kind', 'status']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^Status event #1$/m);
    assert.match(shown.stdout, new RegExp(`^MessageSid +SM${'a'.repeat(32)}$`, 'm'));
    assert.match(shown.stdout, /^Status +delivered$/m);
    assert.doesNotMatch(shown.stdout, /the message event/);
    const json = JSON.parse((await cli(['events', 'show', '1', '--kind', 'status', '--json'])).stdout);
    assert.equal(json.event, 'message.status');
    assert.equal(json.event_id, 1);
    // The message #1 is still what `events show 1` shows.
    assert.match((await cli(['events', 'show', '1'])).stdout, /^Event #1$/m);
    const missing = await cli(['events', 'show', '9', '--kind', 'status']);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /^error: no status event #9\nhint: list them with: fruxon-twilio events list --kind status$/m,
    );

    const list = await cli(['events', 'list', '--kind', 'status']);
    assert.equal(list.code, 0, list.stderr);
    const [header, row] = list.stdout.split('\n');
    assert.match(header!, /^ID +RECEIVED +CONFIG +MESSAGE SID +STATUS +TO$/);
    assert.match(row!, new RegExp(`^1 +2026-03-04 05:06:07 +emu +SM${'a'.repeat(32)} +delivered +\\+14155550123$`));
  });

  test('doctor: an emulator config needs no ngrok; warnings are not "All checks passed."', async () => {
    const r = await cli(['doctor', '--json']);
    const ngrok = JSON.parse(r.stdout).checks.find((c: { name: string }) => c.name === 'ngrok');
    assert.equal(ngrok.ok, true, ngrok.detail);
    assert.match(
      ngrok.detail,
      /^not needed: emu talks to http:\/\/127\.0\.0\.1:\d+, and listen opens no tunnel for it$/,
    );
    // The number has no webhook yet: a warning. The summary says so instead of "All checks passed."
    const human = await cli(['doctor']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^! sms_url/m);
    assert.doesNotMatch(human.stdout + human.stderr, /NGROK_AUTHTOKEN is not set/);
    assert.doesNotMatch(human.stderr, /All checks passed/);
    assert.match(human.stderr, /^No check failed; 1 warning above \(marked !\)\.$/m);
  });

  test('the emulator refuses a number no phone has, as Twilio does (21211); its own numbers still reach it', async () => {
    const r = await cli(['send', '--to', '+1415555', '--body', 'hi', '--json']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /21211/);
    assert.match(r.stderr, /Invalid 'To' Phone Number: \+1415555/);
    for (const to of ['+14155550123', '+447700900123', TESTER]) {
      const ok = await cli(['send', '--to', to, '--body', 'hi', '--json']);
      assert.equal(ok.code, 0, `${to}: ${ok.stderr}`);
    }
  });

  test('webhook show labels where inbound goes: no "is none" row', async () => {
    const r = await cli(['webhook', 'show']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^goes to +nowhere \(no URL\)$/m);
    assert.doesNotMatch(r.stdout, /^is +/m);
  });

  test('--help never prints "(default: [])" for a repeatable option', () => {
    const reference = commandReference();
    assert.doesNotMatch(reference, /default: \[\]/);
    assert.match(
      reference,
      /--number <e164> +a phone number the account owns \(repeatable; default:\s+one generated\)/,
    );
  });

  test('configs remove on a terminal asks first, naming the participants that go with it; n keeps everything', async () => {
    const add = await cli(['participants', 'add', 'Dana Lee', '--phone', '+14155550142', '--config', 'emu']);
    assert.equal(add.code, 0, add.stderr);
    const pane = TmuxPane.start(['configs', 'remove', 'emu'], { env: f.env, cols: 120, rows: 24 });
    try {
      await pane.waitFor(/Remove config emu with 1 participant bound to it \(Dana Lee\)\?/);
      pane.type('n');
      pane.keys('Enter');
      assert.equal(await pane.exitStatus(), 0);
      assert.match(pane.screen(), /Nothing removed\./);
    } finally {
      await pane.kill();
    }
    assert.equal(JSON.parse((await cli(['configs', 'list', '--json'])).stdout).length, 1);
    assert.equal(JSON.parse((await cli(['participants', 'list', '--json'])).stdout).length, 1);
  });

  test("test's no-reply diagnosis names the forward that failed, as listen logged it", async () => {
    // A port nothing listens on (the agent is not running).
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const agentUrl = `http://127.0.0.1:${port}/agent`;
    const { p } = await startListen(f, ['--forward-to', agentUrl, '--no-interactive']);
    const dir = mkdtempSync(join(tmpdir(), 'fruxon-first-minutes-'));
    try {
      const scenario = join(dir, 'silent.yaml');
      writeFileSync(
        scenario,
        `name: silent\nfrom: "${TESTER}"\nsteps:\n  - send: "anyone there?"\n  - expect: { within: 2s }\n`,
      );
      await p.waitFor(/Ready!/);
      const r = await runCliInProcess(['test', scenario], { env: f.env, timeoutMs: 60_000 });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(
        r.stdout,
        new RegExp(
          `cause: inbound to \\+15005550006 goes to fruxon-twilio listen \\(pid \\d+\\) at \\S+, whose forward of event #\\d+ to ${agentUrl} failed: .*ECONNREFUSED.* \\(is the agent running there\\?\\)`,
        ),
      );
      assert.doesNotMatch(r.stdout, /check that its --forward-to agent answers/);
    } finally {
      p.kill('SIGINT');
      await p.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
