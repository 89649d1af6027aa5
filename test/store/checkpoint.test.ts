import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { backgroundCheckpoints } from '../../src/store/checkpoint.js';
import { openStore, type Store } from '../../src/store/index.js';
import { openSqlite } from '../../src/store/sqlite.js';
import { tempHome } from '../helpers/cli.js';
import { storeEvent } from '../helpers/events.js';

/** An event of about 1 KB, so that a few thousand make a WAL of several megabytes. */
const event = (i: number) =>
  storeEvent(i, { body: 'x'.repeat(200), rawForm: { Body: 'x'.repeat(200) }, payload: { text: 'x'.repeat(200) } });

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('background WAL checkpoints', () => {
  let h: ReturnType<typeof tempHome>;
  let store: Store;
  before(() => {
    h = tempHome();
    store = openStore(h.env);
  });
  after(() => {
    store.close();
    h.cleanup();
  });
  const walBytes = () => statSync(store.file + '-wal').size;
  const autocheckpoint = () => store.db.pragma('wal_autocheckpoint', { simple: true });
  let next = 0;
  const write = (n: number) => {
    for (let i = 0; i < n; i += 50) store.events.recordBatch(Array.from({ length: 50 }, () => event(next++)));
  };

  test('a worker checkpoints while writes come in, then truncates the WAL and leaves; the next write starts it again', async () => {
    const cp = backgroundCheckpoints(store, { everyMs: 25, idleMs: 300 });
    try {
      assert.equal(cp.running, false, 'no thread before the first write');
      cp.writing();
      assert.equal(cp.running, true);
      assert.equal(autocheckpoint(), 0, "the store's connection leaves checkpoints to the worker");
      write(2000);
      assert.ok(walBytes() > 1_000_000, `the WAL holds the writes (${walBytes()} bytes)`);

      await until('the idle worker leaves', () => !cp.running);
      assert.equal(walBytes(), 0, 'the WAL file is truncated once everything is copied');
      assert.equal(autocheckpoint(), 1000, 'without a worker the connection checkpoints by itself again');
      const other = openSqlite(store.file, { readonly: true });
      try {
        assert.equal(
          (other.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n,
          2000,
          'nothing lost',
        );
      } finally {
        other.close();
      }

      cp.writing();
      assert.equal(cp.running, true, 'a new write starts a worker again');
      write(500);
      await cp.stop();
      assert.equal(cp.running, false);
      assert.equal(autocheckpoint(), 1000);
      cp.writing();
      assert.equal(cp.running, false, 'no worker after stop()');
      assert.equal(store.events.count(), 2500);
    } finally {
      await cp.stop();
    }
  });
});
