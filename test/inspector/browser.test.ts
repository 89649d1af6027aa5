import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type CliChildProcess, runCliChildProcess, stopAllCliRuns } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER, PHONE } from '../helpers/fixtures.js';
import { jsonLines, startListen } from '../helpers/listen.js';
import { type InspectorUrl, inspectorUrl } from './helpers.js';

/** Debian's chromium (test/run.sh installs it); without the background-networking flags it dials out and stalls here. */
async function launch(profile: string): Promise<BrowserContext> {
  // A fresh profile directory each run (playwright-core takes it as userDataDir, not as --user-data-dir).
  return chromium.launchPersistentContext(profile, {
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
}

describe('inspector in a real browser (headless chromium)', () => {
  let f: EmulatorFixture;
  let p: CliChildProcess;
  let i: InspectorUrl;
  let browser: BrowserContext;
  let page: Page;
  let profile: string;
  let listenUrl = '';
  const errors: string[] = [];
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os' });
    ({ p, url: listenUrl } = await startListen(f, ['--inspect-port', '0', '--json', '--check-missed', '1']));
    i = await inspectorUrl(p);
    profile = mkdtempSync(join(tmpdir(), 'fruxon-inspector-chromium-'));
    browser = await launch(profile);
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(i.url);
    await page.locator('#live', { hasText: 'live' }).waitFor();
  });
  after(async () => {
    await browser?.close();
    await stopAllCliRuns();
    await f.cleanup();
    rmSync(profile, { recursive: true, force: true });
  });

  test('the token left the address bar; a simulated message appears in the list and its conversation without reload', async () => {
    assert.equal(page.url(), `${i.origin}/`);
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const r = await runCliChildProcess(
      ['simulate', '--from', PHONE, '--body', 'hi <b>agent</b> from the browser test'],
      {
        env: f.env,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const row = page.locator('#list .row', { hasText: 'hi <b>agent</b> from the browser test' });
    await row.waitFor({ timeout: 5000 });
    assert.equal(await page.locator('#list b').count(), 0, 'message text is text, never markup');
    assert.equal(await page.evaluate(() => (window as unknown as { marker: number }).marker), 42, 'no reload');
    await page.click('#nav-conversations');
    const conv = page.locator('#list .row', { hasText: PHONE });
    await conv.waitFor();
    assert.match((await conv.locator('.ch').textContent())!, /SMS/);
    await conv.click();
    await page.locator('#thread .bubble.in', { hasText: 'from the browser test' }).waitFor();
  });

  test('the detail shows the trigger payload, the raw form and the signature verdict', async () => {
    await page.click('#nav-events');
    await page.locator('#list .row', { hasText: 'from the browser test' }).click();
    const pre = page.locator('#payload');
    await pre.waitFor();
    const envelope = JSON.parse((await pre.textContent())!);
    const [printed] = jsonLines(p.stdout);
    assert.deepEqual(envelope, printed, 'the same envelope listen printed');
    assert.equal(envelope.payload.text, 'hi <b>agent</b> from the browser test');
    const main = (await page.locator('#main').textContent())!;
    assert.match(main, /Signature\s*valid \(checked against http:\/\/127\.0\.0\.1:\d+\/webhooks\/twilio\//);
    assert.match(main, /MessageSid/);
    assert.match(main, /x-twilio-signature/);
  });

  test("a reply from the page goes out from our number on the conversation's channel, and its delivered status appears", async () => {
    // Through the emulator, not `simulate`: the contact's message opens WhatsApp's 24-hour window for the reply.
    const inbound = await f.emulator.deliverInbound({
      from: PHONE,
      to: OUR_NUMBER,
      whatsapp: true,
      profileName: 'Dana',
      body: 'wa hello',
    });
    assert.equal(inbound.outcome, 'delivered');
    await page.click('#nav-conversations');
    const wa = page.locator('#list .row', { hasText: 'Dana' });
    await wa.waitFor();
    assert.equal(await wa.locator('.ch.whatsapp').count(), 1, 'WhatsApp told apart from SMS');
    await wa.click();
    await page.fill('form.reply textarea', 'answer on whatsapp');
    await page.press('form.reply textarea', 'Control+Enter');
    const bubble = page.locator('#thread .bubble.out', { hasText: 'answer on whatsapp' });
    await bubble.waitFor();
    await bubble.locator('[data-status="delivered"], [data-status="read"]').waitFor({ timeout: 10_000 });
    const sent = f.emulator.messages().find((m) => m.body === 'answer on whatsapp')!;
    assert.equal(sent.to, `whatsapp:${PHONE}`);
    assert.equal(sent.from, `whatsapp:${OUR_NUMBER}`);
    assert.match(
      sent.statusCallback!,
      /^http:\/\/127\.0\.0\.1:\d+\/webhooks\/twilio\//,
      "the listener's status-callback URL",
    );
    assert.equal(jsonLines(p.stdout).length, 2, 'status callbacks fire no trigger');
  });

  test('replay with a new MessageSid fires a new event, shown live', async () => {
    await page.click('#nav-events');
    const before = await page.locator('#list .row').count();
    await page.locator('#list .row', { hasText: 'wa hello' }).first().click();
    await page.locator('#payload').waitFor();
    await page.getByRole('button', { name: 'Replay with new MessageSid' }).click();
    await page.locator('#main .result.ok', { hasText: '200' }).waitFor();
    await page.waitForFunction((n) => document.querySelectorAll('#list .row').length === n + 1, before);
    const lines = jsonLines(p.stdout);
    assert.equal(lines.length, 3);
    assert.equal(lines[2].payload.text, 'wa hello');
    assert.notEqual(lines[2].payload.message_sid, lines[1].payload.message_sid);
  });

  test('a forged request shows in Refused with its reason', async () => {
    assert.equal(
      (await runCliChildProcess(['simulate', '--from', '+14155550999', '--bad-signature'], { env: f.env })).code,
      1,
    );
    await page.click('#nav-refused');
    const row = page.locator('#list .row', { hasText: '+14155550999' });
    await row.waitFor();
    assert.match((await row.textContent())!, /refused: invalid_signature/);
    await row.click();
    await page.locator('#main', { hasText: 'Refused because' }).waitFor();
    assert.match((await page.locator('#main').textContent())!, /invalid_signature: X-Twilio-Signature does not match/);
    assert.deepEqual(errors, [], 'no script error or CSP violation');
  });

  test('the route panel gives the status-callback URL, and shows a missed message as it is found, once, without reload', async () => {
    const line = (await page.locator('#route').textContent())!;
    assert.ok(line.includes(`; status callbacks: send --status-callback ${listenUrl}`), line);
    assert.equal(await page.locator('#route li').count(), 0, 'nothing missed yet');
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 43));
    f.emulator.setSmsUrl(OUR_NUMBER, 'http://127.0.0.1:9/elsewhere'); // someone changes it in the Console meanwhile
    try {
      await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'lost <i>on the way</i>' });
      const sid = f.emulator.messages().find((m) => m.body === 'lost <i>on the way</i>')!.sid;
      const warning = page.locator('#route li', { hasText: sid });
      await warning.waitFor({ timeout: 15_000 });
      assert.match(
        (await warning.textContent())!,
        new RegExp(
          `^⚠ Twilio logged an inbound message ${sid} to \\${OUR_NUMBER} at .+ that never reached this listener; took it: the number's SmsUrl PN\\w+; run fruxon-twilio webhook show$`,
        ),
      );
      assert.equal(
        await page.evaluate(() => (window as unknown as { marker: number }).marker),
        43,
        'pushed live, no reload',
      );
      await p.waitFor(new RegExp(`inbound message ${sid} .* never reached this listener`));
      await new Promise((r) => setTimeout(r, 2500)); // two more rounds of the check
      assert.equal(await page.locator('#route li').count(), 1, 'warned once');
      await page.reload();
      await page.locator('#route li', { hasText: sid }).waitFor();
      assert.equal(await page.locator('#route li').count(), 1, 'kept in the state for a page opened later');
      assert.deepEqual(errors, [], 'no script error or CSP violation');
    } finally {
      f.emulator.setSmsUrl(OUR_NUMBER, listenUrl);
    }
  });
});
