import { randomUUID } from 'node:crypto';
import type { Db } from './db.js';

export type AuthMethod = 'auth-token' | 'api-key';
export type SecretSource = 'keychain' | 'env';

export interface Config {
  id: string;
  name: string;
  fromNumber: string;
  accountSid: string;
  authMethod: AuthMethod;
  apiKeySid: string | null;
  secretSource: SecretSource;
  /** REST base URL override: a local stand-in for Twilio (the emulator or a test double). */
  apiUrl: string | null;
  /** The masked production webhook URL (origin + a few characters of its key), when one is recorded in the keychain. */
  webhookUrlHint: string | null;
  /** Twilio's region (ie1, au1…) and edge (dublin, sydney…) of the account; null: US1 (TWILIO_REGION/TWILIO_EDGE win). */
  region?: string | null;
  edge?: string | null;
  isDefault: boolean;
  createdAt: string;
  updatedAt: string;
}

export type NewConfig = Omit<Config, 'id' | 'createdAt' | 'updatedAt' | 'isDefault' | 'webhookUrlHint'> & {
  isDefault?: boolean;
  webhookUrlHint?: string | null;
};

/** The fields `configs set` may change. */
export type ConfigChanges = Partial<Pick<Config, 'name' | 'fromNumber' | 'apiUrl' | 'webhookUrlHint'>>;

interface Row {
  id: string;
  name: string;
  from_number: string;
  account_sid: string;
  auth_method: AuthMethod;
  api_key_sid: string | null;
  secret_source: SecretSource;
  api_url: string | null;
  webhook_url_hint: string | null;
  region?: string | null;
  edge?: string | null;
  is_default: number;
  created_at: string;
  updated_at: string;
}

function fromRow(r: Row): Config {
  return {
    id: r.id,
    name: r.name,
    fromNumber: r.from_number,
    accountSid: r.account_sid,
    authMethod: r.auth_method,
    apiKeySid: r.api_key_sid,
    secretSource: r.secret_source,
    apiUrl: r.api_url,
    webhookUrlHint: r.webhook_url_hint ?? null,
    region: r.region ?? null,
    edge: r.edge ?? null,
    isDefault: r.is_default === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The path a config's webhook is served on: derived from its id, one webhook per config as in Fruxon. */
export function webhookPath(config: Pick<Config, 'id'>): string {
  return `/webhooks/twilio/${config.id}`;
}

export class ConfigRepo {
  readonly #db: Db;
  readonly #now: () => Date;

  constructor(db: Db, now: () => Date = () => new Date()) {
    this.#db = db;
    this.#now = now;
  }

  list(opts: { limit?: number; offset?: number } = {}): Config[] {
    const rows = this.#db
      .prepare('SELECT * FROM configs ORDER BY name COLLATE NOCASE LIMIT ? OFFSET ?')
      .all(opts.limit ?? -1, opts.offset ?? 0) as Row[];
    return rows.map(fromRow);
  }

  count(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM configs').get() as { n: number }).n;
  }

  byName(name: string): Config | undefined {
    const r = this.#db.prepare('SELECT * FROM configs WHERE name = ?').get(name) as Row | undefined;
    return r && fromRow(r);
  }

  byId(id: string): Config | undefined {
    const r = this.#db.prepare('SELECT * FROM configs WHERE id = ?').get(id) as Row | undefined;
    return r && fromRow(r);
  }

  /**
   * `byId` once any write in progress has ended: a BEGIN IMMEDIATE waits (busy_timeout) for another
   * connection's write transaction. `configs remove` deletes the keychain entry inside its transaction,
   * before the commit, so a secret found missing is told apart from a removed config only after that.
   */
  byIdAfterWrites(id: string): Config | undefined {
    return this.#db.transaction(() => this.byId(id)).immediate();
  }

  defaultConfig(): Config | undefined {
    const r = this.#db.prepare('SELECT * FROM configs WHERE is_default = 1').get() as Row | undefined;
    return r && fromRow(r);
  }

  /**
   * Inserts a config. The first config becomes the default; `isDefault` moves the default to it.
   * `beforeCommit` runs inside the transaction (e.g. writing the keychain entry), so that a failure
   * there leaves no row behind.
   */
  insert(c: NewConfig, beforeCommit?: (config: Config) => void): Config {
    const now = this.#now().toISOString();
    const id = randomUUID();
    return this.#db
      .transaction(() => {
        const first = this.count() === 0;
        const makeDefault = first || Boolean(c.isDefault);
        if (makeDefault) this.#db.prepare('UPDATE configs SET is_default = 0 WHERE is_default = 1').run();
        this.#db
          .prepare(
            `INSERT INTO configs (id, name, from_number, account_sid, auth_method, api_key_sid, secret_source, api_url, webhook_url_hint, region, edge, is_default, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            id,
            c.name,
            c.fromNumber,
            c.accountSid,
            c.authMethod,
            c.apiKeySid,
            c.secretSource,
            c.apiUrl,
            c.webhookUrlHint ?? null,
            c.region ?? null,
            c.edge ?? null,
            makeDefault ? 1 : 0,
            now,
            now,
          );
        const config = this.byId(id)!;
        beforeCommit?.(config);
        return config;
      })
      .immediate();
  }

  setDefault(id: string): void {
    this.#db
      .transaction(() => {
        this.#db.prepare('UPDATE configs SET is_default = 0 WHERE is_default = 1').run();
        this.#db
          .prepare('UPDATE configs SET is_default = 1, updated_at = ? WHERE id = ?')
          .run(this.#now().toISOString(), id);
      })
      .immediate();
  }

  /** Changes some fields of a config and returns it as saved. A name taken by another config fails with SQLITE_CONSTRAINT_UNIQUE. */
  update(id: string, changes: ConfigChanges): Config {
    const columns: Record<keyof ConfigChanges, string> = {
      name: 'name',
      fromNumber: 'from_number',
      apiUrl: 'api_url',
      webhookUrlHint: 'webhook_url_hint',
    };
    const keys = (Object.keys(changes) as (keyof ConfigChanges)[]).filter((k) => changes[k] !== undefined);
    const sets = [...keys.map((k) => `${columns[k]} = ?`), 'updated_at = ?'];
    this.#db
      .prepare(`UPDATE configs SET ${sets.join(', ')} WHERE id = ?`)
      .run(...keys.map((k) => changes[k] ?? null), this.#now().toISOString(), id);
    return this.byId(id)!;
  }

  /** Removes a config; `beforeCommit` runs inside the transaction (the keychain entry's deletion). */
  remove(id: string, beforeCommit?: () => void): void {
    this.#db
      .transaction(() => {
        this.#db.prepare('DELETE FROM participants WHERE config_id = ?').run(id);
        this.#db.prepare('DELETE FROM configs WHERE id = ?').run(id);
        // Keep a default while any config is left: the oldest one inherits it.
        this.#db
          .prepare(
            `UPDATE configs SET is_default = 1 WHERE id = (SELECT id FROM configs ORDER BY created_at LIMIT 1)
             AND NOT EXISTS (SELECT 1 FROM configs WHERE is_default = 1)`,
          )
          .run();
        beforeCommit?.();
      })
      .immediate();
  }
}
