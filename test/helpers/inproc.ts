import { PassThrough, Readable } from 'node:stream';
import { main } from '../../src/cli.js';
import type { CliDeps } from '../../src/commands/context.js';
import type { SecretStore } from '../../src/secrets/index.js';
import { type CliResult, childEnv, RunningCli, type RunOptions } from './cli.js';

/** How an in-process run is set up: RunOptions, plus the keychain it is handed. */
export interface InProcessOptions extends RunOptions {
  /** The keychain this run reads and writes: memoryKeychain(), or osKeychain() when a child process must see it too. */
  secrets: SecretStore;
  /** Replaces parts of the real dependencies (a `secrets` here wins over the one above). */
  deps?: CliDeps;
}

/**
 * The CLI run in this process: `main(argv, io, deps)` with captured stdout/stderr, the given environment and
 * standard input, and the secret store the run is handed (never a default: the test says which keychain it
 * touches, see keychains.ts). Same result shape as runCliChildProcess (signal is always null), so a test reads
 * the same whichever it uses. Twilio is the emulator, reached through the config's --api-url as with the binary.
 */
async function runInProcess(args: string[], opts: InProcessOptions): Promise<CliResult> {
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
  const secrets = opts.secrets;
  try {
    const code = await Promise.race([
      main(
        ['node', 'fruxon-twilio', ...args],
        { stdout, stderr, stdin, env },
        { secrets: () => secrets, ...opts.deps },
      ),
      timedOut,
    ]);
    // Let the PassThroughs hand over what was written.
    await new Promise((r) => setImmediate(r));
    return { code, signal: null, stdout: out, stderr: err };
  } finally {
    clearTimeout(timer);
  }
}

/** The in-process runs of one test file, every one handed `secrets` (as every child shares the OS keychain). */
export interface InProcessCliWith {
  /** Runs a command in this process to its end (like runCliChildProcess, without the child). */
  runCliInProcess(args: string[], opts?: Omit<InProcessOptions, 'secrets'>): Promise<CliResult>;
  /** Starts a long-running command (listen, link) in this process: an InProcessCli. */
  startCliInProcess(args: string[], opts?: Omit<InProcessOptions, 'secrets'>): InProcessCli;
}

/**
 * Binds the keychain a file's in-process runs use: `const { runCliInProcess } = inProcessCliWith(memoryKeychain())`.
 * A file that also starts the built binary (which reads the OS keychain) binds osKeychain(), so both see one keychain.
 */
export function inProcessCliWith(secrets: SecretStore): InProcessCliWith {
  return {
    runCliInProcess: (args, opts = {}) => runInProcess(args, { ...opts, secrets }),
    startCliInProcess: (args, opts = {}) => new InProcessCli(args, { ...opts, secrets }),
  };
}

/**
 * A long-running command (listen) run in this process, with CliChildProcess's surface: output to await, and
 * `kill(SIG)` aborting the context's signal with SIG as the reason, which listen treats as that signal
 * (it stops, puts the webhook back and prints what the binary prints). Only where a real signal is not the
 * point: SIGKILL, a crash or a second process's view of the lease need the binary (CliChildProcess).
 */
export class InProcessCli extends RunningCli {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #abort = new AbortController();

  constructor(args: string[], opts: InProcessOptions) {
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
    const secrets = opts.secrets;
    this.exited = main(['node', 'fruxon-twilio', ...args], io, {
      secrets: () => secrets,
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
      throw new Error('an in-process run cannot be SIGKILLed: use CliChildProcess (the built binary) for that');
    this.#abort.abort(signal);
  }

  async stop(): Promise<void> {
    this.#abort.abort('SIGTERM');
    await this.exited;
  }
}
