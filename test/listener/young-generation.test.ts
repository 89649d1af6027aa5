import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot, tempHome } from '../helpers/cli.js';

/**
 * In a child process (V8 flags are process-wide): optionally caps the young generation, starts the
 * background checkpoint worker (a new worker resets V8's flags while it starts), then allocates like a busy
 * listener (some objects surviving each scavenge) and prints the young generation's size in MiB.
 */
function youngGenerationAfterLoad(cap: boolean): number {
  const h = tempHome();
  try {
    const script = `
      const { getHeapSpaceStatistics } = await import('node:v8');
      const { capYoungGeneration } = await import(${JSON.stringify(join(repoRoot, 'dist/src/young-generation.js'))});
      const { openStore } = await import(${JSON.stringify(join(repoRoot, 'dist/src/store/index.js'))});
      const { startBackgroundCheckpoints } = await import(${JSON.stringify(join(repoRoot, 'dist/src/store/checkpoint.js'))});
      if (${cap}) capYoungGeneration();
      const store = openStore({ FRUXON_TWILIO_HOME: ${JSON.stringify(h.home)} });
      const cp = startBackgroundCheckpoints(store);
      await new Promise((r) => setTimeout(r, 1500)); // the worker is up (and has reset V8's flags) before the load
      let keep = [];
      for (let j = 0; j < 300; j++) {
        for (let i = 0; i < 10000; i++) { keep.push({ a: 'x' + i, b: [i, i + 1] }); if (keep.length > 5000) keep = []; }
        await new Promise((r) => setImmediate(r));
      }
      const ns = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
      await cp.stop();
      store.close();
      process.stdout.write(String(ns.space_size / 1048576));`;
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' }));
  } finally {
    h.cleanup();
  }
}

describe('young generation cap (listen keeps RSS down under load)', () => {
  test('without the cap the young generation grows under this load; with it, it stays small, checkpoint worker and all', () => {
    const uncapped = youngGenerationAfterLoad(false);
    const capped = youngGenerationAfterLoad(true);
    assert.ok(uncapped >= 16, `uncapped young generation ${uncapped} MiB`);
    assert.ok(capped <= 8, `capped young generation ${capped} MiB`);
  });
});
