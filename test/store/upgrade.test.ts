import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { secretAccount } from '../../src/secrets/index.js';
import { backupFile, openStore } from '../../src/store/index.js';
import { migrations } from '../../src/store/migrations.js';
import { DB_FILE } from '../../src/store/paths.js';
import { type Db, openSqlite } from '../../src/store/sqlite.js';
import { tempHome } from '../helpers/cli.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';

// Every schema the project has shipped, built from the migration list itself (migrations 1..N on a fresh file),
// with a config, participants, events, Fruxon rows, status events and a lease of a crashed listener wherever the
// schema has a place for them; then upgraded by a real command run, row by row intact, and the lease still
// puts the production webhook back (`restore`, against the emulator).

const keychain = memoryKeychain();
const { runCliInProcess: runCli } = inProcessCliWith(keychain);
const keychainSet = (account: string, value: string) => keychain.set(account, value);

const CURRENT = migrations.length;
const TABLES = ['configs', 'leases', 'events', 'participants', 'fruxon_accounts', 'fruxon_links', 'status_events'];

/** The pid of a process that has ended (the crashed listener a lease names). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  assert.equal(r.status, 0);
  return r.pid!;
}

const phoneFor = (v: number) => `+150055516${String(v).padStart(2, '0')}`;
const ourUrlFor = (v: number) => `https://tunnel-${v}.ngrok.test/twilio/sms`;
const productionFor = (v: number) => `https://api.fruxon.test/v1/webhooks/twilio/whk_v${v}_${'s'.repeat(24)}`;

function tablesOf(db: Db): string[] {
  return (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[])
    .map((r) => r.name)
    .filter((n) => TABLES.includes(n));
}

/** Every row of every table the schema has, with every column it had then. */
function snapshot(db: Db): Record<string, Record<string, unknown>[]> {
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const t of tablesOf(db)) out[t] = db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all() as never;
  return out;
}

/** The same rows read from an upgraded store, restricted to the columns the old schema had. */
function sameColumns(
  db: Db,
  before: Record<string, Record<string, unknown>[]>,
): Record<string, Record<string, unknown>[]> {
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const [t, rows] of Object.entries(before)) {
    const all = db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all() as Record<string, unknown>[];
    const cols = rows[0] ? Object.keys(rows[0]) : [];
    out[t] = all.map((r) => Object.fromEntries(cols.map((c) => [c, r[c]])));
  }
  return out;
}

/**
 * A store at schema `v` as that release left it, in `home`: the rows each table of that schema has. Returns
 * the config's id (the lease, when the schema has leases, names the emulator number of this version).
 */
function buildStore(home: string, v: number, emu: Emulator, numberSid: string): string {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const db = openSqlite(join(home, DB_FILE));
  try {
    db.pragma('journal_mode = WAL');
    for (const m of migrations.slice(0, v)) db.exec(m);
    db.pragma(`user_version = ${v}`);
    const id = randomUUID();
    const t = '2026-01-02T03:04:05.000Z';
    db.prepare(
      `INSERT INTO configs (id, name, from_number, account_sid, auth_method, secret_source, api_url, is_default, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'auth-token', 'keychain', ?, 1, ?, ?)`,
    ).run(id, `support-v${v}`, phoneFor(v), emu.accountSid, emu.url, t, t);
    keychainSet(secretAccount(id), emu.authToken);
    // From 5 on, the production URL is a keychain secret and the row keeps only its masked form.
    if (v >= 5) {
      db.prepare(`UPDATE configs SET webhook_url_hint = ? WHERE id = ?`).run('https://api.fruxon.test/…whk_v', id);
      keychainSet(secretAccount(id, 'webhook-url'), productionFor(v));
    }
    if (v >= 2) {
      // Before 6 a lease kept the URL to put back itself; from 6 on, a flag standing for the recorded production URL.
      db.prepare(
        `INSERT INTO leases (config_id, number_sid, phone_number, previous_sms_url, previous_sms_method, our_url, pid, hostname, started_at)
         VALUES (?, ?, ?, ?, 'POST', ?, ?, ?, ?)`,
      ).run(id, numberSid, phoneFor(v), v >= 6 ? null : productionFor(v), ourUrlFor(v), deadPid(), hostname(), t);
      if (v >= 6) db.prepare(`UPDATE leases SET previous_is_production = 1 WHERE config_id = ?`).run(id);
    }
    if (v >= 3) {
      const insert = db.prepare(
        `INSERT INTO events (config_id, config_name, received_at, status, reason, message_sid, channel, from_number, body, signature_valid, raw_form, headers, payload, forward_url, forward_status, forward_ms)
         VALUES (?, ?, ?, ?, ?, ?, 'sms', '+14155550123', ?, 1, ?, '{}', ?, ?, ?, ?)`,
      );
      insert.run(
        id,
        `support-v${v}`,
        t,
        'accepted',
        null,
        `SM${'a'.repeat(31)}${v % 10}`,
        'hello',
        '{"Body":"hello"}',
        '{"text":"hello"}',
        'http://127.0.0.1:9/agent',
        200,
        12.5,
      );
      insert.run(id, `support-v${v}`, t, 'refused', 'bad_signature', null, null, '{}', null, null, null, null);
      if (v >= 10)
        db.prepare(
          `UPDATE events SET remote_address = '203.0.113.9', body_excerpt = 'Body=x' WHERE status = 'refused'`,
        ).run();
    }
    if (v >= 4) {
      db.prepare(
        `INSERT INTO participants (id, name, phone, whatsapp, config_id, created_at) VALUES (?, ?, ?, 1, ?, ?)`,
      ).run(randomUUID(), 'Ada', '+14155550123', id, t);
      db.prepare(`INSERT INTO participants (id, name, phone, created_at) VALUES (?, ?, ?, ?)`).run(
        randomUUID(),
        'Grace',
        '+14155550124',
        t,
      );
    }
    if (v >= 8) {
      db.prepare(
        `INSERT INTO fruxon_accounts (tenant, api_url, is_default, subject, scopes, logged_in_at) VALUES ('umbrella', NULL, 1, 'ada@umbrella.test', '["agents:read"]', ?)`,
      ).run(t);
      db.prepare(
        `INSERT INTO fruxon_links (config_id, tenant, fruxon_config_id, webhook_key_prefix, linked_at, updated_at) VALUES (?, 'umbrella', 'fx-cfg-1', 'whk_v', ?, ?)`,
      ).run(id, t, t);
    }
    if (v >= 12) {
      db.prepare(
        `INSERT INTO status_events (config_id, config_name, received_at, message_sid, status, error_code, to_address, from_address) VALUES (?, ?, ?, ?, 'undelivered', 30003, '+14155550123', ?)`,
      ).run(id, `support-v${v}`, t, `SM${'b'.repeat(32)}`, phoneFor(v));
    }
    return id;
  } finally {
    db.close();
  }
}

