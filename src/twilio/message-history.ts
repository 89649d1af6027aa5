import { WHATSAPP_PREFIX } from '../phone.js';
import type { TwilioClient } from './client.js';
import { type Message, toMessage } from './messages.js';

export interface MediaInfo {
  sid: string;
  contentType: string;
  /** The media's own URL on the API origin (without .json): fetching it with the account's credentials gives the file. */
  url: string;
}

/**
 * The newest `limit` messages to and from `number` (E.164), SMS and WhatsApp, newest first. Twilio's list
 * filters by To or by From, not by either, so this asks once per address and direction (the client pages
 * through each answer) and merges; a message from the number to itself is listed once.
 */
export async function listNumberMessages(
  client: TwilioClient,
  number: string,
  opts: { limit: number; direction?: 'in' | 'out' },
): Promise<Message[]> {
  const pageSize = Math.min(opts.limit, 50);
  const addresses = [number, WHATSAPP_PREFIX + number];
  const queries: { to?: string; from?: string }[] = [];
  for (const address of addresses) {
    if (opts.direction !== 'out') queries.push({ to: address });
    if (opts.direction !== 'in') queries.push({ from: address });
  }
  const lists = await Promise.all(queries.map((q) => client.messages.list({ ...q, limit: opts.limit, pageSize })));
  const seen = new Set<string>();
  const merged: { info: Message; rank: number }[] = [];
  for (const list of lists) {
    list.forEach((m, rank) => {
      if (seen.has(m.sid)) return;
      seen.add(m.sid);
      merged.push({ info: toMessage(m), rank });
    });
  }
  // Newest first; within one list Twilio's order (newest first) breaks ties between equal timestamps.
  merged.sort((a, b) => time(b.info) - time(a.info) || a.rank - b.rank);
  return merged.slice(0, opts.limit).map((x) => x.info);
}

function time(m: Message): number {
  return (m.dateCreated ?? m.dateSent ?? new Date(0)).getTime();
}

/** The message's media, each with its URL on `apiOrigin` (Twilio's, or the stand-in's). */
export async function listMessageMedia(client: TwilioClient, sid: string, apiOrigin: string): Promise<MediaInfo[]> {
  const media = await client.messages(sid).media.list({ limit: 100 });
  return media.map((m) => ({
    sid: m.sid,
    contentType: m.contentType,
    url: apiOrigin.replace(/\/+$/, '') + m.uri.replace(/\.json$/, ''),
  }));
}

/**
 * The newest `limit` messages sent from one address to another (both as Twilio spells them, `whatsapp:`
 * included), newest first: one list call filtered by From and To.
 */
export async function listMessagesBetween(
  client: TwilioClient,
  from: string,
  to: string,
  limit = 50,
): Promise<Message[]> {
  const list = await client.messages.list({ from, to, limit, pageSize: Math.min(limit, 50) });
  return list.map(toMessage);
}
