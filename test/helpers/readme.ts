import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binPath, childEnv, repoRoot } from './cli.js';

/**
 * The block of `file` (the README, or a page under docs/) between `<!-- MARKER:start -->` and
 * `<!-- MARKER:end -->`, a fenced block of `lang`, as written.
 */
export function readmeBlock(marker: string, lang: string, file = 'README.md'): string {
  const readme = readFileSync(join(repoRoot, file), 'utf8');
  const m = new RegExp(`<!-- ${marker}:start -->\\n\`\`\`${lang}\\n([\\s\\S]*?)\`\`\`\\n<!-- ${marker}:end -->`).exec(
    readme,
  );
  assert.ok(m, `${file} has a ${marker} block`);
  return m[1]!;
}

/**
 * Runs `script` with bash in `dir` as a user's CI would: `fruxon-twilio` on the PATH (the built CLI), CI=true,
 * no Twilio or Fruxon variables of this process. Resolves with the exit code and stdout+stderr; SIGKILLed after
 * `timeoutMs`.
 */
export function runRecipe(
  dir: string,
  script: string,
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(binPath, join(bin, 'fruxon-twilio'));
  writeFileSync(join(dir, 'recipe.sh'), script);
  const env = childEnv({ PATH: `${bin}:${process.env.PATH}`, CI: 'true' });
  return new Promise((resolve) => {
    const child = spawn('bash', ['recipe.sh'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve({ code: c, output });
    });
  });
}

/** A file's text, or '' when it is not there (for failure messages). */
export function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
