import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { CliError } from '../errors.js';
import type { ApiTrace } from '../trace.js';
import type { Form } from './payload.js';

/** Twilio's own limit on a webhook body is far below this; anything larger is not Twilio. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface InboundRequest {
  /** Path and query as requested (what Twilio signed, after the public origin). */
  url: string;
  headers: IncomingHttpHeaders;
  form: Form;
  remoteAddress: string | null;
  /** The raw body (a refused request keeps only its `bodyExcerpt`). */
  rawBody: Buffer;
}

/** A request answered 400 before its signature was checked (its form is over the limits): never parsed in full. */
export interface MalformedRequest {
  url: string;
  headers: IncomingHttpHeaders;
  remoteAddress: string | null;
  bodyExcerpt: string;
  reason: string;
  detail: string;
}

/** How much of a refused request's body is kept (its first bytes), never its whole form. */
export const REFUSED_BODY_EXCERPT_BYTES = 1024;

/**
 * What one connection may cost. A connection that has not sent complete request headers within
 * `headersTimeoutMs` is closed (408), an idle keep-alive connection after `keepAliveTimeoutMs`, and at most
 * `maxConnections` are open at once, so silent sockets cannot use up the process's file descriptors. When the
 * table is full, a new connection takes the place of the oldest one that is not waiting on its answer (one
 * still sending its headers or body, or idle between requests), so slow clients cannot lock Twilio out: a
 * webhook sends its request at once and is answered long before 512 newer connections push it out. A new
 * connection is dropped only when every open one is waiting on its answer. The defaults are the contract;
 * tests pass short values.
 */
export interface ConnectionLimits {
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  requestTimeoutMs: number;
  maxConnections: number;
}

export const CONNECTION_LIMITS: ConnectionLimits = {
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 30_000,
  requestTimeoutMs: 30_000,
  maxConnections: 512,
};

/** An episode ends once the table has not been full for this long. */
export const CROWDED_QUIET_MS = 5_000;
const CROWDED_SAMPLE_MS = 1_000;
/** A long episode is reported at most this often while it lasts. */
export const CROWDED_REPORT_MS = 60_000;

/**
 * A time the connection table was full: `evicted` connections that had not finished a request were closed to
 * make room, `dropped` new ones refused (every slot waiting on its answer), counted from the episode's start.
 * An episode starts with the first connection pushed out or refused and lasts while the table is full; it is
 * told once, when it ends (CROWDED_QUIET_MS without a full table) or the server closes; one that lasts is also
 * told each CROWDED_REPORT_MS, with `ongoing`.
 */
export interface CrowdedEpisode {
  evicted: number;
  dropped: number;
  /** From the first connection pushed out or refused to the last time the table was full. */
  ms: number;
  maxConnections: number;
  ongoing: boolean;
}

export interface Reply {
  status: number;
  body?: string;
  contentType?: string;
}

export interface ListenerServer {
  /** http://host:port (127.0.0.1 when bound to all interfaces). */
  localOrigin: string;
  port: number;
  close(): Promise<void>;
}

export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

/** The header a listener answers a GET of its path with (405): it runs, and who it is (`pid=N`). */
export const LISTENER_HEADER = 'x-fruxon-twilio-listener';

/**
 * The webhook endpoint: answers `POST <path>` with an urlencoded body only. Other paths 404, other
 * methods 405, bodies over 64 KiB 413, other content types 415. `handle` runs once the whole body is in.
 */
