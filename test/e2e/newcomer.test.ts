import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { after, test } from 'node:test';
import { runCliChildProcess, tempHome } from '../helpers/cli.js';
import { readmeBlock } from '../helpers/readme.js';
import { TmuxPane } from '../helpers/tmux.js';

/**
 * The README's "For a newcomer" section, step by step as written, on a fresh data home (no config, nothing of
 * it in the keychain): the built CLI is `fruxon-twilio`; the long-running steps (emulator, add-config at its
 * prompts, listen) run on real terminals (tmux). What each step shows is asserted, so a change that breaks the
 * first ten minutes fails here. The only liberty taken: ports, since the suite runs files side by side (the
 * emulator's default port comes from $FRUXON_TWILIO_EMULATOR_PORT, listen gets --port 0).
 */
const h = tempHome();
const panes: TmuxPane[] = [];
after(async () => {
  for (const p of panes) await p.kill();
  h.cleanup();
});

/** A command line of the block as argv: words, "quoted" words, comments dropped. */
function argv(line: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    if ((m[3] ?? '').startsWith('#')) break;
    words.push(m[1] ?? m[2] ?? m[3]!);
  }
  return words;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

test("the README's first ten minutes, as a newcomer follows them", { timeout: 170_000 }, async () => {
  const steps = readmeBlock('newcomer', 'sh')
    .split('\n')
    .map(argv)
    .filter((a) => a.length > 0);
  assert.deepEqual(
    steps.map((s) => s[1]),
    ['demo', 'emulator', 'add-config', 'doctor', 'listen', 'simulate'],
    'the steps this test knows how to follow, in this order: a new step needs its assertions here',
  );
  for (const s of steps) assert.equal(s[0], 'fruxon-twilio', `each step runs fruxon-twilio: ${s.join(' ')}`);
  const port = await freePort();
  const env = { ...h.env, FRUXON_TWILIO_EMULATOR_PORT: String(port) };
  const emulatorUrl = `http://127.0.0.1:${port}`;
  let account: { sid: string; token: string; number: string } | null = null;
  let listen: TmuxPane | null = null;

  for (const [, command, ...args] of steps) {
    switch (command) {
      case 'demo': {
        const r = await runCliChildProcess([command, ...args], { env, timeoutMs: 60_000 });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /Started the Twilio emulator at http:\/\/127\.0\.0\.1:\d+/);
        assert.match(r.stdout, /twilio\.message\.received trigger gets this payload/);
        assert.match(r.stdout, /^Done in [\d.]+ s\. Next, with your Twilio account:/m);
        const left = await runCliChildProcess(['configs', 'list', '--json'], { env });
        assert.deepEqual(JSON.parse(left.stdout), [], 'the demo cleaned up after itself');
        break;
      }
      case 'emulator': {
        const pane = TmuxPane.start([command, ...args], { env, cols: 160, rows: 30 });
        panes.push(pane);
        const screen = await pane.waitFor(/Press Ctrl-C to stop\./);
        assert.ok(screen.includes(`Twilio emulator at ${emulatorUrl}`), screen);
        account = {
          sid: /account sid +(AC[0-9a-f]{32})/.exec(screen)![1]!,
          token: /auth token +(\S+)/.exec(screen)![1]!,
          number: /numbers +(\+\d+)/.exec(screen)![1]!,
        };
        break;
      }
      case 'add-config': {
        assert.ok(account, 'the emulator runs');
        const pane = TmuxPane.start([command, ...args], { env, cols: 160, rows: 30 });
        panes.push(pane);
        await pane.waitFor(new RegExp(`Add the config for the emulator at ${emulatorUrl.replace(/\./g, '\\.')}\\?`));
        pane.keys('Enter');
        await pane.waitFor(/Display name/);
        pane.type('My first config');
        pane.keys('Enter');
        await pane.waitFor(/From number/);
        pane.type(account.number);
        pane.keys('Enter');
        await pane.waitFor(/Account SID/);
        pane.type(account.sid);
        pane.keys('Enter');
        await pane.waitFor(/Auth Token \(input hidden\)/);
        pane.type(account.token);
        pane.keys('Enter');
        const screen = await pane.waitFor(/Next: fruxon-twilio listen/);
        assert.match(screen, /Saved config My first config \(default\): .* Auth Token in the OS keychain, verified/);
        assert.equal(await pane.exitStatus(), 0);
        assert.doesNotMatch(screen, new RegExp(account.token), 'the token never shows');
        break;
      }
      case 'doctor': {
        const r = await runCliChildProcess([command, ...args], { env });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /✔ credentials/);
        assert.match(r.stdout, /✔ ngrok +not needed/);
        assert.doesNotMatch(r.stdout + r.stderr, /NGROK_AUTHTOKEN is not set/);
        // The number has no webhook until listen runs: a warning, and the summary says so.
        assert.match(r.stderr, /^No check failed; 1 warning above \(marked !\)\.$/m);
        break;
      }
      case 'listen': {
        listen = TmuxPane.start([command, ...args, '--port', '0'], { env, cols: 100, rows: 30 });
        panes.push(listen);
        const screen = await listen.waitFor(/waiting for messages to \+\d+/);
        assert.match(screen, /fruxon-twilio listen · config "My first config"/);
        assert.match(screen, /inspector http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/);
        assert.match(screen, /\(webhook registered/);
        break;
      }
      case 'simulate': {
        assert.ok(listen, 'listen runs');
        const r = await runCliChildProcess([command, ...args], { env });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        const from = args[args.indexOf('--from') + 1]!.replace('+', '\\+');
        const body = args[args.indexOf('--body') + 1]!;
        await listen.waitFor(new RegExp(`${from} {2}${body} {2}#\\d+`));
        // q: the screen goes, the webhook is put back.
        listen.keys('q');
        assert.equal(await listen.exitStatus(), 0);
        assert.match(listen.screen({ history: true }), /Restored the webhook of \+\d+/);
        break;
      }
    }
  }
});
