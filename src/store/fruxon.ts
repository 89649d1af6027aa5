import type { Db } from './db.js';

/** A Fruxon tenant a token was stored for (the token itself lives in the keychain, never here). */
export interface FruxonAccount {
  tenant: string;
  /** API base override (a local stand-in); null: https://api.fruxon.com. */
  apiUrl: string | null;
  isDefault: boolean;
  /** Who the token is (email or API key name), as auth/health said at login. */
  subject: string | null;
  scopes: string[];
  loggedInAt: string;
}

/** Which Fruxon integration config a local config is linked to. */
export interface FruxonLink {
  configId: string;
  tenant: string;
  fruxonConfigId: string;
  /** The non-secret prefix of the webhook key Fruxon minted (webhookKeyPrefix). */
  webhookKeyPrefix: string | null;
  linkedAt: string;
  updatedAt: string;
}

interface AccountRow {
  tenant: string;
  api_url: string | null;
  is_default: number;
  subject: string | null;
  scopes: string;
  logged_in_at: string;
}

interface LinkRow {
  config_id: string;
  tenant: string;
  fruxon_config_id: string;
  webhook_key_prefix: string | null;
  linked_at: string;
  updated_at: string;
}

function accountFromRow(r: AccountRow): FruxonAccount {
  let scopes: string[] = [];
  try {
    const parsed: unknown = JSON.parse(r.scopes);
    if (Array.isArray(parsed)) scopes = parsed.filter((s): s is string => typeof s === 'string');
  } catch {
    // an unreadable list is an empty one: it is only informative
  }
  return {
    tenant: r.tenant,
    apiUrl: r.api_url,
    isDefault: r.is_default === 1,
    subject: r.subject,
    scopes,
    loggedInAt: r.logged_in_at,
  };
}

function linkFromRow(r: LinkRow): FruxonLink {
  return {
    configId: r.config_id,
    tenant: r.tenant,
    fruxonConfigId: r.fruxon_config_id,
    webhookKeyPrefix: r.webhook_key_prefix,
    linkedAt: r.linked_at,
    updatedAt: r.updated_at,
  };
}

export class FruxonRepo {
  readonly #db: Db;
  readonly #now: () => Date;

  constructor(db: Db, now: () => Date = () => new Date()) {
    this.#db = db;
    this.#now = now;
  }

  account(tenant: string): FruxonAccount | undefined {
    const r = this.#db.prepare('SELECT * FROM fruxon_accounts WHERE tenant = ?').get(tenant) as AccountRow | undefined;
    return r && accountFromRow(r);
  }

  defaultAccount(): FruxonAccount | undefined {
    const r = this.#db.prepare('SELECT * FROM fruxon_accounts WHERE is_default = 1').get() as AccountRow | undefined;
    return r && accountFromRow(r);
  }

  accounts(): FruxonAccount[] {
    return (this.#db.prepare('SELECT * FROM fruxon_accounts ORDER BY tenant').all() as AccountRow[]).map(
      accountFromRow,
    );
  }

  /** Records (or refreshes) a tenant after a successful login and makes it the default. */
  saveAccount(
    a: { tenant: string; apiUrl: string | null; subject: string | null; scopes: string[] },
    beforeCommit?: () => void,
  ): FruxonAccount {
    return this.#db
      .transaction(() => {
        this.#db.prepare('UPDATE fruxon_accounts SET is_default = 0 WHERE is_default = 1').run();
        this.#db
          .prepare(
            `INSERT INTO fruxon_accounts (tenant, api_url, is_default, subject, scopes, logged_in_at) VALUES (?, ?, 1, ?, ?, ?)
             ON CONFLICT (tenant) DO UPDATE SET api_url = excluded.api_url, is_default = 1, subject = excluded.subject,
               scopes = excluded.scopes, logged_in_at = excluded.logged_in_at`,
          )
          .run(a.tenant, a.apiUrl, a.subject, JSON.stringify(a.scopes), this.#now().toISOString());
        beforeCommit?.();
        return this.account(a.tenant)!;
      })
      .immediate();
  }

  removeAccount(tenant: string, beforeCommit?: () => void): boolean {
    return this.#db
      .transaction(() => {
        const n = this.#db.prepare('DELETE FROM fruxon_accounts WHERE tenant = ?').run(tenant).changes;
        beforeCommit?.();
        return n > 0;
      })
      .immediate();
  }

  link(configId: string): FruxonLink | undefined {
    const r = this.#db.prepare('SELECT * FROM fruxon_links WHERE config_id = ?').get(configId) as LinkRow | undefined;
    return r && linkFromRow(r);
  }

  /** Remembers (or moves) the link of a local config; a null key prefix keeps the one recorded. */
  saveLink(l: {
    configId: string;
    tenant: string;
    fruxonConfigId: string;
    webhookKeyPrefix?: string | null;
  }): FruxonLink {
    const now = this.#now().toISOString();
    this.#db
      .prepare(
        `INSERT INTO fruxon_links (config_id, tenant, fruxon_config_id, webhook_key_prefix, linked_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (config_id) DO UPDATE SET
           webhook_key_prefix = CASE WHEN fruxon_links.fruxon_config_id = excluded.fruxon_config_id AND fruxon_links.tenant = excluded.tenant
                                     THEN coalesce(excluded.webhook_key_prefix, fruxon_links.webhook_key_prefix)
                                     ELSE excluded.webhook_key_prefix END,
           tenant = excluded.tenant, fruxon_config_id = excluded.fruxon_config_id, updated_at = excluded.updated_at`,
      )
      .run(l.configId, l.tenant, l.fruxonConfigId, l.webhookKeyPrefix ?? null, now, now);
    return this.link(l.configId)!;
  }

  removeLink(configId: string): void {
    this.#db.prepare('DELETE FROM fruxon_links WHERE config_id = ?').run(configId);
  }
}
