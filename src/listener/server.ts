import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CliError } from '../errors.js';
import type { Form } from './payload.js';

/** Twilio's own limit on a webhook body is far below this; anything larger is not Twilio. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface InboundRequest {
  /** Path and query as requested (what Twilio signed, after the public origin). */
  url: string;
  headers: IncomingHttpHeaders;
  form: Form;
  remoteAddress: string | null;
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
}): Promise<ListenerServer> {
  const server = createServer((req, res) => {
    try {
      route(req, res, opts);
    } catch (err) {
      opts.onInternalError(err);
      reply(res, { status: 500, body: 'internal error\n' });
    }
  });
  server.keepAliveTimeout = 65_000; // Twilio and tunnels reuse connections; do not drop them between messages
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new CliError(`port ${opts.port} on ${opts.host} is already in use`, { reason: 'port_in_use', hint: 'pick another with --port N (0 = any free port)' })
          : new CliError(`cannot listen on ${opts.host}:${opts.port}: ${err.message}`, { cause: err }),
      );
    });
    server.listen(opts.port, opts.host, () => resolve());
  });
  server.on('error', opts.onInternalError);
  const { port } = server.address() as AddressInfo;
  const host = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    localOrigin: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      }),
  };
}

function route(
  req: IncomingMessage,
  res: ServerResponse,
  opts: { path: string; handle: (r: InboundRequest) => Reply | Promise<Reply>; onInternalError: (err: unknown) => void },
): void {
  const url = req.url ?? '/';
  const pathname = url.split('?')[0];
  if (pathname !== opts.path) return drain(req, res, { status: 404, body: 'not found\n' });
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    return drain(req, res, { status: 405, body: 'method not allowed: use POST\n' });
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    return drain(req, res, { status: 415, body: 'unsupported media type: expected application/x-www-form-urlencoded\n' });
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
      const form = parseForm(Buffer.concat(chunks).toString('utf8'));
      r = opts.handle({ url, headers: req.headers, form, remoteAddress: req.socket.remoteAddress ?? null });
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

/** application/x-www-form-urlencoded -> fields; a repeated key becomes an array, in order. */
export function parseForm(body: string): Form {
  const form: Form = Object.create(null);
  for (const [k, v] of new URLSearchParams(body)) {
    const prev = form[k];
    form[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return form;
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
