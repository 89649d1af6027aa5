import { chmodSync, closeSync, openSync } from 'node:fs';
import type { Db } from '../store/sqlite.js';
import { EmulatorClock } from './clock.js';
import { friendlyPhoneName, newSecret, newSid } from './ids.js';
import type {
  ApiKey,
  EmulatorAddressConfiguration,
  EmulatorApplication,
  EmulatorContent,
  EmulatorMessage,
  EmulatorNumber,
  EmulatorOptOut,
  EmulatorSandbox,
  EmulatorSender,
  EmulatorService,
} from './types.js';

/** The WhatsApp Sandbox's number: shared by every Twilio account, never one of its IncomingPhoneNumbers. */
export const SANDBOX_NUMBER = '+14155238886';

type ResourceKind =
  | 'service'
  | 'application'
  | 'sender'
  | 'sandbox'
  | 'settings'
  | 'clock'
  | 'opt-out'
  | 'content'
  | 'address_configuration';

export interface AccountSettings {
  enforceMediaAuth: boolean;
}

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
  readonly services = new Map<string, EmulatorService>();
  readonly applications = new Map<string, EmulatorApplication>();
  readonly senders = new Map<string, EmulatorSender>();
  /** Conversations address configurations (IG…). */
  readonly addressConfigurations = new Map<string, EmulatorAddressConfiguration>();
  /** By `optOutKey()` (policy.ts): the scope (service SID or our number) and the contact. */
  readonly optOuts = new Map<string, EmulatorOptOut>();
  readonly contents = new Map<string, EmulatorContent>();
  sandbox: EmulatorSandbox = { inboundUrl: '', inboundMethod: 'POST', statusCallback: '', participants: [] };
  settings: AccountSettings = { enforceMediaAuth: false };
  /** The one clock of the account's time; its offset is kept in the state file so time never runs back. */
  clock = new EmulatorClock();
  readonly #messagesBySid = new Map<string, StoredMessage>();
  #nextSeq = 1;
  #db: Db | undefined;

  static async open(opts: {
    statePath?: string;
    accountSid?: string;
    authToken?: string;
    numbers?: string[];
    /** Default: one on the system clock. */
    clock?: EmulatorClock;
  }): Promise<EmulatorState> {
    const state = new EmulatorState();
    if (opts.clock) state.clock = opts.clock;
    if (opts.statePath) await state.#attachFile(opts.statePath);

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
      dateCreated: stored?.dateCreated ?? state.clock.now(),
    };
    state.#persistAccount();

    const wanted = opts.numbers ?? (state.numbers.size === 0 ? [generatePhoneNumber()] : []);
    for (const phoneNumber of wanted) {
      if (!state.findNumber(phoneNumber)) state.saveNumber(newNumberRecord(phoneNumber, state.clock.now()));
    }
    return state;
  }

  findNumber(phoneNumber: string): EmulatorNumber | undefined {
    for (const n of this.numbers.values()) if (n.phoneNumber === phoneNumber) return n;
    return undefined;
  }

  saveNumber(n: EmulatorNumber): void {
    this.numbers.set(n.sid, n);
    this.#db?.prepare('INSERT OR REPLACE INTO numbers (sid, data) VALUES (?, ?)').run(n.sid, JSON.stringify(n));
  }

  /** The service a number belongs to (a number is in at most one). */
  serviceOfNumber(numberSid: string): EmulatorService | undefined {
    for (const s of this.services.values()) if (s.phoneNumberSids.includes(numberSid)) return s;
    return undefined;
  }

  /** The WhatsApp sender of a number (`sender_id` whatsapp:+E164). */
  senderOfNumber(phoneNumber: string): EmulatorSender | undefined {
    for (const s of this.senders.values()) if (s.senderId === `whatsapp:${phoneNumber}`) return s;
    return undefined;
  }

  saveService(s: EmulatorService): void {
    this.services.set(s.sid, s);
    this.#persistResource('service', s.sid, s);
  }

  deleteService(sid: string): void {
    this.services.delete(sid);
    this.#deleteResource('service', sid);
  }

  saveAddressConfiguration(c: EmulatorAddressConfiguration): void {
    this.addressConfigurations.set(c.sid, c);
    this.#persistResource('address_configuration', c.sid, c);
  }

  /** The address configuration of an address (`+1…` or `whatsapp:+1…`), if any. */
  addressConfigurationOf(address: string): EmulatorAddressConfiguration | undefined {
    for (const c of this.addressConfigurations.values()) if (c.address === address) return c;
    return undefined;
  }

  saveApplication(a: EmulatorApplication): void {
    this.applications.set(a.sid, a);
    this.#persistResource('application', a.sid, a);
  }

  deleteApplication(sid: string): void {
    this.applications.delete(sid);
    this.#deleteResource('application', sid);
  }

  saveSender(s: EmulatorSender): void {
    this.senders.set(s.sid, s);
    this.#persistResource('sender', s.sid, s);
  }

  deleteSender(sid: string): void {
    this.senders.delete(sid);
    this.#deleteResource('sender', sid);
  }

  saveSandbox(sandbox: EmulatorSandbox): void {
    this.sandbox = sandbox;
    this.#persistResource('sandbox', 'sandbox', sandbox);
  }

  saveOptOut(key: string, o: EmulatorOptOut): void {
    this.optOuts.set(key, o);
    this.#persistResource('opt-out', key, o);
  }

  deleteOptOut(key: string): void {
    this.optOuts.delete(key);
    this.#deleteResource('opt-out', key);
  }

  saveContent(c: EmulatorContent): void {
    this.contents.set(c.sid, c);
    this.#persistResource('content', c.sid, c);
  }

  saveSettings(settings: AccountSettings): void {
    this.settings = settings;
    this.#persistResource('settings', 'settings', settings);
  }

  /** Moves the clock forward and keeps the offset (see EmulatorClock). */
  advanceClock(ms: number): Date {
    const now = this.clock.advance(ms);
    this.#persistResource('clock', 'clock', { offsetMs: this.clock.offsetMs });
    return now;
  }

  #persistResource(kind: ResourceKind, sid: string, data: unknown): void {
    this.#db
      ?.prepare('INSERT OR REPLACE INTO resources (kind, sid, data) VALUES (?, ?, ?)')
      .run(kind, sid, JSON.stringify(data));
  }

  #deleteResource(kind: ResourceKind, sid: string): void {
    this.#db?.prepare('DELETE FROM resources WHERE kind = ? AND sid = ?').run(kind, sid);
  }

  saveApiKey(k: ApiKey): void {
    this.apiKeys.set(k.sid, k);
    this.#db?.prepare('INSERT OR REPLACE INTO api_keys (sid, data) VALUES (?, ?)').run(k.sid, JSON.stringify(k));
  }

  saveMessage(m: EmulatorMessage): void {
    const existing = this.#messagesBySid.get(m.sid);
    const stored: StoredMessage = { ...m, seq: existing?.seq ?? this.#nextSeq++ };
    this.#messagesBySid.set(m.sid, stored);
    this.#db
      ?.prepare('INSERT OR REPLACE INTO messages (sid, seq, data) VALUES (?, ?, ?)')
      .run(m.sid, stored.seq, JSON.stringify(m));
  }

  getMessage(sid: string): EmulatorMessage | undefined {
    const m = this.#messagesBySid.get(sid);
    return m && withoutSeq(m);
  }

  /**
   * When `from` last wrote to `to` (addresses as stored, `whatsapp:` included), without copying the log: the
   * WhatsApp window asks this on every send.
   */
  lastInboundAt(from: string, to: string): Date | undefined {
    let last: Date | undefined;
    for (const m of this.#messagesBySid.values()) {
      if (m.direction !== 'inbound' || m.from !== from || m.to !== to) continue;
      if (!last || m.dateCreated > last) last = m.dateCreated;
    }
    return last;
  }

  /** Oldest first. */
  allMessages(): EmulatorMessage[] {
    return [...this.#messagesBySid.values()].sort((a, b) => a.seq - b.seq).map(withoutSeq);
  }

  close(): void {
    this.#db?.close();
    this.#db = undefined;
  }

  #persistAccount(): void {
    this.#db
      ?.prepare('INSERT OR REPLACE INTO account (id, sid, auth_token, date_created) VALUES (1, ?, ?, ?)')
      .run(this.account.sid, this.account.authToken, this.account.dateCreated.toISOString());
  }

  async #attachFile(path: string): Promise<void> {
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
        CREATE TABLE IF NOT EXISTS resources (kind TEXT NOT NULL, sid TEXT NOT NULL, data TEXT NOT NULL,
          PRIMARY KEY (kind, sid));
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
        n.smsApplicationSid ??= ''; // state files written before TwiML Apps existed
        this.numbers.set(n.sid, n);
      }
      for (const row of db.prepare('SELECT kind, sid, data FROM resources').all() as {
        kind: ResourceKind;
        sid: string;
        data: string;
      }[]) {
        if (row.kind === 'service') {
          const s = revive<EmulatorService>(row.data, ['dateCreated', 'dateUpdated']);
          this.services.set(s.sid, s);
        } else if (row.kind === 'application') {
          const a = revive<EmulatorApplication>(row.data, ['dateCreated', 'dateUpdated']);
          this.applications.set(a.sid, a);
        } else if (row.kind === 'sender') {
          const x = revive<EmulatorSender>(row.data, ['dateCreated', 'dateUpdated']);
          this.senders.set(x.sid, x);
        } else if (row.kind === 'address_configuration') {
          const c = revive<EmulatorAddressConfiguration>(row.data, ['dateCreated', 'dateUpdated']);
          this.addressConfigurations.set(c.sid, c);
        } else if (row.kind === 'sandbox') {
          this.sandbox = JSON.parse(row.data) as EmulatorSandbox;
        } else if (row.kind === 'settings') {
          this.settings = JSON.parse(row.data) as AccountSettings;
        } else if (row.kind === 'opt-out') {
          this.optOuts.set(row.sid, revive<EmulatorOptOut>(row.data, ['dateCreated']));
        } else if (row.kind === 'content') {
          const c = revive<EmulatorContent>(row.data, ['dateCreated', 'dateUpdated']);
          this.contents.set(c.sid, c);
        } else if (row.kind === 'clock') {
          this.clock.offsetMs = (JSON.parse(row.data) as { offsetMs: number }).offsetMs;
        }
      }
      for (const row of db.prepare('SELECT seq, data FROM messages ORDER BY seq').all() as {
        seq: number;
        data: string;
      }[]) {
        const m = revive<EmulatorMessage>(row.data, ['dateCreated', 'dateUpdated', 'dateSent']);
        this.#messagesBySid.set(m.sid, { ...m, seq: row.seq });
        this.#nextSeq = Math.max(this.#nextSeq, row.seq + 1);
      }
    } catch (err) {
      db.close();
      throw err;
    }
    this.#db = db;
  }
}

export function newNumberRecord(phoneNumber: string, now: Date): EmulatorNumber {
  return {
    sid: newSid('PN'),
    phoneNumber,
    friendlyName: friendlyPhoneName(phoneNumber),
    smsApplicationSid: '',
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
