import type { MessageInfo } from '../twilio/messages.js';
import type { Participant } from '../store/participants.js';
import type { Output } from './index.js';

/** A message as scripts see it (--json), snake_case like Twilio's own resource. */
export function messageJson(m: MessageInfo, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sid: m.sid,
    status: m.status,
    to: m.to,
    from: m.from,
    channel: m.channel,
    body: m.body,
    num_media: m.numMedia,
    num_segments: m.numSegments,
    direction: m.direction,
    error_code: m.errorCode,
    error_message: m.errorMessage,
    price: m.price,
    price_unit: m.priceUnit,
    account_sid: m.accountSid,
    date_created: m.dateCreated,
    date_sent: m.dateSent,
    date_updated: m.dateUpdated,
    ...extra,
  };
}

export function participantJson(p: Participant, configName: string | null): Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    phone: p.phone,
    whatsapp: p.whatsapp,
    channel: p.whatsapp ? 'whatsapp' : 'sms',
    config: configName,
    config_id: p.configId,
    created_at: p.createdAt,
  };
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Progress for a wait: a spinner redrawn in place on a terminal, plain lines (one per change) otherwise.
 * Everything goes to stderr, so stdout stays clean for --json.
 */
export class Progress {
  readonly #out: Output;
  readonly #live: boolean;
  #text = '';
  #frame = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(out: Output) {
    this.#out = out;
    this.#live = Boolean(out.io.stderr.isTTY) && !out.io.env.CI;
  }

  update(text: string): void {
    this.#text = text;
    if (!this.#live) {
      this.#out.status(text);
      return;
    }
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#draw(), 80);
      this.#timer.unref();
    }
    this.#draw();
  }

  /** Clears the spinner line (on a terminal); the caller prints the outcome. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#live && this.#text) this.#out.io.stderr.write('\r\u001b[2K');
  }

  #draw(): void {
    const frame = this.#out.errColor.cyan(FRAMES[this.#frame++ % FRAMES.length]!);
    this.#out.io.stderr.write(`\r\u001b[2K${frame} ${this.#text}`);
  }
}
