import type { TwilioClient } from './client.js';

/** A Message resource as this tool shows it: direction relative to our number, channel, the other party in E.164. */
export interface HistoryMessage {
  sid: string;
  /** 'in' for messages that arrived at the number, 'out' for messages it sent (Twilio's outbound-*). */
  direction: 'in' | 'out';
  twilioDirection: string;
  channel: 'sms' | 'whatsapp';
  /** As Twilio stores them, with the `whatsapp:` prefix where there is one. */
  from: string;
  to: string;
  /** The phone on the other end, plain E.164. */
  otherParty: string;
  status: string;
  body: string;
  numSegments: number | null;
  numMedia: number;
  errorCode: number | null;
  errorMessage: string | null;
  price: string | null;
  priceUnit: string | null;
  messagingServiceSid: string | null;
  dateCreated: Date | null;
  dateSent: Date | null;
  dateUpdated: Date | null;
  /** Relative to the API origin, e.g. /2010-04-01/Accounts/AC…/Messages/SM….json */
  uri: string | null;
}

export interface MediaInfo {
  sid: string;
  contentType: string;
  /** The media's own URL on the API origin (without .json): fetching it with the account's credentials gives the file. */
  url: string;
}

interface RawMessage {
  sid: string;
  direction: string;
  from: string;
  to: string;
  status: string;
  body: string;
  numSegments: string | null;
  numMedia: string | null;
  errorCode: number | null;
  errorMessage: string | null;
  price: string | null;
  priceUnit: string | null;
  messagingServiceSid: string | null;
  dateCreated: Date | null;
  dateSent: Date | null;
  dateUpdated: Date | null;
  uri: string | null;
}

const WHATSAPP = 'whatsapp:';

export function stripChannel(address: string): string {
  return address.startsWith(WHATSAPP) ? address.slice(WHATSAPP.length) : address;
}

export function toMessageInfo(m: RawMessage): HistoryMessage {
  const direction = m.direction === 'inbound' ? 'in' : 'out';
  const channel = (m.from ?? '').startsWith(WHATSAPP) || (m.to ?? '').startsWith(WHATSAPP) ? 'whatsapp' : 'sms';
  const count = (v: string | null) => (v === null || v === undefined || v === '' || Number.isNaN(Number(v)) ? null : Number(v));
  return {
    sid: m.sid,
    direction,
    twilioDirection: m.direction,
    channel,
    from: m.from,
    to: m.to,
    otherParty: stripChannel(direction === 'in' ? m.from : m.to),
    status: m.status,
    body: m.body ?? '',
    numSegments: count(m.numSegments),
    numMedia: count(m.numMedia) ?? 0,
    errorCode: m.errorCode ?? null,
    errorMessage: m.errorMessage || null,
    price: m.price ?? null,
    priceUnit: m.priceUnit ?? null,
    messagingServiceSid: m.messagingServiceSid ?? null,
    dateCreated: validDate(m.dateCreated),
    dateSent: validDate(m.dateSent),
    dateUpdated: validDate(m.dateUpdated),
    uri: m.uri ?? null,
  };
}

function validDate(d: Date | null | undefined): Date | null {
  return d instanceof Date && !Number.isNaN(d.getTime()) ? d : null;
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
): Promise<HistoryMessage[]> {
  const pageSize = Math.min(opts.limit, 50);
  const addresses = [number, WHATSAPP + number];
  const queries: { to?: string; from?: string }[] = [];
  for (const address of addresses) {
    if (opts.direction !== 'out') queries.push({ to: address });
    if (opts.direction !== 'in') queries.push({ from: address });
  }
  const lists = await Promise.all(queries.map((q) => client.messages.list({ ...q, limit: opts.limit, pageSize })));
  const seen = new Set<string>();
  const merged: { info: HistoryMessage; rank: number }[] = [];
  for (const list of lists) {
    list.forEach((m, rank) => {
      if (seen.has(m.sid)) return;
      seen.add(m.sid);
      merged.push({ info: toMessageInfo(m as unknown as RawMessage), rank });
    });
  }
  // Newest first; within one list Twilio's order (newest first) breaks ties between equal timestamps.
  merged.sort((a, b) => time(b.info) - time(a.info) || a.rank - b.rank);
  return merged.slice(0, opts.limit).map((x) => x.info);
}

function time(m: HistoryMessage): number {
  return (m.dateCreated ?? m.dateSent ?? new Date(0)).getTime();
}

export async function fetchHistoryMessage(client: TwilioClient, sid: string): Promise<HistoryMessage> {
  return toMessageInfo((await client.messages(sid).fetch()) as unknown as RawMessage);
}

/** The message's media, each with its URL on `apiOrigin` (Twilio's, or the stand-in's). */
export async function listMessageMedia(client: TwilioClient, sid: string, apiOrigin: string): Promise<MediaInfo[]> {
  const media = await client.messages(sid).media.list({ limit: 100 });
  return media.map((m) => ({ sid: m.sid, contentType: m.contentType, url: apiOrigin.replace(/\/+$/, '') + m.uri.replace(/\.json$/, '') }));
}
