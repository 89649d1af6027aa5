import { Entry } from '@napi-rs/keyring';
import { CliError } from '../errors.js';

/**
 * The OS keychain (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows), service
 * `fruxon-twilio`. On Linux the entry is pinned to the Secret Service: the library would otherwise fall
 * back silently to the kernel keyring, which forgets everything at logout.
 */
export const KEYCHAIN_SERVICE = 'fruxon-twilio';

/** What a config keeps in the keychain: the Auth Token (or API Key Secret), and later its production webhook URL. */
export type SecretKind = 'auth-token' | 'webhook-url';

export interface SecretStore {
  get(account: string): string | null;
  set(account: string, value: string): void;
  /** True when an entry was deleted, false when there was none. */
  delete(account: string): boolean;
}

/** The keychain account name for one secret of one config: the config id itself for its token. */
export function secretAccount(configId: string, kind: SecretKind = 'auth-token'): string {
  return kind === 'auth-token' ? configId : `${configId}:${kind}`;
}

/**
 * The keychain account of a Fruxon token: `fruxon:<tenant>`. Config ids are UUIDs, so it never collides
 * with a config's entries (`<id>`, `<id>:webhook-url`).
 */
export function fruxonTokenAccount(tenant: string): string {
  return `fruxon:${tenant}`;
}

export function keychain(): SecretStore {
  const entry = (account: string) => new Entry(KEYCHAIN_SERVICE, account, { linux: { store: 'secret-service' } });
  return {
    get: (account) => guard(() => entry(account).getPassword() ?? null),
    set: (account, value) => guard(() => entry(account).setPassword(value)),
    delete: (account) => guard(() => entry(account).deleteCredential()),
  };
}

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw keychainError(err);
  }
}

function keychainError(err: unknown): CliError {
  const raw = err instanceof Error ? err.message : String(err);
  const reason = raw.split('\n')[0]!.slice(0, 160);
  return new CliError(`the OS keychain is not reachable (${reason})`, {
    reason: 'keychain_unavailable',
    hint:
      process.platform === 'linux'
        ? 'start a Secret Service (gnome-keyring-daemon --unlock --components=secrets, in a D-Bus session), or in CI add the config with --token-from-env and set TWILIO_AUTH_TOKEN'
        : 'unlock the keychain, or in CI add the config with --token-from-env and set TWILIO_AUTH_TOKEN',
    cause: err,
  });
}
