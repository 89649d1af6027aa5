/**
 * How much a refused request may cost. Anyone who learns a listener's URL can send requests, so refusals
 * are counted per minute and only the first `perMinute` of each minute are recorded (small: see
 * session.ts) and printed; the rest are counted and answered, nothing more. The counts are reported once
 * the minute is over, so a flood shows as one line a minute instead of one line (and one row) a request.
 */

/** Refused requests recorded (and printed) per minute; beyond it they are only counted. */
export const REFUSED_DETAILS_PER_MINUTE = 20;

export interface RefusalMinute {
  /** ISO time the minute started. */
  start: string;
  refused: number;
  /** Of which recorded. */
  kept: number;
}

export class RefusalBudget {
  readonly #perMinute: number;
  readonly #now: () => number;
  #minute = -1;
  #refused = 0;
  #kept = 0;
  /** Whether this listener has dropped details before (the first drop is announced). */
  droppedBefore = false;

  constructor(opts: { perMinute?: number; now?: () => number } = {}) {
    this.#perMinute = opts.perMinute ?? REFUSED_DETAILS_PER_MINUTE;
    this.#now = opts.now ?? Date.now;
  }

  /**
   * Counts one refusal. `keep`: record and print it. `firstDrop`: this is the first one of the listener's
   * life whose details are dropped (say so once). `closed`: the previous minute, when it dropped details.
   */
  take(): { keep: boolean; firstDrop: boolean; closed: RefusalMinute | null } {
    const closed = this.#roll();
    this.#refused++;
    if (this.#kept < this.#perMinute) {
      this.#kept++;
      return { keep: true, firstDrop: false, closed };
    }
    const firstDrop = !this.droppedBefore;
    this.droppedBefore = true;
    return { keep: false, firstDrop, closed };
  }

  /** The current minute's counts if it dropped details and is over (for a timer), else null. */
  flush(): RefusalMinute | null {
    return this.#roll();
  }

  #roll(): RefusalMinute | null {
    const minute = Math.floor(this.#now() / 60_000);
    if (minute === this.#minute) return null;
    const closed =
      this.#minute >= 0 && this.#refused > this.#kept
        ? { start: new Date(this.#minute * 60_000).toISOString(), refused: this.#refused, kept: this.#kept }
        : null;
    this.#minute = minute;
    this.#refused = 0;
    this.#kept = 0;
    return closed;
  }
}

/** The refusal reason of a request from or to an address kind the listener does not model (doctor counts them). */
export const UNSUPPORTED_ADDRESS = 'unsupported_address';
