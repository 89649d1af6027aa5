import { CliProcess, type RunningCli } from './cli.js';
import type { EmulatorFixture } from './fixtures.js';
import { InProcessCli } from './inproc.js';

/**
 * Starts `listen` on the fixture's config and waits for its ready line; returns the registered URL. The built
 * binary by default; `inProcess` runs it in this process (see InProcessCli: not for SIGKILL or a pid).
 */
export async function startListen(
  f: EmulatorFixture,
  extra?: string[],
  env?: NodeJS.ProcessEnv,
  opts?: { inProcess?: false },
): Promise<{ p: CliProcess; url: string }>;
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
  const p = opts.inProcess
    ? new InProcessCli(args, { env: { ...f.env, ...env } })
    : new CliProcess(args, { env: { ...f.env, ...env } });
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