export async function startListenerServer(opts: {
  host: string;
  port: number;
  path: string;
  /** The reply, or a promise of it (the listener answers once the event is committed). */
  handle: (req: InboundRequest) => Reply | Promise<Reply>;
  onInternalError: (err: unknown) => void;
  /** Told of each request answered 400 for a form over the limits (before any signature work). */
  onMalformed?: (req: MalformedRequest) => void;
  /** Told of each time the connection table was full (see CrowdedEpisode), once per episode. */
  onCrowded?: (episode: CrowdedEpisode) => void;
  limits?: Partial<ConnectionLimits>;
  /** Said in the `x-fruxon-twilio-listener` header of the 405 to a GET of the path: another listen's probe (see probeListener). */
  identity?: string;
  /** The API trace: told of every request answered (method, URL, status, duration; bodies when asked). */
  trace?: ApiTrace | null;
}): Promise<ListenerServer> {
  const limits = { ...CONNECTION_LIMITS, ...opts.limits };
  // Node checks the headers and request timeouts on this interval (30 s by default): a silent socket would
  // otherwise live up to 30 s past its timeout.
  const connectionsCheckingInterval = Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4)));
  let origin = '';
  const server = createServer({ connectionsCheckingInterval }, (req, res) => {
    if (opts.trace) traceRequest(opts.trace, () => origin, req, res);
    try {
      route(req, res, opts);
    } catch (err) {
      opts.onInternalError(err);
      reply(res, { status: 500, body: 'internal error\n' });
    }
  });
  server.keepAliveTimeout = limits.keepAliveTimeoutMs; // Twilio and tunnels reuse connections between messages
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs);
  const table = new ConnectionTable(limits.maxConnections, opts.onCrowded);
  server.on('connection', (sock: Socket) => table.add(sock));
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => table.request(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new CliError(`port ${opts.port} on ${opts.host} is already in use`, {
              reason: 'port_in_use',
              hint: 'pick another with --port N (0 = any free port)',
            })
          : new CliError(`cannot listen on ${opts.host}:${opts.port}: ${err.message}`, { cause: err }),
      );
    });
    server.listen(opts.port, opts.host, () => resolve());
  });
  server.on('error', opts.onInternalError);
  const { port } = server.address() as AddressInfo;
  const host =
    opts.host === '0.0.0.0' || opts.host === '::'
      ? '127.0.0.1'
      : opts.host.includes(':')
        ? `[${opts.host}]`
        : opts.host;
  origin = `http://${host}:${port}`;
  return {
    localOrigin: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        table.close();
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      }),
  };
}

interface Slot {
  /** Answering a complete request: never pushed out. */
  busy: boolean;
}

/**
 * The open connections, oldest first by when they last started waiting for a request (connected, or answered
 * their last one): the first slot that is not busy is the one to push out when the table is full.
 */
class ConnectionTable {
  readonly #slots = new Map<Socket, Slot>();
  readonly #max: number;
  readonly #onCrowded: ((e: CrowdedEpisode) => void) | undefined;
  #episode: { start: number; last: number; reported: number; evicted: number; dropped: number } | null = null;
  #watch: NodeJS.Timeout | null = null;

  constructor(max: number, onCrowded?: (e: CrowdedEpisode) => void) {
    this.#max = max;
    this.#onCrowded = onCrowded;
  }

