import { fieldUsageError, usageError } from '../errors.js';
import { isLoopbackUrl } from '../validate.js';
import { bodyChars, MAX_BODY_CHARS, MAX_MEDIA_PER_MESSAGE } from './inbound-form.js';

/** Rules for what may be sent, checked before Twilio is called: shared by `send` and `test`. No I/O. */

/** Twilio's limit for one message body (21617 above it), in characters (inbound-form.ts counts them). */
export const MAX_BODY = MAX_BODY_CHARS;

/** A body longer than Twilio accepts is a usage error naming `field`. Counts characters, not UTF-16 units. */
export function checkBodyLength(field: string, body: string): void {
  const n = bodyChars(body);
  if (n > MAX_BODY) throw usageError(`${field} must be at most ${MAX_BODY} characters (got ${n})`);
}

/**
 * Real Twilio cannot fetch media from, or post callbacks to, this machine's loopback address. With a local
 * stand-in (`apiUrl` set) anything goes. Each entry is [field, url]; the error is a FieldError (the face words it).
 */
export function refuseLoopbackUrls(entries: ReadonlyArray<readonly [string, string]>, apiUrl: string | null): void {
  if (apiUrl) return;
  for (const [field, url] of entries) {
    if (isLoopbackUrl(url))
      throw fieldUsageError(field, (name) => ({
        message: `${name(field)} must be a public URL Twilio can reach (got ${JSON.stringify(url)}, which is this machine)`,
        hint: 'expose it through a tunnel (ngrok) first',
      }));
  }
}

/** More media than Twilio takes on one message (21623) is a usage error naming `field`. */
export function checkMediaCount(field: string, count: number): void {
  if (count > MAX_MEDIA_PER_MESSAGE) {
    throw usageError(
      `${field} can be given at most ${MAX_MEDIA_PER_MESSAGE} times (got ${count}): Twilio takes up to ${MAX_MEDIA_PER_MESSAGE} media per message`,
    );
  }
}
