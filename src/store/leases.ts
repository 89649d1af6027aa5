import { hostname } from 'node:os';
import type { Db } from './db.js';

/**
 * A listener's hold on a config's number: what the number pointed at before (to put it back) and what we
 * set. Written before the webhook is changed and deleted only after it is restored, so it survives a crash.
 */
export interface Lease {
  configId: string;
  numberSid: string;
  phoneNumber: string;
  previousSmsUrl: string | null;
  previousSmsMethod: string | null;
  /** The number pointed at the config's production webhook URL (a secret, kept in the keychain, not here). */
  previousIsProduction?: boolean;
  ourUrl: string;
  pid: number;
  hostname: string;
  startedAt: string;
  /** The layer listen pointed at itself: the number (default, and every lease before migration 11), its TwiML App, its Messaging Service or its WhatsApp sender alone. */
  layer?: LeaseLayer;
  /** The AP… / MG… / XE… of that layer (the number's SID is numberSid). */
  layerSid?: string | null;
  /** Every value changed outside the number's SmsUrl/SmsMethod, to put back as it was. */
  previous?: LeasedValues | null;
  /** The process putting the lease back right now (it claimed it: claimRestore), or null. */
  restoring?: RestoreClaim | null;
}

/** Who claimed a lease to restore it, and when. */
export interface RestoreClaim {
  pid: number;
  hostname: string;
  since: string;
}

export type LeaseLayer = 'number' | 'application' | 'messaging_service' | 'whatsapp_sender';

/** A URL value in a lease: as it was, or 'production' for the recorded production URL (a secret, read back at restore). */
export type LeasedUrl = string | null | LeasedProduction;

/**
 * The recorded production URL; `fragment`: the connection overrides (`#rc=…`) the layer had on it, when they
 * differ from the recorded URL's, so that it is put back byte for byte.
 */
export interface LeasedProduction {
  production: true;
  fragment?: string;
}

export interface LeasedValues {
  /**
   * The number's TwiML App, detached for the listen (one update put SmsUrl on the number and cleared it).
   * `smsUrl`: the app's SMS URL to set when the number is re-attached (`link` ran meanwhile); absent: the app is left as is.
   */
  application?: { sid: string; smsUrl?: LeasedUrl };
  messagingService?: {
    sid: string;
    inboundRequestUrl: LeasedUrl;
    inboundMethod: string | null;
    fallbackUrl: LeasedUrl;
    fallbackMethod: string | null;
  };
  /** Its fallback URL and method are here only when the listen cleared them (--no-fallback). */
  whatsappSender?: {
    sid: string;
    callbackUrl: LeasedUrl;
    callbackMethod: string | null;
    fallbackUrl?: LeasedUrl;
    fallbackMethod?: string | null;
  };
  /**
   * The number's own SmsFallbackUrl/SmsFallbackMethod, when the listen changed them: a detached TwiML App's
   * fallback put on the number for the run, or cleared (--no-fallback). Put back with the number's SmsUrl.
   */
  numberFallback?: { url: LeasedUrl; method: string | null };
  /** The fragment (connection overrides) of the number's SmsUrl when it was the production URL with its own. */
  numberUrlFragment?: string;
}

interface Row {
  config_id: string;
  number_sid: string;
  phone_number: string;
  previous_sms_url: string | null;
  previous_sms_method: string | null;
  previous_is_production: number;
  our_url: string;
  pid: number;
  hostname: string;
  started_at: string;
  layer: string | null;
  layer_sid: string | null;
  previous_values: string | null;
  restoring_pid: number | null;
  restoring_host: string | null;
  restoring_since: string | null;
}

function fromRow(r: Row): Lease {
  return {
    configId: r.config_id,
    numberSid: r.number_sid,
    phoneNumber: r.phone_number,
    previousSmsUrl: r.previous_sms_url,
    previousSmsMethod: r.previous_sms_method,
    previousIsProduction: r.previous_is_production === 1,
    ourUrl: r.our_url,
    pid: r.pid,
    hostname: r.hostname,
    startedAt: r.started_at,
    layer: (r.layer as LeaseLayer | null) ?? 'number',
    layerSid: r.layer_sid ?? null,
    previous: r.previous_values ? (JSON.parse(r.previous_values) as LeasedValues) : null,
    restoring:
      r.restoring_pid === null
        ? null
        : { pid: r.restoring_pid, hostname: r.restoring_host ?? '', since: r.restoring_since ?? '' },
  };
}

