/**
 * The form Twilio POSTs to a number's "A MESSAGE COMES IN" webhook, field for field. One builder, used by the
 * emulator's inbound delivery and by `simulate`, so the two never drift apart. Pure: no I/O; imports only phone.ts.
 */

import { createHash } from 'node:crypto';
import { stripChannel, WHATSAPP_PREFIX } from '../phone.js';

export const API_VERSION = '2010-04-01';

/** The text of a simulated message when none is given (`simulate`, the MCP `simulate_inbound` tool). */
export const DEFAULT_SIMULATED_BODY = 'Hello from fruxon-twilio simulate';
/** Twilio takes (and sends) at most 10 media items with one message. */
export const MAX_MEDIA_PER_MESSAGE = 10;

export interface InboundMedia {
  url: string;
  contentType: string;
}

export interface InboundMessage {
  /** SM… (or MM… with media). */
  sid: string;
  accountSid: string;
  /** As Twilio writes them: `whatsapp:+1…` on WhatsApp, plain E.164 on SMS. */
  from: string;
  to: string;
  body: string;
  media: InboundMedia[];
  /** Defaults to the carriers' count for the body. */
  numSegments?: number;
  /** WhatsApp only: the sender's profile name. */
  profileName?: string;
  /** The number's Messaging Service, or the account's default one (defaultMessagingServiceSid); absent: not sent. */
  messagingServiceSid?: string | null;
}

/**
 * On Twilio every message of a number carries a messaging_service_sid: its service's, or, for a number in no
 * service, a default one of the account that the Services API never lists. The emulator's (and `simulate`'s)
 * is stable per account: a hash of its SID, so a state file and a restart keep it.
 */
export function defaultMessagingServiceSid(accountSid: string): string {
  return `MG${createHash('sha256').update(`default-messaging-service:${accountSid}`).digest('hex').slice(0, 32)}`;
}

/** The webhook form of an inbound message, in the order Twilio sends the fields. */
export function inboundMessageForm(m: InboundMessage): Record<string, string> {
  const whatsapp = m.from.startsWith(WHATSAPP_PREFIX);
  const fromNumber = stripChannel(m.from);
  const toNumber = stripChannel(m.to);
  const media: Record<string, string> = {};
  m.media.forEach((item, i) => {
    media[`MediaContentType${i}`] = item.contentType;
    media[`MediaUrl${i}`] = item.url;
  });
  const common = {
    SmsMessageSid: m.sid,
    NumMedia: String(m.media.length),
    SmsSid: m.sid,
    SmsStatus: 'received',
    Body: m.body,
    To: m.to,
    NumSegments: String(m.numSegments ?? countSegments(m.body)),
    MessageSid: m.sid,
    AccountSid: m.accountSid,
    From: m.from,
    ApiVersion: API_VERSION,
    ...media,
    ...(m.messagingServiceSid && { MessagingServiceSid: m.messagingServiceSid }),
  };
  if (whatsapp) {
    // WhatsApp webhooks carry no geography, but the sender's profile and WhatsApp id.
    return {
      ...common,
      ProfileName: m.profileName ?? '',
      MessageType: m.media.length > 0 ? mediaKind(m.media[0]!) : 'text',
      WaId: fromNumber.slice(1),
      ReferralNumMedia: '0',
    };
  }
  return {
    ToCountry: countryOf(toNumber),
    ToState: '',
    ToCity: '',
    ToZip: '',
    FromCountry: countryOf(fromNumber),
    FromState: '',
    FromCity: '',
    FromZip: '',
    ...common,
  };
}

/** Country only: Twilio's city/state/zip lookups have no meaning for emulated or simulated numbers. */
export function countryOf(e164: string): string {
  if (e164.startsWith('+1')) return 'US';
  if (e164.startsWith('+44')) return 'GB';
  if (e164.startsWith('+972')) return 'IL';
  return '';
}

/** WhatsApp's MessageType for a message whose first media item is this one. */
export function mediaKind(item: InboundMedia): string {
  const top = item.contentType.split('/')[0];
  if (top === 'image' || top === 'video' || top === 'audio') return top;
  return 'document';
}

/** Twilio's limit on a message body (21617 over it), in characters. */
export const MAX_BODY_CHARS = 1600;

/** A body's length as that limit counts it: characters (code points), so an emoji is one, not two UTF-16 units. */
export function bodyChars(body: string): number {
  let n = 0;
  for (const _ of body) n++;
  return n;
}

const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENDED = '^{}\\[~]|€\f';

/** SMS segments as carriers count them: GSM-7 fits 160 (153 when split), anything else UCS-2 fits 70 (67). */
export function countSegments(body: string): number {
  let septets = 0;
  let gsm = true;
  for (const ch of body) {
    if (GSM7_BASIC.includes(ch)) septets += 1;
    else if (GSM7_EXTENDED.includes(ch)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm) return septets <= 160 ? 1 : Math.ceil(septets / 153);
  const units = body.length; // UTF-16 code units, as UCS-2 counts them
  return units <= 70 ? 1 : Math.ceil(units / 67);
}

/** The content type Twilio would report for a media URL, from its extension. */
export function guessContentType(url: string): string {
  const ext = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase();
  const types: Record<string, string> = {
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    png: 'image/png',
    gif: 'image/gif',
    webp: 'image/webp',
    mp4: 'video/mp4',
    mp3: 'audio/mpeg',
    ogg: 'audio/ogg',
    pdf: 'application/pdf',
    txt: 'text/plain',
    vcf: 'text/vcard',
  };
  return (ext && types[ext]) || 'application/octet-stream';
}
