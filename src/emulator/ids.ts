import { randomBytes } from 'node:crypto';

/** A Twilio-style SID: a two-letter prefix followed by 32 lowercase hex digits. */
export function newSid(prefix: 'AC' | 'PN' | 'SM' | 'MM' | 'SK' | 'ME' | 'MG' | 'AP' | 'XE' | 'HX' | 'IG'): string {
  return prefix + randomBytes(16).toString('hex');
}

export function newSecret(): string {
  return randomBytes(16).toString('hex');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 2822 in UTC, exactly as the 2010-04-01 API writes dates: `Tue, 24 Nov 2026 20:30:00 +0000`. */
export function rfc2822(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[date.getUTCDay()]}, ${pad(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/** Twilio's friendly name for a North American number: `(500) 555-0006`; other numbers stay as they are. */
export function friendlyPhoneName(phoneNumber: string): string {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(phoneNumber);
  return m ? `(${m[1]}) ${m[2]}-${m[3]}` : phoneNumber;
}

/** ISO 8601 to the second, as the messaging v1 and v2 APIs write dates: `2026-11-24T20:30:00Z`. */
export function iso8601(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
