import { Worker } from 'node:worker_threads';
import type { Store } from './index.js';

/**
 * Moves WAL checkpoints off the caller's thread: SQLite's automatic checkpoint runs inside a commit, and
 * its fsync stalls that commit (and with it a listener's event loop) for milliseconds every thousand pages.
 * Here the store's own connection stops checkpointing and a worker thread does it every `everyMs`.
 * `stop()` hands checkpoints back to the connection.
 */
export function startBackgroundCheckpoints(store: Store, everyMs = 500): { stop(): Promise<void> } {
  const worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData: { file: store.file, everyMs } });
  worker.unref();
  let exited = false;
  worker.on('error', () => undefined); // a failed checkpointer costs latency, never data
  let stopped: Promise<void> | null = null;
  worker.on('exit', () => {
    exited = true;
    if (stopped) return;
    try {
      store.db.pragma('wal_autocheckpoint = 1000'); // the worker died: the connection checkpoints again
    } catch {
      // the store may be closed already
    }
  });
  store.db.pragma('wal_autocheckpoint = 0');
  return {
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        try {
          store.db.pragma('wal_autocheckpoint = 1000');
        } catch {
          // the store may be closed already
        }
        if (exited) return resolve();
        worker.ref(); // keep the process alive until the worker has closed its connection
        worker.once('exit', () => resolve());
        worker.postMessage('stop');
        setTimeout(() => void worker.terminate(), 2000).unref();
      })),
  };
}
