import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redactor } from '../redact.js';
import { dataDir } from './paths.js';

/**
 * The last unexpected errors (bugs) the tool hit, one file each in `<data dir>/errors/` (0700; files 0600),
 * redacted before they are written: what a user attaches to a bug report, and what `doctor --report` lists.
 * Only the newest KEEP_ERRORS are kept.
 */
export const ERRORS_DIR = 'errors';
export const KEEP_ERRORS = 20;

export interface ErrorDetails {
  error: unknown;
  /** The command line as typed (after `fruxon-twilio`). */
  args: readonly string[];
  version: string;
  now: Date;
  redactor: Redactor;
}

/** Writes the redacted details of an unexpected error; returns the file's path. Throws when it cannot. */
export function writeErrorFile(env: NodeJS.ProcessEnv, d: ErrorDetails): string {
  const dir = join(dataDir(env), ERRORS_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
  const stamp = d.now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const file = join(dir, `error-${stamp}-${process.pid}.txt`);
  const text = d.redactor.redact(describe(d));
  writeFileSync(file, text, { mode: 0o600 });
  prune(dir);
  return file;
}

function describe(d: ErrorDetails): string {
  const lines = [
    `fruxon-twilio ${d.version}: unexpected failure`,
    `time: ${d.now.toISOString()}`,
    `command: fruxon-twilio ${d.args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}`,
    `node: ${process.version} (${process.platform} ${process.arch})`,
    '',
  ];
  let err: unknown = d.error;
  for (let depth = 0; err !== undefined && depth < 5; depth++) {
    if (depth > 0) lines.push('', 'caused by:');
    if (err instanceof Error) {
      lines.push(err.stack ?? `${err.name}: ${err.message}`);
      err = (err as Error & { cause?: unknown }).cause;
    } else {
      lines.push(`thrown: ${safeString(err)}`);
      err = undefined;
    }
  }
  return lines.join('\n') + '\n';
}

function safeString(v: unknown): string {
  try {
    return typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  } catch {
    return String(v);
  }
}

function errorFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => /^error-.*\.txt$/.test(n))
      .sort();
  } catch {
    return [];
  }
}

function prune(dir: string): void {
  const files = errorFiles(dir);
  for (const name of files.slice(0, Math.max(0, files.length - KEEP_ERRORS))) rmSync(join(dir, name), { force: true });
}

/** The newest `limit` error files (newest first), each with its (already redacted) text. */
export function recentErrors(env: NodeJS.ProcessEnv, limit = 5): { file: string; text: string }[] {
  const dir = join(dataDir(env), ERRORS_DIR);
  return errorFiles(dir)
    .reverse()
    .slice(0, limit)
    .map((name) => {
      const file = join(dir, name);
      let text = '';
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        // removed meanwhile
      }
      return { file, text };
    });
}
