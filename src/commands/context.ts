import { Output, type Io } from '../output/index.js';
import type { SecretStore } from '../secrets/index.js';
import type { Store } from '../store/index.js';

/**
 * What a command's action gets instead of globals: its I/O streams and environment (so a test can run a
 * command and read what it printed), and lazy access to the store and the keychain, which load native
 * modules that `--help` and `--version` must not pay for.
 */
export class CommandContext {
  /** The process exit code when the action returns normally; an action sets it for partial outcomes. */
  exitCode = 0;
  #store?: Store;
  #secrets?: SecretStore;

  constructor(readonly io: Io) {}

  get env(): NodeJS.ProcessEnv {
    return this.io.env;
  }

  output(opts: { json?: boolean } = {}): Output {
    return new Output(this.io, opts);
  }

  async store(): Promise<Store> {
    if (!this.#store) {
      const { openStore } = await import('../store/index.js');
      this.#store = openStore(this.io.env);
    }
    return this.#store;
  }

  async secrets(): Promise<SecretStore> {
    if (!this.#secrets) {
      const { keychain } = await import('../secrets/index.js');
      this.#secrets = keychain();
    }
    return this.#secrets;
  }

  close(): void {
    this.#store?.close();
    this.#store = undefined;
  }
}
