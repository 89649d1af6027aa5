import type { Twilio } from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import { CliError, ExitCode } from '../errors.js';
import { type ApiTrace, formBody } from '../trace.js';
import { maskSid } from '../validate.js';

export type TwilioClient = Twilio;

/** Opens a Twilio client for credentials: the command context hands the cores one (a test hands its own). */
export type TwilioFactory = (creds: TwilioCredentials, opts?: TwilioClientOptions) => Promise<TwilioClient>;

export interface TwilioClientOptions {
  timeoutMs?: number;
  /**
   * false: a 429 is not retried by the client (whose backoff ignores Retry-After) but thrown, and the answer's
   * `Retry-After` is read with retryAfterMs(): for a poller that keeps its own request budget (messages tail).
   */
  retry429?: boolean;
}

/**
 * A busy account answers 429 (20429): the client retries it with exponential backoff, a bounded number of
 * times and at most 3 s apart, so `listen` and `send` ride it out instead of failing.
 */
export const RETRY_429 = { autoRetry: true, maxRetries: 4, maxRetryDelay: 3000 } as const;

export interface TwilioCredentials {
  accountSid: string;
  authMethod: 'auth-token' | 'api-key';
  apiKeySid: string | null;
  /** The Auth Token, or the API Key Secret. */
  secret: string;
  /** A local stand-in for Twilio (the emulator or a test double): every https://*.twilio.com origin goes there. */
  apiUrl: string | null;
  /** Twilio's region (us1, ie1, au1…) and edge (ashburn, dublin, sydney…), as twilio-node takes them; null: US1. */
  region?: string | null;
  edge?: string | null;
}

/** The API origin the credentials call: `https://api.{edge}.{region}.twilio.com`, as twilio-node builds it. */
export function twilioOrigin(where: { region?: string | null; edge?: string | null }): string {
  const region = where.region || (where.edge ? 'us1' : null);
  return `https://api.${where.edge ? `${where.edge}.` : ''}${region ? `${region}.` : ''}twilio.com`;
}

/**
 * The `twilio` client for a config. The base-URL override is done once, here: a RequestClient whose
 * requests to any Twilio origin are sent to the stand-in instead, so every command can run against it.
 * The package is loaded on first use: it costs ~100 ms that `--help` and `--version` should not pay.
 */
export async function createTwilioClient(
  creds: TwilioCredentials,
  opts: TwilioClientOptions & { trace?: ApiTrace | null } = {},
): Promise<TwilioClient> {
  const { default: twilio } = await import('twilio');
  const timeout = opts.timeoutMs ?? 15_000;
  const username = creds.authMethod === 'api-key' ? creds.apiKeySid! : creds.accountSid;
  const retry = opts.retry429 === false ? { autoRetry: false } : RETRY_429;
  const httpClient =
    creds.apiUrl || opts.trace || opts.retry429 === false
      ? new (customRequestClient(twilio.RequestClient))(creds.apiUrl, timeout, opts.trace ?? null, retry)
      : undefined;
  return twilio(username, creds.secret, {
    accountSid: creds.accountSid,
    httpClient,
    timeout,
    env: {},
    ...(creds.region && { region: creds.region }),
    ...(creds.edge && { edge: creds.edge }),
    ...retry,
  });
}

