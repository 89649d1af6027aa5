import type { SecretStore } from './index.js';

/**
 * A SecretStore kept in a Map, for in-process tests (handed to main() through its deps argument). Nothing
 * in the CLI imports this module: a user's secrets always go to the OS keychain.
 */
export function memorySecretStore(
  initial: Record<string, string> = {},
): SecretStore & { entries: Map<string, string> } {
  const entries = new Map(Object.entries(initial));
  return {
    entries,
    get: (account) => entries.get(account) ?? null,
    set: (account, value) => void entries.set(account, value),
    delete: (account) => entries.delete(account),
  };
}
