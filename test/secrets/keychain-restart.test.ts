import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { serviceWentAway } from '../../src/secrets/keychain.js';
import { repoRoot } from '../helpers/cli.js';

test('the Secret Service dies with our request in it: the request is asked once more, D-Bus starts the service again, the secret is read', async () => {
  // A keychain of its own (its own D-Bus session), so that killing its daemon touches no other test.
  const home = mkdtempSync(join(tmpdir(), 'fruxon-keyring-crash-'));
  try {
    const { stdout } = await promisify(execFile)(
      'bash',
      [
        join(repoRoot, 'test', 'keyring-session.sh'),
        process.execPath,
        join(repoRoot, 'dist', 'test', 'helpers', 'keychain-crash-probe.js'),
      ],
      { env: { ...process.env, FRUXON_TWILIO_TEST_KEYRING_HOME: home }, timeout: 60_000 },
    );
    const r = JSON.parse(stdout.trim().split('\n').pop()!);
    assert.equal(r.connected, true, 'the reader reached the bus');
    assert.equal(r.pendingBeforeKill, true, 'the reader was still waiting on the stopped daemon when it was killed');
    assert.deepEqual(r.reader, { value: 'still-here-after-the-crash' }, 'the reader got the secret, not the bus error');
    assert.equal(r.code, 0);
    assert.equal(r.daemonStarts, 2, 'D-Bus started the Secret Service a second time, for the request asked again');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('only a service that went away is asked again: a refused or missing bus is an error at once', () => {
  assert.equal(
    serviceWentAway(
      new Error('Platform failure: DBus error: Message recipient disconnected from message bus without replying'),
    ),
    true,
  );
  assert.equal(
    serviceWentAway(new Error('Platform failure: DBus error: The session wrapping the secret does not exist')),
    true,
  );
  assert.equal(
    serviceWentAway(
      new Error(
        'Platform failure: DBus error: Failed to connect to socket /nonexistent/bus: No such file or directory',
      ),
    ),
    false,
  );
  assert.equal(serviceWentAway(new Error('No matching entry found in secure storage')), false);
});
