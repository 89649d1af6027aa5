import { randomUUID } from 'node:crypto';
import { sendSignedWebhook } from '../twilio/webhook-post.js';
import type { DeliveryAttempt, DeliveryKind, DeliveryResult, HttpMethod } from './types.js';

const MAX_RESPONSE_BYTES = 64 * 1024;

export interface WebhookTarget {
  kind: DeliveryKind;
  url: string;
  method: HttpMethod;
}

export interface DeliveryPolicy {
  authToken: () => string;
  timeoutMs: number;
  /**
   * 'twilio': one retry after a connection failure only (an HTTP error or a timeout goes to the fallback URL at
   * once). 'configured': every failure is retried after each of `retryDelaysMs`.
   */
  mode: 'twilio' | 'configured';
  retryDelaysMs: number[];
  /** Aborted when the emulator stops: pending retries and in-flight requests end at once. */
  signal: AbortSignal;
  onAttempt: (messageSid: string, attempt: DeliveryAttempt) => void;
  onRetry: (messageSid: string, target: WebhookTarget, delayMs: number) => void;
}

interface AttemptAnswer {
  statusCode?: number;
  error?: string;
  body?: string;
  /** The connection failed (refused, reset, unreachable) before any answer: the one case Twilio retries. */
  connectionFailed?: boolean;
}

/** Twilio retries a failed connection once, promptly; how promptly is our reading. */
const CONNECTION_RETRY_DELAY_MS = 100;

/**
 * Delivers one webhook the way Twilio does: a form signed with X-Twilio-Signature over the exact configured URL,
 * retried as `policy.mode` says, with the same idempotency token throughout. Each target in `targets` is tried in
 * turn (the primary URL, then the fallback) until one answers 2xx.
 */
export async function deliverWebhook(
  messageSid: string,
  targets: WebhookTarget[],
  paramsFor: (target: WebhookTarget, previous: DeliveryResult | undefined) => Record<string, string>,
  policy: DeliveryPolicy,
): Promise<DeliveryResult> {
  const idempotencyToken = randomUUID();
  const attempts: DeliveryAttempt[] = [];
  let result: DeliveryResult | undefined;

  for (const target of targets) {
    const params = paramsFor(target, result);
    const overrides = connectionOverrides(target.url);
    const tries = policy.mode === 'twilio' ? 1 + (overrides.retryCount ?? 1) : 1 + policy.retryDelaysMs.length;
    for (let i = 0; i < tries; i++) {
      if (policy.signal.aborted) return { messageSid, outcome: 'cancelled', url: target.url, attempts };
      const started = performance.now();
      const answer = await sendSigned(target, params, idempotencyToken, policy);
      const attempt: DeliveryAttempt = {
        kind: target.kind,
        url: target.url,
        attempt: attempts.length + 1,
        ...(answer.statusCode !== undefined && { statusCode: answer.statusCode }),
        ...(answer.error !== undefined && { error: answer.error }),
        durationMs: Math.round(performance.now() - started),
      };
      attempts.push(attempt);
      if (policy.signal.aborted) return { messageSid, outcome: 'cancelled', url: target.url, attempts };
      policy.onAttempt(messageSid, attempt);

      const ok = answer.statusCode !== undefined && answer.statusCode >= 200 && answer.statusCode < 300;
      result = {
        messageSid,
        outcome: ok ? 'delivered' : 'failed',
        url: target.url,
        ...(answer.statusCode !== undefined && { statusCode: answer.statusCode }),
        ...(!ok && { error: answer.error ?? `HTTP ${answer.statusCode}` }),
        attempts,
        ...(ok && answer.body !== undefined && { responseBody: answer.body }),
      };
      if (ok) return result;
      if (policy.mode === 'twilio' && !answer.connectionFailed) break;
      if (i < tries - 1) {
        const delayMs = policy.mode === 'twilio' ? CONNECTION_RETRY_DELAY_MS : policy.retryDelaysMs[i]!;
        policy.onRetry(messageSid, target, delayMs);
        if (!(await sleep(delayMs, policy.signal))) {
          return { messageSid, outcome: 'cancelled', url: target.url, attempts };
        }
      }
    }
  }
  return result ?? { messageSid, outcome: 'no-webhook', url: null, attempts };
}

function sendSigned(
  target: WebhookTarget,
  params: Record<string, string>,
  idempotencyToken: string,
  policy: DeliveryPolicy,
): Promise<AttemptAnswer> {
  return sendSignedWebhook({
    // The fragment holds connection overrides for Twilio itself: never sent, never signed.
    url: withoutFragment(target.url),
    method: target.method,
    form: params,
    signingKey: policy.authToken(),
    idempotencyToken,
    timeoutMs: policy.timeoutMs,
    signal: policy.signal,
    abortedError: 'emulator stopped',
    maxBodyBytes: MAX_RESPONSE_BYTES,
  });
}

/** The URL without its fragment (`#rc=…&ct=…`): what is called and signed. */
export function withoutFragment(url: string): string {
  const at = url.indexOf('#');
  return at < 0 ? url : url.slice(0, at);
}

/**
 * Twilio's connection overrides in a webhook URL's fragment that the emulator applies: `rc`, the retry count
 * after a failed connection (0 to 5; default 1). The others (`ct`, `rt`, `tt`, `rp`, `e`, `sni`) are accepted
 * and ignored: our reading, timeouts being the emulator's own.
 */
export function connectionOverrides(url: string): { retryCount?: number } {
  const at = url.indexOf('#');
  if (at < 0) return {};
  const rc = new URLSearchParams(url.slice(at + 1)).get('rc');
  if (rc === null || !/^\d+$/.test(rc)) return {};
  return { retryCount: Math.min(5, Number(rc)) };
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
