import { CliProcess } from './cli.js';
import type { EmulatorFixture } from './fixtures.js';

/** Starts `listen` on the fixture's config and waits for its ready line; returns the registered URL. */
export async function startListen(f: EmulatorFixture, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<{ p: CliProcess; url: string }> {
  const p = new CliProcess(['listen', '--port', '0', ...extra], { env: { ...f.env, ...env } });
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
