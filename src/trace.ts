import type { Redactor } from './redact.js';

/**
 * The API trace (`FRUXON_TWILIO_DEBUG=api`, `--debug api`): one line per HTTP call to Twilio, Fruxon or ngrok,
 * and per webhook a listener receives or forwards, with method, URL, status, duration and Twilio's request id;
 * with `api,body` the bodies too. Every line goes through the run's Redactor before it is written. A sink
 * handed down as a dependency (the command context builds it from the flag and the environment): core code
 * calls `http(...)` on what it was given, never a global, and prints nothing itself.
 */

export type TraceService = 'twilio' | 'fruxon' | 'ngrok' | 'webhook';

export interface HttpTraceEntry {
  service: TraceService;
  /** `in`: a webhook the listener received; `out` (default): a request this process made. */
  direction?: 'in' | 'out';
  method: string;
  url: string;
  /** The HTTP status; a word for what has none (`ok` for an ngrok session); null: no answer (see `error`). */
  status: number | string | null;
  ms: number;
  /** Twilio's `Twilio-Request-Id` (or another service's request id header). */
  requestId?: string | null;
  error?: string | null;
  /** Only read when `bodies` is on. */
  requestBody?: string | null;
  responseBody?: string | null;
}

export interface ApiTrace {
  /** Whether bodies are traced (`api,body`): callers skip collecting them otherwise. */
  readonly bodies: boolean;
  http(entry: HttpTraceEntry): void;
}

/** What FRUXON_TWILIO_DEBUG / --debug asked for; null: nothing. Throws a plain Error naming the bad word. */
export function parseDebugSpec(spec: string | undefined): { bodies: boolean } | null {
  if (spec === undefined) return null;
  const words = spec
    .split(/[,\s]+/)
    .map((w) => w.trim().toLowerCase())
    .filter(Boolean);
  if (words.length === 0) return null;
  let api = false;
  let bodies = false;
  for (const w of words) {
    if (w === 'api' || w === '1' || w === 'true') api = true;
    else if (w === 'body' || w === 'bodies') bodies = api = true;
    else throw new Error(`unknown debug topic ${JSON.stringify(w)}: use api, or api,body for the bodies too`);
  }
  return api ? { bodies } : null;
}

/** On a terminal, bodies are cut beyond this many characters (a page of messages can be long); a file gets them whole. */
export const MAX_TRACED_BODY = 4000;

/** A trace writing each redacted line with `write` (stderr, or the FRUXON_TWILIO_DEBUG_FILE). */
export function createTrace(opts: {
  bodies: boolean;
  redactor: Redactor;
  write: (line: string) => void;
  /** Default MAX_TRACED_BODY; Infinity for a file. */
  maxBody?: number;
}): ApiTrace {
  const max = opts.maxBody ?? MAX_TRACED_BODY;
  return {
    bodies: opts.bodies,
    http(e) {
      // The bodies are redacted as they are (a JSON field named like a secret is found in JSON, not in its
      // escaped copy), then the whole line once more.
      const r = (v: string | null | undefined) => (v ? opts.redactor.redact(v) : null);
      const clean = {
        ...e,
        url: r(e.url) ?? '',
        error: r(e.error),
        requestBody: r(e.requestBody),
        responseBody: r(e.responseBody),
      };
      const line = opts.redactor.redact(formatEntry(clean, opts.bodies, max));
      opts.write(controlsEscaped(line) + '\n');
    },
  };
}

function formatEntry(e: HttpTraceEntry, bodies: boolean, max: number): string {
  const arrow = e.direction === 'in' ? '<-' : '->';
  const status = e.status === null ? `failed${e.error ? ` (${oneLine(e.error)})` : ''}` : String(e.status);
  const parts = [`[api] ${e.service} ${arrow} ${e.method.toUpperCase()} ${e.url} ${status} ${Math.round(e.ms)}ms`];
  if (e.requestId) parts.push(`request-id=${e.requestId}`);
  if (e.status !== null && e.error) parts.push(`error=${JSON.stringify(oneLine(e.error))}`);
  if (bodies) {
    if (e.requestBody) parts.push(`request=${JSON.stringify(cut(e.requestBody, max))}`);
    if (e.responseBody) parts.push(`response=${JSON.stringify(cut(e.responseBody, max))}`);
  }
  return parts.join(' ');
}

function cut(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}… (${s.length} characters)` : s;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** A line a terminal shows, never obeys (the URL of a webhook comes from outside): as output's `safe` does. */
function controlsEscaped(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (ch) => {
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
  });
}

/** A form (Twilio's request parameters) as the body it is sent as. */
export function formBody(data: unknown): string | null {
  if (data === null || data === undefined) return null;
  if (typeof data === 'string') return data;
  if (typeof data !== 'object') return String(data);
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) params.append(k, String(item));
  }
  return params.toString();
}
