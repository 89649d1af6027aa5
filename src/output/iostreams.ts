import type { Readable, Writable } from 'node:stream';
import { Chalk, type ChalkInstance } from 'chalk';

/**
 * The one home of the terminal and colour decisions (GitHub CLI's iostreams is the model): every face asks
 * here whether a stream is a terminal, whether to colour it, whether a person can be prompted, whether a
 * spinner may redraw in place, whether the key-driven screen may open. Rules:
 * - NO_COLOR (set, not empty) turns colour off everywhere; FORCE_COLOR (set, not "0") turns it on for pipes.
 * - Otherwise a stream is coloured when it is a terminal.
 * - Prompts and redrawn lines need a terminal and no CI.
 */
export interface IoStreams {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean };
  stdin: Readable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** Chalk's level for `stream`: 0 (none) or 1 (16 colours). */
export function colorLevel(io: IoStreams, stream: 'stdout' | 'stderr'): 0 | 1 {
  if (noColor(io.env)) return 0;
  const forced = io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0';
  return forced || io[stream].isTTY ? 1 : 0;
}

/** The colours of `stream` (chalk at `colorLevel`). */
export function colors(io: IoStreams, stream: 'stdout' | 'stderr'): ChalkInstance {
  return new Chalk({ level: colorLevel(io, stream) });
}

/** The colours of the key-driven screen (chalk at `screenColorLevel`). */
export function screenColors(io: IoStreams): ChalkInstance {
  return new Chalk({ level: screenColorLevel(io) });
}

/** Chalk's level for the key-driven screen, which is only ever drawn on a terminal: NO_COLOR alone decides. */
export function screenColorLevel(io: IoStreams): 0 | 1 {
  return noColor(io.env) ? 0 : 1;
}

function noColor(env: NodeJS.ProcessEnv): boolean {
  return env.NO_COLOR !== undefined && env.NO_COLOR !== '';
}

/** Whether a person is at the keyboard: prompts allowed (stdin and stderr are terminals, not CI). */
export function canPrompt(io: IoStreams): boolean {
  return Boolean(io.stdin.isTTY && io.stderr.isTTY) && !io.env.CI;
}

/** Whether progress may redraw one line in place on stderr (a spinner), not one line per change. */
export function canRedrawStatus(io: IoStreams): boolean {
  return Boolean(io.stderr.isTTY) && !io.env.CI;
}

/** Whether the key-driven screen (src/interactive) may take the terminal: stdin and stdout are terminals. */
export function canOpenScreen(io: IoStreams): boolean {
  return Boolean(io.stdin.isTTY && io.stdout.isTTY);
}

/** Whether standard input is a terminal (a secret cannot be piped from it). */
export function stdinIsTerminal(io: IoStreams): boolean {
  return Boolean(io.stdin.isTTY);
}

/** Whether stdout is a terminal: human lines are cut to its width there, written whole to a pipe. */
export function stdoutIsTerminal(io: IoStreams): boolean {
  return Boolean(io.stdout.isTTY);
}

/** The terminal's width for cutting lines; undefined when stdout is no terminal (or does not say). */
export function terminalColumns(io: IoStreams): number | undefined {
  return io.stdout.isTTY ? io.stdout.columns : undefined;
}
