/**
 * Run inside a private test keychain (`bash test/keyring-session.sh node THIS_FILE`) by
 * test/secrets/keychain-restart.test.ts: stores a secret, stops the Secret Service, starts a reader in a
 * child process, waits until the reader's request is queued at the stopped daemon, then kills the daemon, as
 * gnome-keyring's own abort does. Prints one JSON line: what the reader got, and what was seen on the way.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { keychain } from '../../src/secrets/keychain.js';

const ACCOUNT = 'crash-probe';
const VALUE = 'still-here-after-the-crash';

function busCall(method: string, ...args: string[]): string {
  return execFileSync(
    'dbus-send',
    [
      '--session',
      '--print-reply',
      '--dest=org.freedesktop.DBus',
      '/org/freedesktop/DBus',
      `org.freedesktop.DBus.${method}`,
      ...args,
    ],
    { encoding: 'utf8' },
  );
}

function pidOf(name: string): number | null {
  try {
    const m = /uint32 (\d+)/.exec(busCall('GetConnectionUnixProcessID', `string:${name}`));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** True when the process has a connection on the bus (its unique name). */
function onTheBus(pid: number): boolean {
  const names = [...busCall('ListNames').matchAll(/string "(:[^"]+)"/g)].map((m) => m[1]!);
  return names.some((n) => pidOf(n) === pid);
}

keychain().set(ACCOUNT, VALUE);
const daemon = pidOf('org.freedesktop.secrets');
if (!daemon) throw new Error('no Secret Service on the bus');
process.kill(daemon, 'SIGSTOP');

const keychainModule = new URL('../../src/secrets/keychain.js', import.meta.url).href;
const reader = spawn(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `import { keychain } from ${JSON.stringify(keychainModule)};
     try { process.stdout.write(JSON.stringify({ value: keychain().get(${JSON.stringify(ACCOUNT)}) })); }
     catch (err) { process.stdout.write(JSON.stringify({ error: err.message })); }`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
let out = '';
reader.stdout.on('data', (d) => (out += d));
const exited = new Promise<number | null>((r) => reader.on('exit', (code) => r(code)));

// The reader is connected once its unique name is on the bus; its request then waits at the stopped daemon.
let connected = false;
for (let i = 0; i < 200 && !connected; i++) {
  connected = onTheBus(reader.pid!);
  if (!connected) await sleep(25);
}
await sleep(300);
const pendingBeforeKill = reader.exitCode === null;
process.kill(daemon, 'SIGKILL');
const code = await exited;

const log = readFileSync(join(process.env.FRUXON_TWILIO_TEST_KEYRING_HOME!, 'daemon.log'), 'utf8');
process.stdout.write(
  JSON.stringify({
    connected,
    pendingBeforeKill,
    code,
    reader: JSON.parse(out || '{}'),
    daemonStarts: log.split('\n').filter((l) => l.startsWith('keyring-daemon: start')).length,
  }) + '\n',
);
