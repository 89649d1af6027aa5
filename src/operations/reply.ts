import type { StatusCallback } from '../listener/session.js';
import type { Config } from '../store/index.js';
import type { Message } from '../twilio/messages.js';
import { checkBodyLength } from '../twilio/send-rules.js';
import { isLoopbackUrl } from '../validate.js';
import type { ConfigDeps } from './deps.js';
import { sendFromConfig } from './send.js';

/**
 * Replying to a sender from a running listen, and following the reply's delivery statuses: the one core the
 * interactive screen (r) and the inspector (its reply box) call. A reply is a send from the listened config's
 * number, with the listener's URL as its status callback, so its statuses come back to the same session.
 */

export interface ReplyInput {
  config: Config;
  /** The sender replied to (E.164). */
  to: string;
  channel: 'sms' | 'whatsapp';
  body: string;
  /** The listener's status-callback URL; null: none reaches it (see `reachableStatusCallback`). */
  statusCallback: string | null;
  /** How the face names the text in a too-long error ('the reply', 'body'). */
  field: string;
}

/** Sends the reply; its statuses arrive at the listener as callbacks (`ReplyTracker` pairs them with it). */
export async function sendReply(deps: ConfigDeps, input: ReplyInput): Promise<Message> {
  checkBodyLength(input.field, input.body);
  const { message } = await sendFromConfig(deps, {
    to: input.to,
    body: input.body,
    mediaUrls: [],
    statusCallback: input.statusCallback,
    config: input.config.name,
    channel: input.channel,
  });
  return message;
}

/** The listener's URL as a reply's status callback: real Twilio (no `apiUrl`) cannot post to a loopback address. */
export function reachableStatusCallback(webhookUrl: string, apiUrl: string | null | undefined): string | null {
  return !apiUrl && isLoopbackUrl(webhookUrl) ? null : webhookUrl;
}

/** A status as a reply shows it: `delivered`, `undelivered (30003)`. */
export function replyStatusLabel(s: Pick<StatusCallback, 'status' | 'errorCode'>): string {
  return s.errorCode ? `${s.status} (${s.errorCode})` : s.status;
}

/**
 * The replies a face sent, by MessageSid, and the status callbacks that belong to them. A callback can beat
 * the answer to the create call: it waits (the newest `maxEarly` of them) until `sent` claims it.
 */
export class ReplyTracker<T> {
  readonly #replies = new Map<string, T>();
  readonly #early = new Map<string, StatusCallback[]>();
  readonly #maxEarly: number;
  /** Replies sent but not answered yet. */
  pending = 0;

  constructor(opts: { maxEarly?: number } = {}) {
    this.#maxEarly = opts.maxEarly ?? 100;
  }

  /** A send started (until `sent` or `failed`, a callback of an unknown SID may be its). */
  sending(): void {
    this.pending++;
  }

  /** The reply was accepted as `sid`: returns the callbacks that came before the answer, in order. */
  sent(sid: string, reply: T): StatusCallback[] {
    this.pending = Math.max(0, this.pending - 1);
    this.#replies.set(sid, reply);
    const early = this.#early.get(sid) ?? [];
    this.#early.delete(sid);
    return early;
  }

  /** The send failed. */
  failed(): void {
    this.pending = Math.max(0, this.pending - 1);
  }

  /** The reply a callback is about; undefined for another sender's message (or one whose send has not answered yet). */
  claim(s: StatusCallback): T | undefined {
    const reply = s.messageSid ? this.#replies.get(s.messageSid) : undefined;
    if (reply !== undefined || !s.messageSid) return reply;
    const list = this.#early.get(s.messageSid) ?? [];
    list.push(s);
    this.#early.set(s.messageSid, list);
    if (this.#early.size > this.#maxEarly) this.#early.delete(this.#early.keys().next().value!);
    return undefined;
  }
}
