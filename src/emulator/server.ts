import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isE164, stripChannel } from '../phone.js';
import { DURATION_FORM, EmulatorClock, parseDuration } from './clock.js';
import { CONTROL_PREFIX, ControlError, handleControl, mediaBytes, type RateLimit, topologySummary } from './control.js';
import { EmulatorCore } from './core.js';
import { apiErrors, TwilioApiError } from './errors.js';
import { newSecret, newSid } from './ids.js';
import { accountPath } from './resources.js';
import { matchRoute, pathAccountSid } from './routes.js';
import { EmulatorState } from './state.js';
import { applyTopology, checkTopology, topologyNumbers } from './topology.js';
import type { ApiKey, Emulator, EmulatorLogEntry, EmulatorOptions, HttpMethod } from './types.js';

const MAX_BODY_BYTES = 1024 * 1024;

type AuthResult = 'account' | 'api-key';

/** Starts the emulator's HTTP server on 127.0.0.1 (by default) and resolves once it listens. */
export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  validateOptions(opts);
  const onLog = opts.onLog;
  const clock = new EmulatorClock(opts.now);
  const log = (entry: Omit<EmulatorLogEntry, 'time'>) => {
    if (!onLog) return;
    try {
      onLog({ time: clock.now().toISOString(), ...entry });
    } catch {
      // A failing log sink must not break the emulator's request handling.
    }
  };

  const topology = opts.topology;
  const numbers = [...(opts.numbers ?? []), ...(topology ? topologyNumbers(topology) : [])];
  const state = await EmulatorState.open({
    ...opts,
    numbers: numbers.length > 0 ? [...new Set(numbers)] : undefined,
    clock,
  });
  try {
    if (topology) applyTopology(state, topology);
    if (opts.sandboxUrl !== undefined) state.saveSandbox({ ...state.sandbox, inboundUrl: opts.sandboxUrl });
    if (opts.enforceMediaAuth !== undefined)
      state.saveSettings({ ...state.settings, enforceMediaAuth: opts.enforceMediaAuth });
  } catch (err) {
    state.close();
    throw err;
  }
  const core = new EmulatorCore(
    state,
    {
      statusDelayMs: opts.statusDelayMs ?? 150,
      deliveryTimeoutMs: opts.deliveryTimeoutMs ?? 5000,
      retryDelaysMs: opts.retryDelaysMs,
    },
    log,
  );
  core.alerts.lagMs = opts.listLagMs ?? 0;
  core.joinSandboxAtStart();
  const rateLimit: RateLimit = { remaining: 0, retryAfterSeconds: 1 };
  const guard: ControlGuard = { origins: new Set(), hosts: null, token: opts.controlToken ?? null };

  const server = http.createServer((req, res) => {
    handleRequest(core, rateLimit, guard, req, res, log).catch((err: unknown) => {
      sendJson(res, 500, new TwilioApiError(500, 20500, 'Internal Server Error').toJSON());
      log({ level: 'error', event: 'http.request', message: `internal error: ${(err as Error).message}` });
    });
  });
  server.keepAliveTimeout = 5000;

  const host = opts.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    state.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  core.baseUrl = url;
  for (const o of ownOrigins(host, port, url)) guard.origins.add(o);
  // On loopback the Host must be a loopback name too: a page of a site rebound to 127.0.0.1 (DNS rebinding)
  // sends no Origin with a same-origin GET, but its own Host.
  if (isLoopbackHost(host)) guard.hosts = new Set([...guard.origins].map((o) => new URL(o).host));
  log({ level: 'info', event: 'emulator.started', message: `Twilio emulator listening on ${url}`, url });

  let stopped: Promise<void> | undefined;
  return {
    url,
    accountSid: state.account.sid,
    authToken: state.account.authToken,
    controlToken: guard.token,
    numbers: [...state.numbers.values()].map(({ sid, phoneNumber }) => ({ sid, phoneNumber })),

    createApiKey(friendlyName = 'emulator key'): ApiKey {
      const key: ApiKey = { sid: newSid('SK'), secret: newSecret(), friendlyName, dateCreated: clock.now() };
      state.saveApiKey(key);
      return { ...key };
    },

    async deliverInbound(msg) {
      return core.receiveInbound(msg);
    },

    services: () => [...state.services.values()].map((x) => structuredClone(x)),
    applications: () => [...state.applications.values()].map((x) => structuredClone(x)),
    senders: () => [...state.senders.values()].map((x) => structuredClone(x)),
    topology: () => topologySummary(core),
    setSandbox: (settings) => core.setSandbox(settings),
    rateLimit(requests, retryAfterSeconds = 1) {
      rateLimit.remaining = requests;
      rateLimit.retryAfterSeconds = retryAfterSeconds;
    },

    getNumber(phoneNumber) {
      const n = state.findNumber(stripChannel(phoneNumber));
      return n && { ...n };
    },

    setSmsUrl(phoneNumber: string, smsUrl: string, method: HttpMethod = 'POST') {
      const n = state.findNumber(stripChannel(phoneNumber));
      if (!n) throw new Error(`${phoneNumber} is not one of the emulator's numbers`);
      core.updateNumber(n, { smsUrl, smsMethod: method });
    },

    setListLag(ms: number) {
      if (!(Number.isFinite(ms) && ms >= 0))
        throw new Error('the list lag must be a non-negative number of milliseconds');
      core.alerts.lagMs = ms;
    },
    alerts: () => core.alerts.all(),
    now: () => clock.now(),
    advanceClock(by) {
      const ms = typeof by === 'number' ? by : parseDuration(by);
      if (ms === undefined || !Number.isFinite(ms) || ms < 0)
        throw new Error(`advance must be a duration, ${DURATION_FORM}; got ${JSON.stringify(by)}`);
      return state.advanceClock(ms);
    },

    messages: () => state.allMessages(),
    getMessage: (sid) => state.getMessage(sid),
    idle: () => core.idle(),

    stop() {
      stopped ??= (async () => {
        await core.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        state.close();
        log({ level: 'info', event: 'emulator.stopped', message: 'Twilio emulator stopped' });
      })();
      return stopped;
    },
  };
}

