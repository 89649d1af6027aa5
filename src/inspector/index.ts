import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CliError } from '../errors.js';
import { tookMissed } from '../listener/missed.js';
import { type OptOutType, optOutMark } from '../listener/payload.js';
import type { ListenHooks, StatusCallback } from '../listener/session.js';
import { eventDetailJson } from '../output/events.js';
import { type Channel, channelOf, isE164, stripChannel } from '../phone.js';
import { type Config, type Store, type StoredEvent, webhookPath } from '../store/index.js';
import { fixFor } from '../twilio/messages.js';
import { APP_CSS, APP_JS, INDEX_HTML } from './assets.js';

/**
 * The local web inspector: pages over the event log, pushed live with Server-Sent Events, and buttons that
 * call the same cores as the CLI (given as `actions` by the command that starts it). It consumes a listener
 * through the session's hooks (`hooks`), never the other way round.
 *
 * Security, since any local process and any web page the developer visits can reach 127.0.0.1: bound to
 * 127.0.0.1 only; a random per-run token (in the printed URL) is exchanged for an HttpOnly SameSite=Strict
 * cookie that every page, API call and the stream need. Cookies are not scoped by port (every server on
 * 127.0.0.1 gets it), so the cookie is not the token and opens no data by itself: the exchange hands the token
 * to the page (in the redirect's fragment, which no server sees), the page keeps it in sessionStorage (scoped
 * to this origin, port included) and sends it with every API call (ACCESS_HEADER) and the stream (`?token=`).
 * The Host header must name 127.0.0.1 or localhost
 * on our port (DNS rebinding); actions are JSON POSTs with an X-Fruxon-Inspector header (a cross-site form
 * cannot send it, and a cross-site fetch with it needs a preflight we never answer); a strict CSP. What it
 * serves comes from the event log and the session: never the Auth Token, the production webhook URL or a
 * Fruxon token.
 */

export const DEFAULT_INSPECT_PORT = 7339;
export const ACTION_HEADER = 'x-fruxon-inspector';
/** The page's copy of the token, on every API call (the stream, which cannot send headers, takes `?token=`). */
export const ACCESS_HEADER = 'x-fruxon-inspector-token';
const MAX_ACTION_BYTES = 16 * 1024;
const INITIAL_EVENTS = 500;
const MAX_OUTBOUND = 1000;
/** Missed-message warnings the route panel keeps (the newest). */
const MAX_MISSED = 50;

/** A message Twilio logged that never reached the listener, as the route panel shows it (listen's warning line). */
export interface MissedWarning {
  message_sid: string;
  to: string;
  date_sent: string;
  /** The layer that took it, as listen says it. */
  took: string;
}

export interface ReplyRequest {
  to: string;
  channel: Channel;
  body: string;
}

export interface OutboundMessage {
  sid: string;
  to: string | null;
  from: string | null;
  channel: Channel;
  body: string | null;
  status: string;
  error_code: string | null;
  at: string;
  statuses: { status: string; at: string }[];
  /** `api`: the agent sent it through the Messages API (listen read it from Twilio's list), not this inspector. */
  by?: 'api';
  /** The event it answers (an agent's reply). */
  reply_to?: number | null;
  /** What to do about its error code. */
  fix?: string | null;
}

/** A replay to `--forward-to`, as the page shows it. */
export interface ForwardReplay {
  event_id: number;
  target: 'forward';
  url: string;
  status: number;
  ms: number;
  ok: boolean;
}

/** A replay to the listener, as the page shows it. */
export interface ListenerReplay {
  event_id: number;
  target: 'listener';
  url: string;
  status: number;
  status_text: string;
  /** The first line of the listener's answer (at most 200 characters). */
  detail: string;
  message_sid: string | null;
  new_sid: boolean;
  ok: boolean;
  /** An accepted event replayed under its own MessageSid: recorded once by the listener, no new trigger. */
  duplicate_expected: boolean;
}

