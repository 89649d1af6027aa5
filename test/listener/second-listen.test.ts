import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCliChildProcess, stopAllCliRuns } from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig } from '../helpers/fixtures.js';
import { startListen } from '../helpers/listen.js';

describe('a second listen on the same config', () => {
  let f: EmulatorFixture;
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os', tokenFromEnv: true });
  });
  after(async () => {
    await stopAllCliRuns();
    await f.cleanup();
  });

  test('names the listener that holds the number (exit 5), not the port it also holds', async () => {
    const { p, url } = await startListen(f, ['--no-interactive']);
    const port = new URL(url).port;
    // The same port (the default case: both on 7337) and another one answer alike.
    for (const args of [
      ['--port', port],
      ['--port', '0'],
    ]) {
      const r = await runCliChildProcess(['listen', '--no-interactive', ...args], { env: f.env });
      assert.equal(r.code, 5, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`^error: another listener \\(pid ${p.pid}\\) already holds \\+15005550006 for config "emu"$`, 'm'),
      );
      assert.match(
        r.stderr,
        new RegExp(`^hint: stop it first \\(kill -INT ${p.pid}\\), or listen with --no-register$`, 'm'),
      );
      assert.doesNotMatch(r.stderr, /in use/);
    }
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0);
  });
});
