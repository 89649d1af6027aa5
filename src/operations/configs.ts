import { CliError, leaseHeldError, leaseStaleError } from '../errors.js';
import { type SecretStore, secretAccount } from '../secrets/index.js';
import { type Config, isLeaseAlive, type Lease, type NewConfig, type Store } from '../store/index.js';
import { callSite, type TwilioCredentials, type TwilioFactory, twilioError } from '../twilio/client.js';
import { fetchAccount, findNumber } from '../twilio/numbers.js';
import { maskWebhookUrl } from '../twilio/webhook.js';
import { maskSid } from '../validate.js';

/**
 * A fruxon-twilio emulator answering at `url` (its control API's topology): what add-config offers on a terminal
 * when no --api-url was given. False on any other answer or none within `timeoutMs`.
 */
export async function emulatorAnswers(url: string, timeoutMs = 700): Promise<boolean> {
  try {
    const res = await fetch(`${url}/_emulator/topology`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return false;
    const body = (await res.json()) as { sandbox?: unknown; account?: unknown };
    return typeof body === 'object' && body !== null && 'sandbox' in body && 'account' in body;
  } catch {
    return false;
  }
}

/** What the credential check found: the account answered, and whether it owns the From number. */
export interface Verification {
  accountName: string;
  numberOwned: boolean;
  numberSid: string | null;
}

/** Proves the credentials with Twilio (fetch the account) and looks the From number up on it. */
export async function verifyCredentials(
  creds: TwilioCredentials,
  fromNumber: string,
  twilio: TwilioFactory,
): Promise<Verification> {
  const client = await twilio(creds, { timeoutMs: 10_000 });
  const ctx = callSite(creds);
  let account: Awaited<ReturnType<typeof fetchAccount>>;
  try {
    account = await fetchAccount(client, creds.accountSid);
  } catch (err) {
    throw twilioError(err, `fetch account ${maskSid(creds.accountSid)}`, ctx);
  }
  let number: Awaited<ReturnType<typeof findNumber>>;
  try {
    number = await findNumber(client, fromNumber);
  } catch (err) {
    throw twilioError(err, `look up ${fromNumber} on account ${maskSid(creds.accountSid)}`, ctx);
  }
  return { accountName: account.friendlyName, numberOwned: number !== null, numberSid: number?.sid ?? null };
}

/**
 * Saves a config and its secret together: the keychain entries (the token, and the production webhook URL
 * when given) are written inside the row's transaction, so a keychain failure leaves no row, and a failed
 * commit removes the entries again.
 */
export function saveConfig(
  store: Store,
  config: NewConfig,
  secret: { value: string; keychain: SecretStore; webhookUrl?: string | null } | null,
): Config {
  if (store.configs.byName(config.name)) {
    throw new CliError(`a config named ${JSON.stringify(config.name)} already exists`, {
      reason: 'duplicate_name',
      hint: `pick another --name, or remove it first: fruxon-twilio configs remove ${JSON.stringify(config.name)}`,
    });
  }
  const written: string[] = [];
  try {
    return store.configs.insert(
      { ...config, webhookUrlHint: secret?.webhookUrl ? maskWebhookUrl(secret.webhookUrl) : null },
      (row) => {
        if (!secret) return;
        written.push(secretAccount(row.id));
        secret.keychain.set(secretAccount(row.id), secret.value);
        if (secret.webhookUrl) {
          written.push(secretAccount(row.id, 'webhook-url'));
          secret.keychain.set(secretAccount(row.id, 'webhook-url'), secret.webhookUrl);
        }
      },
    );
  } catch (err) {
    for (const account of written) {
      try {
        secret?.keychain.delete(account);
      } catch {
        /* the row is gone; an entry we cannot delete holds no reference to anything */
      }
    }
    if (err instanceof CliError) throw err;
    if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
      throw new CliError(`a config named ${JSON.stringify(config.name)} already exists`, {
        reason: 'duplicate_name',
        cause: err,
      });
    }
    throw err;
  }
}

/**
 * The rule "a running listener holds this config": refuses (exit 5) while its lease is alive, else returns
 * the lease (a crashed listener's, awaiting restore) or null. `configs remove` and `configs set` (number, API
 * URL) both ask it; `consequence` says what cannot happen now.
 */
export function refuseWhileListening(store: Store, config: Config, consequence?: string): Lease | null {
  const lease = store.leases.get(config.id);
  if (lease && isLeaseAlive(lease)) {
    throw leaseHeldError(
      `config ${JSON.stringify(config.name)} is in use by a running listener (pid ${lease.pid})${consequence ? `: ${consequence}` : ''}`,
      lease.pid,
    );
  }
  return lease ?? null;
}

/**
 * Removes a config and its keychain entries. Refuses while a listener holds the config's number (alive),
 * or while a crashed listener's lease still waits for its webhook to be restored.
 */
export function removeConfig(
  store: Store,
  config: Config,
  keychain: () => SecretStore,
  opts: { force?: boolean } = {},
): void {
  // One write transaction: a listener cannot take the lease between the check and the delete.
  store.db
    .transaction(() => {
      const lease = refuseWhileListening(store, config);
      if (lease && !opts.force) {
        throw leaseStaleError(
          `config ${JSON.stringify(config.name)} has a listener lease that was never restored (pid ${lease.pid} is gone)`,
          config.name,
          {
            hintTail: ' (or pass --force to drop the lease)',
          },
        );
      }
      if (lease) store.leases.release(config.id);
      store.configs.remove(config.id, () => {
        if (config.secretSource === 'keychain') {
          const kc = keychain();
          kc.delete(secretAccount(config.id));
          kc.delete(secretAccount(config.id, 'webhook-url'));
        }
      });
    })
    .immediate();
}
