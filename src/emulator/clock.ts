/**
 * The emulator's one clock. Everything the emulator stamps or measures in account time (message dates, the
 * WhatsApp 24-hour window, Sandbox membership's 72 hours, opt-out dates, the log's `time`) reads `now()` here,
 * so a test can move time forward (`POST /_emulator/clock {"advance": "25h"}`) instead of waiting a day.
 * Timers that pace the emulator itself (status steps, webhook timeouts and retries) stay on real time.
 */
export class EmulatorClock {
  /** How far the clock has been moved ahead of its source, in ms. */
  offsetMs = 0;

  readonly #source: () => Date;

  constructor(source: () => Date = () => new Date()) {
    this.#source = source;
  }

  now(): Date {
    return new Date(this.#source().getTime() + this.offsetMs);
  }

  /** Moves the clock forward by `ms` (never back: time in the message log only goes one way). */
  advance(ms: number): Date {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('the clock only moves forward');
    this.offsetMs += ms;
    return this.now();
  }
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The duration forms the clock accepts, for error lines. */
export const DURATION_FORM = 'a whole number followed by s, m, h or d (like 90s, 15m, 25h, 2d)';

/** `90s`, `15m`, `25h`, `2d` -> milliseconds; undefined for anything else (no sign, no fraction, one unit). */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d{1,9})\s*([smhd])\s*$/i.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2]!.toLowerCase()]!;
}