/** The Retry-After of the client's last answer (a 429), in milliseconds; null when it gave none. */
export function retryAfterMs(client: TwilioClient): number | null {
  const headers = (client.httpClient as { lastResponse?: { headers?: Record<string, unknown> } } | undefined)
    ?.lastResponse?.headers;
  const raw = headers?.['retry-after'] ?? headers?.['Retry-After'];
  if (typeof raw !== 'string' && typeof raw !== 'number') return null;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(String(raw));
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

/**
 * The package's RequestClient, with two additions: requests to any Twilio origin go to the stand-in (`apiUrl`)
 * when there is one, and each request is told to the API trace (method, URL, status, duration, Twilio's
 * request id, and the bodies when asked) when there is one.
 */
function customRequestClient(Base: typeof RequestClient) {
  return class TwilioRequestClient extends Base {
    readonly #base: string | null;
    readonly #trace: ApiTrace | null;
    constructor(apiUrl: string | null, timeout: number, trace: ApiTrace | null, retry: { autoRetry: boolean }) {
      super({ timeout, ...retry });
      this.#base = apiUrl ? apiUrl.replace(/\/+$/, '') : null;
      this.#trace = trace;
    }
    override async request<TData>(opts: RequestClient.RequestOptions<TData>) {
      const uri = this.#base ? rewriteTwilioOrigin(opts.uri, this.#base) : opts.uri;
      const trace = this.#trace;
      if (!trace) return super.request({ ...opts, uri });
      const url = withParams(uri, opts.params);
      const requestBody = trace.bodies ? formBody(opts.data) : null;
      const t0 = performance.now();
      try {
        const res = await super.request({ ...opts, uri });
        trace.http({
          service: 'twilio',
          method: opts.method,
          url,
          status: res.statusCode,
          ms: performance.now() - t0,
          requestId: headerValue(res.headers, 'twilio-request-id'),
          requestBody,
          responseBody: trace.bodies ? bodyText(res.body) : null,
        });
        return res;
      } catch (err) {
        const e = err as { code?: unknown; message?: string };
        trace.http({
          service: 'twilio',
          method: opts.method,
          url,
          status: null,
          ms: performance.now() - t0,
          error: typeof e?.code === 'string' ? e.code : (e?.message ?? String(err)),
          requestBody,
        });
        throw err;
      }
    }
  };
}

function withParams(uri: string, params: unknown): string {
  const query = params && typeof params === 'object' ? formBody(params) : null;
  return query ? `${uri}${uri.includes('?') ? '&' : '?'}${query}` : uri;
}

function headerValue(headers: unknown, name: string): string | null {
  if (!headers || typeof headers !== 'object') return null;
  for (const [k, v] of Object.entries(headers as Record<string, unknown>))
    if (k.toLowerCase() === name) return Array.isArray(v) ? String(v[0]) : v == null ? null : String(v);
  return null;
}

function bodyText(body: unknown): string | null {
  if (body === undefined || body === null) return null;
  return typeof body === 'string' ? body : JSON.stringify(body);
}

/** https://api.twilio.com/2010-04-01/... -> <base>/2010-04-01/... (any *.twilio.com host). */
export function rewriteTwilioOrigin(uri: string, base: string): string {
  return uri.replace(/^https:\/\/(?:[a-z0-9-]+\.)*twilio\.com(?::\d+)?/i, base);
}

interface RestExceptionLike {
  status?: number;
  code?: number;
  message?: string;
  moreInfo?: string;
}

/** Where a call goes and for whom, as error messages name it (never the secret). */
export interface TwilioCallSite {
  apiUrl?: string | null;
  accountSid?: string;
  region?: string | null;
  edge?: string | null;
}

/**
 * The one home of an error's "where": the call site of the credentials the client was built with. Every core
 * that maps a failed call passes this (not a hand-made object), so a region is never dropped on the way.
 */
export function callSite(creds: TwilioCallSite): TwilioCallSite {
  return {
    apiUrl: creds.apiUrl ?? null,
    accountSid: creds.accountSid,
    region: creds.region ?? null,
    edge: creds.edge ?? null,
  };
}

/** The call site of a client a core was handed: its region and edge are the ones it was built with. */
export function clientCallSite(client: TwilioClient, apiUrl: string | null, accountSid: string): TwilioCallSite {
  return callSite({ apiUrl, accountSid, region: client.region, edge: client.edge });
}

/**
 * The region (and edge) a call went to, as a message names it, e.g. "region ie1, edge dublin"; null for US1
 * (the default, named by nothing so that US1 wording stays as it was).
 */
export function regionLabel(where: { region?: string | null; edge?: string | null }): string | null {
  const region = (where.region || (where.edge ? 'us1' : '')).toLowerCase();
  if (!region || region === 'us1') return where.edge ? `edge ${where.edge}` : null;
  return `region ${region}${where.edge ? `, edge ${where.edge}` : ''}`;
}

/**
 * One readable line for a failed Twilio call: Twilio's code and its doc link for API errors, the cause
 * for network errors. `what` names the attempted action, e.g. "fetch account AC…1234".
 */
export function twilioError(err: unknown, what: string, opts: TwilioCallSite = {}): CliError {
  if (err instanceof CliError) return err;
  const e = err as RestExceptionLike & { code?: number | string; errno?: unknown; cause?: { code?: string } };
  const where = opts.apiUrl ? opts.apiUrl : twilioOrigin(opts);
  if (typeof e?.status === 'number' && e.status > 0) {
    const code = typeof e.code === 'number' ? e.code : undefined;
    if (e.status === 401 || code === 20003) {
      const acct = opts.accountSid ? ` for ${maskSid(opts.accountSid)}` : '';
      // Each region has its own credentials: a pair from IE1 or AU1 is "wrong" only in US1.
      const label = regionLabel(opts);
      const region = label?.startsWith('region ') ? label.slice('region '.length).split(',')[0] : null;
      return new CliError(
        `Twilio rejected the Account SID / Auth Token pair${acct}${label ? ` in ${label}` : ''} (20003) while trying to ${what}`,
        {
          reason: 'twilio_auth',
          hint: region
            ? `check that the account and its Auth Token (or API Key) are of region ${region} (TWILIO_REGION), then: fruxon-twilio configs remove NAME && fruxon-twilio add-config`
            : 'check the Auth Token (or API Key) in the Twilio Console; credentials of another region (ie1, au1) need TWILIO_REGION (and TWILIO_EDGE); then: fruxon-twilio configs remove NAME && fruxon-twilio add-config',
          cause: err,
        },
      );
    }
    const link = e.moreInfo ?? (code ? `https://www.twilio.com/docs/errors/${code}` : undefined);
    return new CliError(
      `${twilioIn(opts)} refused to ${what}: ${oneLine(e.message ?? `HTTP ${e.status}`)}${code ? ` (${code})` : ''}`,
      {
        reason: code ? `twilio_${code}` : 'twilio_error',
        hint: link,
        cause: err,
      },
    );
  }
  const netCode = typeof e?.code === 'string' ? e.code : e?.cause?.code;
  if (netCode) {
    return new CliError(`could not reach Twilio at ${where} to ${what} (${netCode})`, {
      reason: 'twilio_unreachable',
      hint: opts.apiUrl
        ? 'is the emulator (or stand-in) running at that URL? see: fruxon-twilio emulator'
        : 'check your network connection',
      cause: err,
    });
  }
  return new CliError(
    `${twilioIn(opts)} call failed while trying to ${what}: ${oneLine((err as Error)?.message ?? String(err))}`,
    {
      exitCode: ExitCode.failure,
      cause: err,
    },
  );
}

/** "Twilio", or "Twilio (region ie1)" when the call went to another region than US1: the subject of a refusal. */
export function twilioIn(where: TwilioCallSite): string {
  const label = regionLabel(where);
  return label ? `Twilio (${label})` : 'Twilio';
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
