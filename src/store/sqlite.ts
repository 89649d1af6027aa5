import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { CliError } from '../errors.js';

/**
 * The one place that knows which SQLite driver runs. Both speak better-sqlite3's API:
 * - Node 22 and newer: better-sqlite3 13, whose N-API binaries ship inside the npm package (no compiler,
 *   no download). better-sqlite3 12 aborts the process on Node 24.19+ (`Statement::~Statement()` finalizes
 *   a statement after its environment is gone: `Assertion failed: (env) != nullptr`).
 * - Node 20: better-sqlite3 12 under the alias `better-sqlite3-node20`, built from source by
 *   bin/install-sqlite-driver.js when `npm ci` runs on Node 20 (13 segfaults there).
 * Everything else imports the `Db` type and `openSqlite` from here, never the driver itself.
 */
export type Db = BetterSqlite3.Database;
export type Statement = BetterSqlite3.Statement;
export type SqliteDatabaseConstructor = typeof BetterSqlite3;

export const NODE20_DRIVER = 'better-sqlite3-node20';

/** The driver's package name for a Node.js major version. */
export function sqliteDriverFor(nodeMajor: number): string {
  return nodeMajor >= 22 ? 'better-sqlite3' : NODE20_DRIVER;
}

let ctor: SqliteDatabaseConstructor | undefined;

/** The driver's Database constructor, loaded once, synchronously (the store's opener is synchronous). */
export function sqliteDriver(): SqliteDatabaseConstructor {
  if (ctor) return ctor;
  const name = sqliteDriverFor(Number(process.versions.node.split('.')[0]));
  try {
    ctor = createRequire(import.meta.url)(name) as SqliteDatabaseConstructor;
  } catch (err) {
    throw new CliError(`the SQLite driver for Node.js ${process.versions.node} (${name}) is not installed`, {
      hint: `run npm ci (or npm rebuild) with this Node.js, which installs it`,
      cause: err,
    });
  }
  return ctor;
}

/** Opens a SQLite file with the driver for this Node.js. */
export function openSqlite(file: string, options?: BetterSqlite3.Options): Db {
  const Database = sqliteDriver();
  return new Database(file, options);
}
