import { randomUUID } from 'node:crypto';
import { stripChannel } from '../phone.js';
import type { Db, Statement } from './sqlite.js';

/**
 * A participant: a contact bound to a channel by phone number, as Fruxon binds participants. Bound to one
 * config (`configId`) or to every config (null). `whatsapp` says the contact is reached on WhatsApp.
 */
export interface Participant {
  id: string;
  name: string;
  /** E.164, without any `whatsapp:` prefix. */
  phone: string;
  whatsapp: boolean;
  configId: string | null;
  createdAt: string;
}

export type NewParticipant = Pick<Participant, 'name' | 'phone'> & { whatsapp?: boolean; configId?: string | null };

interface Row {
  id: string;
  name: string;
  phone: string;
  whatsapp: number;
  config_id: string | null;
  created_at: string;
}

function fromRow(r: Row): Participant {
  return {
    id: r.id,
    name: r.name,
    phone: r.phone,
    whatsapp: r.whatsapp === 1,
    configId: r.config_id,
    createdAt: r.created_at,
  };
}

/** The participants a config's messages can match: bound to it, or to every config. */
const FOR_CONFIG = '(config_id = ? OR config_id IS NULL)';
/** Among them, for one number: the one bound to the config first, then the oldest. */
const BEST_FIRST = 'config_id IS NULL, created_at';

export class ParticipantRepo {
  readonly #db: Db;
  readonly #now: () => Date;

  constructor(db: Db, now: () => Date = () => new Date()) {
    this.#db = db;
    this.#now = now;
  }

  /** This connection's own writes, which `PRAGMA data_version` does not count (see contactBook). */
  #writes = 0;

  /** Adds a participant; returns undefined when the name is taken (names are unique, case-insensitive). */
  add(p: NewParticipant): Participant | undefined {
    const id = randomUUID();
    this.#writes++;
    const res = this.#db
      .prepare(
        `INSERT INTO participants (id, name, phone, whatsapp, config_id, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO NOTHING`,
      )
      .run(id, p.name, stripChannel(p.phone), p.whatsapp ? 1 : 0, p.configId ?? null, this.#now().toISOString());
    return res.changes === 1 ? this.byId(id) : undefined;
  }

  /** All participants, by name; with `configId`, those bound to that config plus the global ones. */
  list(opts: { configId?: string } = {}): Participant[] {
    const rows =
      opts.configId === undefined
        ? this.#db.prepare('SELECT * FROM participants ORDER BY name COLLATE NOCASE').all()
        : this.#db
            .prepare('SELECT * FROM participants WHERE config_id = ? OR config_id IS NULL ORDER BY name COLLATE NOCASE')
            .all(opts.configId);
    return (rows as Row[]).map(fromRow);
  }

  byId(id: string): Participant | undefined {
    const r = this.#db.prepare('SELECT * FROM participants WHERE id = ?').get(id) as Row | undefined;
    return r && fromRow(r);
  }

  /** Case-insensitive. */
  byName(name: string): Participant | undefined {
    const r = this.#db.prepare('SELECT * FROM participants WHERE name = ?').get(name) as Row | undefined;
    return r && fromRow(r);
  }

  /**
   * The participant behind a phone number (`whatsapp:` prefix allowed). With `configId`: one bound to that
   * config wins over a global one; participants bound to other configs never match. Without `configId`:
   * a global participant, else any (the oldest). A listener asks `contactBook` instead (same rule, no query
   * per message).
   */
  findByPhone(phone: string, configId?: string | null): Participant | undefined {
    const e164 = stripChannel(phone);
    const r = (
      configId
        ? (this.#byPhoneForConfig ??= this.#db.prepare(
            `SELECT * FROM participants WHERE phone = ? AND ${FOR_CONFIG} ORDER BY ${BEST_FIRST} LIMIT 1`,
          )).get(e164, configId)
        : (this.#byPhone ??= this.#db.prepare(
            'SELECT * FROM participants WHERE phone = ? ORDER BY config_id IS NOT NULL, created_at LIMIT 1',
          )).get(e164)
    ) as Row | undefined;
    return r && fromRow(r);
  }

  /**
   * The names of the participants a config's listener can match, by E.164 number: what `findByPhone(phone,
   * configId)` answers, without a query per inbound message. The snapshot is read once and read again only
   * when the database has changed (SQLite's `PRAGMA data_version` for other connections, a counter for this
   * one's), checked at most once per turn of the event loop: a participant added from another terminal is
   * named from the next message on, and a burst of webhooks costs one cheap pragma instead of one query (and
   * its file locks) each.
   */
  contactBook(configId: string): { nameFor(phone: string): string | null } {
    const version = this.#db.prepare('PRAGMA data_version').pluck();
    // findByPhone's rule for every number at once: the first row of a number is the one it would answer.
    const rows = this.#db
      .prepare(`SELECT phone, name FROM participants WHERE ${FOR_CONFIG} ORDER BY ${BEST_FIRST}`)
      .raw();
    let names = new Map<string, string>();
    let seen: unknown = null;
    let checked = false;
    const recheck = () => (checked = false);
    return {
      nameFor: (phone) => {
        if (!checked) {
          checked = true;
          setImmediate(recheck).unref();
          const v = `${version.get() as number}:${this.#writes}`;
          if (v !== seen) {
            seen = v;
            names = new Map();
            for (const [p, n] of rows.all(configId) as [string, string][]) if (!names.has(p)) names.set(p, n);
          }
        }
        return names.get(stripChannel(phone)) ?? null;
      },
    };
  }

  #byPhoneForConfig: Statement | undefined;
  #byPhone: Statement | undefined;

  /** Removes by name (case-insensitive); false when there was none. */
  remove(name: string): boolean {
    this.#writes++;
    return this.#db.prepare('DELETE FROM participants WHERE name = ?').run(name).changes === 1;
  }
}
