import type { FruxonFactory } from '../fruxon/client.js';
import type { SecretStore } from '../secrets/index.js';
import type { Store } from '../store/index.js';
import type { TwilioFactory } from '../twilio/client.js';

export type { FruxonFactory, TwilioFactory };

/**
 * What every operation takes, all of it required: an operation never builds a client, opens a store, reads the
 * clock for a user-visible time or attaches a process signal handler. The command context builds it
 * (`CommandContext.coreDeps()`); a test hands its own. An operation that needs less takes a `Pick` of it.
 */
export interface CoreDeps {
  env: NodeJS.ProcessEnv;
  store: Store;
  /** The secret store, asked only when a secret is needed. */
  secrets: () => SecretStore;
  twilio: TwilioFactory;
  fruxon: FruxonFactory;
  /** The clock of user-visible times (timers and elapsed times run on real time). */
  now: () => Date;
  /** Aborted when the caller wants the operation to stop. */
  signal: AbortSignal;
}

/** What the operations on a config's number take: the store, the environment, the secret store and a Twilio factory. */
export type ConfigDeps = Pick<CoreDeps, 'store' | 'env' | 'secrets' | 'twilio'>;
