import { CliError } from '../errors.js';
import { fetchFailure } from '../net-error.js';
import type { ApiTrace } from '../trace.js';

/**
 * A small REST client for Fruxon's public API (https://api.fruxon.com, every path under /v1/): Bearer
 * token auth, JSON bodies, and errors in the documented problem shape ({type, title, status, detail,
 * instance}) turned into one-line CliErrors. The token never appears in an error: anything the platform
 * echoes back is scrubbed of it.
 */

export const FRUXON_DEFAULT_API_URL = 'https://api.fruxon.com';

export interface FruxonClientOptions {
  /** API base, with or without a trailing /v1. */
  apiUrl: string;
  tenant: string;
  token: string;
  fetch?: typeof fetch;
  /** Per request (default 30 s); the listener's sender lookups use a short one so that a stop never waits long. */
  timeoutMs?: number;
  /** The API trace (FRUXON_TWILIO_DEBUG=api): told of every request. */
  trace?: ApiTrace | null;
}

/** Builds a Fruxon API client: the command context hands the cores one (a test hands its own). */
export type FruxonFactory = (opts: FruxonClientOptions) => FruxonClient;

/** The documented error body; older SDKs also read `message`/`details`. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  message?: string;
  details?: string;
}

/** An HTTP answer outside 2xx, before it becomes a CliError (callers branch on `status`). */
export class FruxonHttpError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | null,
    readonly what: string,
    message: string,
  ) {
    super(message);
    this.name = 'FruxonHttpError';
  }
}

export class FruxonClient {
  readonly apiUrl: string;
  readonly tenant: string;
  readonly #token: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #trace: ApiTrace | null;

  constructor(opts: FruxonClientOptions) {
    this.apiUrl = normalizeApiUrl(opts.apiUrl);
    this.tenant = opts.tenant;
    this.#token = opts.token;
    this.#fetch = opts.fetch ?? fetch;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#trace = opts.trace ?? null;
  }

  /** `/v1/tenants/{tenant}` + rest, with the tenant escaped. */
  tenantPath(rest: string): string {
    return `/v1/tenants/${encodeURIComponent(this.tenant)}${rest}`;
  }

  /**
   * One call. `what` says what was attempted ("publish config X"), for the error message. Throws
   * FruxonHttpError on a non-2xx answer and CliError when Fruxon cannot be reached or answers non-JSON.
   */
  async request<T = unknown>(method: string, path: string, what: string, body?: unknown): Promise<T> {
    const url = this.apiUrl + path;
    const requestBody = body === undefined ? undefined : JSON.stringify(body);
    const trace = this.#trace;
    const t0 = performance.now();
    let res: Response;
    try {
      res = await this.#fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          accept: 'application/json, application/problem+json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: requestBody,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      const why = fetchFailure(err).cause ?? (err as Error).name ?? 'network error';
      trace?.http({
        service: 'fruxon',
        method,
        url,
        status: null,
        ms: performance.now() - t0,
        error: String(why),
        requestBody: trace.bodies ? requestBody : null,
      });
      throw new CliError(`could not reach Fruxon at ${this.origin()} to ${what} (${this.scrub(String(why))})`, {
        reason: 'fruxon_unreachable',
        hint: 'check the network, or --api-url / FRUXON_API_URL when you use a local stand-in',
        cause: err,
      });
    }
    const text = await res.text();
    trace?.http({
      service: 'fruxon',
      method,
      url,
      status: res.status,
      ms: performance.now() - t0,
      requestId: res.headers.get('x-request-id'),
      requestBody: trace.bodies ? requestBody : null,
      responseBody: trace.bodies ? text : null,
    });
    if (!res.ok) {
      const problem = parseProblem(text);
      throw new FruxonHttpError(res.status, problem, what, this.describe(res.status, problem, what));
    }
    if (res.status === 204 || text.trim() === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(
        `Fruxon answered ${what} with something that is not JSON (HTTP ${res.status}, ${res.headers.get('content-type') ?? 'no content type'})`,
        {
          reason: 'fruxon_unexpected',
          hint: `is ${this.origin()} Fruxon's API? check --api-url / FRUXON_API_URL`,
        },
      );
    }
  }

  /** The problem's title, status and detail as one line; never the token. */
  describe(status: number, problem: Problem | null, what: string): string {
    const title = problem?.title ?? problem?.message ?? httpReason(status);
    const detail = problem?.detail ?? problem?.details;
    return this.scrub(
      `Fruxon refused to ${what}: ${title} (HTTP ${status})${detail && detail !== title ? `: ${detail}` : ''}`,
    ).replace(/\s+/g, ' ');
  }

  origin(): string {
    try {
      return new URL(this.apiUrl).origin;
    } catch {
      return this.apiUrl;
    }
  }

  /** Removes the token (and any URL that carries a webhook key) from text the platform sent back. */
  scrub(text: string): string {
    let t = this.#token ? text.split(this.#token).join('fx_…') : text;
    t = t.replace(/https?:\/\/\S*\/webhooks\/\S+/gi, '(a webhook URL)');
    return t;
  }
}

/** Turns an HTTP error into the CliError a command prints; `hint` overrides the generic one. */
export function fruxonError(err: unknown, hint?: string): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof FruxonHttpError) {
    return new CliError(err.message, {
      reason:
        err.status === 401
          ? 'fruxon_auth'
          : err.status === 403
            ? 'fruxon_forbidden'
            : err.status === 404
              ? 'not_found'
              : 'fruxon_refused',
      hint:
        hint ??
        (err.status === 401
          ? 'log in again: fruxon-twilio fruxon login'
          : err.status === 403
            ? 'the token lacks a scope this needs (integrations:write: create it with the Builder preset), or belongs to another tenant'
            : undefined),
      cause: err,
    });
  }
  return new CliError(`unexpected failure talking to Fruxon: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });
}

export function normalizeApiUrl(apiUrl: string): string {
  return apiUrl.trim().replace(/\/+$/, '').replace(/\/v1$/, '');
}

function parseProblem(text: string): Problem | null {
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const str = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
      return {
        type: str('type'),
        title: str('title'),
        status: typeof o.status === 'number' ? o.status : undefined,
        detail: str('detail'),
        instance: str('instance'),
        message: str('message'),
        details: str('details'),
      };
    }
  } catch {
    // not JSON: described by the status alone
  }
  return null;
}

function httpReason(status: number): string {
  const reasons: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    409: 'Conflict',
    422: 'Unprocessable Entity',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
  };
  return reasons[status] ?? `HTTP ${status}`;
}
