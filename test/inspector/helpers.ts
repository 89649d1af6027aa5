import { request } from 'node:http';
import type { RunningCli } from '../helpers/cli.js';

export interface InspectorUrl {
  url: string;
  origin: string;
  port: number;
  token: string;
}

/** The `Inspector: …` line a listen (or inspect) printed on stderr. */
export async function inspectorUrl(p: RunningCli): Promise<InspectorUrl> {
  const m = await p.waitFor(/Inspector: (http:\/\/127\.0\.0\.1:(\d+))\/\?token=([A-Za-z0-9_-]+)/);
  return { url: m[0].slice('Inspector: '.length), origin: m[1]!, port: Number(m[2]), token: m[3]! };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request (fetch will not let a test set Host); for the stream, the first chunk only. */
export function get(
  port: number,
  path: string,
  opts: {
    host?: string;
    cookie?: string;
    /** The page's copy of the token: sent as the page sends it (a header; `?token=` on the stream). */
    token?: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    stream?: boolean;
  } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: opts.token && path === '/api/stream' ? `${path}?token=${opts.token}` : path,
        method: opts.method ?? 'GET',
        headers: {
          host: opts.host ?? `127.0.0.1:${port}`,
          ...(opts.cookie && { cookie: opts.cookie }),
          ...(opts.token && path !== '/api/stream' && { 'x-fruxon-inspector-token': opts.token }),
          ...opts.headers,
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
          if (opts.stream && res.statusCode === 200) {
            resolve({ status: res.statusCode, headers: res.headers, body });
            req.destroy();
          }
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Trades the URL's token for the session cookie, as the browser does on the first visit. */
export async function login(i: InspectorUrl): Promise<string> {
  const r = await get(i.port, `/?token=${i.token}`);
  if (r.status !== 303) throw new Error(`login: HTTP ${r.status}`);
  const set = String((r.headers['set-cookie'] as string[])[0]);
  return set.split(';')[0]!;
}
