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
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
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
