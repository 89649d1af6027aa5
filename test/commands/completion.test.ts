import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { binPath, childEnv, tempHome } from '../helpers/cli.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';

// The keychain this file's in-process runs are handed (in memory: no child process reads it).
const testKeychain = memoryKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

const SID = 'AC00000000000000000000000000000000';

/**
 * `fruxon-twilio completion SHELL`, loaded into a real bash and a real zsh (on a tmux terminal, through the
 * completion system itself), with `fruxon-twilio` on PATH as an installed binary would be: the config names
 * come from the store through the hidden `__complete` subcommand.
 */
describe('shell completion', () => {
  const h = tempHome();
  const dir = join(tmpdir(), `fruxon-twilio-completion-${process.pid}`);
  const bin = join(dir, 'bin');
  let env: NodeJS.ProcessEnv;

  before(async () => {
    mkdirSync(bin, { recursive: true });
    const shim = join(bin, 'fruxon-twilio');
    writeFileSync(shim, `#!/bin/sh\nexec '${process.execPath}' '${binPath}' "$@"\n`);
    chmodSync(shim, 0o755);
    env = childEnv({ ...h.env, PATH: `${bin}:${process.env.PATH}`, TWILIO_AUTH_TOKEN: 'x'.repeat(32) });
    for (const name of ['support', 'sales', 'night shift']) {
      const r = await runCliInProcess(
        [
          'add-config',
          '--name',
          name,
          '--from',
          '+14155550100',
          '--account-sid',
          SID,
          '--api-url',
          'http://127.0.0.1:9',
          '--token-from-env',
          '--no-verify',
        ],
        { env },
      );
      assert.equal(r.code, 0, r.stderr);
    }
    for (const shell of ['bash', 'zsh']) {
      const r = await runCliInProcess(['completion', shell], { env });
      assert.equal(r.code, 0, r.stderr);
      writeFileSync(join(dir, `completion.${shell}`), r.stdout);
    }
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    h.cleanup();
  });

  /** The candidates bash's completion function offers for the words typed (the last is the one being completed). */
  function bashComplete(...words: string[]): string[] {
    const script = `source ${JSON.stringify(join(dir, 'completion.bash'))}
COMP_WORDS=("$@"); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); COMP_LINE="$*"; COMP_POINT=\${#COMP_LINE}
"$(complete -p fruxon-twilio | sed -E 's/.*-F ([^ ]+).*/\\1/')"
printf '%s\\n' "\${COMPREPLY[@]}"`;
    const out = execFileSync('bash', ['--norc', '--noprofile', '-c', script, 'bash', 'fruxon-twilio', ...words], {
      env,
      encoding: 'utf8',
    });
    return out.split('\n').filter(Boolean).sort();
  }

  test('bash: commands, flags and config names', () => {
    assert.deepEqual(bashComplete('li'), ['link', 'listen']);
    assert.deepEqual(bashComplete('listen', '--con'), ['--config']);
    assert.deepEqual(bashComplete('listen', '--config', ''), ['night\\ shift', 'sales', 'support']);
    assert.deepEqual(bashComplete('listen', '--config', 's'), ['sales', 'support']);
    // bash splits --config=NAME at the '='
    assert.deepEqual(bashComplete('listen', '--config', '=', 'su'), ['support']);
    // a flag's value is not a command: `--config events` does not enter `events`
    assert.deepEqual(bashComplete('send', '--config', 'sales', '--wa'), ['--wait', '--wait-timeout']);
    assert.deepEqual(bashComplete('events', 'ls', '--ki'), ['--kind']);
    assert.deepEqual(bashComplete('configs', 'show', 'sa'), ['sales']);
    assert.deepEqual(bashComplete('completion', ''), ['bash', 'fish', 'powershell', 'zsh']);
    // the hidden subcommand is no candidate
    assert.ok(!bashComplete('').includes('__complete'));
    assert.ok(bashComplete('').includes('completion'));
  });

  test('zsh: the same, through compinit on a real terminal', async (t) => {
    const zdot = join(dir, 'zdot');
    mkdirSync(zdot, { recursive: true });
    writeFileSync(
      join(zdot, '.zshrc'),
      `PS1='%% '\nautoload -U compinit && compinit -u -D\nsource ${JSON.stringify(join(dir, 'completion.zsh'))}\necho READY\n`,
    );
    const socket = `fruxon-completion-${process.pid}`;
    const tmux = (...args: string[]) =>
      execFileSync('tmux', ['-L', socket, ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'main', '-x', '160', '-y', '40', `env ZDOTDIR='${zdot}' zsh -i`);
    t.after(() => {
      try {
        tmux('kill-server');
      } catch {
        // gone
      }
    });
    const waitFor = async (pattern: RegExp): Promise<string> => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const screen = tmux('capture-pane', '-p', '-J', '-t', 'main');
        if (pattern.test(screen)) return screen;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; the terminal shows:\n${screen}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await waitFor(/READY\n% $/m);
    const complete = async (line: string, expect: RegExp): Promise<string> => {
      tmux('send-keys', '-t', 'main', 'C-u');
      tmux('send-keys', '-t', 'main', 'C-l');
      await waitFor(/^% $/m);
      tmux('send-keys', '-t', 'main', '-l', line);
      tmux('send-keys', '-t', 'main', 'Tab');
      return waitFor(expect);
    };
    // two candidates: zsh lists them, with their descriptions
    const li = await complete('fruxon-twilio li', /^listen +-- Receive/m);
    assert.match(li, /^link +-- /m);
    assert.doesNotMatch(li, /^(demo|doctor|send)\b/m);
    // one candidate: completed in the line
    await complete('fruxon-twilio listen --con', /^% fruxon-twilio listen --config $/m);
    const names = await complete('fruxon-twilio listen --config ', /support/);
    assert.match(names, /night\\ shift/);
    assert.match(names, /sales/);
    await complete('fruxon-twilio listen --config=su', /^% fruxon-twilio listen --config=support $/m);
  });

  test('fish and PowerShell scripts name the same commands, flags and the config lookup', async () => {
    for (const shell of ['fish', 'powershell']) {
      const r = await runCliInProcess(['completion', shell], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /listen/);
      assert.match(r.stdout, /config/);
      assert.match(r.stdout, /__complete configs/);
    }
  });

  test('an unknown shell is a usage error; __complete on a fresh data home prints nothing and creates nothing', async () => {
    const r = await runCliInProcess(['completion', 'tcsh'], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bash, zsh, fish, powershell/);
    const fresh = tempHome();
    try {
      const c = await runCliInProcess(['__complete', 'configs'], { env: fresh.env });
      assert.equal(c.code, 0, c.stderr);
      assert.equal(c.stdout, '');
      assert.equal(existsSync(fresh.home) && readdirSync(fresh.home).length > 0, false);
    } finally {
      fresh.cleanup();
    }
  });
});
