import { PassThrough, Readable } from 'node:stream';
import { main } from '../../src/cli.js';
import type { CliDeps } from '../../src/commands/context.js';
import type { SecretStore } from '../../src/secrets/index.js';
import { keychain } from '../../src/secrets/keychain.js';
import { memorySecretStore } from '../../src/secrets/memory.js';
import { type CliResult, childEnv, RunningCli, type RunOptions } from './cli.js';

/**
 * The CLI run in-process: `main(argv, io, deps)` with captured stdout/stderr, the given environment and
 * standard input, and an in-memory secret store instead of the OS keychain. Same result shape as the
 * binary's `runCli` (signal is always null), so a test reads the same whichever it uses. Twilio is the
 * emulator, reached through the config's --api-url as with the binary.
 *
 * One secret store per test file (node --test runs each file in its own process), shared by every run in
 * it, as the real keychain is shared by every child: `keychainGet`/`keychainSet` below read and write it.
 * A file that also starts the built binary (a real `listen` child, which reads its token from the keychain)
 * calls `useRealKeychain()` first, so both see the same (test) keychain.
 */
let store: SecretStore = memorySecretStore();

export function useRealKeychain(): void {
  store = keychain();
}

/** The secret store the in-process runs use. */
export function secrets(): SecretStore {
  return store;
}

export interface InProcessOptions extends RunOptions {
  /** Replaces parts of the real dependencies (the secret store defaults to the in-memory one above). */
  deps?: CliDeps;
}

export async function runCli(args: string[], opts: InProcessOptions = {}): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const stdin = Readable.from(opts.input === undefined || opts.input === '' ? [] : [opts.input]);
  const env = childEnv(opts.env);
  const timeoutMs = opts.timeoutMs ?? 20000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `fruxon-twilio ${args.join(' ')} (in-process) did not finish within ${timeoutMs} ms\nstdout: ${out}\nstderr: ${err}`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    const code = await Promise.race([
      main(['node', 'fruxon-twilio', ...args], { stdout, stderr, stdin, env }, { secrets: () => store, ...opts.deps }),
      timedOut,
    ]);
    // Let the PassThroughs hand over what was written.
    await new Promise((r) => setImmediate(r));
    return { code, signal: null, stdout: out, stderr: err };
  } finally {
    clearTimeout(timer);
  }
}

/** What the in-memory secret store holds for an account (null when nothing): the in-process twin of checks.ts's keychainGet. */
export function keychainGet(account: string): string | null {
  return store.get(account);
}

export function keychainSet(account: string, value: string): void {
  store.set(account, value);
}

/**
 * A long-running command (listen) run in this process, with CliProcess's surface: output to await, and
 * `kill(SIG)` aborting the context's signal with SIG as the reason, which listen treats as that signal
 * (it stops, puts the webhook back and prints what the binary prints). Only where a real signal is not the
 * point: SIGKILL, a crash or a second process's view of the lease need the binary (CliProcess).
 */
export class InProcessCli extends RunningCli {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #abort = new AbortController();

  constructor(args: string[], opts: InProcessOptions = {}) {
    super();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.setEncoding('utf8').on('data', (d: string) => {
      this.stdout += d;
      this.notify();
    });
    stderr.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
      this.notify();
    });
    // Like a child's pipe: open until the test writes, or for good when it gives nothing.
    const stdin = opts.input === undefined ? new PassThrough() : Readable.from([opts.input]);
    const io = { stdout, stderr, stdin, env: childEnv(opts.env) };
    this.exited = main(['node', 'fruxon-twilio', ...args], io, {
      secrets: () => store,
      signal: this.#abort.signal,
      ...opts.deps,
    }).then(async (code) => {
      await new Promise((r) => setImmediate(r)); // the PassThroughs hand over what was written
      return { code, signal: null };
    });
    this.track();
  }

  /** This process: an in-process listen's lease names it. */
  get pid(): number {
    return process.pid;
  }

  kill(signal: NodeJS.Signals = 'SIGINT'): void {
    if (signal === 'SIGKILL')
      throw new Error('an in-process run cannot be SIGKILLed: use CliProcess (the built binary) for that');
    this.#abort.abort(signal);
  }

  async stop(): Promise<void> {
    this.#abort.abort('SIGTERM');
    await this.exited;
  }
}
