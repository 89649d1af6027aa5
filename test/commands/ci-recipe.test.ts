import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readmeBlock, runRecipe, safeRead } from '../helpers/readme.js';

test("the README's CI smoke recipe runs as written: listen --json --once receives the sent message", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fruxon-twilio-ci-'));
  try {
    // The README's CI smoke script, exactly as written there.
    const { code, output } = await runRecipe(dir, readmeBlock('ci-smoke', 'sh'), 60_000);
    assert.equal(code, 0, output + '\n' + safeRead(join(dir, 'listen.log')));
    const event = JSON.parse(readFileSync(join(dir, 'event.json'), 'utf8'));
    assert.equal(event.trigger, 'twilio.message.received');
    assert.equal(event.payload.text, 'smoke test');
    assert.equal(JSON.parse(readFileSync(join(dir, 'sent.json'), 'utf8')).status, 'delivered');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
