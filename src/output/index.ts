import type { ChalkInstance } from 'chalk';
import { canPrompt, colors, type IoStreams } from './iostreams.js';

/**
 * The only place that writes data and status for a command. Data goes to stdout (one JSON value per line
 * with --json, human text otherwise); status, warnings and errors go to stderr, so `--json` output is
 * always valid JSON and nothing else.
 */
export type Io = IoStreams;

export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

export class Output {
  readonly json: boolean;
  readonly color: ChalkInstance;
  readonly errColor: ChalkInstance;

  constructor(
    readonly io: Io,
    opts: { json?: boolean } = {},
  ) {
    this.json = Boolean(opts.json);
    this.color = colors(io, 'stdout');
    this.errColor = colors(io, 'stderr');
  }

  /** Whether a person is at the keyboard (prompts allowed). */
  get interactive(): boolean {
    return canPrompt(this.io);
  }

  /** One JSON value on its own line on stdout. */
  data(value: unknown): void {
    this.io.stdout.write(JSON.stringify(value) + '\n');
  }

  /**
   * Values already encoded with JSON.stringify, one per line on stdout, in ONE write (to a file or a pipe
   * each write is a system call: the listener writes the events of one group commit together).
   */
  dataJsonLines(lines: readonly string[]): void {
    if (lines.length === 0) return;
    this.io.stdout.write(lines.length === 1 ? lines[0] + '\n' : lines.join('\n') + '\n');
  }

  /** A human line on stdout (never used with --json). */
  line(text = ''): void {
    this.io.stdout.write(text + '\n');
  }

  /** Progress and status on stderr. */
  status(text: string): void {
    this.io.stderr.write(text + '\n');
  }

  success(text: string): void {
    this.status(`${this.errColor.green('✔')} ${text}`);
  }

  warn(text: string): void {
    this.status(`${this.errColor.yellow('warning:')} ${text}`);
  }

  /** Errors carry outside data (Twilio's and Fruxon's messages, names, URLs): escaped here, for every caller. */
  error(text: string, hint?: string): void {
    this.status(`${this.errColor.red('error:')} ${safe(text)}`);
    if (hint) this.status(`${this.errColor.dim('hint:')} ${safe(hint)}`);
  }

  /** Aligned columns for lists; the header is dimmed on a terminal. */
  table(headers: string[], rows: string[][]): void {
    const widths = headers.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
    const fmt = (cells: string[]) =>
      cells
        .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - visibleLength(c))))
        .join('  ')
        .trimEnd();
    // One write for the whole table: a line per write() is a syscall per row (10,000 configs: npm run bench).
    const lines = [this.color.dim(fmt(headers)), ...rows.map(fmt)];
    this.io.stdout.write(lines.join('\n') + '\n');
  }
}

const ANSI = /\u001b\[[0-9;]*m/g;
function visibleLength(s: string): number {
  return s.replace(ANSI, '').length;
}

/**
 * C0 and C1 control characters, DEL, and the bidi overrides and isolates (U+202A-202E, U+2066-2069): what
 * a terminal obeys instead of showing (escape sequences retitle or clear it, draw fake lines; bidi controls
 * reorder what is shown).
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * THE escape for outside data in human output: every value that came from outside (message text, names,
 * numbers, URLs, reasons, Twilio's or Fruxon's error messages) goes through it before it is printed, so it
 * is shown, never obeyed: ESC becomes `\x1b`, U+202E `\u202e`. `multiline` keeps line breaks (a message
 * body shown in full). --json output does not use it: JSON's string escaping already covers this.
 */
export function safe(text: string, opts: { multiline?: boolean } = {}): string {
  return text.replace(opts.multiline ? UNSAFE_BUT_NEWLINE : UNSAFE, (ch) => {
    const code = ch.charCodeAt(0);
    return code <= 0xff ? '\\x' + code.toString(16).padStart(2, '0') : '\\u' + code.toString(16);
  });
}

/** Cut text to fit one terminal line (escaped: see `safe`). */
export function truncate(text: string, width: number): string {
  const oneLine = safe(text.replace(/\s+/g, ' '));
  return oneLine.length > width ? oneLine.slice(0, Math.max(1, width - 1)) + '…' : oneLine;
}
