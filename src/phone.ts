/**
 * Twilio's addresses carry the channel: `whatsapp:+14155238886` on WhatsApp, bare E.164 on SMS. Participants,
 * trigger payloads and `other_party` use the bare number. Low level on purpose: store/, twilio/ and listener/
 * all import it.
 */
export type Channel = 'sms' | 'whatsapp';

export const WHATSAPP_PREFIX = 'whatsapp:';

export function channelOf(address: string | null | undefined): Channel {
  return address?.toLowerCase().startsWith(WHATSAPP_PREFIX) ? 'whatsapp' : 'sms';
}

/** `whatsapp:+14155238886` -> `+14155238886`; other addresses unchanged (but trimmed). */
export function stripChannel(address: string): string {
  return address.replace(/^whatsapp:/i, '').trim();
}
