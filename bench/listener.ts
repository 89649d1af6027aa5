import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_ACCOUNT, BENCH_FROM, BENCH_TOKEN, binPath, cliEnv, repoRoot, timeRun, waitForStderr } from './common.js';
import type { LoadResult, LoadSpec } from './load.js';

/** A data directory with one `--token-from-env` config (no keychain, no network: --no-verify) on `apiUrl`. */
export async function benchHome(home: string, apiUrl = 'http://127.0.0.1:9'): Promise<NodeJS.ProcessEnv> {
  const env = cliEnv({ FRUXON_TWILIO_HOME: home, TWILIO_AUTH_TOKEN: BENCH_TOKEN });
  await timeRun(
    process.execPath,
    [
      binPath,
      'add-config',
      '--name',
      'bench',
      '--from',
      BENCH_FROM,
      '--account-sid',
      BENCH_ACCOUNT,
      '--token-from-env',
      '--no-verify',
      '--api-url',
      apiUrl,
      '--json',
    ],
    env,
  );
  return env;
}

export interface RunningListener {
  child: ChildProcess;
  url: string;
  stderrTail(): string;
  stop(): Promise<void>;
}

/**
 * `listen --json --no-register --port 0` as a child process. stdout goes to `stdoutFile` (as a user would
 * redirect it) or, when null, to a pipe the caller reads.
 */
export async function startListener(
  env: NodeJS.ProcessEnv,
  stdoutFile: string | null,
  extraNodeArgs: string[] = [],
  extraArgs: string[] = [],
): Promise<RunningListener> {
  const fd = stdoutFile ? openSync(stdoutFile, 'w') : null;
  const child = spawn(
    process.execPath,
    [...extraNodeArgs, binPath, 'listen', '--json', '--no-register', '--port', '0', ...extraArgs],
    {
      env,
      cwd: repoRoot,
      stdio: ['ignore', fd ?? 'pipe', 'pipe'],
    },
  );
  if (fd !== null) closeSync(fd);
  let tail = '';
  child.stderr!.on('data', (d: Buffer) => (tail = (tail + d.toString('utf8')).slice(-4000)));
  const m = await waitForStderr(child, /Ready! Listening for messages to \S+ at (\S+)/);
  return {
    child,
    url: m[1]!,
    stderrTail: () => tail,
    stop: () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null || child.signalCode !== null) return res();
        child.once('exit', () => res());
        child.kill('SIGINT');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

/** A bare node:http server in its own process that reads the body and answers 200: the throughput baseline. */
export async function startBareServer(): Promise<{ url: string; child: ChildProcess; stop(): void }> {
  const script = `
    const http = require('node:http');
    const s = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, {'content-type': 'text/xml'}); res.end('<Response/>'); }); });
    s.keepAliveTimeout = 65000;
    s.listen(0, '127.0.0.1', () => process.stderr.write('Ready! Listening for messages to bare at http://127.0.0.1:' + s.address().port + '/webhooks/bare\\n'));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  const m = await waitForStderr(child, /Ready! Listening for messages to \S+ at (\S+)/);
  return { url: m[1]!, child, stop: () => child.kill('SIGKILL') };
}

/** Runs the autocannon driver (bench/load.ts) in a second process. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist', 'bench', 'load.js'), JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('close', (code) => {
      if (code !== 0) return rej(new Error(err.trim() || `load driver exited ${code}`));
      res(JSON.parse(out) as LoadResult);
    });
  });
}