/** Whether process `pid` of host `host` still runs (a process of another machine's store copy counts as gone). */
function isProcessAlive(pid: number, host: string): boolean {
  if (host !== hostname()) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lease whose process is gone (or ran on another machine's store copy) holds nothing: it only awaits restore. */
export function isLeaseAlive(lease: Lease): boolean {
  return isProcessAlive(lease.pid, lease.hostname);
}

/** Whether a live process is putting the lease back right now (a claim whose process died counts for nothing: the next restore takes it over). */
export function isBeingRestored(lease: Lease): boolean {
  return lease.restoring != null && isProcessAlive(lease.restoring.pid, lease.restoring.hostname);
}

/** The same lease (not a newer one taken since by another listen). */
export function sameLease(a: Pick<Lease, 'pid' | 'startedAt'>, b: Pick<Lease, 'pid' | 'startedAt'>): boolean {
  return a.pid === b.pid && a.startedAt === b.startedAt;
}

/** What marking a lease for production did: marked; gone (released, or another listen's lease now); a live restore claimed it first. */
export type RestoreToProductionResult = 'marked' | 'gone' | 'restoring';

export class LeaseRepo {
  readonly #db: Db;
  readonly #now: () => Date;

  constructor(db: Db, now: () => Date = () => new Date()) {
    this.#db = db;
    this.#now = now;
  }

  get(configId: string): Lease | undefined {
    const r = this.#db.prepare('SELECT * FROM leases WHERE config_id = ?').get(configId) as Row | undefined;
    return r && fromRow(r);
  }

  list(): Lease[] {
    return (this.#db.prepare('SELECT * FROM leases ORDER BY started_at').all() as Row[]).map(fromRow);
  }

  /**
   * Takes the lease for a config, atomically. Returns the existing lease instead when one is held (alive
   * or stale): the caller decides whether to restore a stale one first or to refuse. `existing` is null
   * when the config itself is gone (removed by another process since the caller read it).
   */
  acquire(
    lease: Omit<Lease, 'hostname' | 'startedAt'>,
  ): { acquired: true; lease: Lease } | { acquired: false; existing: Lease | null } {
    return this.#db
      .transaction(() => {
        const existing = this.get(lease.configId);
        if (existing) return { acquired: false as const, existing };
        if (!this.#db.prepare('SELECT 1 FROM configs WHERE id = ?').get(lease.configId))
          return { acquired: false as const, existing: null };
        this.#db
          .prepare(
            `INSERT INTO leases (config_id, number_sid, phone_number, previous_sms_url, previous_sms_method, previous_is_production, our_url, pid, hostname, started_at, layer, layer_sid, previous_values)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            lease.configId,
            lease.numberSid,
            lease.phoneNumber,
            lease.previousSmsUrl,
            lease.previousSmsMethod,
            lease.previousIsProduction ? 1 : 0,
            lease.ourUrl,
            lease.pid,
            hostname(),
            this.#now().toISOString(),
            lease.layer ?? 'number',
            lease.layerSid ?? null,
            lease.previous ? JSON.stringify(lease.previous) : null,
          );
        return { acquired: true as const, lease: this.get(lease.configId)! };
      })
      .immediate();
  }

  /**
   * Claims the lease for a restore, atomically, before the restore reads what to put back: from then on
   * restoreToProduction refuses it, so what the restore read stays what it must put back. Refused (`lease`:
   * the lease as it is) while another live process holds the claim; a claim whose process is gone is taken
   * over. `lease` null: there is no lease any more.
   */
  claimRestore(
    configId: string,
    pid: number = process.pid,
  ): { claimed: true; lease: Lease } | { claimed: false; lease: Lease | null } {
    return this.#db
      .transaction(() => {
        const lease = this.get(configId);
        if (!lease) return { claimed: false as const, lease: null };
        if (isBeingRestored(lease) && !(lease.restoring!.pid === pid && lease.restoring!.hostname === hostname()))
          return { claimed: false as const, lease };
        this.#db
          .prepare('UPDATE leases SET restoring_pid = ?, restoring_host = ?, restoring_since = ? WHERE config_id = ?')
          .run(pid, hostname(), this.#now().toISOString(), configId);
        return { claimed: true as const, lease: this.get(configId)! };
      })
      .immediate();
  }

  /** Drops process `pid`'s restore claim (the restore failed and the lease is kept for the next one). */
  unclaimRestore(configId: string, pid: number = process.pid): void {
    this.#db
      .prepare(
        'UPDATE leases SET restoring_pid = NULL, restoring_host = NULL, restoring_since = NULL WHERE config_id = ? AND restoring_pid = ? AND restoring_host = ?',
      )
      .run(configId, pid, hostname());
  }

  /**
   * Makes the lease put back the config's production webhook URL (read from the keychain at restore time)
   * instead of what the number pointed at before: `link` does this while a listener holds the number.
   * Refused ('restoring') while a live restore holds the claim: it read the lease already. With `expect`,
   * only that lease is marked (another listen's lease taken since counts as 'gone').
   */
  restoreToProduction(configId: string, expect?: Pick<Lease, 'pid' | 'startedAt'>): RestoreToProductionResult {
    return this.#db
      .transaction((): RestoreToProductionResult => {
        const lease = this.get(configId);
        if (!lease || (expect && !sameLease(lease, expect))) return 'gone';
        if (isBeingRestored(lease)) return 'restoring';
        // Whatever layer receives the messages once the lease is restored gets the production URL: a leased
        // service or sender, and the TwiML App the number is re-attached to (its own SmsUrl, ignored behind the
        // app, goes back as it was); otherwise the number's SmsUrl.
        const prev = lease.previous ? { ...lease.previous } : null;
        if (prev?.messagingService)
          prev.messagingService = {
            ...prev.messagingService,
            inboundRequestUrl: { production: true },
            inboundMethod: 'POST',
          };
        if (prev?.whatsappSender)
          prev.whatsappSender = { ...prev.whatsappSender, callbackUrl: { production: true }, callbackMethod: 'POST' };
        const app = lease.layer === 'application' && prev?.application;
        if (app) prev.application = { ...app, smsUrl: { production: true } };
        const number = app ? '' : `previous_is_production = 1, previous_sms_url = NULL, previous_sms_method = 'POST', `;
        this.#db
          .prepare(`UPDATE leases SET ${number}previous_values = ? WHERE config_id = ?`)
          .run(prev ? JSON.stringify(prev) : null, configId);
        return 'marked';
      })
      .immediate();
  }

  release(configId: string): void {
    this.#db.prepare('DELETE FROM leases WHERE config_id = ?').run(configId);
  }
}
