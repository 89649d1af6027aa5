import { getExpectedTwilioSignature, validateRequest } from 'twilio/lib/webhooks/webhooks.js';
import type { Form } from './payload.js';

/**
 * The signature rules are the `twilio` package's own (its webhooks module, which loads nothing else):
 * HMAC-SHA1 over the full URL Twilio requested plus the sorted form fields, accepted with and without the
 * default port, as Twilio's own validator does.
 *
 * `url` must be the PUBLIC URL Twilio called (the tunnel's), not the local one the request arrived on:
 * that is the classic bug behind tunnels.
 */
export function isValidTwilioSignature(authToken: string, signature: string | undefined, url: string, form: Form): boolean {
  if (!signature) return false;
  return validateRequest(authToken, signature, url, form);
}

/** What Twilio would send in X-Twilio-Signature for this URL and form (for simulate and replays). */
export function twilioSignature(authToken: string, url: string, form: Form): string {
  return getExpectedTwilioSignature(authToken, url, form);
}
