import type { SecretStore } from '../../src/secrets/index.js';
import { keychain } from '../../src/secrets/keychain.js';
import { memorySecretStore } from '../../src/secrets/memory.js';

/**
 * The keychains a test can hand the CLI. A test says which one it touches: in-process runs
 * (inProcessCliWith) and fixtures (emulatorWithConfig) take it explicitly; there is no module-global default.
 */

/**
 * The OS keychain (under test/run.sh, the private test keychain it starts). The only one a child process
 * (runCliChildProcess, CliChildProcess) can read: a test that starts the built binary uses this one.
 */
export function osKeychain(): SecretStore {
  return keychain();
}

/** A keychain that lives in this process only (a Map): fast and isolated, and invisible to any child process. */
export function memoryKeychain(): SecretStore {
  return memorySecretStore();
}

/** What the OS keychain holds for an account of the `fruxon-twilio` service (null when nothing). */
export function osKeychainGet(account: string): string | null {
  return keychain().get(account);
}
