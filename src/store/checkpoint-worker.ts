import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/**
 * Runs in a worker thread (see checkpoint.ts): its own connection to the store copies the WAL into the
 * database file every `everyMs`, so the fsync of a checkpoint never blocks the listener's event loop.
 * PASSIVE: never waits for, nor blocks, the listener's writes.
 */
const { file, everyMs } = workerData as { file: string; everyMs: number };
const db = new Database(file);
db.pragma('busy_timeout = 1000');
/** WAL frames (4 KiB pages) past which a checkpoint also makes the writer start the WAL over. */
const RESTART_FRAMES = 4096;
const timer = setInterval(() => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    // Under sustained load a passive checkpoint never catches up with the writer, so the WAL would only
    // grow: past 16 MiB, RESTART waits for the current commit, copies what is left and lets the next
    // write begin the WAL again (a brief wait for the writer, once in a while, instead of every 4 MiB).
    if (r && r.log > RESTART_FRAMES) db.pragma('wal_checkpoint(RESTART)');
  } catch {
    // busy or closing: the next tick tries again; the WAL stays durable either way
  }
}, everyMs);
parentPort!.on('message', (m) => {
  if (m === 'stop') {
    clearInterval(timer);
    db.close();
    parentPort!.close();
  }
});
