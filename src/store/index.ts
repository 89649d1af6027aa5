import { ConfigRepo } from './configs.js';
import { openDb, schemaVersion, type Db } from './db.js';
import { LeaseRepo } from './leases.js';

export { webhookPath, type Config, type NewConfig, type ConfigChanges, type AuthMethod, type SecretSource } from './configs.js';
export { isLeaseAlive, type Lease } from './leases.js';
export { dataDir, DB_FILE } from './paths.js';
export { schemaVersion, type Db } from './db.js';

/** The local store: one SQLite file, one repository per table. */
export interface Store {
  db: Db;
  dir: string;
  file: string;
  configs: ConfigRepo;
  leases: LeaseRepo;
  schemaVersion(): number;
  close(): void;
}

export function openStore(env: NodeJS.ProcessEnv = process.env): Store {
  const { db, dir, file } = openDb(env);
  return {
    db,
    dir,
    file,
    configs: new ConfigRepo(db),
    leases: new LeaseRepo(db),
    schemaVersion: () => schemaVersion(db),
    close: () => db.close(),
  };
}
