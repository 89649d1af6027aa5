import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { type CliChildProcess, closedPort, stopAllCliRuns } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER, PHONE } from '../helpers/fixtures.js';
import { startListen } from '../helpers/listen.js';
import { type HeadlessChromium, inspectorUrl, launchHeadlessChromium, openInspectorPage } from './helpers.js';

// Issue 27 item 2: the inspector's route panel shows the number's webhook alerts of the last 24 h.
describe("inspector: the route panel's webhook alerts, and what --catch-up recovered (headless chromium)", () => {
  let f: EmulatorFixture;
  let p: CliChildProcess;
  let chromium: HeadlessChromium;
  let page: Page;
  let down = '';
  let lost = '';
  const errors: string[] = [];
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os' });
    // The agent was down before this listen: Twilio logged an alert about the number's webhook.
    down = `http://127.0.0.1:${await closedPort()}/agent-down`;
    f.emulator.setSmsUrl(OUR_NUMBER, down, 'POST');
    lost = (await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'nobody home' })).messageSid;
    ({ p } = await startListen(f, ['--inspect-port', '0', '--check-missed', '0', '--catch-up']));
    chromium = await launchHeadlessChromium('chromium');
    ({ page } = chromium);
    await openInspectorPage(page, (await inspectorUrl(p)).url, errors);
  });
  after(async () => {
    await chromium?.close();
    await stopAllCliRuns();
    await f.cleanup();
  });

  test('the count, the latest alert with its message and URL, and its fix', async () => {
    const line = page.locator('#route #webhook-alerts');
    await line.waitFor({ timeout: 20_000 });
    const text = (await line.textContent())!;
    assert.match(
      text,
      /^⚠ 1 webhook alert in the last 24 h; the latest at [^:]+:\d\d(:\d\d)?( [AP]M)?: Twilio could not deliver /,
    );
    assert.ok(text.includes(`deliver ${lost} to ${down}`), text);
    assert.match(text, /\(112\d\d\); fix: .*redeliver /);
    assert.deepEqual(errors, []);
  });

  test('the message --catch-up fed is in the list, tagged recovered', async () => {
    const row = page.locator('#list .row', { hasText: 'nobody home' });
    await row.waitFor({ timeout: 20_000 });
    assert.equal(await row.locator('.tag', { hasText: 'recovered' }).count(), 1);
    // After a reload too (the page's state reads the event's kept header).
    await page.reload();
    await page.locator('#list .row', { hasText: 'nobody home' }).locator('.tag', { hasText: 'recovered' }).waitFor();
  });
});
