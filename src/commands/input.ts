import { usageError } from '../errors.js';
import type { Io } from '../output/index.js';
import { stdinIsTerminal } from '../output/iostreams.js';

/** Reads all of standard input (a secret piped in by a script). Trailing newlines are not part of it. */
export async function readStdin(io: Io, what: string): Promise<string> {
  if (stdinIsTerminal(io)) {
    throw usageError(
      `${what}: standard input is a terminal; pipe the value in, e.g. printf %s "$VALUE" | fruxon-twilio …`,
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/[\r\n]+$/, '');
  if (!text) throw usageError(`${what}: standard input was empty`);
  return text;
}

/** Prompts on the terminal (stderr), for values a person types; never called without a TTY. */
export async function promptText(
  io: Io,
  message: string,
  validate: (v: string) => string | true,
  def?: string,
): Promise<string> {
  const { input } = await import('@inquirer/prompts');
  return input({ message, default: def, validate }, { input: io.stdin, output: io.stderr });
}

/** A yes/no question on a terminal (default: no). */
export async function promptConfirm(io: Io, message: string): Promise<boolean> {
  const { confirm } = await import('@inquirer/prompts');
  return confirm({ message, default: false }, { input: io.stdin, output: io.stderr });
}

export async function promptSecret(io: Io, message: string): Promise<string> {
  const { password } = await import('@inquirer/prompts');
  return password(
    { message, mask: '•', validate: (v) => (v.trim() ? true : 'required') },
    { input: io.stdin, output: io.stderr },
  );
}

/** Turns a usage check into an inquirer validator: the check's message is shown under the prompt. */
export function asValidator(check: (v: string) => unknown): (v: string) => string | true {
  return (v) => {
    try {
      check(v);
      return true;
    } catch (err) {
      return (err as Error).message;
    }
  };
}

/** The warning for a secret given on the command line, where `ps` and the shell history can see it. */
export const WEBHOOK_URL_FLAG_WARNING =
  '--webhook-url shows the URL (a secret: it carries the key Fruxon minted) in the process list and your shell history; prefer --webhook-url-stdin';

/**
 * Splits what a script piped in when two flags read standard input: the first line is the first value,
 * the rest (trimmed) the second. Each must be present.
 */
export function splitTwoLines(text: string, first: string, second: string): [string, string] {
  const at = text.search(/\r?\n/);
  const a = at < 0 ? text : text.slice(0, at);
  const b = at < 0 ? '' : text.slice(at).trim();
  if (!a.trim()) throw usageError(`${first}: the first line of standard input was empty`);
  if (!b) throw usageError(`${first} with ${second}: pipe two lines in, the secret first and the webhook URL second`);
  return [a, b];
}