/** `/2010-04-01/Accounts/{AC}/Messages/{MM}/Media/{ME}`: a media item's bytes (not part of the JSON API). */
const MEDIA_BYTES =
  /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Messages\/((?:MM|SM)[0-9a-f]{32})\/Media\/(ME[0-9a-f]{32})$/;

/** Who may use the control API: pages of the emulator's own origins only, and the token's holders when it has one. */
interface ControlGuard {
  origins: Set<string>;
  /** The Host headers accepted (bound to loopback), or null (any: another interface, the token's business). */
  hosts: Set<string> | null;
  token: string | null;
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** The origins the emulator is its own at: its URL, and on loopback (or every interface) each loopback name. */
function ownOrigins(host: string, port: number, url: string): string[] {
  const own = [new URL(url).origin];
  if (['127.0.0.1', '::1', 'localhost', '0.0.0.0', '::'].includes(host) || host.startsWith('127.'))
    own.push(`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`);
  return own;
}

/**
 * A browser sends `Origin` with every POST, `no-cors` ones included, and cannot send `application/json`
 * cross-origin without a preflight the emulator never answers; so refusing a foreign Origin and any other
 * content type keeps every web page out (the page of a site rebound to 127.0.0.1 too: its Origin is its own).
 * A script or curl sends no Origin. With a token, only its holders get in.
 */
function refuseControl(guard: ControlGuard, method: string, req: http.IncomingMessage): ControlError | null {
  const hostHeader = (req.headers.host ?? '').toLowerCase();
  if (guard.hosts && !guard.hosts.has(hostHeader))
    return new ControlError(
      403,
      `the control API answers only to its own loopback address (Host: ${JSON.stringify(hostHeader.slice(0, 200))})`,
    );
  const origin = req.headers.origin;
  if (origin !== undefined && !guard.origins.has(origin))
    return new ControlError(
      403,
      `cross-origin request refused: the control API answers requests from no web page but its own (Origin: ${JSON.stringify(origin.slice(0, 200))})`,
    );
  if (guard.token !== null) {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const given = Buffer.from(m?.[1] ?? '');
    const want = Buffer.from(guard.token);
    if (given.length !== want.length || !timingSafeEqual(given, want))
      return new ControlError(401, "the control API needs Authorization: Bearer <the emulator's --control-token>");
  }
  // A POST, or any request that carries a body, must say JSON: a web page's no-cors request can only be a POST
  // (or GET/HEAD) with a form or text type. A bodiless DELETE (clear the opt-outs) needs no type.
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if ((method === 'POST' || (method !== 'GET' && method !== 'HEAD' && hasBody)) && !isJson(req))
    return new ControlError(
      415,
      `unsupported media type: the control API takes Content-Type: application/json (got ${JSON.stringify((req.headers['content-type'] ?? '(none)').slice(0, 100))})`,
    );
  return null;
}

async function handleRequest(
  core: EmulatorCore,
  rateLimit: RateLimit,
  guard: ControlGuard,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  log: (entry: Omit<EmulatorLogEntry, 'time'>) => void,
): Promise<void> {
  const started = performance.now();
  const target = new URL(req.url ?? '/', 'http://emulator');
  const method = (req.method ?? 'GET').toUpperCase();
  const body = await readBody(req);
  const form = isForm(req) ? new URLSearchParams(body) : new URLSearchParams();
  let auth: EmulatorLogEntry['auth'] = 'none';
  let route: string | undefined;
  let status: number;
  let payload: unknown;

  if (target.pathname.startsWith(CONTROL_PREFIX)) {
    try {
      const refused = refuseControl(guard, method, req);
      if (refused) throw refused;
      const answer = await handleControl(core, rateLimit, method, target.pathname, body);
      status = answer.status;
      payload = answer.body;
    } catch (err) {
      if (!(err instanceof ControlError)) throw err;
      status = err.status;
      payload = { error: err.message };
    }
    sendJson(res, status, payload);
    log({
      level: status >= 400 ? 'warn' : 'info',
      event: 'control',
      message: `${method} ${target.pathname} -> ${status}${status >= 400 ? `: ${(payload as { error: string }).error}` : ''}`,
      method,
      path: target.pathname,
      status,
      durationMs: Math.round(performance.now() - started),
    });
    return;
  }

  const media = method === 'GET' ? MEDIA_BYTES.exec(target.pathname) : null;
  if (media) {
    await serveMedia(core, req, res, media[1]!, media[2]!, media[3]!, log, started);
    return;
  }

  try {
    const authResult = authenticate(core, req.headers.authorization);
    auth = authResult;
    const match = matchRoute(method, target.pathname);
    if (match.kind === 'not-found') throw apiErrors.notFound(target.pathname);
    if (match.kind === 'method-not-allowed') throw apiErrors.methodNotAllowed(method);
    route = match.route.path;
    // One account lives here: any other account SID in the path is a resource that does not exist.
    const accountSid = pathAccountSid(match);
    if (accountSid !== undefined && accountSid !== core.state.account.sid) throw apiErrors.notFound(target.pathname);
    if (rateLimit.remaining > 0) {
      rateLimit.remaining--;
      res.setHeader('Retry-After', String(rateLimit.retryAfterSeconds));
      throw apiErrors.tooManyRequests();
    }
    const json = isJson(req) && body.trim() !== '' ? parseJsonBody(body) : undefined;
    const answer = match.route.handle({
      core,
      params: match.params,
      path: target.pathname,
      query: target.searchParams,
      form,
      json,
    });
    status = answer.status;
    payload = answer.body;
  } catch (err) {
    if (!(err instanceof TwilioApiError)) throw err;
    if (err.code === 20003) auth = 'rejected';
    status = err.status;
    payload = err.toJSON();
    if (err.status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="Twilio API"');
  }

  sendJson(res, status, payload);
  log({
    level: status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info',
    event: 'http.request',
    message: `${method} ${target.pathname} -> ${status}`,
    method,
    path: target.pathname,
    ...(route !== undefined && { route }),
    status,
    ...(status >= 400 && { code: (payload as { code: number }).code }),
    bodyParams: isJson(req) ? jsonKeys(body) : uniqueKeys(form),
    queryParams: uniqueKeys(target.searchParams),
    auth,
    durationMs: Math.round(performance.now() - started),
  });
}

/** HTTP Basic with the Account SID + Auth Token, or an API Key SID + secret. */
function authenticate(core: EmulatorCore, header: string | undefined): AuthResult {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) throw apiErrors.noCredentials();
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw apiErrors.badCredentials();
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const { account, apiKeys } = core.state;
  if (username === account.sid && password === account.authToken) return 'account';
  const key = apiKeys.get(username);
  if (key && password === key.secret) return 'api-key';
  throw apiErrors.badCredentials();
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Twilio serves media without credentials unless the account enforces HTTP auth on media URLs. */
async function serveMedia(
  core: EmulatorCore,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  accountSid: string,
  messageSid: string,
  sid: string,
  log: (entry: Omit<EmulatorLogEntry, 'time'>) => void,
  started: number,
): Promise<void> {
  const path = `${accountPath(accountSid)}/Messages/${messageSid}/Media/${sid}`;
  let status = 200;
  let auth: EmulatorLogEntry['auth'] = 'none';
  try {
    if (accountSid !== core.state.account.sid) throw apiErrors.notFound(path);
    if (core.state.settings.enforceMediaAuth || req.headers.authorization)
      auth = authenticate(core, req.headers.authorization);
    const found = await mediaBytes(core, messageSid, sid);
    if (!found) throw apiErrors.notFound(path);
    res.writeHead(200, { 'Content-Type': found.contentType, 'Content-Length': found.bytes.length });
    res.end(found.bytes);
  } catch (err) {
    if (!(err instanceof TwilioApiError)) throw err;
    if (err.code === 20003) auth = 'rejected';
    status = err.status;
    if (err.status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="Twilio API"');
    sendJson(res, status, err.toJSON());
  }
  log({
    level: status >= 400 ? 'warn' : 'info',
    event: 'http.request',
    message: `GET ${path} -> ${status}`,
    method: 'GET',
    path,
    status,
    auth,
    durationMs: Math.round(performance.now() - started),
  });
}

function isJson(req: http.IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json');
}

function parseJsonBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw apiErrors.invalidParameter('The request body is not valid JSON');
  }
}

/** Top-level keys of a JSON body, for the log (names, never values). */
function jsonKeys(body: string): string[] {
  try {
    const v = JSON.parse(body) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : [];
  } catch {
    return [];
  }
}

function isForm(req: http.IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  if (status === 204) {
    res.writeHead(204, { 'Twilio-Request-Id': newSid('SM').replace(/^SM/, 'RQ') });
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Twilio-Request-Id': newSid('SM').replace(/^SM/, 'RQ'),
  });
  res.end(text);
}

