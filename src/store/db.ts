import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
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
export function openDb(env: NodeJS.ProcessEnv = process.env): { db: Db; dir: string; file: string } {
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
  migrate(db, file);
  return { db, dir, file };
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: Db, file: string): void {
  const current = schemaVersion(db);
  if (current > migrations.length) {
    throw new CliError(
      `the store ${file} has schema version ${current}, newer than this fruxon-twilio knows (${migrations.length})`,
      {
        hint: 'upgrade fruxon-twilio, or point FRUXON_TWILIO_HOME at another folder',
      },
    );
  }
  if (current === migrations.length) return;
  db.transaction(() => {
    // Read again under the write lock: another process may have migrated since.
    for (let v = schemaVersion(db); v < migrations.length; v++) db.exec(migrations[v]!);
    db.pragma(`user_version = ${migrations.length}`);
  }).immediate();
}
