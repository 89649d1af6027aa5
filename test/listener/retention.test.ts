import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ListenSession } from '../../src/listener/session.js';
import { applyRetention, openStore } from '../../src/store/index.js';
import { tempHome } from '../helpers/cli.js';
import { storeEvent } from '../helpers/events.js';

test('retention also runs while a long listen is up (hourly; a short interval here): old events go, recent ones stay', async () => {
  const h = tempHome();
  const store = openStore(h.env);
  try {
    const config = store.configs.insert({
      name: 'ret',
      fromNumber: '+15005550006',
      accountSid: 'AC' + '3'.repeat(32),
      authMethod: 'auth-token',
      apiKeySid: null,
      secretSource: 'env',
      apiUrl: null,
    });
    const pruned: number[] = [];
    const session = new ListenSession({
      store,
      config,
      authToken: null,
      skipVerify: true,
      host: '127.0.0.1',
      port: 0,
      tunnel: { kind: 'none' },
      twilio: null,
      now: () => new Date(),
      apiUrl: null,
      productionUrl: () => null,
      retention: () => applyRetention(store.events, { FRUXON_TWILIO_RETENTION_DAYS: '30' }),
      retentionIntervalMs: 100,
      hooks: { onPruned: (n) => pruned.push(n) },
    });
    await session.start();
    try {
      // Recorded after the start: only a retention run while listening removes them.
      const old = new Date(Date.now() - 31 * 86_400_000).toISOString();
      const fresh = new Date().toISOString();
      store.events.recordBatch([
        storeEvent(1, { configId: config.id, receivedAt: old }),
        storeEvent(2, { configId: config.id, receivedAt: old }),
        storeEvent(3, { configId: config.id, receivedAt: fresh }),
      ]);
      const deadline = Date.now() + 5000;
      while (pruned.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(pruned, [2]);
      assert.deepEqual(
        store.events.list({ configId: config.id }).map((e) => e.receivedAt),
        [fresh],
      );
    } finally {
      await session.stop();
    }
  } finally {
    store.close();
    h.cleanup();
  }
});
