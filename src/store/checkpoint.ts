import { Worker } from 'node:worker_threads';
import type { Store } from './index.js';

export interface Checkpointer {
  /** Before a commit: starts the worker thread if it is not running. Cheap when it is. */
  writing(): void;
  /** Whether the worker thread is running (it leaves by itself once the writes stop). */
  readonly running: boolean;
  /** Stops the worker (if running) and hands checkpoints back to the store's connection. */
  stop(): Promise<void>;
}

/**
 * Moves WAL checkpoints off the caller's thread: SQLite's automatic checkpoint runs inside a commit, and
 * its fsync stalls that commit (and with it a listener's event loop) for milliseconds every thousand pages.
 * While writes come in, the store's own connection does not checkpoint and a worker thread does it every
 * `everyMs`. Once the WAL has not grown for `idleMs`, the worker copies what is left, truncates the WAL
 * file to nothing and leaves, so an idle listener pays neither for the thread (its isolate and SQLite
 * connection are a sizeable part of the process's memory) nor for a WAL the size of the last burst; the
 * next `writing()` starts it again. Checkpoints move work in time, never data: every commit is in the WAL
 * (durable across a crash) before the listener answers, whether or not a checkpointer runs.
 */
export function backgroundCheckpoints(store: Store, opts: { everyMs?: number; idleMs?: number } = {}): Checkpointer {
  const everyMs = opts.everyMs ?? 500;
  const idleMs = opts.idleMs ?? 5000;
  let worker: Worker | null = null;
  let stopping: Promise<void> | null = null;
  const autocheckpoint = (pages: number) => {
    try {
      store.db.pragma(`wal_autocheckpoint = ${pages}`);
    } catch {
      // the store may be closed already
    }
  };
  const start = () => {
    const w = new Worker(new URL('./checkpoint-worker.js', import.meta.url), {
      workerData: { file: store.file, everyMs, idleMs },
      // It holds a few numbers: a small heap (V8 would otherwise size it like a main thread's).
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
    });
    w.unref();
    w.on('error', () => undefined); // a failed checkpointer costs latency, never data
    w.on('exit', () => {
      if (worker !== w) return;
      worker = null;
      // Idle (or failed): the connection checkpoints by itself again until the next write starts a worker.
      if (!stopping) autocheckpoint(1000);
    });
    autocheckpoint(0);
    worker = w;
  };
  return {
    writing() {
      if (!worker && !stopping) start();
    },
    get running() {
      return worker !== null;
    },
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        autocheckpoint(1000);
        const w = worker;
        if (!w) return resolve();
        w.ref(); // keep the process alive until the worker has closed its connection
        w.once('exit', () => resolve());
        w.postMessage('stop');
        setTimeout(() => void w.terminate(), 2000).unref();
      })),
  };
}
