import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import type { CliDeps } from '../../src/commands/context.js';
import { openStore } from '../../src/store/index.js';
import { createTwilioClient } from '../../src/twilio/client.js';
import { tempHome } from '../helpers/cli.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';

// The keychain this file's in-process runs are handed (in memory: no child process reads it).
const testKeychain = memoryKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

test("demo in-process: its store comes from the context's opener (on a throwaway directory, never the user's) and its client from the Twilio factory", async () => {
  const h = tempHome();
  try {
    const homes: string[] = [];
    const clients: string[] = [];
    const deps: CliDeps = {
      openStore: (env) => {
        homes.push(env.FRUXON_TWILIO_HOME!);
        return openStore(env);
      },
      twilio: (creds, opts) => {
        clients.push(creds.apiUrl ?? 'twilio');
        return createTwilioClient(creds, opts);
      },
      secrets: () => assert.fail('the demo needs no secret store'),
    };
    const r = await runCliInProcess(['demo', '--json'], { env: h.env, deps, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 3, 'two envelopes and the sent message');
    assert.equal(homes.length, 1, 'one store, opened through the handed-in opener');
    assert.match(homes[0]!, /fruxon-twilio-demo-/);
    assert.notEqual(homes[0], h.home);
    assert.equal(existsSync(homes[0]!), false, 'the throwaway directory is removed');
    assert.equal(existsSync(h.home), false, "the user's data directory was never touched");
    assert.equal(clients.length, 1, 'one Twilio client, from the handed-in factory');
    assert.match(clients[0]!, /^http:\/\/127\.0\.0\.1:\d+/, "pointed at the demo's emulator");
  } finally {
    h.cleanup();
  }
});
