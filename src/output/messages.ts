import type { Participant } from '../store/participants.js';
import type { MediaInfo } from '../twilio/message-history.js';
import { type Message, otherParty, relativeDirection } from '../twilio/messages.js';
import type { Output } from './index.js';
import { canRedrawStatus } from './iostreams.js';

/**
 * A message as scripts see it (--json), snake_case like Twilio's own resource: what `send` and `demo`
 * print, with `extra` keys (config, participant) after it. The base of `historyMessageJson` too.
 */
export function messageJson(m: Message, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sid: m.sid,
    status: m.status,
    to: m.to,
    from: m.from,
    channel: m.channel,
    body: m.body,
    num_media: m.numMedia,
    num_segments: m.numSegments ?? 0,
    direction: m.direction,
    error_code: m.errorCode,
    error_message: m.errorMessage,
    price: m.price,
    price_unit: m.priceUnit,
    account_sid: m.accountSid,
    date_created: m.dateCreated?.toISOString() ?? null,
    date_sent: m.dateSent?.toISOString() ?? null,
    date_updated: m.dateUpdated?.toISOString() ?? null,
    ...extra,
  };
}

/** The keys of `messages list/show --json`, in their order. */
const HISTORY_KEYS = [
  'sid',
  'date_created',
  'date_sent',
  'date_updated',
  'direction',
  'twilio_direction',
  'channel',
  'from',
  'to',
  'other_party',
  'status',
  'body',
  'num_segments',
  'num_media',
  'error_code',
  'error_message',
  'price',
  'price_unit',
  'messaging_service_sid',
] as const;

/**
 * `messages list/show --json`: the same message seen from our number. `direction` is in/out (Twilio's as
 * `twilio_direction`), `other_party` the plain E.164 on the other end, `num_segments` null when Twilio has none.
 */
export function historyMessageJson(m: Message): Record<string, unknown> {
  const all = messageJson(m, {
    direction: relativeDirection(m),
    twilio_direction: m.direction,
    other_party: otherParty(m),
    num_segments: m.numSegments,
    messaging_service_sid: m.messagingServiceSid,
  });
  return Object.fromEntries(HISTORY_KEYS.map((k) => [k, all[k]]));
}

/** `messages show --json`: the history fields and the media (`null` when they could not be listed). */
export function messageDetailJson(m: Message, media: readonly MediaInfo[] | null): Record<string, unknown> {
  return {
    ...historyMessageJson(m),
    media: media?.map((x) => ({ sid: x.sid, content_type: x.contentType, url: x.url })) ?? null,
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
    this.#live = canRedrawStatus(out.io);
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
