/**
 * Twilio's addresses carry the channel: `whatsapp:+14155238886` on WhatsApp, bare E.164 on SMS. Participants,
 * trigger payloads and `other_party` use the bare number. Low level on purpose: store/, twilio/ and listener/
 * all import it.
 */
export type Channel = 'sms' | 'whatsapp';

export const WHATSAPP_PREFIX = 'whatsapp:';

/**
 * E.164 (ITU-T): a +, then at most 15 digits, the first (the country code's) never 0. The one rule for the
 * whole project: the CLI's input checks (validate.ts), the emulator's REST API and topology file.
 */
export const E164 = /^\+[1-9]\d{1,14}$/;

export function isE164(value: string): boolean {
  return E164.test(value);
}

/** `whatsapp:+14155238886` -> `+14155238886`; null when the address is not exactly `whatsapp:` + an E.164 number. */
export function whatsAppNumber(address: string): string | null {
  if (!address.startsWith(WHATSAPP_PREFIX)) return null;
  const n = address.slice(WHATSAPP_PREFIX.length);
  return isE164(n) ? n : null;
}

export function channelOf(address: string | null | undefined): Channel {
  return address?.toLowerCase().startsWith(WHATSAPP_PREFIX) ? 'whatsapp' : 'sms';
}

/** `whatsapp:+14155238886` -> `+14155238886`; other addresses unchanged (but trimmed). */
export function stripChannel(address: string): string {
  return withoutWhatsAppPrefix(address).trim();
}

/** The `whatsapp:` prefix (any case) removed and nothing else: not trimmed, for an input check that quotes the rest as given. */
export function withoutWhatsAppPrefix(address: string): string {
  return address.replace(/^whatsapp:/i, '');
}

/** A From or To as Twilio writes them: E.164, or `whatsapp:` (any case) + E.164, with no space around. */
export function isTwilioAddress(address: string): boolean {
  return /^(whatsapp:)?\+/i.test(address) && isE164(stripChannel(address)) && address === address.trim();
}
