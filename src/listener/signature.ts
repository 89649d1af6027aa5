import { timingSafeEqual } from 'node:crypto';
import { getExpectedTwilioSignature, validateRequest } from 'twilio/lib/webhooks/webhooks.js';
import type { Form } from './payload.js';

/**
 * The signature rules are the `twilio` package's own (its webhooks module, which loads nothing else):
 * HMAC-SHA1 over the full URL Twilio requested plus the sorted form fields, accepted with and without the
 * default port, as Twilio's own validator does.
 *
 * `url` must be the PUBLIC URL Twilio called (the tunnel's), not the local one the request arrived on:
 * that is the classic bug behind tunnels.
 *
 * Fast path: the URL exactly as received is always one of validateRequest's candidates (its first when the
 * URL has no port, its second when it has one), so a signature that matches it is one validateRequest
 * accepts. Checking it first costs one HMAC for a genuine webhook instead of two for a URL with a port
 * (a --public-url with a port, loopback); any other signature goes through validateRequest unchanged, so
 * what is accepted is exactly what validateRequest accepts.
 */
export function isValidTwilioSignature(
  authToken: string,
  signature: string | undefined,
  url: string,
  form: Form,
): boolean {
  if (!signature) return false;
  const given = Buffer.from(signature);
  const expected = Buffer.from(getExpectedTwilioSignature(authToken, url, form));
  if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
  return validateRequest(authToken, signature, url, form);
}

/** What Twilio would send in X-Twilio-Signature for this URL and form (for simulate and replays). */
export function twilioSignature(authToken: string, url: string, form: Form): string {
  return getExpectedTwilioSignature(authToken, url, form);
}
