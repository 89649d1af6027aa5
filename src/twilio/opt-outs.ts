import type { TwilioClient } from './client.js';
import { fixFor } from './messages.js';

/** Twilio's default opt-out (STOP) and opt-in (START) keywords: exact single-word bodies, case-insensitive. */
const STOP_WORDS = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
const START_WORDS = new Set(['START', 'YES', 'UNSTOP']);

export interface OptOutEvidence {
  /** The keyword as the contact sent it. */
  keyword: string;
  /** When it arrived (Twilio's date_created), or null when Twilio gave none. */
  at: Date | null;
  messageSid: string;
}

/**
 * The contact's latest opt-out keyword to our number, from the account's message log: what a 21610 refusal
 * rests on. Null when the log shows none (or a later START), or when the log cannot be read: this only
 * explains a refusal, it never causes one.
 */
export async function findOptOut(
  client: TwilioClient,
  contact: string,
  ownNumber: string,
): Promise<OptOutEvidence | null> {
  try {
    const inbound = await client.messages.list({ from: contact, to: ownNumber, limit: 200 });
    // Newest first, as Twilio lists them: the first keyword decides.
    for (const m of inbound) {
      const word = (m.body ?? '').trim().toUpperCase();
      if (START_WORDS.has(word)) return null;
      if (STOP_WORDS.has(word)) {
        const at = m.dateCreated instanceof Date && !Number.isNaN(m.dateCreated.getTime()) ? m.dateCreated : null;
        return { keyword: (m.body ?? '').trim(), at, messageSid: m.sid };
      }
    }
  } catch {
    // The log is only an explanation.
  }
  return null;
}

/** The fix line of a 21610 refusal, naming the opt-out when the log shows it (else the generic fix). */
export function optOutHint(contact: string, ownNumber: string, evidence: OptOutEvidence | null): string | undefined {
  if (!evidence) return fixFor(21610);
  const when = evidence.at ? ` on ${evidence.at.toISOString()}` : '';
  return `the recipient replied STOP: ${contact} texted ${JSON.stringify(evidence.keyword)} to ${ownNumber}${when} (${evidence.messageSid}); Twilio refuses every message to them until they text START, and only they can undo it`;
}
