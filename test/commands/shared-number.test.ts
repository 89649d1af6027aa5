import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { openStore } from '../../src/store/index.js';
import { addConfigArgs } from '../helpers/add-config.js';
import { CliChildProcess, type RunningCli, stopAllCliRuns, tempHome } from '../helpers/cli.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { osKeychain } from '../helpers/keychains.js';

// Listener A is the built binary (killed with SIGKILL), which reads its token from the (test) keychain.
const testKeychain = osKeychain();
const { runCliInProcess, startCliInProcess } = inProcessCliWith(testKeychain);

const SHARED = '+15005552501';
const PROD = 'http://127.0.0.1:9/ingress/twilio/fx_0123456789abcdef0123';

/**
 * Issue 26, item 2: one number, two developers (two data homes). A listener's URL is never recorded as what to
 * put back; a running listener elsewhere is a conflict (exit 5) naming it; a dead one is taken over; production
 * is put back whichever stops first.
 */
describe('a number shared by two data homes', () => {
  let emu: Emulator;
  let a: ReturnType<typeof tempHome>;
  let b: ReturnType<typeof tempHome>;
  const cli = (home: { env: NodeJS.ProcessEnv }, args: string[], input?: string) =>
    runCliInProcess(args, { env: home.env, input });
  const listen = async (home: { env: NodeJS.ProcessEnv }, args: string[], binary = false) => {
    const all = ['listen', '--port', '0', '--check-missed', '0', ...args];
    const p: RunningCli = binary
      ? new CliChildProcess(all, { env: home.env })
      : startCliInProcess(all, { env: home.env });
    const m = await p.waitFor(/Ready! Listening for messages to \S+ at (\S+)/);
    return { p, url: m[1]! };
  };
  const smsUrl = () => emu.getNumber(SHARED)!.smsUrl;

  before(async () => {
    emu = await startEmulator({
      statusDelayMs: 1,
      retryDelaysMs: [],
      topology: { numbers: [{ phone_number: SHARED, sms_url: PROD }] } as never,
    });
    a = tempHome();
    b = tempHome();
    for (const [home, name] of [
      [a, 'dev-a'],
      [b, 'dev-b'],
    ] as const) {
      const r = await cli(home, addConfigArgs(name, SHARED, emu, 'stdin'), emu.authToken);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await cli(home, ['configs', 'set', name, '--webhook-url-stdin'], PROD)).code, 0);
    }
  });
  after(async () => {
    await stopAllCliRuns();
    await emu.stop();
    a.cleanup();
    b.cleanup();
  });

  for (const order of ['the taker stops first', "the crashed one's restore runs first"] as const) {
    test(`A crashes, B is refused while A runs and takes over after; ${order}: production is put back`, async () => {
      assert.equal(smsUrl(), PROD);
      const first = await listen(a, ['--config', 'dev-a'], true);
      assert.equal(smsUrl(), first.url);
      // No terminal: the production URL is taken with one warning line.
      const warned = first.p.stderr.split('\n').filter((l) => /taken for this listen/.test(l));
      assert.equal(warned.length, 1, first.p.stderr);
      assert.match(warned[0]!, /the recorded production URL/);
      assert.ok(!first.p.stderr.includes('fx_0123456789abcdef0123'), 'masked');

      // B, from another data home: A runs, so B is refused (exit 5) and names A; the number is untouched.
      const refused = await cli(b, ['listen', '--config', 'dev-b', '--port', '0', '--timeout', '5']);
      assert.equal(refused.code, 5, refused.stderr);
      assert.match(refused.stderr, new RegExp(`another fruxon-twilio listener that is running \\(pid ${first.p.pid}`));
      assert.equal(smsUrl(), first.url);
      const storeB = openStore(b.env);
      assert.equal(storeB.leases.list().length, 0);
      storeB.close();

      first.p.kill('SIGKILL');
      await first.p.exited;
      const second = await listen(b, ['--config', 'dev-b']);
      assert.match(
        second.p.stderr,
        /pointed at a fruxon-twilio listener that is not running .*: taken over; the lease records the recorded production URL/,
      );
      const lease = openStore(b.env);
      const l = lease.leases.list()[0]!;
      assert.equal(l.previousIsProduction, true);
      assert.equal(l.previousSmsUrl, null, "A's URL is never recorded");
      lease.close();

      const restoreA = () => cli(a, ['restore', '--config', 'dev-a']);
      if (order === 'the taker stops first') {
        second.p.kill('SIGINT');
        assert.equal((await second.p.exited).code, 0, second.p.stderr);
        assert.equal(smsUrl(), PROD);
        assert.equal((await restoreA()).code, 0);
      } else {
        assert.equal((await restoreA()).code, 0);
        assert.equal(smsUrl(), second.url, "A's restore leaves B's listener alone");
        second.p.kill('SIGINT');
        assert.equal((await second.p.exited).code, 0, second.p.stderr);
      }
      assert.equal(smsUrl(), PROD);
      const storeA = openStore(a.env);
      assert.equal(storeA.leases.list().length, 0);
      storeA.close();
    });
  }

  test('--take-over answers the question in advance: no warning; production put back on stop', async () => {
    const l = await listen(b, ['--config', 'dev-b', '--take-over']);
    assert.doesNotMatch(l.p.stderr, /taken for this listen/);
    assert.equal(smsUrl(), l.url);
    l.p.kill('SIGINT');
    assert.equal((await l.p.exited).code, 0, l.p.stderr);
    assert.equal(smsUrl(), PROD);
  });
});
