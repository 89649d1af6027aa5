import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { openStore } from '../../src/store/index.js';
import { tempHome } from '../helpers/cli.js';
import { storeEvent } from '../helpers/events.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';

// The keychain this file's in-process runs are handed (in memory: no child process reads it).
const testKeychain = memoryKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

const OWN = '+15005550006';
/** The handed-in clock: years away from the system clock, so only a command that reads it gets these answers. */
const NOW = new Date('2031-06-15T12:00:00.000Z');
const now = () => new Date(NOW);
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** CliDeps.now is the clock of every user-visible time: --since windows, prune cutoffs, retention, lease start. */
describe('the clock handed in through CliDeps.now', () => {
  const h = tempHome();
  let emu: Emulator;
  let configId: string;
  const env = () => ({ ...h.env, TWILIO_AUTH_TOKEN: emu.authToken });

  before(async () => {
    emu = await startEmulator({ numbers: [OWN] });
    const add = await runCliInProcess(
      [
        'add-config',
        '--name',
        'clock',
        '--from',
        OWN,
        '--account-sid',
        emu.accountSid,
        '--api-url',
        emu.url,
        '--token-from-env',
        '--no-verify',
        '--json',
      ],
      { env: env() },
    );
    assert.equal(add.code, 0, add.stderr);
    configId = JSON.parse(add.stdout).id;
  });
  after(async () => {
    await emu.stop();
    h.cleanup();
  });

  const record = (...receivedAt: string[]) => {
    const store = openStore(h.env);
    try {
      store.events.recordBatch(
        receivedAt.map((at, i) =>
          storeEvent(Math.floor(Math.random() * 1e9) + i, { configId, configName: 'clock', receivedAt: at }),
        ),
      );
    } finally {
      store.close();
    }
  };

  test('events list --since and events prune --older-than count back from the handed-in clock', async () => {
    record(ago(3 * DAY), ago(2 * HOUR), ago(10 * 60_000));
    const listed = await runCliInProcess(['events', 'list', '--since', '3h', '--json'], { env: h.env, deps: { now } });
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      JSON.parse(listed.stdout).map((e: { received_at: string }) => e.received_at),
      [ago(10 * 60_000), ago(2 * HOUR)],
    );
    const statuses = await runCliInProcess(['events', 'list', '--kind', 'status', '--since', '1h', '--json'], {
      env: h.env,
      deps: { now },
    });
    assert.equal(statuses.code, 0, statuses.stderr);
    assert.deepEqual(JSON.parse(statuses.stdout), []);

    const pruned = await runCliInProcess(['events', 'prune', '--older-than', '1d', '--json'], {
      env: h.env,
      deps: { now },
    });
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.deepEqual(JSON.parse(pruned.stdout), { deleted: 1, before: ago(DAY) });
    const human = await runCliInProcess(['events', 'prune', '--older-than', '90m'], { env: h.env, deps: { now } });
    assert.equal(human.code, 0, human.stderr);
    assert.equal(human.stderr, `✔ Deleted 1 event received before ${ago(90 * 60_000)}.\n`);
    // By the system clock (years before NOW) nothing is that old: the default clock is the system's.
    const real = await runCliInProcess(['events', 'prune', '--older-than', '1d', '--json'], { env: h.env });
    assert.equal(JSON.parse(real.stdout).deleted, 0);
  });

  test("what the store writes is stamped by the handed-in clock: a config's created/updated times", async () => {
    const add = await runCliInProcess(
      [
        'add-config',
        '--name',
        'stamped',
        '--from',
        OWN,
        '--account-sid',
        emu.accountSid,
        '--api-url',
        emu.url,
        '--token-from-env',
        '--no-verify',
        '--json',
      ],
      {
        env: env(),
        deps: { now },
      },
    );
    assert.equal(add.code, 0, add.stderr);
    const shown = JSON.parse((await runCliInProcess(['configs', 'show', 'stamped', '--json'], { env: h.env })).stdout);
    assert.equal(shown.created_at, NOW.toISOString());
    assert.equal(shown.updated_at, NOW.toISOString());
    const later = () => new Date(NOW.getTime() + DAY);
    const set = await runCliInProcess(['configs', 'set', 'stamped', '--from', '+15005550007'], {
      env: h.env,
      deps: { now: later },
    });
    assert.equal(set.code, 0, set.stderr);
    const after = JSON.parse((await runCliInProcess(['configs', 'show', 'stamped', '--json'], { env: h.env })).stdout);
    assert.equal(after.created_at, NOW.toISOString());
    assert.equal(after.updated_at, later().toISOString());
  });

  test("listen's retention and its lease's start time come from the handed-in clock", async () => {
    assert.equal(
      (await runCliInProcess(['events', 'prune', '--older-than', '0'], { env: h.env, deps: { now } })).code,
      0,
    );
    record(ago(2 * DAY), ago(12 * HOUR));
    const abort = new AbortController();
    const listening = runCliInProcess(['listen', '--config', 'clock', '--port', '0', '--no-inspect'], {
      env: { ...env(), FRUXON_TWILIO_RETENTION_DAYS: '1' },
      deps: { now, signal: abort.signal },
    });
    let listener: { since: string } | null = null;
    try {
      const deadline = Date.now() + 10_000;
      while (!listener && Date.now() < deadline) {
        const shown = await runCliInProcess(['configs', 'show', 'clock', '--json'], { env: h.env });
        listener = JSON.parse(shown.stdout).listener;
        if (!listener) await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      abort.abort();
    }
    const r = await listening;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(listener, 'the listener took the lease');
    assert.equal(listener.since, NOW.toISOString(), 'the lease started at the handed-in time');
    assert.match(r.stderr, /pruned 1 event\(s\) older than 1 days \(FRUXON_TWILIO_RETENTION_DAYS\)/);
    const left = await runCliInProcess(['events', 'list', '--json'], { env: h.env });
    assert.deepEqual(
      JSON.parse(left.stdout).map((e: { received_at: string }) => e.received_at),
      [ago(12 * HOUR)],
      'the event 2 days before the clock went, the one 12 hours before stayed',
    );
  });
});
