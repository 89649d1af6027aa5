import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';
import type { DeliveryAttempt, DeliveryResult, HttpMethod, DeliveryKind } from './types.js';

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
    const tries = policy.mode === 'twilio' ? 2 : 1 + policy.retryDelaysMs.length;
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

/** The URL Twilio requests and signs: for GET, the parameters travel in the query string. */
export function requestUrl(target: WebhookTarget, params: Record<string, string>): string {
  if (target.method === 'POST') return target.url;
  const query = new URLSearchParams(params).toString();
  if (!query) return target.url;
  return target.url + (target.url.includes('?') ? '&' : '?') + query;
}

function sendSigned(
  target: WebhookTarget,
  params: Record<string, string>,
  idempotencyToken: string,
  policy: DeliveryPolicy,
): Promise<AttemptAnswer> {
  const url = withoutCredentials(requestUrl(target, params));
  const signedParams = target.method === 'POST' ? params : {};
  const body = target.method === 'POST' ? new URLSearchParams(params).toString() : undefined;
  const headers: Record<string, string> = {
    // Signed over the URL as configured, minus any user:password part, as Twilio does.
    'X-Twilio-Signature': getExpectedTwilioSignature(policy.authToken(), url, signedParams),
    'I-Twilio-Idempotency-Token': idempotencyToken,
    'User-Agent': 'TwilioProxy/1.1',
    Accept: '*/*',
    'Cache-Control': 'max-age=259200',
    Connection: 'close',
  };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    headers['Content-Length'] = String(Buffer.byteLength(body));
  }

  return new Promise((resolve) => {
    let parsed: URL;
    try {
      parsed = new URL(requestUrl(target, params));
    } catch {
      resolve({ error: `invalid URL` });
      return;
    }
    const client = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : undefined;
    if (!client) {
      resolve({ error: `unsupported protocol ${parsed.protocol}` });
      return;
    }
    // Twilio honours credentials embedded in the webhook URL (https://user:pass@host/...).
    if (parsed.username || parsed.password) {
      const creds = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
      headers.Authorization = 'Basic ' + Buffer.from(creds).toString('base64');
      parsed.username = '';
      parsed.password = '';
    }
    let settled = false;
    const finish = (answer: AttemptAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      policy.signal.removeEventListener('abort', onAbort);
      resolve(answer);
    };
    const req = client.request(parsed, { method: target.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_RESPONSE_BYTES) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () =>
        finish({
          statusCode: res.statusCode ?? 0,
          body: Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8'),
        }),
      );
      res.on('error', (err) => finish({ statusCode: res.statusCode ?? 0, error: err.message }));
    });
    const timer = setTimeout(() => {
      finish({ error: `timed out after ${policy.timeoutMs} ms` });
      req.destroy();
    }, policy.timeoutMs);
    const onAbort = () => {
      finish({ error: 'emulator stopped' });
      req.destroy();
    };
    policy.signal.addEventListener('abort', onAbort, { once: true });
    let answered = false;
    req.on('response', () => (answered = true));
    req.on('error', (err: NodeJS.ErrnoException) => finish({ error: err.code ?? err.message, connectionFailed: !answered }));
    req.end(body);
  });
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

/** A URL without its user:password part, otherwise untouched (new URL() would normalise it). */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i, '$1');
}