function uniqueKeys(params: URLSearchParams): string[] {
  return [...new Set(params.keys())];
}

function validateOptions(opts: EmulatorOptions): void {
  if (opts.accountSid !== undefined && !/^AC[0-9a-f]{32}$/.test(opts.accountSid)) {
    throw new Error(`accountSid must be AC followed by 32 lowercase hex digits, got ${opts.accountSid}`);
  }
  if (opts.authToken !== undefined && opts.authToken.length === 0) throw new Error('authToken must not be empty');
  if (opts.controlToken !== undefined && !/^\S{8,}$/.test(opts.controlToken))
    throw new Error('controlToken must be at least 8 characters with no spaces');
  for (const n of opts.numbers ?? []) {
    if (!isE164(n)) throw new Error(`${n} is not an E.164 phone number (like +15005551234)`);
  }
  if (opts.topology !== undefined) checkTopology(opts.topology);
  if (opts.sandboxUrl !== undefined && opts.sandboxUrl !== '' && !/^https?:\/\/[^/_]+/.test(opts.sandboxUrl)) {
    throw new Error(`sandboxUrl must be an http(s) URL, got ${opts.sandboxUrl}`);
  }
  for (const [name, value] of [
    ['statusDelayMs', opts.statusDelayMs],
    ['deliveryTimeoutMs', opts.deliveryTimeoutMs],
    ['listLagMs', opts.listLagMs],
    ...(opts.retryDelaysMs ?? []).map((d) => ['retryDelaysMs', d] as const),
  ] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      throw new Error(`${name} must be a non-negative number of milliseconds`);
    }
  }
}
