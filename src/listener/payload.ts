import { createHash } from 'node:crypto';
import { type Channel, channelOf, stripChannel } from '../phone.js';

export { type Channel, channelOf };

/**
 * The channel a message came on, as the trigger payload says it: `sms`/`whatsapp`, or `rcs`/`messenger` for a
 * message from or to an RCS or Messenger address (a Messaging Service's own channel sender).
 */
export type PayloadChannel = Channel | 'rcs' | 'messenger';

/** `rcs`/`messenger` when From (else To) is such an address, else the address's SMS/WhatsApp channel. */
export function payloadChannel(from: string | null, to: string | null): PayloadChannel {
  for (const a of [from, to]) {
    const prefix = /^\s*(rcs|messenger):/i.exec(a ?? '')?.[1]?.toLowerCase();
    if (prefix === 'rcs' || prefix === 'messenger') return prefix;
  }
  return channelOf(from ?? to);
}

/** A parsed form: repeated keys become arrays (Twilio repeats none on inbound messages, but a forger may). */
export type Form = Record<string, string | string[]>;

export const TRIGGER = 'twilio.message.received';

export interface MediaItem {
  url: string;
  content_type: string | null;
}

/**
 * The payload of the `twilio.message.received` trigger, as Fruxon defines it (the seed), plus what an agent
 * needs from Twilio. Every key is always present, null when unknown. Numbers are plain E.164: the
 * `whatsapp:` prefix is stripped and `channel` says which channel the message came on. An RCS or Messenger
 * address (a Messaging Service's own sender) is kept as Twilio wrote it (`rcs:+1…`, `messenger:…`), with
 * `channel` `rcs` or `messenger`.
 */
export interface TriggerPayload {
  text: string | null;
  from: string | null;
  from_name: string | null;
  conversation_name: string | null;
  conversation_address: string | null;
  session_id: string | null;
  event_type: 'message';
  channel: PayloadChannel;
  message_sid: string | null;
  media: MediaItem[];
  message_attributes: {
    from: string | null;
    to: string | null;
    channel: PayloadChannel;
    message_sid: string | null;
    account_sid: string | null;
    messaging_service_sid: string | null;
    num_media: number;
    num_segments: number | null;
    profile_name: string | null;
    wa_id: string | null;
    sms_status: string | null;
    /**
     * Twilio's `OptOutType`: the message was an opt-out keyword Twilio has acted on (STOP: the sender opted out and
     * replies to them are refused with 21610; START: opted back in; HELP: Twilio sent its help text). Null otherwise.
     */
    opt_out_type: OptOutType | null;
  };
}

export type OptOutType = 'STOP' | 'START' | 'HELP';

/** How listen's line, the interactive screen and the inspector mark a message Twilio acted on as a keyword. */
export function optOutMark(type: OptOutType | null | undefined): string | null {
  if (type === 'STOP') return 'STOP: opted out, replies refused (21610)';
  if (type === 'START') return 'START: opted back in';
  if (type === 'HELP') return 'HELP: Twilio sent its help text';
  return null;
}

export interface TriggerEnvelope {
  trigger: typeof TRIGGER;
  config: string;
  event_id: number;
  received_at: string;
  payload: TriggerPayload;
}

/**
 * `JSON.stringify(envelope)`, byte for byte, from the payload's JSON (already encoded for the event log):
 * the payload is encoded once per event, not twice.
 */
export function envelopeJson(e: TriggerEnvelope, payloadJson: string): string {
  return `{"trigger":${JSON.stringify(e.trigger)},"config":${JSON.stringify(e.config)},"event_id":${JSON.stringify(e.event_id)},"received_at":${JSON.stringify(e.received_at)},"payload":${payloadJson}}`;
}

/** The first value of a form field (a forged form may repeat it), or null when absent. */
export function field(form: Form, key: string): string | null {
  const v = form[key];
  if (v === undefined) return null;
  return Array.isArray(v) ? (v[0] ?? null) : v;
}

/** `whatsapp:+14155238886` -> `+14155238886`; other addresses unchanged. */
export function plainAddress(address: string | null): string | null {
  if (address === null) return null;
  return stripChannel(address) || null;
}

/**
 * One conversation = one config and one remote number, whatever the channel: the same id across messages
 * and across listener restarts, and no phone number in it.
 */
export function sessionId(configId: string, remote: string): string {
  return 'ses_' + createHash('sha256').update(`twilio|${configId}|${remote}`).digest('hex').slice(0, 24);
}

/**
 * Maps Twilio's inbound-message webhook form to the trigger payload. `contactName` is the name of the
 * local participant matching the sender, if any; WhatsApp's ProfileName stands in when there is none.
 */
export function toTriggerPayload(form: Form, opts: { configId: string; contactName?: string | null }): TriggerPayload {
  const rawFrom = field(form, 'From');
  const from = plainAddress(rawFrom);
  const to = plainAddress(field(form, 'To'));
  const channel = payloadChannel(rawFrom, field(form, 'To'));
  const profileName = nonEmpty(field(form, 'ProfileName'));
  const name = opts.contactName ?? profileName ?? null;
  const messageSid = field(form, 'MessageSid') ?? field(form, 'SmsMessageSid') ?? field(form, 'SmsSid');
  const numMedia = toInt(field(form, 'NumMedia')) ?? 0;
  const media: MediaItem[] = [];
  for (let i = 0; i < Math.min(numMedia, 10); i++) {
    const url = field(form, `MediaUrl${i}`);
    if (url) media.push({ url, content_type: field(form, `MediaContentType${i}`) });
  }
  return {
    text: field(form, 'Body'),
    from,
    from_name: name,
    conversation_name: name,
    conversation_address: from,
    session_id: from ? sessionId(opts.configId, from) : null,
    event_type: 'message',
    channel,
    message_sid: messageSid,
    media,
    message_attributes: {
      from,
      to,
      channel,
      message_sid: messageSid,
      account_sid: field(form, 'AccountSid'),
      messaging_service_sid: nonEmpty(field(form, 'MessagingServiceSid')),
      num_media: numMedia,
      num_segments: toInt(field(form, 'NumSegments')),
      profile_name: profileName,
      wa_id: nonEmpty(field(form, 'WaId')),
      sms_status: field(form, 'SmsStatus'),
      opt_out_type: optOutTypeOf(field(form, 'OptOutType')),
    },
  };
}

/** Only Twilio's three values; anything else (absent, or a forger's text) is null. */
function optOutTypeOf(v: string | null): OptOutType | null {
  const upper = v?.trim().toUpperCase();
  return upper === 'STOP' || upper === 'START' || upper === 'HELP' ? upper : null;
}

function toInt(v: string | null): number | null {
  if (v === null || !/^\d+$/.test(v)) return null;
  return Number(v);
}

function nonEmpty(v: string | null): string | null {
  return v === null || v.trim() === '' ? null : v;
}
