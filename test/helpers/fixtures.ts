import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import type { SecretStore } from '../../src/secrets/index.js';
import { tempHome } from './cli.js';
import { inProcessCliWith } from './inproc.js';
import { osKeychain } from './keychains.js';

/** The number a config sends from, and the "phone" that texts it, in every emulator fixture. */
export const OUR_NUMBER = '+15005550006';
export const PHONE = '+14155550123';

export interface EmulatorFixture {
  emulator: Emulator;
  home: string;
  /** Environment for CLI children: the fixture's data directory. */
  env: NodeJS.ProcessEnv;
  configId: string;
  configName: string;
  /** The keychain the config's token is in, as asked: 'os' (child processes read it) or an in-process store. */
  keychain: 'os' | SecretStore;
  /** That keychain as a store, to hand the file's in-process runs (inProcessCliWith) so they find the token. */
  secrets: SecretStore;
  cleanup(): Promise<void>;
}

/**
 * An emulator on 127.0.0.1 and a fresh data directory with one config pointing at it, added through the
 * CLI (in this process) with the token in the keychain the test names: `'os'` (the OS keychain, under
 * test/run.sh the private test one) when a child process (a `listen` binary) must read it, or a SecretStore
 * (memoryKeychain()) that only this process's runs see.
 */
export async function emulatorWithConfig(opts: {
  keychain: 'os' | SecretStore;
  name?: string;
  numbers?: string[];
  tokenFromEnv?: boolean;
}): Promise<EmulatorFixture> {
  const secrets = opts.keychain === 'os' ? osKeychain() : opts.keychain;
  const { runCliInProcess } = inProcessCliWith(secrets);
  const emulator = await startEmulator({
    numbers: opts.numbers ?? [OUR_NUMBER, '+15005550007'],
    statusDelayMs: 20,
    retryDelaysMs: [50, 100],
  });
  const h = tempHome();
  const name = opts.name ?? 'emu';
  const args = [
    'add-config',
    '--name',
    name,
    '--from',
    emulator.numbers[0]!.phoneNumber,
    '--account-sid',
    emulator.accountSid,
    '--api-url',
    emulator.url,
    '--json',
  ];
  const env = { ...h.env, ...(opts.tokenFromEnv ? { TWILIO_AUTH_TOKEN: emulator.authToken } : {}) };
  const r = await runCliInProcess(opts.tokenFromEnv ? [...args, '--token-from-env'] : [...args, '--auth-token-stdin'], {
    env,
    input: emulator.authToken,
  });
  if (r.code !== 0) throw new Error(`add-config failed: ${r.stderr}`);
  return {
    emulator,
    home: h.home,
    env,
    configId: JSON.parse(r.stdout).id,
    configName: name,
    keychain: opts.keychain,
    secrets,
    cleanup: async () => {
      await runCliInProcess(['configs', 'remove', name, '--force'], { env }).catch(() => undefined);
      await emulator.stop();
      h.cleanup();
    },
  };
}

/** The form Twilio posts for an inbound SMS to OUR_NUMBER from PHONE (before signing); `overrides` replace fields. */
export function inboundFields(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    MessageSid: 'SM' + 'a'.repeat(32),
    SmsSid: 'SM' + 'a'.repeat(32),
    AccountSid: 'AC' + 'b'.repeat(32),
    From: PHONE,
    To: OUR_NUMBER,
    Body: 'hello',
    NumMedia: '0',
    NumSegments: '1',
    SmsStatus: 'received',
    ApiVersion: '2010-04-01',
    ...overrides,
  };
}
