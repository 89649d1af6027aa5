import { CliChildProcess, type RunningCli } from './cli.js';
import type { EmulatorFixture } from './fixtures.js';
import { type InProcessCli, inProcessCliWith } from './inproc.js';

/**
 * Starts `listen` on the fixture's config and waits for its ready line; returns the registered URL. The built
 * binary as a child process by default (it reads the token from the OS keychain, so the fixture's keychain must
 * be 'os'); `inProcess` runs it in this process, handed the fixture's keychain (see InProcessCli: not for
 * SIGKILL or a pid).
 */
export async function startListen(
  f: EmulatorFixture,
  extra?: string[],
  env?: NodeJS.ProcessEnv,
  opts?: { inProcess?: false },
): Promise<{ p: CliChildProcess; url: string }>;
export async function startListen(
  f: EmulatorFixture,
  extra: string[],
  env: NodeJS.ProcessEnv,
  opts: { inProcess: true },
): Promise<{ p: InProcessCli; url: string }>;
export async function startListen(
  f: EmulatorFixture,
  extra: string[] = [],
  env: NodeJS.ProcessEnv = {},
  opts: { inProcess?: boolean } = {},
): Promise<{ p: RunningCli; url: string }> {
  const args = ['listen', '--port', '0', ...extra];
  if (!opts.inProcess && f.keychain !== 'os')
    throw new Error(
      "a listen child process reads the OS keychain: use emulatorWithConfig({ keychain: 'os' }) or inProcess",
    );
  const p = opts.inProcess
    ? inProcessCliWith(f.secrets).startCliInProcess(args, { env: { ...f.env, ...env } })
    : new CliChildProcess(args, { env: { ...f.env, ...env } });
  const m = await p.waitFor(/Ready! Listening for messages to \S+ at (\S+)/);
  return { p, url: m[1]! };
}

/** The JSON objects of `--json` output, one per non-empty line. */
export function jsonLines(stdout: string): any[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}
