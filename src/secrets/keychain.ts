import { Entry } from '@napi-rs/keyring';
import { CliError } from '../errors.js';
import { KEYCHAIN_SERVICE, type SecretStore } from './index.js';

/**
 * The OS keychain (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows), service
 * `fruxon-twilio`. On Linux the entry is pinned to the Secret Service: the library would otherwise fall
 * back silently to the kernel keyring, which forgets everything at logout. Loads a native binding: only
 * the command context imports this module (lazily).
 */
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
    if (!serviceWentAway(err)) throw keychainError(err);
  }
  // Asked once more: on a desktop D-Bus starts the Secret Service again on this request (and holds it until
  // the service is up), so a keychain that crashed under us is not an error the user has to retry by hand.
  try {
    return fn();
  } catch (err) {
    throw keychainError(err);
  }
}

/**
 * The Secret Service went away while it had our request (gnome-keyring 42 aborts now and then when many
 * clients open sessions at once): the bus answers for it. Every operation here is safe to ask again.
 */
export function serviceWentAway(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  // In flight when it went, or our session was with the service that went (its successor knows none of it).
  return /Message recipient disconnected from message bus without replying|The session wrapping the secret does not exist/.test(
    message,
  );
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
