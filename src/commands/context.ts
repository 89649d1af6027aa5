import { appendFileSync } from 'node:fs';
import { usageError } from '../errors.js';
import { FruxonClient, type FruxonFactory } from '../fruxon/client.js';
import type { CoreDeps } from '../operations/deps.js';
import { type Io, Output } from '../output/index.js';
import { Redactor } from '../redact.js';
import type { SecretStore } from '../secrets/index.js';
import type { Store, StoreOptions } from '../store/index.js';
import { type ApiTrace, createTrace, parseDebugSpec } from '../trace.js';
import type { TwilioFactory } from '../twilio/client.js';

export type { FruxonFactory, TwilioFactory };

/**
 * Everything a command may use, handed in (GitHub CLI's Factory is the model). Each part is a function, so
 * nothing is opened or loaded until a command asks for it: `--help` and `--version` load none of the native
 * modules (better-sqlite3, the keyring) nor the twilio package. main() fills in the real parts; a test passes
 * its own (an in-memory SecretStore, a store in a temporary directory, a clock, an abort signal).
 */
export interface CliDeps {
  /** The environment (default: the streams' env, i.e. process.env). */
  env?: NodeJS.ProcessEnv;
  /** Opens the SQLite store (default: the data directory of `env`); `opts.now` is the context's clock. */
  openStore?: (env: NodeJS.ProcessEnv, opts?: StoreOptions) => Store;
  /** The secret store (default: the OS keychain). Called at most once. */
  secrets?: () => SecretStore | Promise<SecretStore>;
  twilio?: TwilioFactory;
  fruxon?: FruxonFactory;
  /**
   * The clock of user-visible times (default: the system clock): --since windows, prune cutoffs, retention,
   * and what the store stamps (created/updated, a lease's start). Not timers: waits and elapsed times run on real time.
   */
  now?: () => Date;
  /** Aborted when the caller wants a running command to stop (a listener stops as on SIGTERM). */
  signal?: AbortSignal;
}

