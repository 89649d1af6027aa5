/**
 * `npm run live`: the maintainers' smoke test against reality (docs/live-smoke.md). Runs the built CLI through
 * the loop a user runs (add-config --token-from-env, doctor, webhook show, listen through ngrok, a message from
 * the tester and its arrival, the restore, a `test` scenario when a Fruxon token is given, messages list) on a
 * Twilio sub-account, with the API trace on (FRUXON_TWILIO_DEBUG=api,body into files, redacted), then records
 * every Twilio answer it saw, normalised, under test/fixtures/live/ for the contract test (`npm run test:shared`)
 * to hold the emulator to. Never part of `npm test`: it needs credentials, the network and money (two SMS).
 *
 * Without the variables it needs it says which and exits 2.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixtureFromTrace, fixtureName, type LiveFixture, parseTraceLine } from './fixtures.js';

/** The variables a live run needs, and what each is. */
export const REQUIRED_VARS: readonly (readonly [string, string])[] = [
  ['FRUXON_TWILIO_LIVE_ACCOUNT_SID', 'Account SID (AC…) of a Twilio sub-account kept for this smoke test'],
  ['FRUXON_TWILIO_LIVE_AUTH_TOKEN', "that sub-account's Auth Token"],
  ['FRUXON_TWILIO_LIVE_FROM', 'a number of that sub-account (E.164): the loop listens on it'],
  ['FRUXON_TWILIO_LIVE_TESTER', 'a second number of that sub-account (E.164): it texts the first'],
  ['NGROK_AUTHTOKEN', 'an ngrok authtoken: listen tunnels through ngrok'],
];
export const OPTIONAL_VARS: readonly (readonly [string, string])[] = [
  ['FRUXON_TOKEN', 'a Fruxon token (fx_pat_…): with FRUXON_TENANT, also link and a `test` scenario'],
  ['FRUXON_TENANT', 'the Fruxon tenant of that token'],
  ['FRUXON_TWILIO_LIVE_API_URL', 'rehearsal only: run the loop against this emulator instead of Twilio (no ngrok)'],
  ['FRUXON_TWILIO_LIVE_FIXTURES', 'where to write the recorded answers (default test/fixtures/live/)'],
];

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const binPath = join(repoRoot, 'bin', 'fruxon-twilio.js');

/** What is missing from `env` for a live run (a rehearsal needs no ngrok token). */
export function missingVars(env: NodeJS.ProcessEnv): string[] {
  const rehearsal = Boolean(env.FRUXON_TWILIO_LIVE_API_URL);
  return REQUIRED_VARS.map(([name]) => name).filter((name) => !env[name] && !(rehearsal && name === 'NGROK_AUTHTOKEN'));
}

interface StepResult {
  name: string;
  ok: boolean;
  code: number | null;
  ms: number;
  detail: string;
}

