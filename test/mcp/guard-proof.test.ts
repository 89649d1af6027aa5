import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkSend, sendPolicy } from '../../src/mcp/guard.js';
import { openStore, type Store } from '../../src/store/index.js';
import { createTwilioClient } from '../../src/twilio/client.js';
import { storeEvent } from '../helpers/events.js';
import { type EmulatorFixture, emulatorWithConfig } from '../helpers/fixtures.js';
import { memoryKeychain } from '../helpers/keychains.js';

// What proves that a number wrote to the config's number, so send_message may answer it (issue 28, item 4): an
// accepted event whose signature was checked and valid, and that this server did not make up itself.
describe('mcp send_message: what counts as "wrote to the number"', () => {
  let f: EmulatorFixture;
  let store: Store;
  const deps = () => ({ store, env: f.env, secrets: () => f.secrets, twilio: createTwilioClient });
  const event = (i: number, from: string, over: Parameters<typeof storeEvent>[1] = {}) =>
    store.events.record(storeEvent(i, { configId: f.configId, configName: f.configName, fromNumber: from, ...over }));

  before(async () => {
    f = await emulatorWithConfig({ keychain: memoryKeychain() });
    store = openStore(f.env);
  });
  after(async () => {
    store?.close();
    await f?.cleanup();
  });

  test('a signed event from the number allows it', async () => {
    event(1, '+14155550181');
    const policy = sendPolicy();
    await checkSend(deps(), policy, { to: '+14155550181' });
    assert.equal(policy.sent, 1);
  });

  test('an event accepted without a valid signature (listen --skip-verify) proves nothing', async () => {
    event(2, '+14155550182', { signatureValid: null });
    event(3, '+14155550182', { signatureValid: false });
    const policy = sendPolicy();
    await assert.rejects(checkSend(deps(), policy, { to: '+14155550182' }), /never wrote to the config's number/);
    assert.equal(policy.sent, 0);
  });

  test("a message this server simulated proves nothing; the same number's real message still does", async () => {
    const simulated = event(4, '+14155550183');
    const policy = sendPolicy();
    policy.simulated.add(store.events.byId(simulated.id)!.messageSid!);
    await assert.rejects(checkSend(deps(), policy, { to: '+14155550183' }), /never wrote to the config's number/);
    event(5, '+14155550183');
    await checkSend(deps(), policy, { to: '+14155550183' });
    assert.equal(policy.sent, 1);
  });

  test('two sends that wait on the lookups together cannot both take the last one', async () => {
    event(6, '+14155550184');
    const policy = sendPolicy({ maxSends: 1 });
    const results = await Promise.allSettled([
      checkSend(deps(), policy, { to: '+14155550184' }),
      checkSend(deps(), policy, { to: '+14155550184' }),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected'],
    );
    assert.equal(policy.sent, 1);
  });
});
