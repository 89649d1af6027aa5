import { writeSync } from 'node:fs';
import { emitKeypressEvents } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export interface Key {
  /** The character typed, if any (undefined for arrows and the like). */
  str: string | undefined;
  name: string | undefined;
  ctrl: boolean;
  meta: boolean;
}

type TtyIn = Readable & { isTTY?: boolean; setRawMode?: (on: boolean) => unknown };
type TtyOut = Writable & { columns?: number; rows?: number; fd?: number };

const ENTER = '\x1b[?1049h\x1b[?25l\x1b[2J'; // alternate screen, cursor hidden, cleared
const LEAVE = '\x1b[0m\x1b[?25h\x1b[?1049l'; // attributes reset, cursor shown, main screen back

/**
 * The terminal for a full-screen view: raw keys (Node's readline keypress parser, no library), the
 * alternate screen, one write per frame. Whatever happens, the terminal is put back: by close(), and
 * synchronously on process exit and before an uncaught error is printed (so its stack lands on the main
 * screen, readable). Signals go through the caller (listen's handler calls close() first).
 */
export class Terminal {
  #open = false;
  readonly #onKeypress = (
    str: string | undefined,
    key: { name?: string; ctrl?: boolean; meta?: boolean; sequence?: string } | undefined,
  ) => this.onKey?.({ str, name: key?.name, ctrl: Boolean(key?.ctrl), meta: Boolean(key?.meta) });
  readonly #onResize = () => this.onResize?.();
  readonly #restoreSync = () => this.#restore(true);
  onKey?: (key: Key) => void;
  onResize?: () => void;

  constructor(
    readonly input: TtyIn,
    readonly output: TtyOut,
  ) {}

  get columns(): number {
    return Math.max(20, this.output.columns ?? 80);
  }

  get rows(): number {
    return Math.max(6, this.output.rows ?? 24);
  }

  open(): void {
    if (this.#open) return;
    this.#open = true;
    process.on('exit', this.#restoreSync);
    process.on('uncaughtExceptionMonitor', this.#restoreSync);
    emitKeypressEvents(this.input);
    this.input.setRawMode?.(true);
    this.input.on('keypress', this.#onKeypress);
    this.input.resume();
    this.output.on('resize', this.#onResize);
    this.output.write(ENTER);
  }

  /** One frame: every row from the top, each cleared to its end; nothing is written in the last column. */
  draw(lines: readonly string[]): void {
    if (!this.#open) return;
    let frame = '\x1b[H';
    for (let i = 0; i < lines.length; i++) frame += lines[i] + '\x1b[0m\x1b[K' + (i < lines.length - 1 ? '\r\n' : '');
    this.output.write(frame + '\x1b[J');
  }

  close(): void {
    this.#restore(false);
  }

  #restore(sync: boolean): void {
    if (!this.#open) return;
    this.#open = false;
    process.off('exit', this.#restoreSync);
    process.off('uncaughtExceptionMonitor', this.#restoreSync);
    this.input.off('keypress', this.#onKeypress);
    this.output.off('resize', this.#onResize);
    try {
      this.input.setRawMode?.(false);
    } catch {
      // the terminal is gone (SIGHUP): nothing to put back
    }
    this.input.pause();
    try {
      if (sync && typeof this.output.fd === 'number') writeSync(this.output.fd, LEAVE);
      else this.output.write(LEAVE);
    } catch {
      // same
    }
  }
}
