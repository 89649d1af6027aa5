import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type CliChildProcess, runCliChildProcess, stopAllCliRuns } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, PHONE } from '../helpers/fixtures.js';
import { startListen } from '../helpers/listen.js';
import { get, type InspectorUrl, inspectorUrl } from './helpers.js';

describe("inspector: another server on 127.0.0.1 gets nothing that opens the inspector's API (headless chromium)", () => {
  let f: EmulatorFixture;
  let p: CliChildProcess;
  let i: InspectorUrl;
  let browser: BrowserContext;
  let page: Page;
  let profile: string;
  let other: Server;
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os' });
    ({ p } = await startListen(f, ['--inspect-port', '0', '--json']));
    i = await inspectorUrl(p);
    // A developer's other local server (a dev server, another user's process): it records what the browser sends it.
    other = createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>another local server</title><p>hello</p>');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    profile = mkdtempSync(join(tmpdir(), 'fruxon-inspector-other-port-'));
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
    page = browser.pages()[0] ?? (await browser.newPage());
  });
  after(async () => {
    await browser?.close();
    other?.close();
    await stopAllCliRuns();
    await f?.cleanup();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  test('the page works; what the browser then sends another port (its cookie) opens neither the API nor the stream', async () => {
    assert.equal(
      (await runCliChildProcess(['simulate', '--from', PHONE, '--body', 'private conversation'], { env: f.env })).code,
      0,
    );
    await page.goto(i.url);
    await page.locator('#live', { hasText: 'live' }).waitFor();
    await page.locator('#list .row', { hasText: 'private conversation' }).waitFor({ timeout: 10_000 });
    assert.equal(page.url(), `${i.origin}/`, 'the token left the address bar');
    // A reload keeps working: the page keeps its token for this origin (port included) only.
    await page.reload();
    await page.locator('#list .row', { hasText: 'private conversation' }).waitFor({ timeout: 10_000 });

    const port = (other.address() as AddressInfo).port;
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.locator('text=hello').waitFor();
    const got = seen.at(-1)!;
    const cookie = String(got.headers.cookie ?? '');
    // Cookies are not scoped by port: the other server does get the inspector's cookie...
    assert.match(cookie, new RegExp(`fruxon_inspector_${i.port}=`));
    // ...but never the token, in any header or the URL,
    assert.equal(JSON.stringify(seen).includes(i.token), false);
    // and with everything it got, the API, the stream and the actions stay shut. Before: the cookie was the token.
    for (const path of ['/api/state', '/api/stream', '/api/events/1']) {
      assert.equal((await get(i.port, path, { cookie, stream: true })).status, 403, path);
    }
    const reply = await get(i.port, '/api/reply', {
      method: 'POST',
      cookie,
      headers: { 'content-type': 'application/json', 'x-fruxon-inspector': '1' },
      body: JSON.stringify({ to: PHONE, channel: 'sms', body: 'sent by another local server' }),
    });
    assert.equal(reply.status, 403);
    assert.equal(
      f.emulator.messages().some((m) => m.body === 'sent by another local server'),
      false,
      'nothing was sent',
    );
    // The inspector's own origin is another matter: its page (this tab) still reads the log...
    await page.goto(`${i.origin}/`);
    await page.locator('#list .row', { hasText: 'private conversation' }).waitFor({ timeout: 10_000 });
    // ...while a new tab, which has the cookie but not the token, reads nothing and says how to get in.
    const tab = await browser.newPage();
    await tab.goto(`${i.origin}/`);
    await tab
      .locator('#main', { hasText: 'this page has no token: open the inspector through the URL listen printed' })
      .waitFor();
    assert.equal(await tab.locator('#list .row').count(), 0);
    await tab.close();
  });
});
