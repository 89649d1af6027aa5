import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
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

/** A headless chromium on its own fresh profile directory, and its first page. */
export interface HeadlessChromium {
  browser: BrowserContext;
  page: Page;
  /** Closes the browser and removes its profile directory (for `after` hooks). */
  close(): Promise<void>;
}

/**
 * Starts Debian's chromium (test/run.sh installs it) headless on a fresh profile directory named after `name`
 * (playwright-core takes it as userDataDir, not as --user-data-dir). Without the background-networking flags
 * it dials out and stalls.
 */
export async function launchHeadlessChromium(name: string): Promise<HeadlessChromium> {
  const profile = mkdtempSync(join(tmpdir(), `fruxon-inspector-${name}-`));
  const removeProfile = () => rmSync(profile, { recursive: true, force: true });
  let browser: BrowserContext;
  try {
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  } catch (err) {
    removeProfile();
    throw err;
  }
  const page = browser.pages()[0] ?? (await browser.newPage());
  return {
    browser,
    page,
    close: async () => {
      await browser.close();
      removeProfile();
    },
  };
}

/**
 * Opens the inspector at `url` (the token URL listen printed) in `page`, its uncaught errors and console errors
 * collected into `errors`, and waits until the page says its stream is live.
 */
export async function openInspectorPage(page: Page, url: string, errors: string[]): Promise<void> {
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(url);
  await page.locator('#live', { hasText: 'live' }).waitFor();
}
