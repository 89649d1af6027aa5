import { parentPort, workerData } from 'node:worker_threads';
import { openSqlite } from './sqlite.js';

/**
 * Runs in a worker thread (see checkpoint.ts): its own connection to the store copies the WAL into the
 * database file every `everyMs`, so the fsync of a checkpoint never blocks the listener's event loop.
 * PASSIVE: never waits for, nor blocks, the listener's writes. Leaves by itself once the WAL has not grown
 * for `idleMs` (after a last checkpoint that truncates the WAL file).
 */
const { file, everyMs, idleMs } = workerData as { file: string; everyMs: number; idleMs: number };
const db = openSqlite(file);
db.pragma('busy_timeout = 1000');
db.pragma('cache_size = -64'); // a checkpoint copies WAL frames; it needs no page cache
/** WAL frames (4 KiB pages) past which a checkpoint also makes the writer start the WAL over. */
const RESTART_FRAMES = 4096;
let lastLog = -1;
let quietSince = Date.now();

function close(): void {
  clearInterval(timer);
  try {
    db.close();
  } catch {
    // closing anyway
  }
  parentPort!.close();
}

const timer = setInterval(() => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    if (!r) return;
    // Under sustained load a passive checkpoint never catches up with the writer, so the WAL would only
    // grow: past 16 MiB, RESTART waits for the current commit, copies what is left and lets the next
    // write begin the WAL again (a brief wait for the writer, once in a while, instead of every 4 MiB).
    if (r.log > RESTART_FRAMES) db.pragma('wal_checkpoint(RESTART)');
    if (r.log !== lastLog) {
      lastLog = r.log;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= idleMs) {
      // No write for a while: copy the rest, give the WAL file's space back, and leave.
      db.pragma('wal_checkpoint(TRUNCATE)');
      close();
    }
  } catch {
    // busy or closing: the next tick tries again; the WAL stays durable either way
  }
}, everyMs);

parentPort!.on('message', (m) => {
  if (m === 'stop') close();
});