/** The process signals that ask a long-running command to stop. */
export type StopSignalName = 'SIGINT' | 'SIGTERM' | 'SIGHUP';
export const STOP_SIGNALS: readonly StopSignalName[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** A long-running command's stop request: see `CommandContext.untilStopped`. */
export interface Stopper {
  /** Aborted at the first stop request; its reason is the signal's name. */
  readonly signal: AbortSignal;
  /** Resolves with the first request's signal name. */
  readonly stopped: Promise<StopSignalName>;
  /** Requests a stop from inside (a screen's quit key), as that signal would. */
  stop(sig: StopSignalName): void;
  /** Removes the process handlers and the abort listener. */
  dispose(): void;
}

/**
 * What a command's action gets instead of globals: its I/O streams and environment (so a test can run a
 * command and read what it printed), and lazy access to the store, the secret store and the API clients.
 */
export class CommandContext {
  /** The process exit code when the action returns normally; an action sets it for partial outcomes. */
  exitCode = 0;
  readonly io: Io;
  readonly signal: AbortSignal;
  /**
   * Every secret this run handled (the secret environment variables, each keychain value read, the secret of
   * each Twilio client and the token of each Fruxon client built), for the trace and the bug file to redact.
   */
  readonly redactor: Redactor;
  #store?: Store;
  #secrets?: Promise<SecretStore>;
  #debug?: string;
  #trace?: ApiTrace | null;
  readonly #deps: CliDeps;

  constructor(io: Io, deps: CliDeps = {}) {
    this.#deps = deps;
    this.io = deps.env ? { ...io, env: deps.env } : io;
    this.signal = deps.signal ?? new AbortController().signal;
    this.redactor = new Redactor().addEnv(this.io.env);
  }

  get env(): NodeJS.ProcessEnv {
    return this.io.env;
  }

  now(): Date {
    return this.#deps.now ? this.#deps.now() : new Date();
  }

  output(opts: { json?: boolean } = {}): Output {
    return new Output(this.io, opts);
  }

  /** The store, opened on first use and closed when the command ends. */
  async store(): Promise<Store> {
    if (!this.#store) {
      this.#store = (await this.storeOpener())(this.io.env, { now: () => this.now() });
      await this.reportStoreUpgrade(this.#store);
    }
    return this.#store;
  }

  /**
   * The one line (stderr) saying that opening `store` upgraded an older one, and where the copy of it is kept.
   * The store never prints: every command that opens one calls this (`store()` does).
   */
  async reportStoreUpgrade(store: Store): Promise<void> {
    if (!store.upgrade) return;
    const { upgradeNote } = await import('../store/index.js');
    this.output().status(upgradeNote(store.upgrade));
  }

  /** The opener itself, for a caller that opens (and closes) a store of its own: doctor reports a failed open as a check. */
  async storeOpener(): Promise<(env: NodeJS.ProcessEnv, opts?: StoreOptions) => Store> {
    return this.#deps.openStore ?? (await import('../store/index.js')).openStore;
  }

  /** `--debug <what>` (the program sets it before the action runs); wins over FRUXON_TWILIO_DEBUG. */
  setDebug(spec: string | undefined): void {
    if (spec === undefined) return;
    this.#debug = spec;
    this.#trace = undefined;
  }

  /**
   * The API trace this run asked for (`--debug api`, FRUXON_TWILIO_DEBUG=api or api,body), or null. Its lines
   * go to stderr (never stdout: --json stays clean), or appended to FRUXON_TWILIO_DEBUG_FILE (0600), redacted
   * with this run's redactor. Handed to the clients and the listener as a dependency.
   */
  trace(): ApiTrace | null {
    if (this.#trace !== undefined) return this.#trace;
    const spec = this.#debug ?? this.env.FRUXON_TWILIO_DEBUG;
    let parsed: { bodies: boolean } | null;
    try {
      parsed = parseDebugSpec(spec);
    } catch (err) {
      throw usageError(`${this.#debug !== undefined ? '--debug' : 'FRUXON_TWILIO_DEBUG'}: ${(err as Error).message}`);
    }
    if (!parsed) return (this.#trace = null);
    const file = this.env.FRUXON_TWILIO_DEBUG_FILE;
    const stderr = this.io.stderr;
    const write = file
      ? (line: string) => {
          try {
            appendFileSync(file, line, { mode: 0o600 });
          } catch {
            // a trace that cannot be written must not break the command it traces
          }
        }
      : (line: string) => void stderr.write(line);
    this.#trace = createTrace({
      bodies: parsed.bodies,
      redactor: this.redactor,
      write,
      maxBody: file ? Number.POSITIVE_INFINITY : undefined,
    });
    return this.#trace;
  }

  /** The secret store (the OS keychain unless a test handed in another). Loading it touches no secret yet. */
  secrets(): Promise<SecretStore> {
    this.#secrets ??= (
      this.#deps.secrets
        ? Promise.resolve(this.#deps.secrets())
        : import('../secrets/keychain.js').then(({ keychain }) => keychain())
    ).then((store) => this.#redacting(store));
    return this.#secrets;
  }

  /** The secret store, each value read from or written to it registered with the redactor. */
  #redacting(store: SecretStore): SecretStore {
    const redactor = this.redactor;
    return {
      get: (account) => {
        const v = store.get(account);
        redactor.add(v);
        return v;
      },
      set: (account, value) => {
        redactor.add(value);
        store.set(account, value);
      },
      delete: (account) => store.delete(account),
    };
  }

  /** The secret store as the synchronous getter the cores take (`() => SecretStore`). */
  async keychain(): Promise<() => SecretStore> {
    const secrets = await this.secrets();
    return () => secrets;
  }

  /** A Twilio client for these credentials (the twilio package is loaded on first use). */
  twilio: TwilioFactory = async (creds, opts) => {
    this.redactor.add(creds.secret);
    if (this.#deps.twilio) return this.#deps.twilio(creds, opts);
    const { createTwilioClient } = await import('../twilio/client.js');
    return createTwilioClient(creds, { ...opts, trace: this.trace() });
  };

  /** A Fruxon API client (plain fetch, no native module). */
  fruxon: FruxonFactory = (opts) => {
    this.redactor.add(opts.token);
    const traced = { ...opts, trace: opts.trace ?? this.trace() };
    return this.#deps.fruxon ? this.#deps.fruxon(traced) : new FruxonClient(traced);
  };

  /**
   * The operations' dependencies, all of them: the store (opened now), the secret store (its module loaded, no
   * secret read yet), the client factories, the clock and the abort signal (`signal`: default the context's; a
   * long-running command passes its `untilStopped()` signal).
   */
  async coreDeps(opts: { signal?: AbortSignal } = {}): Promise<CoreDeps> {
    const store = await this.store();
    const secrets = await this.keychain();
    return {
      env: this.env,
      store,
      secrets,
      twilio: this.twilio,
      fruxon: this.fruxon,
      now: () => this.now(),
      signal: opts.signal ?? this.signal,
    };
  }

  /**
   * The one place a long-running command learns that it should stop (listen, inspect, emulator, test, send --wait,
   * tail, mcp): SIGINT, SIGTERM or SIGHUP to this process, or the context's abort signal (an in-process caller,
   * whose abort reason may name the signal it stands for: 'SIGINT', 'SIGHUP'; anything else counts as SIGTERM).
   * `onStop` hears every request, the first and any later one (listen tells a second Ctrl-C that it is still
   * restoring); `signal` aborts at the first, with the signal's name as its reason. `dispose()` removes the
   * process handlers; a command calls it in `finally`. Core functions never attach handlers: they take `signal`.
   */
  untilStopped(
    opts: { signals?: readonly StopSignalName[]; onStop?: (sig: StopSignalName, count: number) => void } = {},
  ): Stopper {
    const signals = opts.signals ?? STOP_SIGNALS;
    const controller = new AbortController();
    let count = 0;
    let resolveStopped!: (sig: StopSignalName) => void;
    const stopped = new Promise<StopSignalName>((resolve) => {
      resolveStopped = resolve;
    });
    const stop = (sig: StopSignalName) => {
      count++;
      if (!controller.signal.aborted) {
        controller.abort(sig);
        resolveStopped(sig);
      }
      opts.onStop?.(sig, count);
    };
    const onProcessSignal = (sig: NodeJS.Signals) => stop(sig as StopSignalName);
    const onAbort = () => {
      const reason = this.signal.reason;
      stop(
        typeof reason === 'string' && (STOP_SIGNALS as readonly string[]).includes(reason)
          ? (reason as StopSignalName)
          : 'SIGTERM',
      );
    };
    for (const s of signals) process.on(s, onProcessSignal);
    if (this.signal.aborted) queueMicrotask(onAbort);
    else this.signal.addEventListener('abort', onAbort, { once: true });
    return {
      signal: controller.signal,
      stopped,
      stop,
      dispose: () => {
        for (const s of signals) process.off(s, onProcessSignal);
        this.signal.removeEventListener('abort', onAbort);
      },
    };
  }

  /**
   * Closes the store. After a successful run (`succeeded`) on a store this run did not upgrade, the copies
   * earlier upgrades kept (`fruxon-twilio.db.v<N>.bak`) are removed: the upgraded store has worked once.
   */
  close(opts: { succeeded?: boolean } = {}): void {
    if (opts.succeeded && this.#store && !this.#store.upgrade) {
      try {
        this.#store.dropUpgradeBackups?.();
      } catch {
        // a copy that cannot be removed stays; it is only a copy
      }
    }
    this.#store?.close();
    this.#store = undefined;
  }
}
