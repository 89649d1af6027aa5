import { setFlagsFromString } from 'node:v8';

/**
 * V8's young generation of a long-running process (the listener) grows from 1 to 16 MiB per semi-space
 * under a steady request load, and RSS with it, although the heap in use stays small. Its maximum is fixed
 * when the heap is set up (`--max-semi-space-size` at run time changes nothing), but the growth factor is
 * read at each scavenge: 1 keeps the young generation at its initial size.
 *
 * Starting a worker thread resets V8's flags to the process's command line, so `reapplyYoungGenerationCap`
 * runs once a worker is online (src/store/checkpoint.ts).
 */
let capped = false;

export function capYoungGeneration(): void {
  capped = true;
  setFlagsFromString('--semi-space-growth-factor=1');
}

export function reapplyYoungGenerationCap(): void {
  if (capped) setFlagsFromString('--semi-space-growth-factor=1');
}