async function main(): Promise<number> {
  const env = process.env;
  const missing = missingVars(env);
  if (missing.length > 0) {
    const w = Math.max(...[...REQUIRED_VARS, ...OPTIONAL_VARS].map(([n]) => n.length));
    process.stderr.write(
      [
        `npm run live: missing ${missing.join(', ')}`,
        '',
        'The live smoke test runs fruxon-twilio against real Twilio and ngrok (docs/live-smoke.md). It needs:',
        ...REQUIRED_VARS.map(([n, what]) => `  ${missing.includes(n) ? '✖' : '✔'} ${n.padEnd(w)}  ${what}`),
        'and optionally:',
        ...OPTIONAL_VARS.map(([n, what]) => `  ${env[n] ? '✔' : '–'} ${n.padEnd(w)}  ${what}`),
        '',
      ].join('\n'),
    );
    return 2;
  }
  const rehearsal = env.FRUXON_TWILIO_LIVE_API_URL ?? null;
  const from = env.FRUXON_TWILIO_LIVE_FROM!;
  const tester = env.FRUXON_TWILIO_LIVE_TESTER!;
  const withFruxon = Boolean(env.FRUXON_TOKEN && env.FRUXON_TENANT);
  const fixturesDir = resolve(env.FRUXON_TWILIO_LIVE_FIXTURES ?? join(repoRoot, 'test', 'fixtures', 'live'));
  const work = mkdtempSync(join(tmpdir(), 'fruxon-twilio-live-'));
  const nonce = randomBytes(4).toString('hex');
  const results: StepResult[] = [];
  const traces: { step: string; file: string }[] = [];

  const childEnv = (step: string): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(env)) if (!/^(TWILIO_|FRUXON_|NGROK_)/.test(k)) e[k] = v;
    const file = join(work, `trace-${String(traces.length + 1).padStart(2, '0')}.log`);
    traces.push({ step, file });
    return {
      ...e,
      NO_COLOR: '1',
      FRUXON_TWILIO_HOME: join(work, 'home'),
      TWILIO_ACCOUNT_SID: env.FRUXON_TWILIO_LIVE_ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: env.FRUXON_TWILIO_LIVE_AUTH_TOKEN,
      ...(env.NGROK_AUTHTOKEN ? { NGROK_AUTHTOKEN: env.NGROK_AUTHTOKEN } : {}),
      ...(withFruxon ? { FRUXON_TOKEN: env.FRUXON_TOKEN, FRUXON_TENANT: env.FRUXON_TENANT } : {}),
      ...(env.FRUXON_API_URL ? { FRUXON_API_URL: env.FRUXON_API_URL } : {}),
      FRUXON_TWILIO_DEBUG: 'api,body',
      FRUXON_TWILIO_DEBUG_FILE: file,
    };
  };

  const start = (step: string, args: string[], input?: string) => {
    const child = spawn(process.execPath, [binPath, ...args], {
      env: childEnv(step),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out = { stdout: '', stderr: '' };
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
    child.stdin.on('error', () => {});
    if (input !== undefined) child.stdin.end(input);
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    return { child, out, exited };
  };

  const run = async (
    step: string,
    args: string[],
    opts: { input?: string; timeoutMs?: number; okCodes?: number[] } = {},
  ) => {
    const t0 = performance.now();
    const p = start(step, args, opts.input ?? '');
    const timer = setTimeout(() => p.child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    const code = await p.exited;
    clearTimeout(timer);
    const ok = (opts.okCodes ?? [0]).includes(code ?? -1);
    const detail = ok ? '' : lastLine(p.out.stderr) || `exit ${code}`;
    results.push({ name: step, ok, code, ms: performance.now() - t0, detail });
    report(results.at(-1)!);
    return { ok, code, ...p.out };
  };

  process.stderr.write(`live smoke ${nonce}: ${rehearsal ? `rehearsal against ${rehearsal}` : 'against Twilio'}\n`);
  const apiUrl = rehearsal ? ['--api-url', rehearsal] : [];
  try {
    const added = await run('add-config', [
      'add-config',
      '--name',
      'live',
      '--from',
      from,
      '--token-from-env',
      '--default',
      '--json',
      ...apiUrl,
    ]);
    await run('add-config tester', [
      'add-config',
      '--name',
      'tester',
      '--from',
      tester,
      '--token-from-env',
      '--json',
      ...apiUrl,
    ]);
    if (added.ok) {
      await run('doctor', ['doctor', '--config', 'live', '--json'], { okCodes: [0, 1] });
      await run('webhook show', ['webhook', 'show', '--config', 'live', '--json']);

      // listen through ngrok, a message from the tester, its arrival, then Ctrl-C (which puts the webhook back).
      const t0 = performance.now();
      const listen = start('listen', [
        'listen',
        '--config',
        'live',
        '--json',
        '--no-inspect',
        '--no-interactive',
        '--port',
        '0',
        '--check-missed',
        '0',
        ...(rehearsal ? ['--tunnel', 'none'] : []),
      ]);
      const ready = await until(() => /Ready! Listening/.test(listen.out.stderr), listen.exited, 60_000);
      results.push({
        name: 'listen',
        ok: ready,
        code: null,
        ms: performance.now() - t0,
        detail: ready ? '' : lastLine(listen.out.stderr) || 'not ready within 60 s',
      });
      report(results.at(-1)!);
      if (ready) {
        const body = `fruxon-twilio live smoke ${nonce}`;
        await run('send (tester -> from)', ['send', '--config', 'tester', '--to', from, '--body', body, '--json']);
        const t1 = performance.now();
        const arrived = await until(() => listen.out.stdout.includes(nonce), listen.exited, 90_000);
        results.push({
          name: 'message arrives at listen',
          ok: arrived,
          code: null,
          ms: performance.now() - t1,
          detail: arrived ? '' : 'no event with the message within 90 s',
        });
        report(results.at(-1)!);
      }
      const t2 = performance.now();
      listen.child.kill('SIGINT');
      const timer = setTimeout(() => listen.child.kill('SIGKILL'), 30_000);
      const code = await listen.exited;
      clearTimeout(timer);
      results.push({
        name: 'listen stops and restores',
        ok: code === 0,
        code,
        ms: performance.now() - t2,
        detail: code === 0 ? '' : lastLine(listen.out.stderr),
      });
      report(results.at(-1)!);
      await run('restore', ['restore', '--json']);
      await run('webhook show (restored)', ['webhook', 'show', '--config', 'live', '--json']);

      if (withFruxon) {
        const linked = await run('link', ['link', '--config', 'live', '--json']);
        if (linked.ok) {
          const scenario = join(work, 'smoke.yaml');
          writeFileSync(
            scenario,
            `name: live smoke\nfrom: "${tester}"\nsteps:\n  - send: "Hello from the fruxon-twilio live smoke ${nonce}"\n  - expect: { within: 60s }\n`,
          );
          await run('test scenario', ['test', scenario, '--config', 'live', '--json'], { timeoutMs: 120_000 });
        }
      }
      await run('messages list', ['messages', 'list', '--config', 'live', '--limit', '5', '--json']);
    }
  } finally {
    const written = recordFixtures(traces, fixturesDir, { from, tester }, rehearsal);
    process.stderr.write(
      `\n${written.length} answers recorded in ${fixturesDir}${written.length ? `: ${written.join(', ')}` : ''}\n` +
        'Compare the emulator with them: npm run test:shared (review the diff of test/fixtures/live/ before committing it)\n',
    );
    rmSync(work, { recursive: true, force: true });
  }
  const failed = results.filter((r) => !r.ok);
  process.stderr.write(
    failed.length === 0
      ? `live smoke ${nonce}: every step passed\n`
      : `live smoke ${nonce}: ${failed.length} step(s) failed: ${failed.map((f) => f.name).join(', ')}\n`,
  );
  return failed.length === 0 ? 0 : 1;
}

function report(r: StepResult): void {
  process.stderr.write(
    `${r.ok ? '✔' : '✖'} ${r.name.padEnd(28)} ${String(Math.round(r.ms)).padStart(6)} ms${r.detail ? `  ${r.detail}` : ''}\n`,
  );
}

function lastLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('[api]'))
      .at(-1) ?? ''
  );
}

async function until(cond: () => boolean, exited: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (gone || Date.now() > deadline) return cond();
    await new Promise((r) => setTimeout(r, 200));
  }
  return true;
}

/** Every Twilio answer the trace files hold, as fixtures (the first of each method, path and status). */
function recordFixtures(
  traces: { step: string; file: string }[],
  dir: string,
  ids: { from: string; tester: string },
  rehearsal: string | null,
): string[] {
  const recorded = `npm run live ${new Date().toISOString().slice(0, 10)}${rehearsal ? ' (rehearsal on the emulator)' : ''}`;
  const byName = new Map<string, LiveFixture>();
  for (const { step, file } of traces) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // that step made no call
    }
    for (const line of text.split('\n')) {
      const call = parseTraceLine(line);
      const f = call && fixtureFromTrace(call, ids, recorded, step);
      if (f && !byName.has(fixtureName(f))) byName.set(fixtureName(f), f);
    }
  }
  mkdirSync(dir, { recursive: true });
  for (const [name, f] of byName) writeFileSync(join(dir, name), `${JSON.stringify(f, null, 2)}\n`);
  return [...byName.keys()].sort();
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`npm run live: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
