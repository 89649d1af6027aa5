import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot, runCliChildProcess, tempHome } from '../helpers/cli.js';

// better-sqlite3 12 aborted the process on Node 24.19+ when a statement was finalized after its environment
// was gone (`Assertion failed: (env) != nullptr` in `Statement::~Statement()`): at teardown, so only ending
// real processes and threads shows it. Each child opens the store, prepares and runs statements on the main
// thread, in the checkpoint worker and in a worker thread of its own, then ends in one of the ways a CLI
// process ends: returning with everything still open, process.exit() mid-flight, or closing first.
const child = `
import { Worker } from 'node:worker_threads';
const { openStore } = await import(${JSON.stringify(join(repoRoot, 'dist/src/store/index.js'))});
const { backgroundCheckpoints } = await import(${JSON.stringify(join(repoRoot, 'dist/src/store/checkpoint.js'))});
const { openSqlite } = await import(${JSON.stringify(join(repoRoot, 'dist/src/store/sqlite.js'))});
const [how, home] = process.argv.slice(1);
if (!home || !['return', 'exit', 'close'].includes(how)) throw new Error('usage: how home');
const store = openStore({ FRUXON_TWILIO_HOME: home });
const cp = backgroundCheckpoints(store, { everyMs: 5, idleMs: 50 });
for (let i = 0; i < 200; i++) {
  cp.writing();
  store.db.prepare('SELECT ? AS n').get(i);
  store.events.list({ limit: 5 });
}
const file = store.file;
const worker = new Worker(\`
  const { workerData } = require('node:worker_threads');
  const db = new (require(workerData.driver))(workerData.file);
  for (let i = 0; i < 100; i++) db.prepare('SELECT count(*) FROM configs').get();
  setInterval(() => db.prepare('SELECT 1').get(), 1);
\`, { eval: true, execArgv: [], workerData: { file, driver: ${JSON.stringify('DRIVER')} } });
await new Promise((r) => setTimeout(r, 30));
const other = openSqlite(file);
other.prepare('SELECT count(*) FROM events').get();
if (how === 'exit') process.exit(0);
if (how === 'close') { await cp.stop(); await worker.terminate(); other.close(); store.close(); }
else { worker.unref(); }
`;

function run(
  script: string,
  args: string[],
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', script, ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d));
    p.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

test('stores, statements and worker threads opened and torn down repeatedly end every process cleanly', async () => {
  const { sqliteDriverFor } = await import('../../src/store/sqlite.js');
  const script = child.replace(
    '"DRIVER"',
    JSON.stringify(sqliteDriverFor(Number(process.versions.node.split('.')[0]))),
  );
  const home = mkdtempSync(join(tmpdir(), 'fruxon-twilio-teardown-'));
  try {
    const ways = ['return', 'exit', 'close'];
    for (let i = 0; i < 24; i++) {
      const how = ways[i % ways.length]!;
      const r = await run(script, [how, home]);
      assert.equal(r.signal, null, `run ${i} (${how}) was killed by ${r.signal}: ${r.stderr}`);
      assert.equal(r.code, 0, `run ${i} (${how}) exited ${r.code}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /Assertion failed|Segmentation|FATAL/);
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('demo runs ten times in a row without a crash on this Node.js', async () => {
  const h = tempHome();
  try {
    for (let i = 0; i < 10; i++) {
      const r = await runCliChildProcess(['demo'], {
        env: { ...h.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' },
      });
      assert.equal(r.signal, null, `run ${i}: ${r.stderr}`);
      assert.equal(r.code, 0, `run ${i}: ${r.stderr}`);
      assert.match(r.stdout, /7\. Stopped listening: restored the webhook/);
    }
  } finally {
    h.cleanup();
  }
});
