import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { CliChildProcess, type CliResult, runCliChildProcess, stopAllCliRuns, tempHome } from '../helpers/cli.js';
import { OUR_NUMBER, PHONE } from '../helpers/fixtures.js';

// A token (and a production webhook URL key) we chose, so we know exactly which bytes must never leak.
const TOKEN = '5ec2e7a0c0ffee11d00dfeed5ec2e7a0';
const WEBHOOK_KEY = 'whk9sEcReTkEy0Of0fRuXoNiNgReSs42';

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe('secrets: after a run of every command the token is nowhere on disk or in any output', () => {
  const h = tempHome();
  let emulator: Emulator;
  const outputs: { args: string; r: CliResult }[] = [];
  const needles: [string, Buffer][] = [];
  const scans: string[] = [];

  before(async () => {
    emulator = await startEmulator({ numbers: [OUR_NUMBER], authToken: TOKEN, statusDelayMs: 10, retryDelaysMs: [20] });
    needles.push(['token', Buffer.from(TOKEN)]);
    needles.push(['token (UTF-16)', Buffer.from(TOKEN, 'utf16le')]);
    needles.push(['basic auth', Buffer.from(Buffer.from(`${emulator.accountSid}:${TOKEN}`).toString('base64'))]);
    needles.push(['webhook key', Buffer.from(WEBHOOK_KEY)]);
  });
  after(async () => {
    await stopAllCliRuns();
    await emulator.stop();
    h.cleanup();
  });

  /** Every file of the data directory (db, -wal, -shm, anything else): no needle; modes 0700/0600. */
  function scanDataDir(when: string, opts: { skip?: string[] } = {}): void {
    assert.equal(statSync(h.home).mode & 0o777, 0o700, `${when}: data directory mode`);
    for (const file of files(h.home)) {
      scans.push(file);
      assert.equal(
        statSync(file).mode & 0o077,
        0,
        `${when}: ${file} is readable by others: ${(statSync(file).mode & 0o777).toString(8)}`,
      );
      const bytes = readFileSync(file);
      for (const [name, needle] of needles) {
        if (!opts.skip?.includes(name)) assert.equal(bytes.indexOf(needle), -1, `${when}: the ${name} is in ${file}`);
      }
    }
  }

  async function run(args: string[], input?: string, expect = 0): Promise<CliResult> {
    const r = await runCliChildProcess(args, { env: h.env, input });
    outputs.push({ args: args.join(' '), r });
    assert.equal(r.code, expect, `${args.join(' ')}: ${r.stderr}`);
    return r;
  }

  test('every command, then the files and outputs', async () => {
    const prodUrl = `${emulator.url}/ingress/${WEBHOOK_KEY}`;
    await run(
      [
        'add-config',
        '--name',
        'sec',
        '--from',
        OUR_NUMBER,
        '--account-sid',
        emulator.accountSid,
        '--api-url',
        emulator.url,
        '--auth-token-stdin',
        '--webhook-url-stdin',
        '--json',
      ],
      `${TOKEN}\n${prodUrl}\n`,
    );
    await run(
      [
        'add-config',
        '--name',
        'sec2',
        '--from',
        OUR_NUMBER,
        '--account-sid',
        emulator.accountSid,
        '--api-url',
        emulator.url,
        '--auth-token-stdin',
      ],
      TOKEN,
    );
    await run(['configs', 'list']);
    await run(['configs', 'list', '--json']);
    await run(['configs', 'show', 'sec']);
    await run(['configs', 'show', 'sec', '--json']);
    await run(['configs', 'use', 'sec']);
    await run(['configs', 'set', 'sec2', '--name', 'sec-two', '--json']);
    await run(['participants', 'add', 'alice', '--phone', PHONE]);
    await run(['participants', 'list', '--json']);
    await run(['doctor', '--json']);
    await run(['doctor']);
    await run(['webhook', 'show', '--json']);
    await run(['webhook', 'set', '--yes']);
    await run(['webhook', 'show']);
    const sent = JSON.parse(
      (await run(['send', '--to', 'alice', '--body', 'secret-free hello', '--wait', '--json'])).stdout,
    );
    await run(['messages', 'list', '--json']);
    await run(['messages', 'show', sent.sid]);

    const p = new CliChildProcess(['listen', '--json', '--port', '0', '--forward-to', 'http://127.0.0.1:9/none'], {
      env: h.env,
    });
    await p.waitFor(/Ready! Listening/);
    const d = await emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'inbound while listening' });
    assert.equal(d.statusCode, 200);
    await p.waitFor(/"trigger"/, { stream: 'stdout' });
    await p.waitFor(/forward #\d+/);
    // The -wal and -shm files exist now, and the lease holds what the number pointed at before (the
    // production URL, kept as a flag, never its text).
    scanDataDir('while listen runs');
    assert.ok(
      scans.some((f) => f.endsWith('-wal')),
      `no WAL file seen: ${scans.join(', ')}`,
    );
    p.kill('SIGKILL');
    await p.exited;
    outputs.push({ args: 'listen', r: { code: null, signal: 'SIGKILL', stdout: p.stdout, stderr: p.stderr } });
    await run(['restore', '--config', 'sec']);
    await run(['participants', 'remove', 'alice']);
    await run(['configs', 'remove', 'sec-two']);
    await run(['configs', 'remove', 'sec']);
    await run(['configs', 'list']);

    scanDataDir('at the end');
    for (const { args, r } of outputs) {
      for (const [name, needle] of needles) {
        assert.ok(!r.stdout.includes(needle.toString('latin1')), `the ${name} is on the stdout of ${args}`);
        assert.ok(!r.stderr.includes(needle.toString('latin1')), `the ${name} is on the stderr of ${args}`);
      }
    }
    assert.ok(outputs.length >= 20, `${outputs.length} commands run`);
  });
});