function readVersion(file: string): number {
  const db = openSqlite(file, { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

describe('a store of every shipped schema upgrades to the current one, every row and the lease intact', () => {
  let emu: Emulator;
  const homes: ReturnType<typeof tempHome>[] = [];
  const versions = Array.from({ length: CURRENT }, (_, i) => i + 1);

  before(async () => {
    emu = await startEmulator({
      statusDelayMs: 1,
      retryDelaysMs: [],
      numbers: [],
      topology: { numbers: versions.map((v) => ({ phone_number: phoneFor(v), sms_url: ourUrlFor(v) })) } as never,
    });
  });
  after(async () => {
    await emu.stop();
    for (const h of homes) h.cleanup();
  });

  test('the list covers every schema from the first one', () => {
    assert.ok(CURRENT >= 13, `${CURRENT} migrations`);
    assert.deepEqual(
      versions,
      [...Array(CURRENT).keys()].map((i) => i + 1),
    );
  });

  for (const v of versions) {
    test(`schema ${v}${v === CURRENT ? ' (current: nothing to upgrade, no copy)' : ''}`, async () => {
      const h = tempHome();
      homes.push(h);
      const file = join(h.home, DB_FILE);
      const sid = emu.getNumber(phoneFor(v))!.sid;
      const id = buildStore(h.home, v, emu, sid);
      const old = openSqlite(file, { readonly: true });
      const before = snapshot(old);
      old.close();
      assert.equal(before.configs!.length, 1);

      // A real command opens (and upgrades) it: one line on stderr says so and names the copy; --json stays JSON.
      const listed = await runCli(['configs', 'list', '--json'], { env: h.env });
      assert.equal(listed.code, 0, listed.stderr);
      assert.deepEqual(
        JSON.parse(listed.stdout).map((c: { name: string }) => c.name),
        [`support-v${v}`],
      );
      const bak = backupFile(file, v);
      if (v === CURRENT) {
        assert.equal(listed.stderr, '');
        assert.ok(!existsSync(bak));
      } else {
        const lines = listed.stderr.trim().split('\n');
        assert.equal(lines.length, 1, listed.stderr);
        assert.equal(
          lines[0],
          `upgraded the local store from schema ${v} to ${CURRENT}; the previous one is kept at ${bak} until the next successful run`,
        );
        assert.equal(statSync(bak).mode & 0o777, 0o600);
        // The copy is the store as it was: its schema and every row.
        assert.equal(readVersion(bak), v);
        const copy = openSqlite(bak, { readonly: true });
        try {
          assert.deepEqual(snapshot(copy), before);
        } finally {
          copy.close();
        }
      }

      // Every row survived, every column the old schema had unchanged.
      const store = openStore(h.env);
      try {
        assert.equal(store.schemaVersion(), CURRENT);
        assert.equal(store.upgrade, null, 'upgraded once only');
        assert.deepEqual(sameColumns(store.db, before), before);
        if (v >= 2) {
          const lease = store.leases.get(id)!;
          assert.equal(lease.layer, 'number');
          assert.equal(lease.ourUrl, ourUrlFor(v));
          assert.equal(lease.restoring, null);
          assert.equal(lease.previousIsProduction, v >= 6);
          assert.equal(lease.previousSmsUrl, v >= 6 ? null : productionFor(v));
        }
      } finally {
        store.close();
      }

      // The crashed listener's lease puts the production webhook back.
      const restored = await runCli(['restore', '--json'], { env: h.env });
      assert.equal(restored.code, 0, restored.stderr);
      const outcomes = JSON.parse(restored.stdout);
      if (v < 2) {
        assert.deepEqual(outcomes, []);
        assert.equal(emu.getNumber(phoneFor(v))!.smsUrl, ourUrlFor(v), 'no lease: nothing touched');
      } else {
        assert.deepEqual(
          outcomes.map((o: { config: string; action: string }) => [o.config, o.action]),
          [[`support-v${v}`, 'restored']],
        );
        assert.equal(emu.getNumber(phoneFor(v))!.smsUrl, productionFor(v));
        const after = openStore(h.env);
        try {
          assert.equal(after.leases.get(id), undefined);
        } finally {
          after.close();
        }
      }
      // That run succeeded on the upgraded store: the copy is gone.
      assert.deepEqual(
        readdirSync(h.home).filter((n) => n.endsWith('.bak')),
        [],
      );
    });
  }
});

describe('a migration that fails', () => {
  test('leaves the store as it was, and the error names the copy', async () => {
    const h = tempHome();
    try {
      mkdirSync(h.home, { recursive: true, mode: 0o700 });
      const file = join(h.home, DB_FILE);
      const from = 10; // migration 11 applies, then 12 fails (whatever CURRENT is: later migrations never run)
      const db = openSqlite(file);
      db.pragma('journal_mode = WAL');
      for (const m of migrations.slice(0, from)) db.exec(m);
      db.pragma(`user_version = ${from}`);
      db.prepare(
        `INSERT INTO configs (id, name, from_number, account_sid, auth_method, secret_source, created_at, updated_at) VALUES ('c1', 'plain', '+15005550006', 'AC${'0'.repeat(32)}', 'auth-token', 'keychain', 'x', 'x')`,
      ).run();
      // What migration 12 creates, already there: that migration fails half-way through the upgrade.
      db.exec(`CREATE TABLE status_events (id INTEGER PRIMARY KEY)`);
      const before = snapshot(db);
      db.close();

      const r = await runCli(['configs', 'list'], { env: h.env });
      assert.equal(r.code, 1);
      const bak = backupFile(file, from);
      assert.match(
        r.stderr,
        new RegExp(
          `error: could not upgrade the store ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} from schema ${from} to ${CURRENT}: .*status_events`,
        ),
      );
      assert.ok(r.stderr.includes(`the store is unchanged, and a copy of it is kept at ${bak}`), r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');

      // Untouched: its schema version and rows, and the migration before the failing one rolled back too.
      assert.equal(readVersion(file), from);
      const check = openSqlite(file, { readonly: true });
      try {
        assert.deepEqual(snapshot(check), before);
        const leaseColumns = (check.prepare(`PRAGMA table_info(leases)`).all() as { name: string }[]).map(
          (c) => c.name,
        );
        assert.ok(!leaseColumns.includes('layer'), 'migration 11 rolled back with 12');
      } finally {
        check.close();
      }
      assert.equal(statSync(bak).mode & 0o777, 0o600);
      assert.equal(readVersion(bak), from);

      // A failed run removes nothing: the copy is still there.
      const again = await runCli(['configs', 'list'], { env: h.env });
      assert.equal(again.code, 1);
      assert.ok(existsSync(bak));
    } finally {
      h.cleanup();
    }
  });
});

describe('the copy an upgrade keeps', () => {
  test('outlives the upgrading run and a failed one; the next successful run removes it; doctor says so too', async () => {
    const h = tempHome();
    try {
      mkdirSync(h.home, { recursive: true, mode: 0o700 });
      const file = join(h.home, DB_FILE);
      const from = CURRENT - 1;
      const db = openSqlite(file);
      db.pragma('journal_mode = WAL');
      for (const m of migrations.slice(0, from)) db.exec(m);
      db.pragma(`user_version = ${from}`);
      db.close();
      const bak = backupFile(file, from);

      // doctor opens the store itself: it too says that it upgraded it.
      const doctor = await runCli(['doctor', '--json'], { env: h.env });
      assert.ok(doctor.stderr.includes(`upgraded the local store from schema ${from} to ${CURRENT}`), doctor.stderr);
      assert.equal(JSON.parse(doctor.stdout).checks.find((c: { name: string }) => c.name === 'schema').ok, true);
      assert.ok(existsSync(bak), 'kept after the upgrading run');

      const failed = await runCli(['configs', 'show', 'nope'], { env: h.env });
      assert.equal(failed.code, 1);
      assert.ok(existsSync(bak), 'kept after a failed run');

      const ok = await runCli(['configs', 'list', '--json'], { env: h.env });
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stderr, '');
      assert.ok(!existsSync(bak), 'removed by the next successful run');
    } finally {
      h.cleanup();
    }
  });
});
