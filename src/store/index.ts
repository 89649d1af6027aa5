import { ConfigRepo } from './configs.js';
import { openDb, schemaVersion, type Db } from './db.js';
import { EventRepo } from './events.js';
import { FruxonRepo } from './fruxon.js';
import { LeaseRepo } from './leases.js';
import { ParticipantRepo } from './participants.js';

export { webhookPath, type Config, type NewConfig, type ConfigChanges, type AuthMethod, type SecretSource } from './configs.js';
export { isBeingRestored, isLeaseAlive, sameLease, type Lease, type LeaseLayer, type LeasedUrl, type LeasedValues, type RestoreClaim, type RestoreToProductionResult } from './leases.js';
export type { StoredEvent, NewEvent, EventStatus, EventQuery } from './events.js';
export { applyRetention, retentionDays, DEFAULT_RETENTION_DAYS, RETENTION_ENV } from './events.js';
export type { Participant, NewParticipant } from './participants.js';
export type { FruxonAccount, FruxonLink } from './fruxon.js';
export { dataDir, DB_FILE } from './paths.js';
export { schemaVersion, type Db } from './db.js';

/** The local store: one SQLite file, one repository per table. */
export interface Store {
  db: Db;
  dir: string;
  file: string;
  configs: ConfigRepo;
  leases: LeaseRepo;
  events: EventRepo;
  participants: ParticipantRepo;
  /** Fruxon tenants logged in to, and which Fruxon config each local config is linked to. */
  fruxon: FruxonRepo;
  schemaVersion(): number;
  close(): void;
}

export interface StoreOptions {
  /** The clock of the times the store writes (created/updated, lease start, login, link); default: the system clock. */
  now?: () => Date;
}

export function openStore(env: NodeJS.ProcessEnv = process.env, opts: StoreOptions = {}): Store {
  const { db, dir, file } = openDb(env);
  const now = opts.now ?? (() => new Date());
  return {
    db,
    dir,
    file,
    configs: new ConfigRepo(db, now),
    leases: new LeaseRepo(db, now),
    events: new EventRepo(db),
    participants: new ParticipantRepo(db, now),
    fruxon: new FruxonRepo(db, now),
    schemaVersion: () => schemaVersion(db),
    close: () => db.close(),
  };
}
