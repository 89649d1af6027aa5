import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliResult } from './cli.js';

/** The one `error:` line a failing command printed (fails the test if there is not exactly one). */
export function errorLine(r: CliResult): string {
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('error:'));
  assert.equal(lines.length, 1, `expected exactly one error line, got:\n${r.stderr}`);
  return lines[0]!;
}

/** Every byte the store wrote: the database and its WAL and shared-memory files (all of the data directory). */
export function storeBytes(home: string): Buffer {
  return Buffer.concat(readdirSync(home).map((f) => readFileSync(join(home, f))));
}
