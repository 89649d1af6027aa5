import { createHash } from 'node:crypto';
import { SANDBOX_NUMBER } from './state.js';
import type { EmulatorOptOut, OptOutType } from './types.js';

/**
 * Twilio's message policy, as far as the emulator applies it: opt-out keywords, the WhatsApp customer-service
 * window and the WhatsApp Sandbox's membership. Sources: Twilio's "Twilio support for opt-out keywords (SMS STOP
 * filtering)", "Advanced Opt-Out" (messaging/tutorials/advanced-opt-out), "Test WhatsApp messaging with the
 * Sandbox" (whatsapp/sandbox), the v2010 Messages create (ContentSid, ContentVariables) and content v1.
 * Where they are silent, the rule below is OUR READING, marked so, to be corrected here only.
 */

// ------------------------------------------------------------------------------------------------ opt-outs

/** Documented default keywords: exact single-word bodies, case-insensitive ("STOP PLEASE" is an ordinary message). */
const KEYWORDS: Record<string, OptOutType> = {
  STOP: 'STOP',
  STOPALL: 'STOP',
  UNSUBSCRIBE: 'STOP',
  CANCEL: 'STOP',
  END: 'STOP',
  QUIT: 'STOP',
  REVOKE: 'STOP',
  OPTOUT: 'STOP',
  START: 'START',
  YES: 'START',
  UNSTOP: 'START',
  HELP: 'HELP',
  INFO: 'HELP',
};

/** The OptOutType of an inbound body (surrounding whitespace ignored), or null for an ordinary message. */
export function optOutType(body: string): OptOutType | null {
  return KEYWORDS[body.trim().toUpperCase()] ?? null;
}

/** Twilio's default replies on long codes (Advanced Opt-Out lets a service change them; the emulator does not). */
export const OPT_OUT_REPLIES: Record<OptOutType, string> = {
  STOP: 'You have successfully been unsubscribed. You will not receive any more messages from this number. Reply START to resubscribe.',
  START:
    'You have successfully been re-subscribed to messages from this number. Reply HELP for help. Reply STOP to unsubscribe. Msg&Data Rates May Apply.',
  HELP: 'Reply STOP to unsubscribe. Msg&Data Rates May Apply.',
};

/**
 * The scope of an opt-out: a number in a Messaging Service opts the contact out of the whole service ("a user who
 * opts out of a phone number that belongs to a Messaging Service is opted out of all messages sent from that
 * Messaging Service"); any other number, of that number only.
 * Our reading: keyword handling is SMS only (Twilio documents it for long codes and toll-free numbers; a WhatsApp
 * user blocks the business in WhatsApp instead), so WhatsApp bodies are never keywords and WhatsApp sends are never
 * refused with 21610.
 */
export function optOutKey(o: Pick<EmulatorOptOut, 'phoneNumber' | 'sender' | 'messagingServiceSid'>): string {
  return `${o.messagingServiceSid ?? o.sender}|${o.phoneNumber}`;
}

// ------------------------------------------------------------------------------ the WhatsApp customer-service window

export const WINDOW_MS = 24 * 3_600_000;

// ------------------------------------------------------------------------------------------------- the Sandbox

/** "The Sandbox session expires three days after joining. After this, end users need to rejoin the Sandbox." */
export const SANDBOX_MEMBERSHIP_MS = 72 * 3_600_000;

const WORDS = [
  'amber',
  'brave',
  'cedar',
  'dune',
  'ember',
  'fable',
  'glass',
  'harbor',
  'iron',
  'jolly',
  'kite',
  'lunar',
  'maple',
  'noble',
  'ocean',
  'pilot',
  'quiet',
  'river',
  'stone',
  'tiger',
  'union',
  'velvet',
  'willow',
  'young',
];

/**
 * The account's default Sandbox keyword: two words joined by a dash, like the Console shows ("join amber-river"),
 * derived from the account SID so it stays the same across restarts.
 */
export function defaultJoinCode(accountSid: string): string {
  const h = createHash('sha256').update(accountSid).digest();
  return `${WORDS[h[0]! % WORDS.length]}-${WORDS[h[1]! % WORDS.length]}`;
}

/** `join <code>` (case-insensitive, surrounding whitespace ignored): the code, else null. */
export function joinRequest(body: string): string | null {
  const m = /^\s*join\s+(\S+)\s*$/i.exec(body);
  return m ? m[1]!.toLowerCase() : null;
}

/**
 * Our reading of the Sandbox's answers (Twilio sends them from the Sandbox number; the wording is Twilio's, the
 * exact text is not documented).
 */
export function sandboxReply(kind: 'joined' | 'wrong-code' | 'not-joined', code: string): string {
  if (kind === 'joined')
    return `Twilio Sandbox: ✅ You are all set! The sandbox can now send/receive messages from whatsapp:${SANDBOX_NUMBER}.`;
  const start = kind === 'wrong-code' ? 'That is not the code of this sandbox.' : 'You are not connected to a sandbox.';
  return `Twilio Sandbox: ${start} You need to connect it first by sending "join ${code}".`;
}
