/**
 * The pure half of secrets: what a secret is, the account names it lives under, and the SecretStore shape.
 * No native binding is loaded from here; the OS keychain is `./keychain.ts`, the in-memory store for tests
 * `./memory.ts` (reached only through main()'s deps argument, never from the CLI itself).
 */
/** The keychain service every entry lives under. */
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
