import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type CliChildProcess, runCliChildProcess, stopAllCliRuns } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, PHONE } from '../helpers/fixtures.js';
import { jsonLines, startListen } from '../helpers/listen.js';
import { inspectorUrl } from './helpers.js';

/** What would reorder or hide text on the page: bidi overrides, embeddings, isolates; C0 (but newline), DEL, C1. */
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const BODY = 'bidi:\u202eevil.exe\u202c isolate:\u2067abc\u2069 csi:\u009b31m del:\u007f';
const SHOWN = String.raw`bidi:\u202eevil.exe\u202c isolate:\u2067abc\u2069 csi:\u009b31m del:\u007f`;
const NAME = 'Dana\u202eevil';

describe('inspector: bidi and control characters in outside text are shown escaped (headless chromium)', () => {
  let f: EmulatorFixture;
  let p: CliChildProcess;
  let browser: BrowserContext;
  let page: Page;
  let profile: string;
  const errors: string[] = [];
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os' });
    ({ p } = await startListen(f, ['--inspect-port', '0', '--json']));
    const i = await inspectorUrl(p);
    profile = mkdtempSync(join(tmpdir(), 'fruxon-inspector-bidi-'));
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
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(i.url);
    await page.locator('#live', { hasText: 'live' }).waitFor();
  });
  after(async () => {
    await browser?.close();
    await stopAllCliRuns();
    await f?.cleanup();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  /** Every text node and attribute value on the page. */
  const everything = () =>
    page.evaluate(() => {
      const out: string[] = [];
      const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
      for (let n: Node | null = walk.currentNode; n; n = walk.nextNode()) {
        if (n.nodeType === Node.TEXT_NODE) out.push(n.nodeValue ?? '');
        else for (const a of Array.from((n as Element).attributes)) out.push(a.value);
      }
      return out.join('\n');
    });

  test('the list, the conversation, the detail (text, payload, raw form) and the names: escaped everywhere, the payload still exact JSON', async () => {
    const r = await runCliChildProcess(
      ['simulate', '--from', PHONE, '--whatsapp', '--profile-name', NAME, '--body', BODY],
      {
        env: f.env,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    // The event list.
    const row = page.locator('#list .row', { hasText: 'evil.exe' });
    await row.waitFor({ timeout: 10_000 });
    assert.ok((await row.textContent())!.includes(SHOWN), (await row.textContent())!);
    // Before: the characters went onto the page as they are, and 'bidi:\u202eevil.exe' read as 'bidi:exe.live'.
    assert.doesNotMatch(await everything(), UNSAFE);

    // The conversation list (the sender's name) and its thread.
    await page.click('#nav-conversations');
    const conv = page.locator('#list .row', { hasText: 'Dana' });
    await conv.waitFor();
    assert.ok((await conv.textContent())!.includes(String.raw`Dana\u202eevil`));
    await conv.click();
    const bubble = page.locator('#thread .bubble.in', { hasText: 'evil.exe' });
    await bubble.waitFor();
    assert.ok((await bubble.textContent())!.includes(SHOWN));
    assert.doesNotMatch(await everything(), UNSAFE);

    // The detail: the Text row, the trigger payload, the raw form.
    await page.click('#nav-events');
    await page.locator('#list .row', { hasText: 'evil.exe' }).click();
    const pre = page.locator('#payload');
    await pre.waitFor();
    const envelope = JSON.parse((await pre.textContent())!);
    assert.deepEqual(envelope, jsonLines(p.stdout)[0], 'the payload shown is still the exact envelope listen printed');
    assert.equal(envelope.payload.text, BODY);
    const main = (await page.locator('#main').textContent())!;
    assert.ok(main.includes(`Text${SHOWN}`), main);
    assert.ok(main.includes(`ProfileName${String.raw`Dana\u202eevil`}`), main);
    assert.doesNotMatch(await everything(), UNSAFE);
    assert.deepEqual(errors, [], 'no script error or CSP violation');
  });
});
