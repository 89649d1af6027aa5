import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { binPath, childEnv, repoRoot } from '../helpers/cli.js';

/** The README's CI smoke script, exactly as written there. */
function readmeSmokeScript(): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const m = /<!-- ci-smoke:start -->\n```sh\n([\s\S]*?)```\n<!-- ci-smoke:end -->/.exec(readme);
  assert.ok(m, 'the README has a ci-smoke block');
  return m[1]!;
}

test("the README's CI smoke recipe runs as written: listen --json --once receives the sent message", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fruxon-twilio-ci-'));
  try {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(binPath, join(bin, 'fruxon-twilio'));
    writeFileSync(join(dir, 'smoke.sh'), readmeSmokeScript());
    const env = childEnv({ PATH: `${bin}:${process.env.PATH}`, CI: 'true' });
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn('bash', ['smoke.sh'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve({ code: c, output });
      });
    });
    assert.equal(code, 0, output + '\n' + safeRead(join(dir, 'listen.log')));
    const event = JSON.parse(readFileSync(join(dir, 'event.json'), 'utf8'));
    assert.equal(event.trigger, 'twilio.message.received');
    assert.equal(event.payload.text, 'smoke test');
    assert.equal(JSON.parse(readFileSync(join(dir, 'sent.json'), 'utf8')).status, 'delivered');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