  add(sock: Socket): void {
    if (this.#slots.size >= this.#max) {
      let victim: Socket | null = null;
      for (const [s, slot] of this.#slots) {
        if (!slot.busy) {
          victim = s;
          break;
        }
      }
      const e = this.#crowded();
      if (!victim) {
        e.dropped++;
        sock.destroy();
        return;
      }
      e.evicted++;
      this.#slots.delete(victim);
      victim.destroy();
    }
    const slot: Slot = { busy: false };
    this.#slots.set(sock, slot);
    sock.once('close', () => this.#slots.delete(sock));
  }

  /** A request's headers are in: busy once its body is, free (and newest) again once it is answered. */
  request(req: IncomingMessage, res: ServerResponse): void {
    const sock = req.socket;
    const slot = this.#slots.get(sock);
    if (!slot) return;
    req.once('end', () => {
      if (!res.writableFinished && this.#slots.get(sock) === slot) slot.busy = true;
    });
    const done = () => {
      slot.busy = false;
      if (this.#slots.get(sock) === slot) {
        this.#slots.delete(sock);
        this.#slots.set(sock, slot);
      }
    };
    res.once('finish', done);
    res.once('close', done);
  }

  #crowded(): { evicted: number; dropped: number } {
    const now = performance.now();
    let e = this.#episode;
    if (!e) {
      e = this.#episode = { start: now, last: now, reported: now, evicted: 0, dropped: 0 };
      // While it lasts, the table is looked at each second: full (the slow ones hold every slot, even with
      // no one else arriving) keeps it going.
      this.#watch = setInterval(() => this.#sample(), CROWDED_SAMPLE_MS);
      this.#watch.unref();
    }
    e.last = now;
    return e;
  }

  #sample(): void {
    const e = this.#episode;
    if (!e) return;
    const now = performance.now();
    if (this.#slots.size >= this.#max) e.last = now;
    if (now - e.last >= CROWDED_QUIET_MS) return this.#end();
    if (now - e.reported >= CROWDED_REPORT_MS) {
      this.#report(true);
      e.reported = now;
    }
  }

  #report(ongoing: boolean): void {
    const e = this.#episode;
    if (!e || e.evicted + e.dropped === 0) return;
    this.#onCrowded?.({
      evicted: e.evicted,
      dropped: e.dropped,
      ms: Math.round(e.last - e.start),
      maxConnections: this.#max,
      ongoing,
    });
  }

  #end(): void {
    if (this.#watch) clearInterval(this.#watch);
    this.#watch = null;
    this.#report(false);
    this.#episode = null;
  }

  close(): void {
    this.#end();
  }
}

function route(
  req: IncomingMessage,
  res: ServerResponse,
  opts: {
    path: string;
    handle: (r: InboundRequest) => Reply | Promise<Reply>;
    onInternalError: (err: unknown) => void;
    onMalformed?: (req: MalformedRequest) => void;
    identity?: string;
  },
): void {
  const url = req.url ?? '/';
  const pathname = url.split('?')[0];
  if (pathname !== opts.path) return drain(req, res, { status: 404, body: 'not found\n' });
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    if (opts.identity) res.setHeader(LISTENER_HEADER, opts.identity);
    return drain(req, res, { status: 405, body: 'method not allowed: use POST\n' });
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    return drain(req, res, {
      status: 415,
      body: 'unsupported media type: expected application/x-www-form-urlencoded\n',
    });
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) return tooLarge(req, res);

  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  req.on('data', (chunk: Buffer) => {
    if (done) return;
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      done = true;
      return tooLarge(req, res);
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (done) return;
    done = true;
    let r: Reply | Promise<Reply>;
    try {
      const raw = Buffer.concat(chunks);
      const remoteAddress = req.socket.remoteAddress ?? null;
      const parsed = parseForm(raw.toString('utf8'));
      if (!parsed.ok) {
        opts.onMalformed?.({
          url,
          headers: req.headers,
          remoteAddress,
          bodyExcerpt: bodyExcerpt(raw),
          reason: parsed.reason,
          detail: parsed.detail,
        });
        return reply(res, { status: 400, body: `bad request: ${parsed.detail}\n` });
      }
      r = opts.handle({ url, headers: req.headers, form: parsed.form, remoteAddress, rawBody: raw });
    } catch (err) {
      opts.onInternalError(err);
      r = { status: 500, body: 'internal error\n' };
    }
    if (!(r instanceof Promise)) return reply(res, r);
    r.then(
      (x) => reply(res, x),
      (err) => {
        opts.onInternalError(err);
        reply(res, { status: 500, body: 'internal error\n' });
      },
    );
  });
  req.on('error', () => {
    done = true;
  });
}

/** At most this many fields in a webhook form: Twilio's inbound messages carry about 40 (10 media with types). */
export const MAX_FORM_FIELDS = 256;
/** The longest field name accepted (Twilio's are under 40 characters, e.g. MediaContentType9). */
export const MAX_FORM_KEY_CHARS = 64;
/**
 * The longest field value accepted, in UTF-16 units. Twilio's largest field is Body, 1600 characters on SMS
 * (WhatsApp allows 4096), so up to 8192 units with emoji; media URLs are a few hundred.
 */
