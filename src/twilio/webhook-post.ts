import http from 'node:http';
import https from 'node:https';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';

/**
 * One webhook request made the way Twilio makes it: the form signed with X-Twilio-Signature over the exact
 * URL (minus any user:password, which goes to Basic auth instead), I-Twilio-Idempotency-Token, User-Agent
 * TwilioProxy/1.1; for GET the form travels in the query string and is not signed as a body. The one home
 * of this rule: the emulator's deliveries, `simulate` and `events replay` all send through it. Never throws:
 * an unreachable target or a timeout is an answer.
 */

export type WebhookForm = Record<string, string | string[]>;

export interface SignedRequest {
  url: string;
  method: 'GET' | 'POST';
  form: WebhookForm;
  /** The HMAC key: the Auth Token (a random one forges the signature). */
  signingKey: string;
  idempotencyToken: string;
  timeoutMs: number;
  /** Ends the request at once (the answer's error is `abortedError`). */
  signal?: AbortSignal;
  abortedError?: string;
  /** The most of the answer's body kept. */
  maxBodyBytes?: number;
  /** Headers Twilio does not send, added by this tool (`X-Fruxon-Twilio-Recovered` on a catch-up). */
  extraHeaders?: Record<string, string>;
}

export interface SignedAnswer {
  statusCode?: number;
  statusText?: string;
  error?: string;
  body?: string;
  /** The connection failed (refused, reset, unreachable) before any answer: the one case Twilio retries. */
  connectionFailed?: boolean;
  timedOut?: boolean;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * The URL Twilio requests and signs: without its fragment (connection overrides, `#rc=…&ct=…`, are Twilio's own:
 * never requested, never signed); for GET, the parameters travel in the query string.
 */
export function requestUrl(target: { url: string; method: 'GET' | 'POST' }, form: WebhookForm): string {
  const at = target.url.indexOf('#');
  const url = at < 0 ? target.url : target.url.slice(0, at);
  if (target.method === 'POST') return url;
  const query = encodeForm(form);
  if (!query) return url;
  return url + (url.includes('?') ? '&' : '?') + query;
}

/** A URL without its user:password part, otherwise untouched (new URL() would normalise it). */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i, '$1');
}

function encodeForm(form: WebhookForm): string {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
  return body.toString();
}

export function sendSignedWebhook(r: SignedRequest): Promise<SignedAnswer> {
  const url = withoutCredentials(requestUrl(r, r.form));
  const signedForm = r.method === 'POST' ? r.form : {};
  const body = r.method === 'POST' ? encodeForm(r.form) : undefined;
  const maxBytes = r.maxBodyBytes ?? MAX_RESPONSE_BYTES;
  const headers: Record<string, string> = {
    // Signed over the URL as configured, minus any user:password part, as Twilio does.
    'X-Twilio-Signature': getExpectedTwilioSignature(r.signingKey, url, signedForm),
    'I-Twilio-Idempotency-Token': r.idempotencyToken,
    'User-Agent': 'TwilioProxy/1.1',
    Accept: '*/*',
    'Cache-Control': 'max-age=259200',
    Connection: 'close',
    ...r.extraHeaders,
  };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    headers['Content-Length'] = String(Buffer.byteLength(body));
  }

  return new Promise((resolve) => {
    let parsed: URL;
    try {
      parsed = new URL(requestUrl(r, r.form));
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
    const finish = (answer: SignedAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      r.signal?.removeEventListener('abort', onAbort);
      resolve(answer);
    };
    const req = client.request(parsed, { method: r.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < maxBytes) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () =>
        finish({
          statusCode: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          body: Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8'),
        }),
      );
      res.on('error', (err) =>
        finish({ statusCode: res.statusCode ?? 0, statusText: res.statusMessage ?? '', error: err.message }),
      );
    });
    const timer = setTimeout(() => {
      finish({ error: `timed out after ${r.timeoutMs} ms`, timedOut: true });
      req.destroy();
    }, r.timeoutMs);
    const onAbort = () => {
      finish({ error: r.abortedError ?? 'aborted' });
      req.destroy();
    };
    r.signal?.addEventListener('abort', onAbort, { once: true });
    let answered = false;
    req.on('response', () => (answered = true));
    req.on('error', (err: NodeJS.ErrnoException) =>
      finish({ error: err.code ?? err.message, connectionFailed: !answered }),
    );
    req.end(body);
  });
}
