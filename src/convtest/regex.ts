import { Worker } from 'node:worker_threads';

/**
 * `matches` against an agent's reply, off the main thread. JavaScript's regular expressions backtrack, and a
 * pattern like `^(a+)+$` takes exponential time on a reply like 36 `a` and `!`; a running `RegExp.test` cannot
 * be interrupted, so on the main thread it would hang the run (and its Ctrl-C) past every `within`. Here it runs
 * in a worker thread that is terminated at the deadline.
 *
 * Why not RE2 (linear time): the scenario syntax is JavaScript's (lookaround, backreferences, Unicode property
 * escapes; see compileRegex), which RE2 does not accept, so scenarios that work today would stop parsing; and it
 * would be a native or WebAssembly dependency for one check per step. A worker keeps the syntax and costs a few
 * tens of milliseconds per `matches` step, next to a reply that takes seconds.
 */

export type MatchOutcome = { done: true; match: boolean } | { done: false; reason: 'timeout' | 'failed' };

/** Whether `regex` matches `text`, decided within `timeoutMs` (else `done: false`); never throws. */
export function matchWithin(regex: RegExp, text: string, timeoutMs: number): Promise<MatchOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const worker = new Worker(new URL('./regex-worker.js', import.meta.url), {
      workerData: { source: regex.source, flags: regex.flags, text },
      // A runaway pattern cannot take the machine's memory with it either.
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
      stdout: true,
      stderr: true,
    });
    const finish = (o: MatchOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ done: false, reason: 'timeout' }), Math.max(1, timeoutMs));
    worker.once('message', (m: { match?: boolean; error?: string }) =>
      finish(m.error === undefined ? { done: true, match: m.match === true } : { done: false, reason: 'failed' }),
    );
    worker.once('error', () => finish({ done: false, reason: 'failed' }));
    worker.once('exit', () => finish({ done: false, reason: 'failed' }));
  });
}
