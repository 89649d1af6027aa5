import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EmulatorCore, stripChannel } from './core.js';
import { apiErrors, TwilioApiError } from './errors.js';
import { newSecret, newSid } from './ids.js';
import { matchRoute, pathAccountSid } from './routes.js';
import { EmulatorState } from './state.js';
import type { ApiKey, Emulator, EmulatorLogEntry, EmulatorOptions, HttpMethod } from './types.js';

const MAX_BODY_BYTES = 1024 * 1024;
const E164 = /^\+[1-9]\d{6,14}$/;

type AuthResult = 'account' | 'api-key';

/** Starts the emulator's HTTP server on 127.0.0.1 (by default) and resolves once it listens. */
export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  validateOptions(opts);
  const onLog = opts.onLog;
  const log = (entry: Omit<EmulatorLogEntry, 'time'>) => {
    if (!onLog) return;
    try {
      onLog({ time: new Date().toISOString(), ...entry });
    } catch {
      // A failing log sink must not break the emulator's request handling.
    }
  };

  const state = await EmulatorState.open(opts);
  const core = new EmulatorCore(
    state,
    {
      statusDelayMs: opts.statusDelayMs ?? 150,
      deliveryTimeoutMs: opts.deliveryTimeoutMs ?? 5000,
      retryDelaysMs: opts.retryDelaysMs ?? [200, 1000],
    },
    log,
  );

  const server = http.createServer((req, res) => {
    handleRequest(core, req, res, log).catch((err: unknown) => {
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
  log({ level: 'info', event: 'emulator.started', message: `Twilio emulator listening on ${url}`, url });

  let stopped: Promise<void> | undefined;
  return {
    url,
    accountSid: state.account.sid,
    authToken: state.account.authToken,
    numbers: [...state.numbers.values()].map(({ sid, phoneNumber }) => ({ sid, phoneNumber })),

    createApiKey(friendlyName = 'emulator key'): ApiKey {
      const key: ApiKey = { sid: newSid('SK'), secret: newSecret(), friendlyName, dateCreated: new Date() };
      state.saveApiKey(key);
      return { ...key };
    },

    async deliverInbound(msg) {
      return core.receiveInbound(msg);
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

async function handleRequest(
  core: EmulatorCore,
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

  try {
    const authResult = authenticate(core, req.headers.authorization);
    auth = authResult;
    const match = matchRoute(method, target.pathname);
    if (match.kind === 'not-found') throw apiErrors.notFound(target.pathname);
    if (match.kind === 'method-not-allowed') throw apiErrors.methodNotAllowed(method);
    route = match.route.path;
    // One account lives here: any other account SID in the path is a resource that does not exist.
    if (pathAccountSid(match) !== core.state.account.sid) throw apiErrors.notFound(target.pathname);
    const answer = match.route.handle({ core, params: match.params, path: target.pathname, query: target.searchParams, form });
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
    bodyParams: uniqueKeys(form),
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

function isForm(req: http.IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
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
  for (const n of opts.numbers ?? []) {
    if (!E164.test(n)) throw new Error(`${n} is not an E.164 phone number (like +15005551234)`);
  }
  for (const [name, value] of [
    ['statusDelayMs', opts.statusDelayMs],
    ['deliveryTimeoutMs', opts.deliveryTimeoutMs],
    ...(opts.retryDelaysMs ?? []).map((d) => ['retryDelaysMs', d] as const),
  ] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      throw new Error(`${name} must be a non-negative number of milliseconds`);
    }
  }
}
