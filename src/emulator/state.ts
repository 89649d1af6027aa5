import { chmodSync, closeSync, openSync } from 'node:fs';
import type { Db } from '../store/sqlite.js';
import { friendlyPhoneName, newSecret, newSid } from './ids.js';
import type { ApiKey, EmulatorMessage, EmulatorNumber } from './types.js';

export interface AccountRecord {
  sid: string;
  authToken: string;
  dateCreated: Date;
}

interface StoredMessage extends EmulatorMessage {
  seq: number;
}

/**
 * The emulator's data. Maps in memory are the truth while running; with a state file every change is also
 * written through to SQLite, which is read back on the next start.
 */
export class EmulatorState {
  account!: AccountRecord;
  readonly apiKeys = new Map<string, ApiKey>();
  readonly numbers = new Map<string, EmulatorNumber>();
  private readonly messagesBySid = new Map<string, StoredMessage>();
  private nextSeq = 1;
  private db: Db | undefined;

  static async open(opts: {
    statePath?: string;
    accountSid?: string;
    authToken?: string;
    numbers?: string[];
  }): Promise<EmulatorState> {
    const state = new EmulatorState();
    if (opts.statePath) await state.attachFile(opts.statePath);

    const stored = state.account as AccountRecord | undefined;
    if (stored && opts.accountSid && opts.accountSid !== stored.sid) {
      state.close();
      throw new Error(
        `The emulator state file ${opts.statePath} belongs to account ${stored.sid}, not ${opts.accountSid}; ` +
          'pass the same accountSid or another statePath.',
      );
    }
    state.account = {
      sid: stored?.sid ?? opts.accountSid ?? newSid('AC'),
      authToken: opts.authToken ?? stored?.authToken ?? newSecret(),
      dateCreated: stored?.dateCreated ?? new Date(),
    };
    state.persistAccount();

    const wanted = opts.numbers ?? (state.numbers.size === 0 ? [generatePhoneNumber()] : []);
    for (const phoneNumber of wanted) {
      if (!state.findNumber(phoneNumber)) state.saveNumber(newNumberRecord(phoneNumber));
    }
    return state;
  }

  findNumber(phoneNumber: string): EmulatorNumber | undefined {
    for (const n of this.numbers.values()) if (n.phoneNumber === phoneNumber) return n;
    return undefined;
  }

  saveNumber(n: EmulatorNumber): void {
    this.numbers.set(n.sid, n);
    this.db?.prepare('INSERT OR REPLACE INTO numbers (sid, data) VALUES (?, ?)').run(n.sid, JSON.stringify(n));
  }

  saveApiKey(k: ApiKey): void {
    this.apiKeys.set(k.sid, k);
    this.db?.prepare('INSERT OR REPLACE INTO api_keys (sid, data) VALUES (?, ?)').run(k.sid, JSON.stringify(k));
  }

  saveMessage(m: EmulatorMessage): void {
    const existing = this.messagesBySid.get(m.sid);
    const stored: StoredMessage = { ...m, seq: existing?.seq ?? this.nextSeq++ };
    this.messagesBySid.set(m.sid, stored);
    this.db
      ?.prepare('INSERT OR REPLACE INTO messages (sid, seq, data) VALUES (?, ?, ?)')
      .run(m.sid, stored.seq, JSON.stringify(m));
  }

  getMessage(sid: string): EmulatorMessage | undefined {
    const m = this.messagesBySid.get(sid);
    return m && withoutSeq(m);
  }

  /** Oldest first. */
  allMessages(): EmulatorMessage[] {
    return [...this.messagesBySid.values()].sort((a, b) => a.seq - b.seq).map(withoutSeq);
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }

  private persistAccount(): void {
    this.db
      ?.prepare('INSERT OR REPLACE INTO account (id, sid, auth_token, date_created) VALUES (1, ?, ?, ?)')
      .run(this.account.sid, this.account.authToken, this.account.dateCreated.toISOString());
  }

  private async attachFile(path: string): Promise<void> {
    // Loaded lazily: the native module is only needed when someone asks for a state file.
    const { openSqlite } = await import('../store/sqlite.js');
    // The file holds the emulator's auth token: owner-only from its first byte (SQLite's -wal copies the mode).
    closeSync(openSync(path, 'a', 0o600));
    chmodSync(path, 0o600);
    const db = openSqlite(path);
    try {
      db.pragma('journal_mode = WAL');
      db.exec(`
        CREATE TABLE IF NOT EXISTS account (id INTEGER PRIMARY KEY CHECK (id = 1), sid TEXT NOT NULL,
          auth_token TEXT NOT NULL, date_created TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS api_keys (sid TEXT PRIMARY KEY, data TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS numbers (sid TEXT PRIMARY KEY, data TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS messages (sid TEXT PRIMARY KEY, seq INTEGER NOT NULL, data TEXT NOT NULL);
      `);
      const account = db.prepare('SELECT sid, auth_token, date_created FROM account WHERE id = 1').get() as
        | { sid: string; auth_token: string; date_created: string }
        | undefined;
      if (account) {
        this.account = { sid: account.sid, authToken: account.auth_token, dateCreated: new Date(account.date_created) };
      }
      for (const row of db.prepare('SELECT data FROM api_keys').all() as { data: string }[]) {
        const k = revive<ApiKey>(row.data, ['dateCreated']);
        this.apiKeys.set(k.sid, k);
      }
      for (const row of db.prepare('SELECT data FROM numbers').all() as { data: string }[]) {
        const n = revive<EmulatorNumber>(row.data, ['dateCreated', 'dateUpdated']);
        this.numbers.set(n.sid, n);
      }
      for (const row of db.prepare('SELECT seq, data FROM messages ORDER BY seq').all() as {
        seq: number;
        data: string;
      }[]) {
        const m = revive<EmulatorMessage>(row.data, ['dateCreated', 'dateUpdated', 'dateSent']);
        this.messagesBySid.set(m.sid, { ...m, seq: row.seq });
        this.nextSeq = Math.max(this.nextSeq, row.seq + 1);
      }
    } catch (err) {
      db.close();
      throw err;
    }
    this.db = db;
  }
}

export function newNumberRecord(phoneNumber: string): EmulatorNumber {
  const now = new Date();
  return {
    sid: newSid('PN'),
    phoneNumber,
    friendlyName: friendlyPhoneName(phoneNumber),
    smsUrl: '',
    smsMethod: 'POST',
    smsFallbackUrl: '',
    smsFallbackMethod: 'POST',
    statusCallback: '',
    statusCallbackMethod: 'POST',
    dateCreated: now,
    dateUpdated: now,
  };
}

/** A number in +1 500 555 1xxx: Twilio's test range, clear of the scripted numbers in magic.ts. */
function generatePhoneNumber(): string {
  return '+15005551' + String(Math.floor(Math.random() * 1000)).padStart(3, '0');
}

/** Parses a JSON row back into a record, turning its ISO date strings into Dates. */
function revive<T>(json: string, dateKeys: string[]): T {
  const obj = JSON.parse(json) as Record<string, unknown>;
  for (const k of dateKeys) if (typeof obj[k] === 'string') obj[k] = new Date(obj[k] as string);
  return obj as T;
}

function withoutSeq(m: StoredMessage): EmulatorMessage {
  const { seq: _seq, ...rest } = m;
  return { ...rest, media: rest.media.map((x) => ({ ...x })) };
}
