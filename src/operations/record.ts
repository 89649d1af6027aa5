import { connectConfig } from '../config/connect.js';
import { type RecordedMessage, type Recording, renderRecording } from '../convtest/recording.js';
import { CliError, fieldUsageError } from '../errors.js';
import { type Channel, channelOf, stripChannel, WHATSAPP_PREFIX } from '../phone.js';
import { MAX_EVENTS_LIMIT } from '../store/events.js';
import type { Config, Store } from '../store/index.js';
import { callSite, twilioError } from '../twilio/client.js';
import { listMessageMedia, listMessagesBetween } from '../twilio/message-history.js';
import type { Message } from '../twilio/messages.js';
import type { CoreDeps } from './deps.js';

/**
 * `test record`: a conversation between a config's number and one correspondent, read from Twilio's Messages
 * log (or the customer's side from this tool's event log), as a scenario file. Never prints and never writes
 * the file: the command does, with the text this returns.
 */

export interface RecordRequest {
  config?: string;
  /** The correspondent as Twilio spells it: `+1…` (SMS) or `whatsapp:+1…`. */
  with: string;
  /** Only messages of the last this many milliseconds (`--since`). */
  sinceMs?: number;
  /** Only the newest this many messages (`--last`; the default without `--since`). */
  last?: number;
  /** The customer's messages from the event log `listen` keeps, the answers from Twilio's log. */
  fromEvents?: boolean;
}

export interface RecordOutcome extends Recording {
  config: Config;
  channel: Channel;
  source: 'twilio' | 'events';
  /** How many messages the file was made from (both sides, the left-out ones included). */
  messages: number;
}

export const DEFAULT_RECORD_LAST = 20;
export const MAX_RECORD_LAST = 1000;

type Deps = Pick<CoreDeps, 'store' | 'env' | 'secrets' | 'twilio' | 'now'>;

export interface Timed extends RecordedMessage {
  /** Oldest first within its own list. */
  seq: number;
  /** The Message SID (null for an event that has none). */
  sid: string | null;
}

export async function recordConversation(deps: Deps, req: RecordRequest): Promise<RecordOutcome> {
  const channel = channelOf(req.with);
  const correspondent = stripChannel(req.with);
  const source = req.fromEvents ? 'events' : 'twilio';
  const { config, creds, client } = await connectConfig(deps.store, req.config, deps.env, deps.secrets, deps.twilio);
  if (correspondent === config.fromNumber)
    throw fieldUsageError('with', (name) => ({
      message: `${name('with')} is the config's own number ${config.fromNumber}: give the number it talked with`,
    }));
  const prefix = channel === 'whatsapp' ? WHATSAPP_PREFIX : '';
  const ours = prefix + config.fromNumber;
  const theirs = prefix + correspondent;
  const now = deps.now();
  const limit = req.last ?? (req.sinceMs !== undefined ? MAX_RECORD_LAST : DEFAULT_RECORD_LAST);
  const cutoff = req.sinceMs !== undefined ? now.getTime() - req.sinceMs : null;
  const where = callSite(creds);

  let all: Timed[];
  try {
    // Between two numbers of one account a message is in the log twice, as sent and as received: the answers
    // are the sent copies, the customer's messages the received ones.
    const outbound = (await listMessagesBetween(client, ours, theirs, limit))
      .filter((m) => m.direction !== 'inbound')
      .reverse()
      .map((m, seq) => timed(m, 'out', seq));
    const inbound = req.fromEvents
      ? fromEvents(deps.store, config, correspondent, channel, limit, cutoff)
      : (await listMessagesBetween(client, theirs, ours, limit))
          .filter((m) => m.direction === 'inbound')
          .reverse()
          .map((m, seq) => timed(m, 'in', seq));
    all = [...inbound, ...outbound];
  } catch (err) {
    throw twilioError(err, `read the messages between ${config.fromNumber} and ${req.with}`, where);
  }
  const selected = conversation(all, { cutoff, limit });
  if (!selected.some((m) => m.direction === 'in')) {
    const window = req.sinceMs !== undefined ? 'in the time --since gives' : `in the newest ${limit} messages`;
    const log = req.fromEvents ? "this tool's event log (what listen recorded)" : "Twilio's Messages log";
    throw new CliError(
      `no message from ${req.with} to ${config.fromNumber} (config ${JSON.stringify(config.name)}) ${window} of ${log}: nothing written`,
      { reason: 'empty_conversation' },
    );
  }
  if (!req.fromEvents) {
    // The customer's media, to send again: each message's media URLs on the API's origin.
    for (const m of selected) {
      if (m.direction !== 'in' || m.numMedia === 0 || !m.sid) continue;
      try {
        m.mediaUrls = (await listMessageMedia(client, m.sid, creds.apiUrl ?? 'https://api.twilio.com')).map(
          (x) => x.url,
        );
      } catch (err) {
        throw twilioError(err, `list the media of ${m.sid}`, where);
      }
    }
  }
  const recording = renderRecording(
    selected.map(({ seq: _seq, sid: _sid, ...m }) => m),
    { source, config: config.name, number: config.fromNumber, channel, recordedAt: now, customer: correspondent },
  );
  return { ...recording, config, channel, source, messages: selected.length };
}

