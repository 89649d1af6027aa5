import { randomBytes, randomUUID } from 'node:crypto';
import type { Form } from '../listener/payload.js';
import { WHATSAPP_PREFIX } from '../phone.js';
import { type Config, isLeaseAlive, type Lease, type Store } from '../store/index.js';
import { type ApiTrace, formBody } from '../trace.js';
import { defaultMessagingServiceSid, guessContentType, inboundMessageForm } from '../twilio/inbound-form.js';
import { sendSignedWebhook } from '../twilio/webhook-post.js';

/**
 * Sending a listener what Twilio would send it: a simulated inbound message (`simulate`) or a stored one
 * again (`events replay --to-listener`), as a form signed with X-Twilio-Signature over the exact target URL.
 */

export interface SimulatedMessage {
  config: Pick<Config, 'accountSid' | 'fromNumber'>;
  /** The sender, E.164. */
  from: string;
  body: string;
  whatsapp: boolean;
  profileName?: string;
  mediaUrls: string[];
}

/** A fresh SM… (MM… with media) SID, as Twilio gives each message. */
export function newMessageSid(media: boolean): string {
  return (media ? 'MM' : 'SM') + randomBytes(16).toString('hex');
}

/** The inbound-message form for a message to the config's number, exactly as Twilio (and the emulator) build it. */
export function simulatedForm(m: SimulatedMessage): Record<string, string> {
  const prefix = m.whatsapp ? WHATSAPP_PREFIX : '';
  const media = m.mediaUrls.map((url) => ({ url, contentType: guessContentType(url) }));
  return inboundMessageForm({
    sid: newMessageSid(media.length > 0),
    accountSid: m.config.accountSid,
    from: prefix + m.from,
    to: prefix + m.config.fromNumber,
    body: m.body,
    media,
    ...(m.whatsapp && { profileName: m.profileName ?? '' }),
    // As Twilio: every message has one; the account's default stands in (simulate looks nothing up).
    messagingServiceSid: defaultMessagingServiceSid(m.config.accountSid),
  });
}

/** The same form under a new MessageSid (SmsSid, SmsMessageSid), so a listener takes it as a new message. */
export function withNewMessageSid(form: Form): Form {
  const sid = String(form.MessageSid ?? form.SmsSid ?? '');
  const fresh = newMessageSid(sid.startsWith('MM') || Number(form.NumMedia ?? 0) > 0);
  const out: Form = { ...form };
  for (const key of ['MessageSid', 'SmsSid', 'SmsMessageSid']) if (key in out) out[key] = fresh;
  if (!('MessageSid' in out)) out.MessageSid = fresh;
  return out;
}

/** The URL of the config's running listener (what it registered on the number), or why there is none. */
export function runningListenerUrl(
  store: Store,
  configId: string,
): { url: string; lease: Lease } | { url: null; reason: 'no_lease' | 'stale_lease'; lease: Lease | null } {
  const lease = store.leases.get(configId);
  if (!lease) return { url: null, reason: 'no_lease', lease: null };
  if (!isLeaseAlive(lease)) return { url: null, reason: 'stale_lease', lease };
  return { url: lease.ourUrl, lease };
}

export interface PostOutcome {
  url: string;
  messageSid: string | null;
  /** null when no HTTP answer came (connection refused, timeout...). */
  status: number | null;
  statusText: string;
  body: string;
  error: string | null;
  signature: 'valid' | 'forged';
}

/**
 * POSTs a form as Twilio does: X-Twilio-Signature over `url` and the form with the Auth Token (or, with
 * `forge`, with a random key, so a verifying listener must refuse it), I-Twilio-Idempotency-Token,
 * User-Agent TwilioProxy/1.1. Never throws: an unreachable target is an outcome.
 */
export async function postSignedForm(opts: {
  url: string;
  form: Form;
  authToken: string | null;
  forge?: boolean;
  timeoutMs?: number;
  /** The API trace (FRUXON_TWILIO_DEBUG=api): told of the POST, its status and duration. */
  trace: ApiTrace | null;
}): Promise<PostOutcome> {
  const { url, form } = opts;
  const key = opts.forge || opts.authToken === null ? randomBytes(20).toString('hex') : opts.authToken;
  const messageSid = typeof form.MessageSid === 'string' ? form.MessageSid : null;
  const signature = opts.forge || opts.authToken === null ? 'forged' : 'valid';
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const t0 = performance.now();
  const a = await sendSignedWebhook({
    url,
    method: 'POST',
    form,
    signingKey: key,
    idempotencyToken: randomUUID(),
    timeoutMs,
    maxBodyBytes: 4096,
  });
  const error =
    a.statusCode === undefined
      ? a.timedOut
        ? `no answer within ${timeoutMs / 1000} s`
        : (a.error ?? 'no answer')
      : null;
  const trace = opts.trace;
  trace?.http({
    service: 'webhook',
    direction: 'out',
    method: 'POST',
    url,
    status: a.statusCode === undefined ? null : a.statusCode,
    ms: performance.now() - t0,
    error: error ?? a.error ?? null,
    requestBody: trace.bodies ? formBody(form) : null,
    responseBody: trace.bodies ? (a.body ?? null) : null,
  });
  if (a.statusCode === undefined) {
    return {
      url,
      messageSid,
      status: null,
      statusText: '',
      body: '',
      error: error ?? 'no answer',
      signature,
    };
  }
  return {
    url,
    messageSid,
    status: a.statusCode,
    statusText: a.statusText ?? '',
    body: (a.body ?? '').slice(0, 4096),
    error: null,
    signature,
  };
}