export const MAX_FORM_VALUE_CHARS = 8192;

export type ParsedForm =
  | { ok: true; form: Form }
  | { ok: false; reason: 'form_too_many_fields' | 'form_field_too_long'; detail: string };

/**
 * application/x-www-form-urlencoded -> fields; a repeated key becomes an array, in order. Linear in the body
 * size and bounded: over MAX_FORM_FIELDS fields, or a key or value over its cap, is refused (the listener
 * answers 400 before any signature work). The fields are counted before anything is decoded.
 */
export function parseForm(body: string): ParsedForm {
  let fields = 0;
  for (let i = 0; i <= body.length; ) {
    let j = body.indexOf('&', i);
    if (j === -1) j = body.length;
    if (j > i && ++fields > MAX_FORM_FIELDS) {
      return { ok: false, reason: 'form_too_many_fields', detail: `more than ${MAX_FORM_FIELDS} form fields` };
    }
    i = j + 1;
  }
  const form: Form = Object.create(null);
  for (const [k, v] of new URLSearchParams(body)) {
    if (k.length > MAX_FORM_KEY_CHARS)
      return {
        ok: false,
        reason: 'form_field_too_long',
        detail: `a form field name longer than ${MAX_FORM_KEY_CHARS} characters`,
      };
    if (v.length > MAX_FORM_VALUE_CHARS)
      return {
        ok: false,
        reason: 'form_field_too_long',
        detail: `form field ${k} is longer than ${MAX_FORM_VALUE_CHARS} characters`,
      };
    const prev = form[k];
    if (prev === undefined) form[k] = v;
    else if (Array.isArray(prev))
      prev.push(v); // in place: copying the array on every repeat is quadratic
    else form[k] = [prev, v];
  }
  return { ok: true, form };
}

/** The first REFUSED_BODY_EXCERPT_BYTES of a body, cut at a character boundary. */
export function bodyExcerpt(raw: Buffer): string {
  if (raw.length <= REFUSED_BODY_EXCERPT_BYTES) return raw.toString('utf8');
  return raw
    .subarray(0, REFUSED_BODY_EXCERPT_BYTES)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}

/** Tells the trace of a request once its answer is sent (or the connection is gone). */
function traceRequest(trace: ApiTrace, origin: () => string, req: IncomingMessage, res: ServerResponse): void {
  const t0 = performance.now();
  const chunks: Buffer[] = [];
  let size = 0;
  let answer: string | null = null;
  if (trace.bodies) {
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.end = ((...args: unknown[]) => {
      const first = args[0];
      if (typeof first === 'string' || Buffer.isBuffer(first)) answer = first.toString();
      return end(...args);
    }) as typeof res.end;
  }
  let told = false;
  const tell = () => {
    if (told) return;
    told = true;
    const token = req.headers['i-twilio-idempotency-token'];
    trace.http({
      service: 'webhook',
      direction: 'in',
      method: req.method ?? 'GET',
      url: origin() + (req.url ?? '/'),
      status: res.writableFinished || res.headersSent ? res.statusCode : null,
      ms: performance.now() - t0,
      requestId: typeof token === 'string' ? token : null,
      error: res.writableFinished || res.headersSent ? null : 'connection closed before the answer',
      requestBody: trace.bodies ? Buffer.concat(chunks).toString('utf8') : null,
      responseBody: answer,
    });
  };
  res.on('finish', tell);
  res.on('close', tell);
}

function tooLarge(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('connection', 'close');
  reply(res, { status: 413, body: `payload too large: at most ${MAX_BODY_BYTES} bytes\n` });
  req.resume();
}

/** Answers without reading a body we will not use, but reads it so the connection stays usable. */
function drain(req: IncomingMessage, res: ServerResponse, r: Reply): void {
  req.resume();
  reply(res, r);
}

function reply(res: ServerResponse, r: Reply): void {
  if (res.headersSent) return;
  res.writeHead(r.status, { 'content-type': r.contentType ?? 'text/plain; charset=utf-8' });
  res.end(r.body ?? '');
}
