import { parentPort, workerData } from 'node:worker_threads';

/** One `matches` check (regex.ts): the pattern against the reply, answered once; terminated at the deadline. */
const { source, flags, text } = workerData as { source: string; flags: string; text: string };
try {
  parentPort!.postMessage({ match: new RegExp(source, flags).test(text) });
} catch (err) {
  parentPort!.postMessage({ error: String((err as Error)?.message ?? err) });
}
