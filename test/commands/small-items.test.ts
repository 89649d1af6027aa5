import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { main } from '../../src/cli.js';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { openStore } from '../../src/store/index.js';
import { addConfigArgs } from '../helpers/add-config.js';
import { binPath, childEnv, tempHome } from '../helpers/cli.js';
import { storeEvent } from '../helpers/events.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';

// The keychain this file's in-process runs are handed (in memory: no child process reads it).
const testKeychain = memoryKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

const OWN = '+15005550006';

describe('small things a user runs into', () => {
  const h = tempHome();
  let emu: Emulator;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    emu = await startEmulator({ numbers: [OWN], statusDelayMs: 60_000 });
    env = { ...h.env, TWILIO_AUTH_TOKEN: emu.authToken };
    const r = await runCliInProcess(addConfigArgs('small', OWN, emu, 'env'), { env });
    assert.equal(r.code, 0, r.stderr);
    const store = openStore(env);
    try {
      const cfg = store.configs.list()[0]!;
      store.events.recordBatch(
        Array.from({ length: 3000 }, (_, i) =>
          storeEvent(i, {
            configId: cfg.id,
            configName: 'small',
            receivedAt: new Date(Date.now() - i * 1000).toISOString(),
            body: `message number ${i} `.repeat(8),
          }),
        ),
      );
    } finally {
      store.close();
    }
  });
  after(async () => {
    await emu.stop();
    h.cleanup();
  });

  test('a closed stdout (events list | head -1) ends quietly with exit 0', async () => {
    const child = spawn(process.execPath, [binPath, 'events', 'list', '--limit', '3000'], {
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE|at .*\.js:\d+/);
  });

  test('out-of-range durations are usage errors, not RangeError or TimeoutOverflowWarning', async () => {
    for (const args of [
      ['events', 'list', '--since', '99999999999999d'],
      ['events', 'prune', '--older-than', '1e400'],
      ['events', 'prune', '--older-than', '99999999999999w'],
      ['listen', '--timeout', '9999999999', '--no-register'],
      ['send', '--to', '+14155550123', '--body', 'x', '--wait', '--wait-timeout', '30d'],
    ]) {
      const r = await runCliInProcess(args, { env });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^error: --(since|older-than|timeout|wait-timeout) must be/m, args.join(' '));
      assert.doesNotMatch(r.stderr, /RangeError|TimeoutOverflowWarning|at .*\.js:\d+/, args.join(' '));
    }
  });

  test('listen --timeout takes the same durations as send --wait-timeout', async () => {
    const r = await runCliInProcess(
      ['listen', '--no-register', '--tunnel', 'none', '--port', '0', '--timeout', '500ms'],
      {
        env,
      },
    );
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /timed out after 0\.5 s with 0 of 1 event/);
  });

  test('emulator --state DIR says it needs a file', async () => {
    const dir = join(h.home, '..', 'state-dir');
    mkdirSync(dir, { recursive: true });
    const r = await runCliInProcess(['emulator', '--port', '0', '--state', dir], { env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: --state needs a file .* is a directory/m);
  });

  test('configs set --api-url X --no-api-url is a usage error', async () => {
    const r = await runCliInProcess(['configs', 'set', 'small', '--api-url', 'http://127.0.0.1:9', '--no-api-url'], {
      env,
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: --api-url URL and --no-api-url contradict each other/m);
  });

  test('`events` alone lists like `events list`; `events typo` is a usage error; --limit documents its maximum', async () => {
    const alone = await runCliInProcess(['events', '--limit', '5'], { env });
    const list = await runCliInProcess(['events', 'list', '--limit', '5'], { env });
    assert.equal(alone.code, 0, alone.stderr);
    assert.equal(alone.stdout, list.stdout);
    assert.equal(alone.stdout.trim().split('\n').length, 6, alone.stdout + alone.stderr);
    const typo = await runCliInProcess(['events', 'lsit'], { env });
    assert.equal(typo.code, 2);
    const help = await runCliInProcess(['events', 'list', '--help'], { env });
    assert.match(help.stdout, /--limit <n>\s+at most N events \(1 to 10000\)/);
  });

  test('Ctrl-C during send --wait: "interrupted after Ns; the message keeps going", exit 130', async () => {
    const child = spawn(process.execPath, [binPath, 'send', '--to', '+14155550123', '--body', 'slow one', '--wait'], {
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (/: queued/.test(stderr) && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    assert.equal(code, 130, stderr);
    assert.match(
      stderr,
      /^error: interrupted after \d+\.\ds; the message keeps going \(sid SM[0-9a-f]{32}, queued\)$/m,
    );
  });

  test('Ctrl-C at an add-config prompt prints "cancelled" and exits 130, without a stack trace', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin });
    // process.stderr cannot be ended; the prompt library ends its output stream when it closes.
    const stderr = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
    stderr.end = (() => stderr) as never;
    const stdout = Object.assign(new PassThrough(), { isTTY: false });
    let err = '';
    let sent = false;
    stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      // At the first question, whichever it is (since issue 30 the API URL, or the emulator found on its port, comes first).
      if (/\? /.test(err) && !sent) {
        sent = true;
        stdin.write('\u0003');
      }
    });
    const code = await main(['node', 'fruxon-twilio', 'add-config'], {
      stdin,
      stderr,
      stdout,
      env: { ...h.env },
    } as never);
    await new Promise((r) => setImmediate(r));
    assert.equal(code, 130, err);
    assert.match(err, /cancelled/);
    assert.doesNotMatch(err, /ExitPromptError|at .*\.js:\d+/);
  });
});
