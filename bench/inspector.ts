import { request } from 'node:http';
import { join } from 'node:path';
import { median, round, tempDir } from './common.js';
import { benchHome, runLoad, startListener } from './listener.js';

/**
 * The inspector's cost: listener throughput with the inspector on and a page streaming its events (an SSE
 * client reading /api/stream) against `--no-inspect`, in alternating runs; and the first page's time to
 * load on loopback (the HTML, its script and style, and the state the script asks for).
 */
export async function inspectorOverhead(opts: {
  seconds: number;
  warmup: number;
  connections: number;
  rounds: number;
  log: (m: string) => void;
}) {
  const home = tempDir('fruxon-bench-inspector-');
  const tag = Date.now().toString(16).slice(-6);
  try {
    const env = await benchHome(join(home.dir, 'home'));
    const off: number[] = [];
    const on: number[] = [];
    let streamed = 0;
    const pageMs: number[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      for (const inspect of [false, true]) {
        const l = await startListener(
          env,
          join(home.dir, `events-${r}-${inspect}.jsonl`),
          [],
          inspect ? ['--inspect-port', '0'] : ['--no-inspect'],
        );
        let stream: { close(): void; bytes(): number } | null = null;
        try {
          if (inspect) {
            const m = /Inspector: http:\/\/127\.0\.0\.1:(\d+)\/\?token=(\S+)/.exec(
              await waitFor(l.stderrTail, /Inspector: \S+/),
            )!;
            const port = Number(m[1]);
            const cookie = await login(port, m[2]!);
            if (r === 0) for (let i = 0; i < 20; i++) pageMs.push(await firstPage(port, cookie, m[2]!));
            stream = openStream(port, cookie, m[2]!);
          }
          opts.log(
            `inspector: listen ${inspect ? 'with the inspector streaming' : '--no-inspect'}, round ${r + 1}/${opts.rounds}…`,
          );
          await runLoad({
            url: l.url,
            signedUrl: l.url,
            amount: opts.warmup,
            connections: opts.connections,
            runTag: `${tag}i${r}${Number(inspect)}w`,
          });
          const res = await runLoad({
            url: l.url,
            signedUrl: l.url,
            durationS: opts.seconds,
            connections: opts.connections,
            runTag: `${tag}i${r}${Number(inspect)}`,
          });
          (inspect ? on : off).push(res.rps);
          if (stream) streamed += stream.bytes();
        } finally {
          stream?.close();
          await l.stop();
        }
      }
    }
    return {
      rps_no_inspect: round(median(off), 0),
      rps_inspector_streaming: round(median(on), 0),
      ratio: round(median(on) / median(off), 3),
      streamed_bytes: streamed,
      first_page_ms_median: round(median(pageMs), 2),
      first_page_ms_max: round(Math.max(...pageMs), 2),
    };
  } finally {
    home.cleanup();
  }
}

async function waitFor(tail: () => string, re: RegExp): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const m = re.exec(tail());
    if (m) return m[0];
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${re} on the listener's stderr: ${tail()}`);
}

function get(
  port: number,
  path: string,
  cookie?: string,
  token?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = {
      host: `127.0.0.1:${port}`,
      ...(cookie && { cookie }),
      ...(token && { 'x-fruxon-inspector-token': token }),
    };
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function login(port: number, token: string): Promise<string> {
  const r = await get(port, `/?token=${token}`);
  return String((r.headers['set-cookie'] as string[])[0]).split(';')[0]!;
}

/** The page, its assets and its first API call (which, like the page, sends the token the URL carried). */
async function firstPage(port: number, cookie: string, token: string): Promise<number> {
  const t0 = performance.now();
  const page = await get(port, '/', cookie);
  const [js, css, state] = await Promise.all([
    get(port, '/app.js', cookie),
    get(port, '/app.css', cookie),
    get(port, '/api/state', cookie, token),
  ]);
  if ([page, js, css, state].some((r) => r.status !== 200)) throw new Error('the inspector did not serve its page');
  return performance.now() - t0;
}

function openStream(port: number, cookie: string, token: string): { close(): void; bytes(): number } {
  let n = 0;
  const req = request(
    { host: '127.0.0.1', port, path: `/api/stream?token=${token}`, headers: { host: `127.0.0.1:${port}`, cookie } },
    (res) => res.on('data', (d: Buffer) => (n += d.length)),
  );
  req.on('error', () => undefined);
  req.end();
  return { close: () => req.destroy(), bytes: () => n };
}
