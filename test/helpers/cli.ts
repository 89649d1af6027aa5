import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/test/helpers/). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const binPath = join(repoRoot, 'bin', 'fruxon-twilio.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Written to standard input, which is then closed. Standard input is never a TTY here. */
  input?: string;
  timeoutMs?: number;
}

/** A fresh data directory for one test; `cleanup` removes it. */
export function tempHome(): { home: string; env: NodeJS.ProcessEnv; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'fruxon-twilio-test-'));
  const home = join(root, 'home');
  return {
    home,
    env: { FRUXON_TWILIO_HOME: home },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** The environment a child CLI gets: this process's (the test keychain's D-Bus session), minus Twilio variables and colour. */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const k of Object.keys(env))
    if (/^(TWILIO_|FRUXON_|NGROK_)/.test(k) || k === 'CI' || k === 'FORCE_COLOR') delete env[k];
  return { ...env, ...extra };
}

/** Runs the built CLI (bin/fruxon-twilio.js) as a child process and collects its output. Its secrets are the OS keychain's. */
export function runCliChildProcess(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], {
      env: childEnv(opts.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `fruxon-twilio ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 20000} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, opts.timeoutMs ?? 20000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // the CLI may exit before reading its input
    child.stdin.end(opts.input ?? '');
  });
}

const running = new Set<RunningCli>();
// A failed assertion must not leave a listener behind to hang the test run.
process.on('exit', () => {
  for (const p of running) if (p instanceof CliChildProcess) p.child.kill('SIGKILL');
});

/** Stops every long-running CLI run still going, child process or in-process (for `after` hooks). */
export async function stopAllCliRuns(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/** A closed port on 127.0.0.1 (bound, then released): connections to it are refused. */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * A long-running CLI run (listen, emulator) whose output can be awaited: the built binary as a child
 * (CliChildProcess, below) or the CLI in this process (InProcessCli in inproc.ts), with the same surface.
 */
export abstract class RunningCli {
  stdout = '';
  stderr = '';
  abstract readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #waiters: Array<() => void> = [];

  /** Registers the run for stopAllCliRuns until it ends (call once `exited` is set). */
  protected track(): void {
    running.add(this);
    void this.exited.then(() => {
      running.delete(this);
      this.notify();
    });
  }

  protected notify(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Resolves with the first match of `pattern` in stdout or stderr (as chosen), failing after timeoutMs. */
  async waitFor(
    pattern: RegExp,
    opts: { stream?: 'stdout' | 'stderr'; timeoutMs?: number } = {},
  ): Promise<RegExpMatchArray> {
    const stream = opts.stream ?? 'stderr';
    const deadline = Date.now() + (opts.timeoutMs ?? 15000);
    let exited = false;
    void this.exited.then(() => (exited = true));
    for (;;) {
      const m = this[stream].match(pattern);
      if (m) return m;
      if (exited)
        throw new Error(
          `process exited before ${pattern} appeared on ${stream}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`,
        );
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out waiting for ${pattern} on ${stream}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`,
        );
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 200));
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** The process the command runs in (what its lease records). */
  abstract readonly pid: number;
  abstract kill(signal?: NodeJS.Signals): void;
  /** Ends the run, for `after` hooks. */
  abstract stop(): Promise<void>;
}

/** The built binary as a child process, whose output lines can be awaited. Its secrets are the OS keychain's. */
export class CliChildProcess extends RunningCli {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], opts: RunOptions = {}) {
    super();
    this.child = spawn(process.execPath, [binPath, ...args], {
      env: childEnv(opts.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.stdout += d;
      this.notify();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
      this.notify();
    });
    this.child.stdin!.on('error', () => {});
    if (opts.input !== undefined) this.child.stdin!.end(opts.input);
    this.exited = new Promise((r) => this.child.on('close', (code, signal) => r({ code, signal })));
    this.track();
  }

  get pid(): number {
    return this.child.pid!;
  }

  kill(signal: NodeJS.Signals = 'SIGINT'): void {
    this.child.kill(signal);
  }

  /** Ends the process (SIGKILL if it ignores SIGTERM), for `after` hooks. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(t);
  }
}
