import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isBeingRestored, openStore } from '../../src/store/index.js';
import { migrations } from '../../src/store/migrations.js';
import { DB_FILE } from '../../src/store/paths.js';
import { openSqlite } from '../../src/store/sqlite.js';
import { tempHome } from '../helpers/cli.js';

// A restore claims the lease before it reads what to put back; `link` (restoreToProduction) refuses a lease a
// live restore has claimed, so nothing it records can be lost between that read and the release.

const h = tempHome();
after(() => h.cleanup());

/** The pid of a process that has ended. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  assert.equal(r.status, 0);
  return r.pid!;
}

test('a lease written before migration 13 reads as unclaimed, and claims, refusals and take-overs work on it', () => {
  // A store at schema 12 with a lease in it, as the previous release left it.
  mkdirSync(h.home, { recursive: true, mode: 0o700 });
  const old = openSqlite(join(h.home, DB_FILE));
  for (const m of migrations.slice(0, 12)) old.exec(m);
  old.pragma('user_version = 12');
  old
    .prepare(
      `INSERT INTO configs (id, name, from_number, account_sid, auth_method, secret_source, created_at, updated_at) VALUES ('c1', 'plain', '+15005550006', 'AC${'0'.repeat(32)}', 'auth-token', 'keychain', 'x', 'x')`,
    )
    .run();
  old
    .prepare(
      `INSERT INTO leases (config_id, number_sid, phone_number, previous_sms_url, previous_sms_method, our_url, pid, hostname, started_at) VALUES ('c1', 'PN1', '+15005550006', 'https://old.example/sms', 'POST', 'https://tunnel.example/w', ?, ?, '2026-01-01T00:00:00.000Z')`,
    )
    .run(deadPid(), hostname());
  old.close();

  const store = openStore(h.env);
  try {
    assert.equal(store.schemaVersion(), migrations.length);
    const lease = store.leases.get('c1')!;
    assert.equal(lease.restoring, null);
    assert.equal(lease.previousSmsUrl, 'https://old.example/sms');
    assert.equal(isBeingRestored(lease), false);

    // Claimed by a live process (this one): link's mark is refused, and the lease is left exactly as the restore read it.
    const claim = store.leases.claimRestore('c1');
    assert.equal(claim.claimed, true);
    assert.ok(claim.claimed && claim.lease.restoring);
    assert.deepEqual(
      { pid: claim.lease.restoring.pid, hostname: claim.lease.restoring.hostname },
      { pid: process.pid, hostname: hostname() },
    );
    assert.equal(store.leases.restoreToProduction('c1'), 'restoring');
    assert.equal(store.leases.get('c1')!.previousSmsUrl, 'https://old.example/sms', 'not marked');
    assert.equal(store.leases.get('c1')!.previousIsProduction, false);
    // Another live process's claim is not taken (the parent of this test runs on this machine).
    const other = store.leases.claimRestore('c1', process.ppid);
    assert.equal(other.claimed, false);
    assert.equal(other.lease?.restoring?.pid, process.pid);

    // The restore failed and kept the lease: its claim is dropped, and link marks the lease as before.
    store.leases.unclaimRestore('c1');
    assert.equal(store.leases.get('c1')!.restoring, null);
    assert.equal(store.leases.restoreToProduction('c1'), 'marked');
    assert.equal(store.leases.get('c1')!.previousIsProduction, true);
    assert.equal(store.leases.get('c1')!.previousSmsUrl, null);

    // A restorer that died mid-restore holds nothing: link marks the lease, the next restore takes the claim over.
    const dead = deadPid();
    assert.equal(store.leases.claimRestore('c1', dead).claimed, true);
    assert.equal(isBeingRestored(store.leases.get('c1')!), false);
    assert.equal(store.leases.restoreToProduction('c1'), 'marked');
    const taken = store.leases.claimRestore('c1', process.ppid);
    assert.equal(taken.claimed, true);
    assert.equal(taken.claimed && taken.lease.restoring?.pid, process.ppid);
    store.leases.unclaimRestore('c1', process.pid);
    assert.equal(store.leases.get('c1')!.restoring?.pid, process.ppid, "only the claimer's own claim is dropped");
    store.leases.unclaimRestore('c1', process.ppid);

    // Another listen's lease taken since counts as gone for a mark that expects the one it judged.
    assert.equal(
      store.leases.restoreToProduction('c1', { pid: lease.pid, startedAt: '2026-02-02T00:00:00.000Z' }),
      'gone',
    );
    assert.equal(store.leases.restoreToProduction('c1', lease), 'marked');

    store.leases.release('c1');
    assert.deepEqual(store.leases.claimRestore('c1'), { claimed: false, lease: null });
    assert.equal(store.leases.restoreToProduction('c1'), 'gone');
  } finally {
    store.close();
  }
});
