import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../errors.js';
import { migrations } from './migrations.js';
import { DB_FILE, dataDir } from './paths.js';
import { type Db, openSqlite } from './sqlite.js';

export type { Db };

/**
 * Opens (creating when needed) the store in the data directory: directory 0700, file 0600, WAL,
 * foreign keys on, and the schema migrated to the newest version in one transaction.
 */
export function openDb(env: NodeJS.ProcessEnv = process.env): {
  db: Db;
  dir: string;
  file: string;
  upgrade: StoreUpgrade | null;
} {
  const dir = dataDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
  const file = join(dir, DB_FILE);
  const fresh = !existsSync(file);
  let db: Db;
  try {
    db = openSqlite(file);
  } catch (err) {
    if (err instanceof CliError) throw err;
    if ((err as { code?: unknown }).code === 'SQLITE_BUSY') {
      throw new CliError(`the store ${file} is being upgraded by another fruxon-twilio`, {
        hint: 'try again in a moment',
        reason: 'store_busy',
        cause: err,
      });
    }
    throw new CliError(`cannot open the store ${file}: ${(err as Error).message}`, {
      hint: 'check the permissions of the data directory, or set FRUXON_TWILIO_HOME to another folder',
      cause: err,
    });
  }
  if (fresh) chmodSync(file, 0o600);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL'); // with WAL: durable across process crashes, which is what a listener needs
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // SQLite's own default page cache (2 MB); better-sqlite3 builds with 16 MB, which a long-running listener
  // fills with pages of a growing event log it never reads again (most of its memory growth under load).
  // Inserts touch the ends of the table and its indexes: the benchmarks show no cost.
  db.pragma('cache_size = -2000');
  // Deleted rows are overwritten, not left in free pages: a released lease held the number's previous
  // webhook URL, which can be a production URL with a secret key (test/reliability/secrets.test.ts).
  db.pragma('secure_delete = ON');
  let upgrade: StoreUpgrade | null;
  try {
    upgrade = migrate(db, file);
  } catch (err) {
    db.close();
    throw err;
  }
  return { db, dir, file, upgrade };
}

/**
 * What opening the store did to an older one: the schema it had, the one it has now, and the copy of the
 * old file kept beside it until the next successful run. The store never prints: the command says it (one line).
 */
export interface StoreUpgrade {
  from: number;
  to: number;
  /** `fruxon-twilio.db.v<from>.bak` in the data directory (mode 0600). */
  backup: string;
}

/** The file an upgrade from schema `version` copies the store to before it migrates. */
export function backupFile(file: string, version: number): string {
  return `${file}.v${version}.bak`;
}

const BACKUP = /^fruxon-twilio\.db\.v\d+\.bak$/;

/**
 * Removes the copies earlier upgrades kept (`fruxon-twilio.db.v<N>.bak`): called after a successful run on a
 * store that needed no upgrade, i.e. the upgraded store has worked once. Returns the paths removed.
 */
export function removeUpgradeBackups(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!BACKUP.test(name)) continue;
    const path = join(dir, name);
    rmSync(path, { force: true });
    removed.push(path);
  }
  return removed;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the schema to the newest version in one IMMEDIATE transaction. A store that has data (version > 0)
 * is first copied to `backupFile(file, version)`, under the same write lock, so the copy is exactly what the
 * migrations start from. A failed migration rolls back (the store is left as it was) and the error names the copy.
 */
function migrate(db: Db, file: string): StoreUpgrade | null {
  const current = schemaVersion(db);
  if (current > migrations.length) {
    throw new CliError(
      `the store ${file} has schema version ${current}, newer than this fruxon-twilio knows (${migrations.length})`,
      {
        hint: 'upgrade fruxon-twilio, or point FRUXON_TWILIO_HOME at another folder',
      },
    );
  }
  if (current === migrations.length) return null;
  let from = current;
  let backup: string | null = null;
  try {
    db.transaction(() => {
      // Read again under the write lock: another process may have migrated since.
      from = schemaVersion(db);
      if (from === migrations.length) return;
      if (from > 0) backup = copyStore(file, from);
      for (let v = from; v < migrations.length; v++) db.exec(migrations[v]!);
      db.pragma(`user_version = ${migrations.length}`);
    }).immediate();
  } catch (err) {
    if (err instanceof CliError) throw err;
    if ((err as { code?: unknown }).code === 'SQLITE_BUSY') {
      throw new CliError(`the store ${file} is being upgraded by another fruxon-twilio`, {
        hint: 'try again in a moment',
        reason: 'store_busy',
        cause: err,
      });
    }
    throw new CliError(
      `could not upgrade the store ${file} from schema ${from} to ${migrations.length}: ${(err as Error).message}`,
      {
        hint: backup
          ? `the store is unchanged, and a copy of it is kept at ${backup}; please report this as a bug`
          : 'the store is unchanged; please report this as a bug',
        reason: 'store_upgrade',
        cause: err,
      },
    );
  }
  return backup ? { from, to: migrations.length, backup } : null;
}

/**
 * Copies the store as it is now to `backupFile(file, version)`, mode 0600 from its creation. Called while this
 * connection holds the write lock: a second, read-only connection writes the copy (`VACUUM INTO` reads a
 * consistent snapshot, WAL included; it cannot run inside the first connection's transaction).
 */
function copyStore(file: string, version: number): string {
  const backup = backupFile(file, version);
  try {
    rmSync(backup, { force: true }); // a copy left by an earlier failed upgrade from the same version
    writeFileSync(backup, '', { mode: 0o600, flag: 'wx' }); // VACUUM INTO fills an empty file, keeping its mode
    const reader = openSqlite(file, { readonly: true, fileMustExist: true });
    try {
      reader.prepare('VACUUM INTO ?').run(backup);
    } finally {
      reader.close();
    }
    chmodSync(backup, 0o600);
  } catch (err) {
    rmSync(backup, { force: true });
    throw new CliError(`could not copy the store ${file} to ${backup} before upgrading it: ${(err as Error).message}`, {
      hint: 'the store is unchanged; check the free space and permissions of the data directory',
      reason: 'store_upgrade',
      cause: err,
    });
  }
  return backup;
}
