import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { openStore } from '../../src/store/index.js';
import { sqliteDriverFor } from '../../src/store/sqlite.js';
import { CliChildProcess, repoRoot, runCliChildProcess, stopAllCliRuns } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER, PHONE } from '../helpers/fixtures.js';

const PREVIOUS = 'https://previous.example.com/sms';

function integrity(env: NodeJS.ProcessEnv): string {
  const store = openStore(env);
  try {
    return store.db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    store.close();
  }
}

function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('error:'));
}

describe('concurrency', () => {
  let f: EmulatorFixture;
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os', name: 'conc' });
  });
  after(async () => {
    await stopAllCliRuns();
    await f.cleanup();
  });

  test('two listeners started together for one config: exactly one holds the number, the other exits 5 naming it', async () => {
    f.emulator.setSmsUrl(OUR_NUMBER, PREVIOUS, 'POST');
    const a = new CliChildProcess(['listen', '--json', '--port', '0'], { env: f.env });
    const b = new CliChildProcess(['listen', '--json', '--port', '0'], { env: f.env });
    const ready = /Ready! Listening for messages to \S+ at (\S+)/;
    const outcome = async (p: CliChildProcess) =>
      Promise.race([
        p.waitFor(ready, { timeoutMs: 15000 }).then((m) => ({ ready: m[1]! })),
        p.exited.then((e) => ({ exit: e.code })),
      ]);
    const [ra, rb] = await Promise.all([outcome(a), outcome(b)]);
    const winners = [ra, rb].filter((r) => 'ready' in r) as { ready: string }[];
    const losers = [
      [ra, a],
      [rb, b],
    ].filter(([r]) => 'exit' in (r as object)) as [{ exit: number }, CliChildProcess][];
    assert.equal(winners.length, 1, `a: ${a.stderr}\nb: ${b.stderr}`);
    assert.equal(losers.length, 1);
    const [lost, loser] = losers[0]!;
    assert.equal(lost.exit, 5, loser.stderr);
    const winner = loser === a ? b : a;
    const errs = errorLines(loser.stderr);
    assert.equal(errs.length, 1, loser.stderr);
    assert.equal(
      errs[0],
      `error: another listener (pid ${winner.child.pid}) already holds ${OUR_NUMBER} for config "conc"`,
    );
    assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, winners[0]!.ready);
    winner.kill('SIGINT');
    assert.equal((await winner.exited).code, 0, winner.stderr);
    assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, PREVIOUS);
    assert.equal(integrity(f.env), 'ok');
  });

  test('listen and configs remove racing: one of them wins cleanly, the other refuses in one line; nothing is left half done', async () => {
    const outcomes = new Set<string>();
    for (let round = 0; round < 4; round++) {
      const name = `race${round}`;
      const add = await runCliChildProcess(
        [
          'add-config',
          '--name',
          name,
          '--from',
          OUR_NUMBER,
          '--account-sid',
          f.emulator.accountSid,
          '--api-url',
          f.emulator.url,
          '--auth-token-stdin',
        ],
        { env: f.env, input: f.emulator.authToken },
      );
      assert.equal(add.code, 0, add.stderr);
      f.emulator.setSmsUrl(OUR_NUMBER, PREVIOUS, 'POST');
      const l = new CliChildProcess(['listen', '--config', name, '--json', '--port', '0'], { env: f.env });
      // Stagger the remove across rounds so that it lands before, during and after the listener's start.
      await new Promise((r) => setTimeout(r, round * 150));
      const rm = await runCliChildProcess(['configs', 'remove', name], { env: f.env });
      const listenResult = await Promise.race([
        l.waitFor(/Ready! Listening/, { timeoutMs: 15000 }).then(() => 'ready' as const),
        l.exited.then(() => 'exited' as const),
      ]);
      if (rm.code === 0) {
        // The config went first: the listener must not run, and must say why in one line.
        const e = await l.exited;
        assert.notEqual(e.code, 0, l.stderr);
        assert.equal(errorLines(l.stderr).length, 1, l.stderr);
        assert.match(errorLines(l.stderr)[0]!, /^error: (no config named "race\d"|config "race\d" was removed .*)$/);
        assert.equal(
          f.emulator.getNumber(OUR_NUMBER)!.smsUrl,
          PREVIOUS,
          'a refused listener leaves the number as it was',
        );
        outcomes.add('remove won');
      } else {
        assert.equal(listenResult, 'ready', l.stderr);
        assert.equal(rm.code, 5, rm.stderr);
        assert.deepEqual(errorLines(rm.stderr), [
          `error: config "${name}" is in use by a running listener (pid ${l.child.pid})`,
        ]);
        l.kill('SIGINT');
        assert.equal((await l.exited).code, 0, l.stderr);
        assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl, PREVIOUS);
        const again = await runCliChildProcess(['configs', 'remove', name], { env: f.env });
        assert.equal(again.code, 0, again.stderr);
        outcomes.add('listen won');
      }
      const store = openStore(f.env);
      try {
        assert.equal(store.configs.byName(name), undefined);
        assert.deepEqual(store.leases.list(), []);
      } finally {
        store.close();
      }
    }
    assert.ok(outcomes.size >= 1);
    assert.equal(integrity(f.env), 'ok');
  });

  test('a config removed by a transaction in progress is seen as removed once that transaction commits (byIdAfterWrites)', async () => {
    // `configs remove` deletes the keychain entry inside its write transaction, before the commit; a listener
    // that finds the secret gone checks the config again with byIdAfterWrites, which must wait for that commit.
    const add = await runCliChildProcess(
      [
        'add-config',
        '--name',
        'midremove',
        '--from',
        OUR_NUMBER,
        '--account-sid',
        f.emulator.accountSid,
        '--api-url',
        f.emulator.url,
        '--auth-token-stdin',
      ],
      { env: f.env, input: f.emulator.authToken },
    );
    assert.equal(add.code, 0, add.stderr);
    const store = openStore(f.env);
    try {
      const id = store.configs.byName('midremove')!.id;
      // Another process removes the row and holds its transaction open for a moment before committing.
      const holder = spawn(
        process.execPath,
        [
          '-e',
          `const db = new (require(process.argv[3]))(process.argv[1]); db.exec('BEGIN IMMEDIATE');
          db.prepare('DELETE FROM configs WHERE id = ?').run(process.argv[2]); process.stdout.write('held\\n');
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 800); db.exec('COMMIT'); db.close();`,
          store.file,
          id,
          sqliteDriverFor(Number(process.versions.node.split('.')[0])),
        ],
        { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
        holder.on('exit', (code) => reject(new Error(`the holder exited (${code}) before holding its transaction`)));
      });
      assert.ok(store.configs.byId(id), 'a plain read still sees the committed row');
      const t0 = Date.now();
      assert.equal(store.configs.byIdAfterWrites(id), undefined, 'once the remove has committed, the config is gone');
      assert.ok(Date.now() - t0 >= 300, 'it waited for the commit');
      await new Promise((r) => (holder.exitCode !== null ? r(null) : holder.once('exit', r)));
    } finally {
      store.close();
    }
  });

  test('parallel sends: every one succeeds with its own message SID; the store stays sound', async () => {
    const n = 8;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        runCliChildProcess(['send', '--config', 'conc', '--to', PHONE, '--body', `parallel ${i}`, '--json'], {
          env: f.env,
        }),
      ),
    );
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const sids = results.map((r) => JSON.parse(r.stdout).sid as string);
    assert.equal(new Set(sids).size, n);
    const bodies = new Set(
      f.emulator
        .messages()
        .filter((m) => sids.includes(m.sid))
        .map((m) => m.body),
    );
    assert.equal(bodies.size, n);
    assert.equal(integrity(f.env), 'ok');
  });
});
