/**
 * The one error type the CLI reports. Core modules throw it (or let a library error through, which the
 * command maps); commands never print a stack. `message` is one line naming what is wrong and the expected
 * form; `hint` is the fix, printed on its own line.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** listen --timeout (or send --wait-timeout) ran out before the requested events/status arrived. */
  timeout: 3,
  /** listen could not register (or restore) the number's Messaging webhook through the Twilio API. */
  registration: 4,
  /** Another process holds what this command needs (a running listener's lease). */
  conflict: 5,
  /** Ctrl-C at a prompt or during a wait (128 + SIGINT, as shells report it). */
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  readonly exitCode: number;
  readonly hint?: string;
  /** Machine-readable reason, e.g. 'invalid_argument', 'twilio_auth', 'not_found'. */
  readonly reason: string;

  constructor(message: string, opts: { exitCode?: number; hint?: string; reason?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'CliError';
    this.exitCode = opts.exitCode ?? ExitCode.failure;
    this.hint = opts.hint;
    this.reason = opts.reason ?? 'failure';
  }
}

/** A bad flag, argument or value: exit 2, like commander's own usage errors. */
export function usageError(message: string, hint?: string): CliError {
  return new CliError(message, { exitCode: ExitCode.usage, hint, reason: 'invalid_argument' });
}

/** How a face names a core's input: `to` -> `--to` (the CLI's flag) or `to` (MCP's tool argument). */
export type FieldWording = (field: string) => string;

/**
 * A core's error about one of its inputs, in no face's words: the message (and hint) is a function of how the
 * face names the fields (`${name('to')} must be…`), so each face words it: the CLI with its flags (`--to must
 * be…`, commands/fields.ts), MCP with its tool arguments (`to must be…`, mcp/fields.ts). Unworded, a field
 * reads as its own name. Values are put in by the core, never parsed back out.
 */
export class FieldError extends CliError {
  readonly field: string;
  readonly #words: (name: FieldWording) => { message: string; hint?: string };
  readonly #opts: { exitCode?: number; reason?: string };

  constructor(
    field: string,
    words: (name: FieldWording) => { message: string; hint?: string },
    opts: { exitCode?: number; reason?: string } = {},
  ) {
    const plain = words((f) => f);
    super(plain.message, { ...opts, hint: plain.hint });
    this.name = 'FieldError';
    this.field = field;
    this.#words = words;
    this.#opts = opts;
  }

  /** This error in a face's words. */
  worded(name: FieldWording): CliError {
    const w = this.#words(name);
    return new CliError(w.message, { ...this.#opts, hint: w.hint, cause: this });
  }
}

/** A bad value of a core's input (exit 2, reason invalid_argument), worded by the face: see FieldError. */
export function fieldUsageError(
  field: string,
  words: (name: FieldWording) => { message: string; hint?: string },
): FieldError {
  return new FieldError(field, words, { exitCode: ExitCode.usage, reason: 'invalid_argument' });
}

/** A face's wording of an error: a FieldError in its names, anything else as it is. */
export function wordError(err: unknown, name: FieldWording): unknown {
  return err instanceof FieldError ? err.worded(name) : err;
}

/**
 * "A listener holds this number": the conflict (exit 5, reason `lease_held`) every command that would change
 * what a running listen owns reports. `message` says what was refused (in the caller's words); the hint tells
 * how to stop the listener: `stop <who> first (kill -INT <pid>)<hintTail>`, or the caller's own `hint`.
 */
export function leaseHeldError(
  message: string,
  pid: number,
  opts: { hintTail?: string; who?: string; hint?: string } = {},
): CliError {
  return new CliError(message, {
    exitCode: ExitCode.conflict,
    reason: 'lease_held',
    hint: opts.hint ?? `stop ${opts.who ?? 'that listener'} first (kill -INT ${pid})${opts.hintTail ?? ''}`,
  });
}

/**
 * "A crashed listener's lease still waits for its restore": the conflict (exit 5, reason `lease_stale`) of a
 * command that would change or drop what the lease must put back. The hint: `restore --config <name>`.
 */
export function leaseStaleError(message: string, configName: string, opts: { hintTail?: string } = {}): CliError {
  return new CliError(message, {
    exitCode: ExitCode.conflict,
    reason: 'lease_stale',
    hint: `put the number's webhook back first: fruxon-twilio restore --config ${JSON.stringify(configName)}${opts.hintTail ?? ''}`,
  });
}

export function isCliError(err: unknown): err is CliError {
  return err instanceof CliError;
}