function timed(m: Message, direction: 'in' | 'out', seq: number): Timed {
  return {
    direction,
    body: m.body,
    mediaUrls: [],
    numMedia: m.numMedia,
    channel: m.channel,
    at: m.dateCreated ?? m.dateSent,
    seq,
    sid: m.sid,
  };
}

/**
 * Both sides as one conversation, oldest first: at or after `cutoff` (ms; a message of unknown time is kept), the
 * newest `limit`. Twilio's times have whole seconds: within one second the customer's message comes first (an
 * answer follows what it answers), and each side keeps its own order (`seq`).
 */
export function conversation<T extends Timed>(messages: T[], opts: { cutoff: number | null; limit: number }): T[] {
  return [...messages]
    .sort(
      (a, b) =>
        seconds(a) - seconds(b) || (a.direction === b.direction ? a.seq - b.seq : a.direction === 'in' ? -1 : 1),
    )
    .filter((m) => opts.cutoff === null || m.at === null || m.at.getTime() >= opts.cutoff)
    .slice(-opts.limit);
}

function seconds(m: Timed): number {
  return m.at ? Math.floor(m.at.getTime() / 1000) : 0;
}

/** The correspondent's messages `listen` accepted for the config, oldest first (the newest `limit`). */
function fromEvents(
  store: Store,
  config: Config,
  correspondent: string,
  channel: Channel,
  limit: number,
  cutoff: number | null,
): Timed[] {
  const events = store.events
    .list({
      configId: config.id,
      status: 'accepted',
      since: cutoff === null ? undefined : new Date(cutoff).toISOString(),
      limit: MAX_EVENTS_LIMIT,
    })
    .filter((e) => e.fromNumber === correspondent && (e.channel ?? 'sms') === channel)
    .slice(0, limit)
    .reverse();
  return events.map((e, seq) => {
    const payload = (e.payload ?? {}) as { text?: unknown; media?: unknown };
    const media = Array.isArray(payload.media)
      ? payload.media.flatMap((x) =>
          typeof (x as { url?: unknown })?.url === 'string' ? [(x as { url: string }).url] : [],
        )
      : [];
    // Whole seconds, as Twilio's times of the answers: an answer is never older than its message.
    const at = new Date(Math.floor(new Date(e.receivedAt).getTime() / 1000) * 1000);
    return {
      direction: 'in' as const,
      body: typeof payload.text === 'string' ? payload.text : (e.body ?? ''),
      mediaUrls: media,
      numMedia: media.length,
      channel,
      at: Number.isNaN(at.getTime()) ? null : at,
      seq,
      sid: e.messageSid,
    };
  });
}
