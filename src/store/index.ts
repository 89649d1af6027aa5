import { ConfigRepo } from './configs.js';
import { type Db, openDb, removeUpgradeBackups, type StoreUpgrade, schemaVersion } from './db.js';
import { EventRepo } from './events.js';
import { FruxonRepo } from './fruxon.js';
import { LeaseRepo } from './leases.js';
import { ParticipantRepo } from './participants.js';

export {
  type AuthMethod,
  type Config,
  type ConfigChanges,
  type NewConfig,
  type SecretSource,
  webhookPath,
} from './configs.js';
export { backupFile, type Db, removeUpgradeBackups, type StoreUpgrade, schemaVersion } from './db.js';
export type { EventQuery, EventStatus, NewEvent, StoredEvent } from './events.js';
export { applyRetention, DEFAULT_RETENTION_DAYS, RETENTION_ENV, retentionDays } from './events.js';
export type { FruxonAccount, FruxonLink } from './fruxon.js';
export {
  isBeingRestored,
  isLeaseAlive,
  type Lease,
  type LeasedUrl,
  type LeasedValues,
  type LeaseLayer,
  type RestoreClaim,
  type RestoreToProductionResult,
  sameLease,
} from './leases.js';
export type { NewParticipant, Participant } from './participants.js';
export { DB_FILE, dataDir } from './paths.js';

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
  /** Set when this open upgraded an older store: the command says so in one line (`upgradeNote`). */
  upgrade: StoreUpgrade | null;
  /** After a successful run on a store this open did not upgrade: drops the copies earlier upgrades kept. */
  dropUpgradeBackups(): string[];
  close(): void;
}

/** The one line a command prints (on stderr) when opening the store upgraded it. */
export function upgradeNote(u: StoreUpgrade): string {
  return `upgraded the local store from schema ${u.from} to ${u.to}; the previous one is kept at ${u.backup} until the next successful run`;
}

export interface StoreOptions {
  /** The clock of the times the store writes (created/updated, lease start, login, link); default: the system clock. */
  now?: () => Date;
}

export function openStore(env: NodeJS.ProcessEnv = process.env, opts: StoreOptions = {}): Store {
  const { db, dir, file, upgrade } = openDb(env);
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
    upgrade,
    dropUpgradeBackups: () => (upgrade ? [] : removeUpgradeBackups(dir)),
    close: () => db.close(),
  };
}
