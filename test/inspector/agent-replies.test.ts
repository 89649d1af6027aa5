import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { MAGIC_NUMBERS } from '../../src/emulator/magic.js';
import { LocalAgent, orderDesk } from '../helpers/agent.js';
import { type CliChildProcess, stopAllCliRuns } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER, PHONE } from '../helpers/fixtures.js';
import { startListen } from '../helpers/listen.js';
import {
  type HeadlessChromium,
  type InspectorUrl,
  inspectorUrl,
  launchHeadlessChromium,
  openInspectorPage,
} from './helpers.js';

// Issue 27 item 4 in the inspector: the agent answers through the official `twilio` client (not through this
// tool) while `listen` runs; each reply is in its conversation, under the message it answers, with its status
// and error.
describe("inspector: the agent's replies in the conversations (headless chromium)", () => {
  let f: EmulatorFixture;
  let p: CliChildProcess;
  let i: InspectorUrl;
  let agent: LocalAgent;
  let chromium: HeadlessChromium;
  let page: Page;
  const errors: string[] = [];
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os' });
    agent = await LocalAgent.start(f.emulator, orderDesk);
    ({ p } = await startListen(f, ['--inspect-port', '0', '--forward-to', agent.url, '--check-missed', '0']));
    i = await inspectorUrl(p);
    chromium = await launchHeadlessChromium('chromium');
    ({ page } = chromium);
    await openInspectorPage(page, i.url, errors);
  });
  after(async () => {
    await chromium?.close();
    await stopAllCliRuns();
    await agent?.stop();
    await f.cleanup();
  });

  test('a delivered reply follows its message in the conversation, marked as the agent’s', async () => {
    await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'where is order #31?' });
    await page.click('#nav-conversations');
    await page.locator('#list .row', { hasText: PHONE }).click();
    const out = page.locator('#thread .bubble.out', { hasText: 'Your order #31 shipped yesterday.' });
    await out.waitFor({ timeout: 20_000 });
    await out.locator('[data-status="delivered"]').waitFor({ timeout: 20_000 });
    assert.match((await out.textContent())!, /agent \(API\)/);
    const bubbles = await page.locator('#thread .bubble').allTextContents();
    const q = bubbles.findIndex((b) => b.includes('where is order #31?'));
    const a = bubbles.findIndex((b) => b.includes('Your order #31 shipped yesterday.'));
    assert.ok(q >= 0 && a === q + 1, `the reply right after its message: ${JSON.stringify(bubbles)}`);
    assert.equal(await out.getAttribute('data-sid'), agent.replies[0]);
    assert.deepEqual(errors, []);
  });

  test('an undelivered reply shows its status, error code and fix', async () => {
    const from = MAGIC_NUMBERS.undeliveredUnreachable;
    await f.emulator.deliverInbound({ from, to: OUR_NUMBER, body: 'order #32?' });
    await page.click('#nav-conversations');
    await page.locator('#list .row', { hasText: from }).click();
    const out = page.locator('#thread .bubble.out', { hasText: 'Your order #32 shipped yesterday.' });
    await out.locator('[data-status="undelivered"]').waitFor({ timeout: 20_000 });
    const text = (await out.textContent())!;
    assert.match(text, /undelivered \(error 30003\)/);
    assert.match(text, /fix: /);
    assert.deepEqual(errors, []);
  });
});
