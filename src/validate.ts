import { usageError } from './errors.js';

/** Input checks shared by every command. Each throws a usage error naming the field and the expected form. */

// The E.164 rule lives in phone.ts (the emulator uses it too).
import { E164 } from './phone.js';

export { E164, isE164 } from './phone.js';
export const ACCOUNT_SID = /^AC[0-9a-f]{32}$/;
export const API_KEY_SID = /^SK[0-9a-f]{32}$/;
export const MESSAGE_SID = /^(SM|MM)[0-9a-f]{32}$/;

export function checkE164(field: string, value: string): string {
  const v = value.trim();
  if (!E164.test(v)) {
    throw usageError(`${field} must be an E.164 phone number like +14155238886 (got ${JSON.stringify(value)})`);
  }
  return v;
}

export function checkAccountSid(field: string, value: string): string {
  const v = value.trim();
  if (!ACCOUNT_SID.test(v)) {
    throw usageError(
      `${field} must be a Twilio Account SID: AC followed by 32 lowercase hex characters (got ${JSON.stringify(shorten(v))})`,
    );
  }
  return v;
}

export function checkApiKeySid(field: string, value: string): string {
  const v = value.trim();
  if (!API_KEY_SID.test(v)) {
    throw usageError(
      `${field} must be a Twilio API Key SID: SK followed by 32 lowercase hex characters (got ${JSON.stringify(shorten(v))})`,
    );
  }
  return v;
}

export function checkName(field: string, value: string): string {
  const v = value.trim();
  if (v.length === 0 || v.length > 100 || /[\u0000-\u001f\u007f]/.test(v)) {
    throw usageError(`${field} must be 1 to 100 printable characters (got ${JSON.stringify(value)})`);
  }
  return v;
}

export function checkHttpUrl(field: string, value: string, opts: { httpsOnly?: boolean } = {}): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw usageError(
      `${field} must be an absolute http(s) URL like https://example.com/path (got ${JSON.stringify(shorten(value))})`,
    );
  }
  if (url.protocol !== 'https:' && (opts.httpsOnly || url.protocol !== 'http:')) {
    throw usageError(
      `${field} must be an ${opts.httpsOnly ? 'https' : 'http(s)'} URL (got ${JSON.stringify(url.protocol.replace(/:$/, ''))})`,
    );
  }
  return url.toString();
}

/** The longest wait a timer can take (Node's setTimeout limit, 2^31 - 1 ms: about 24.8 days). */
export const MAX_TIMER_MS = 2_147_483_647;
/** The longest duration looked back over (--since, --older-than): 100 years. */
export const MAX_DURATION_MS = 100 * 365 * 86_400_000;

/** "30s", "15m", "2h", "7d" (or a bare number of seconds) to milliseconds, at most `max` (default 100 years). */
export function parseDuration(field: string, value: string, opts: { max?: number } = {}): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?$/.exec(value.trim());
  if (!m) throw usageError(`${field} must be a duration like 30s, 15m, 2h or 7d (got ${JSON.stringify(value)})`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[(m[2] ?? 's') as 'ms'];
  const ms = Math.round(Number(m[1]) * unit);
  const max = opts.max ?? MAX_DURATION_MS;
  if (!Number.isFinite(ms) || ms > max) {
    throw usageError(
      `${field} must be at most ${max === MAX_TIMER_MS ? '24 days (24d)' : '100 years (36500d)'} (got ${JSON.stringify(value)})`,
    );
  }
  return ms;
}

/** The moment a duration flag's value before `now`, as ISO text (`--since 2h`: two hours ago). */
export function durationBefore(field: string, value: string, now: Date): string {
  return new Date(now.getTime() - parseDuration(field, value)).toISOString();
}

export function parsePositiveInt(field: string, value: string, opts: { min?: number; max?: number } = {}): number {
  const min = opts.min ?? 1;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || (opts.max !== undefined && n > opts.max)) {
    const range = opts.max !== undefined ? `from ${min} to ${opts.max}` : `of at least ${min}`;
    throw usageError(`${field} must be a whole number ${range} (got ${JSON.stringify(value)})`);
  }
  return n;
}

export function parsePort(field: string, value: string): number {
  return parsePositiveInt(field, value, { min: 0, max: 65535 });
}

/** Whether a URL's host is this machine (the emulator, a test double, a listener with --tunnel none). */
export function isLoopbackUrl(value: string): boolean {
  try {
    const host = new URL(value).hostname.replace(/^\[|\]$/g, '');
    return (
      host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\./.test(host) || host === '0.0.0.0'
    );
  } catch {
    return false;
  }
}

/** The last four characters are enough to tell SIDs apart in messages, and leak nothing. */
export function maskSid(sid: string): string {
  return sid.length > 8 ? `${sid.slice(0, 2)}…${sid.slice(-4)}` : sid;
}

function shorten(v: string): string {
  return v.length > 40 ? `${v.slice(0, 37)}...` : v;
}