/** What the page's buttons do; an absent action is not offered (e.g. reply without a running listener). */
export interface InspectorActions {
  reply?(req: ReplyRequest): Promise<{ sid: string; status: string; to: string; from: string }>;
  replayToListener?(event: StoredEvent, newSid: boolean): Promise<ListenerReplay>;
  replayForward?(event: StoredEvent): Promise<ForwardReplay>;
}

export interface InspectorOptions {
  store: Store;
  config: Config;
  mode: 'listen' | 'inspect';
  /** Where the listener receives inbound messages (and checks their signatures against), when one runs. */
  route?: {
    webhookUrl: string;
    registered: boolean;
    tunnel: string;
    /** What Conversations does with the number's messages (conversationsNotes): shown under the route line. */
    conversations?: string[];
  } | null;
  /** The running listener's URL for delivery-status callbacks (`send --status-callback`); null when none can reach it. */
  statusCallbackUrl?: string | null;
  forwardTo?: string | null;
  actions: InspectorActions;
  /**
   * The number's webhook alerts of the last 24 h for the route panel (`webhook show`'s JSON of them, or
   * `{ error }`), read from Twilio when the page asks (at most once a minute); absent: the panel has none.
   */
  webhookAlerts?: () => Promise<Record<string, unknown>>;
}

/** How long the route panel's alerts are reused before Twilio is asked again. */
const ALERTS_TTL_MS = 60_000;

export interface EventSummary {
  id: number;
  received_at: string;
  status: 'accepted' | 'refused';
  reason: string | null;
  detail: string | null;
  channel: Channel;
  from: string | null;
  name: string | null;
  text: string | null;
  media: { url: string; content_type: string | null }[];
  /** What Twilio did with an opt-out keyword (listener/payload.ts optOutMark), else null. */
  opt_out: string | null;
  message_sid: string | null;
  duplicate: boolean;
  /** Fed by `listen --catch-up` (Twilio logged it while no listener ran). */
  recovered: boolean;
  forward: { url: string; status: number | null; error: string | null } | null;
}

export function summarize(e: StoredEvent, detail: string | null = null): EventSummary {
  const p = e.payload as {
    from_name?: string | null;
    media?: EventSummary['media'];
    message_attributes?: { opt_out_type?: OptOutType | null };
  } | null;
  const rawFrom = e.rawForm.From;
  return {
    id: e.id,
    received_at: e.receivedAt,
    status: e.status,
    reason: e.reason,
    detail,
    channel: (e.channel as Channel | null) ?? channelOf(Array.isArray(rawFrom) ? rawFrom[0] : rawFrom),
    from: e.fromNumber,
    name: p?.from_name ?? null,
    text: e.body,
    media: p?.media ?? [],
    opt_out: optOutMark(p?.message_attributes?.opt_out_type),
    message_sid: e.messageSid,
    duplicate: false,
    recovered: e.headers['x-fruxon-twilio-recovered'] === '1',
    forward: e.forward ? { url: e.forward.url, status: e.forward.status, error: e.forward.error } : null,
  };
}

export class Inspector {
  readonly #o: InspectorOptions;
  readonly #token = randomBytes(24).toString('base64url');
  /** The cookie's value: gates the page and its assets, but no data without the token (see the class comment). */
  readonly #cookie = randomBytes(24).toString('base64url');
  readonly #streams = new Set<ServerResponse>();
  /** Replies sent from here, and messages whose status callbacks reached the listener, by SID. */
  readonly #outbound = new Map<string, OutboundMessage>();
  /** Why a request was refused, as the listener said it (the log keeps only the reason code). */
  readonly #refusedDetail = new Map<number, string>();
  readonly #missed: MissedWarning[] = [];
  #alerts: { at: number; value: Promise<Record<string, unknown>> } | null = null;
  #server: Server | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  port = 0;

  constructor(opts: InspectorOptions) {
    this.#o = opts;
  }

  /** The session hooks the inspector needs; `listen` calls them next to its own. */
  readonly hooks: Required<
    Pick<ListenHooks, 'onEvent' | 'onRefused' | 'onForward' | 'onStatus' | 'onMissed' | 'onAgentReply'>
  > = {
    // The envelope's JSON as listen printed it (encoded once per event); the page makes the list row of it.
    onEvent: (envelope, duplicate, json, meta) => {
      if (!this.#streams.size) return;
      const optOut = JSON.stringify(optOutMark(envelope.payload.message_attributes.opt_out_type));
      this.#pushRaw(
        'trigger',
        `{"duplicate":${duplicate},"recovered":${Boolean(meta?.recovered)},"opt_out":${optOut},"envelope":${json}}`,
      );
    },
    onRefused: (info) => {
      if (info.eventId === null) return;
      this.#refusedDetail.set(info.eventId, info.detail);
      if (this.#refusedDetail.size > MAX_OUTBOUND) this.#refusedDetail.delete(this.#refusedDetail.keys().next().value!);
      if (!this.#streams.size) return;
      const e = this.#o.store.events.byId(info.eventId);
      if (e) this.#push('event', summarize(e, info.detail));
    },
    onForward: (info) => {
      if (this.#streams.size)
        this.#push('forward', { id: info.eventId, url: info.url, status: info.status, error: info.error });
    },
    onStatus: (s) => this.#status(s),
    onAgentReply: (r) => {
      const msg = r.message;
      const at = (msg.dateUpdated ?? msg.dateCreated ?? new Date()).toISOString();
      const errorCode = msg.errorCode === null ? null : String(msg.errorCode);
      let m = this.#outbound.get(msg.sid);
      if (!m) {
        m = {
          sid: msg.sid,
          to: stripChannel(msg.to),
          from: stripChannel(msg.from),
          channel: msg.channel,
          body: msg.body,
          status: msg.status,
          error_code: errorCode,
          at: (msg.dateCreated ?? new Date()).toISOString(),
          statuses: [],
          by: 'api',
          reply_to: r.eventId,
          fix: null,
        };
        this.#remember(m);
      }
      m.body ??= msg.body;
      m.status = msg.status;
      m.error_code = errorCode;
      m.fix = fixFor(msg.errorCode) ?? null;
      if (m.statuses[m.statuses.length - 1]?.status !== msg.status) m.statuses.push({ status: msg.status, at });
      if (this.#streams.size) this.#push('outbound', m);
    },
    onMissed: (m) => {
      const w: MissedWarning = {
        message_sid: m.messageSid,
        to: m.to,
        date_sent: m.dateSent,
        took: tookMissed(m, webhookPath(this.#o.config)),
      };
      this.#missed.push(w);
      if (this.#missed.length > MAX_MISSED) this.#missed.shift();
      if (this.#streams.size) this.#push('missed', w);
    },
  };

  /** The URL to open: it carries the token, which the first page load trades for a cookie. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/?token=${this.#token}`;
  }

  /**
   * Listens on 127.0.0.1:`port`. A taken port is an error when the user chose it (`explicit`); the default
   * one falls back to any free port, so a second `listen` still gets its inspector.
   */
  async start(port: number, explicit: boolean, flag = '--inspect-port'): Promise<void> {
    const server = createServer((req, res) => {
      try {
        this.#route(req, res);
      } catch {
        if (!res.headersSent) send(res, 500, 'internal error\n');
      }
    });
    server.requestTimeout = 30_000;
    const bind = (p: number) =>
      new Promise<void>((resolve, reject) => {
        const onError = (err: Error) => reject(err);
        server.once('error', onError);
        server.listen(p, '127.0.0.1', () => {
          server.off('error', onError);
          resolve();
        });
      });
    try {
      await bind(port);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE' || explicit || port === 0) {
        throw new CliError(
          code === 'EADDRINUSE'
            ? `${flag} ${port} on 127.0.0.1 is already in use`
            : `cannot serve the inspector on 127.0.0.1:${port}: ${(err as Error).message}`,
          {
            reason: 'port_in_use',
            hint:
              flag === '--inspect-port'
                ? 'pick another with --inspect-port N (0 = any free port), or turn the inspector off with --no-inspect'
                : `pick another with ${flag} N (0 = any free port)`,
          },
        );
      }
      await bind(0);
    }
    server.on('error', () => undefined);
    this.#server = server;
    this.port = (server.address() as AddressInfo).port;
    this.#heartbeat = setInterval(() => {
      for (const s of this.#streams) s.write(': keep-alive\n\n');
    }, 15_000);
    this.#heartbeat.unref();
  }

  async close(): Promise<void> {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    for (const s of this.#streams) s.end();
    this.#streams.clear();
    const server = this.#server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  #status(s: StatusCallback): void {
    if (s.messageSid === null) return;
    const at = new Date().toISOString();
    const errorCode = s.errorCode === null ? null : String(s.errorCode);
    let m = this.#outbound.get(s.messageSid);
    if (!m) {
      // A message sent elsewhere (`send --status-callback`) with this listener's URL: shown in its conversation too.
      const channel = channelOf(s.to ?? s.from ?? '');
      m = {
        sid: s.messageSid,
        to: s.to && stripChannel(s.to),
        from: s.from && stripChannel(s.from),
        channel,
        body: null,
        status: s.status,
        error_code: errorCode,
        at,
        statuses: [],
      };
      this.#remember(m);
    }
    m.status = s.status;
    m.error_code = errorCode;
    m.statuses.push({ status: s.status, at });
    if (this.#streams.size) this.#push('outbound', m);
  }

  #remember(m: OutboundMessage): void {
    this.#outbound.set(m.sid, m);
    if (this.#outbound.size > MAX_OUTBOUND) this.#outbound.delete(this.#outbound.keys().next().value!);
  }

  #push(type: string, data: unknown): void {
    this.#pushRaw(type, JSON.stringify(data));
  }

  /**
   * Like the listener's group commit: what happens in one turn of the event loop goes to each page in ONE
   * socket write, so a page streaming a burst costs the listener a write per turn, not one per event.
   */
  #pushRaw(type: string, json: string): void {
    if (this.#outgoing.push(`event: ${type}\ndata: ${json}\n\n`) === 1) setImmediate(this.#flushBound);
  }

  #outgoing: string[] = [];
  readonly #flushBound = () => {
    const chunk = this.#outgoing.join('');
    this.#outgoing = [];
    for (const s of this.#streams) s.write(chunk);
  };

  #authorized(req: IncomingMessage): boolean {
    const cookie = req.headers.cookie ?? '';
    const name = this.#cookieName();
    for (const part of cookie.split(';')) {
      const i = part.indexOf('=');
      if (i > 0 && part.slice(0, i).trim() === name && same(part.slice(i + 1).trim(), this.#cookie)) return true;
    }
    return false;
  }

  /** Cookies are not scoped by port: each inspector's cookie has a name of its own. */
  #cookieName(): string {
    return `fruxon_inspector_${this.port}`;
  }

  #isToken(value: string): boolean {
    return same(value, this.#token);
  }

  #route(req: IncomingMessage, res: ServerResponse): void {
    const host = (req.headers.host ?? '').toLowerCase();
    if (host !== `127.0.0.1:${this.port}` && host !== `localhost:${this.port}`) {
      return send(
        res,
        403,
        `forbidden: the inspector answers only to Host 127.0.0.1:${this.port} or localhost:${this.port}\n`,
      );
    }
    const url = new URL(req.url ?? '/', `http://${host}`);
    const path = url.pathname;
    if (req.method === 'GET' && path === '/' && url.searchParams.has('token')) {
      if (!this.#isToken(url.searchParams.get('token')!))
        return send(res, 403, 'forbidden: wrong inspector token (open the URL listen printed)\n');
      res.writeHead(303, {
        // The fragment is for the page's script (no server sees it), which keeps it and clears the address bar.
        location: `/#token=${this.#token}`,
        'set-cookie': `${this.#cookieName()}=${this.#cookie}; HttpOnly; SameSite=Strict; Path=/`,
        ...SECURITY_HEADERS,
      });
      return void res.end();
    }
    if (!this.#authorized(req))
      return send(res, 403, 'forbidden: open the inspector through the URL listen printed (it carries the token)\n');
    if (path.startsWith('/api/')) {
      const given = path === '/api/stream' ? url.searchParams.get('token') : req.headers[ACCESS_HEADER];
      if (typeof given !== 'string' || !this.#isToken(given))
        return send(
          res,
          403,
          `forbidden: the API needs the page's token (${ACCESS_HEADER}); reopen the URL listen printed\n`,
        );
    }

    if (req.method === 'GET') {
      if (path === '/') return send(res, 200, INDEX_HTML, 'text/html; charset=utf-8');
      if (path === '/app.js') return send(res, 200, APP_JS, 'text/javascript; charset=utf-8');
      if (path === '/app.css') return send(res, 200, APP_CSS, 'text/css; charset=utf-8');
      if (path === '/api/state') return sendJson(res, 200, this.#state());
      if (path === '/api/stream') return this.#openStream(req, res);
      if (path === '/api/alerts') {
        const read = this.#o.webhookAlerts;
        if (!read) return sendJson(res, 404, { error: 'no webhook alerts here: they are read by a running listen' });
        if (!this.#alerts || Date.now() - this.#alerts.at > ALERTS_TTL_MS)
          this.#alerts = { at: Date.now(), value: read().catch((err) => ({ error: (err as Error).message })) };
        void this.#alerts.value.then((a) => sendJson(res, 200, a));
        return;
      }
      const m = /^\/api\/events\/(\d+)$/.exec(path);
      if (m) {
        const e = this.#event(Number(m[1]));
        return e ? sendJson(res, 200, this.#detail(e)) : sendJson(res, 404, { error: `no event #${m[1]}` });
      }
      return send(res, 404, 'not found\n');
    }
    if (req.method !== 'POST') return send(res, 405, 'method not allowed\n');
    if (req.headers[ACTION_HEADER] !== '1')
      return send(res, 403, `forbidden: actions need the header X-Fruxon-Inspector: 1\n`);
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`) return send(res, 403, 'forbidden: cross-origin action\n');
    if ((req.headers['content-type'] ?? '').split(';')[0]!.trim() !== 'application/json')
      return send(res, 415, 'actions take application/json\n');
    readJson(req, (body) => {
      if (body === undefined)
        return sendJson(res, 400, { error: 'the action body must be a JSON object of at most 16 KiB' });
      this.#action(path, body).then(
        (r) => sendJson(res, 200, r),
        (err) =>
          sendJson(res, err instanceof CliError ? (err.exitCode === 2 ? 400 : 409) : 500, {
            error: (err as Error).message,
            hint: (err as CliError).hint ?? null,
          }),
      );
    });
  }

  #event(id: number): StoredEvent | null {
    const e = this.#o.store.events.byId(id);
    return e && e.configId === this.#o.config.id ? e : null;
  }

  #state(): unknown {
    const o = this.#o;
    const events = o.store.events
      .list({ configId: o.config.id, limit: INITIAL_EVENTS })
      .map((e) => summarize(e, this.#refusedDetail.get(e.id) ?? null));
    return {
      mode: o.mode,
      config: { name: o.config.name, number: o.config.fromNumber },
      route: o.route ?? null,
      status_callback_url: o.statusCallbackUrl ?? null,
      missed: this.#missed,
      forward_to: o.forwardTo ?? null,
      webhook_alerts: Boolean(o.webhookAlerts),
      actions: {
        reply: Boolean(o.actions.reply),
        replay_listener: Boolean(o.actions.replayToListener),
        replay_forward: Boolean(o.actions.replayForward),
      },
      events,
      outbound: [...this.#outbound.values()],
    };
  }

  #detail(e: StoredEvent): unknown {
    const route = this.#o.route;
    return {
      ...eventDetailJson(e),
      envelope: e.payload
        ? {
            trigger: 'twilio.message.received',
            config: e.configName,
            event_id: e.id,
            received_at: e.receivedAt,
            payload: e.payload,
          }
        : null,
      detail: this.#refusedDetail.get(e.id) ?? null,
      signature: {
        valid: e.signatureValid,
        // The listener checks the signature over its public URL and the request's path.
        checked_against: e.signatureValid === null ? null : route ? route.webhookUrl : null,
      },
    };
  }

  #openStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      ...SECURITY_HEADERS,
    });
    res.write('retry: 1000\n\n');
    this.#streams.add(res);
    req.on('close', () => this.#streams.delete(res));
  }

  async #action(path: string, body: Record<string, unknown>): Promise<unknown> {
    const a = this.#o.actions;
    if (path === '/api/reply') {
      if (!a.reply)
        throw new CliError(
          'replies need a running listen (its status-callback URL); this inspector only reads the log',
          { exitCode: 2 },
        );
      const to = typeof body.to === 'string' ? body.to : '';
      const channel = body.channel === 'whatsapp' ? 'whatsapp' : body.channel === 'sms' ? 'sms' : null;
      const text = typeof body.body === 'string' ? body.body : '';
      if (!isE164(to))
        throw new CliError(`to must be an E.164 number like +14155238886 (got ${JSON.stringify(to)})`, { exitCode: 2 });
      if (!channel) throw new CliError('channel must be sms or whatsapp', { exitCode: 2 });
      if (text.trim() === '') throw new CliError('body is empty: type the reply', { exitCode: 2 });
      const sent = await a.reply({ to, channel, body: text });
      const at = new Date().toISOString();
      const known = this.#outbound.get(sent.sid);
      const m: OutboundMessage = known ?? {
        sid: sent.sid,
        to,
        from: this.#o.config.fromNumber,
        channel,
        body: text,
        status: sent.status,
        error_code: null,
        at,
        statuses: [{ status: sent.status, at }],
      };
      m.body = text;
      // Listen may have read it from Twilio's list before the send returned: it is this inspector's, not the agent's.
      delete m.by;
      delete m.reply_to;
      this.#remember(m);
      if (this.#streams.size) this.#push('outbound', m);
      return { message: m };
    }
    const m = /^\/api\/events\/(\d+)\/replay$/.exec(path);
    if (m) {
      const e = this.#event(Number(m[1]));
      if (!e) throw new CliError(`no event #${m[1]}`, { exitCode: 2 });
      if (body.target === 'forward') {
        if (!a.replayForward)
          throw new CliError('no --forward-to URL was given: there is nowhere to replay the trigger to', {
            exitCode: 2,
          });
        return { replay: await a.replayForward(e) };
      }
      if (body.target === 'listener') {
        if (!a.replayToListener)
          throw new CliError('no listener runs here: start fruxon-twilio listen to replay to it', { exitCode: 2 });
        return { replay: await a.replayToListener(e, body.new_sid === true) };
      }
      throw new CliError('target must be listener or forward', { exitCode: 2 });
    }
    throw new CliError(`no action ${path}`, { exitCode: 2 });
  }
}

function same(value: string, secret: string): boolean {
  const a = Buffer.from(value);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
};

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...SECURITY_HEADERS });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), 'application/json; charset=utf-8');
}

function readJson(req: IncomingMessage, done: (body: Record<string, unknown> | undefined) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > MAX_ACTION_BYTES) over = true;
    else chunks.push(c);
  });
  req.on('end', () => {
    if (over) return done(undefined);
    try {
      const v = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      done(v && typeof v === 'object' && !Array.isArray(v) ? v : undefined);
    } catch {
      done(undefined);
    }
  });
}
