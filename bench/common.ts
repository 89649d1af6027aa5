import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';

/** The repository root (this file runs from dist/bench/). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const binPath = join(repoRoot, 'bin', 'fruxon-twilio.js');

/** The token the bench's configs use (a --token-from-env config: no keychain needed). */
export const BENCH_TOKEN = 'bench0auth0token0' + 'f'.repeat(15);
export const BENCH_ACCOUNT = 'AC' + '0123456789abcdef'.repeat(2);
export const BENCH_FROM = '+15005550006';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Environment for CLI children: no Twilio/Fruxon variables from the caller, no colour. */
export function cliEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const k of Object.keys(env)) if (/^(TWILIO_|FRUXON_|NGROK_)/.test(k)) delete env[k];
  return { ...env, ...extra };
}

/** Runs a child to completion; resolves with its wall time in ms (spawn to exit). */
export function timeRun(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  opts: { expectCode?: number } = {},
): Promise<{ ms: number; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', rej);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== (opts.expectCode ?? 0)) return rej(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`));
      res({ ms, stdout, stderr });
    });
  });
}

/** Resident set size of a Linux process, in MB (from /proc). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = status.match(/^VmRSS:\s+(\d+) kB/m);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}

/** Resolves with the first match of `re` on a child's stderr. */
export function waitForStderr(child: ChildProcess, re: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
  return new Promise((res, rej) => {
    let buf = '';
    const timer = setTimeout(() => rej(new Error(`timed out waiting for ${re}; stderr: ${buf}`)), timeoutMs);
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      const m = buf.match(re);
      if (m) {
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        res(m);
      }
    };
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`exited ${code} before ${re}; stderr: ${buf}`));
    });
  });
}

export function inboundFields(i: number, runTag: string): Record<string, string> {
  const sid = 'SM' + (runTag + i.toString(16)).padStart(32, '0').slice(-32);
  return {
    ToCountry: 'US',
    ToState: 'CA',
    SmsMessageSid: sid,
    NumMedia: '0',
    ToCity: 'SAN FRANCISCO',
    FromZip: '94105',
    SmsSid: sid,
    FromState: 'CA',
    SmsStatus: 'received',
    FromCity: 'SAN FRANCISCO',
    Body: `Hi, I would like to check the status of order #${100000 + i}. Thanks!`,
    FromCountry: 'US',
    To: BENCH_FROM,
    MessagingServiceSid: 'MG' + 'a'.repeat(32),
    ToZip: '94105',
    NumSegments: '1',
    MessageSid: sid,
    AccountSid: BENCH_ACCOUNT,
    From: '+1415555' + String(i % 10000).padStart(4, '0'),
    ApiVersion: '2010-04-01',
  };
}

/** A realistic inbound-message form, urlencoded, with its X-Twilio-Signature for `url`. */
export function signedBody(
  url: string,
  i: number,
  runTag: string,
  token = BENCH_TOKEN,
): { body: string; signature: string; sid: string } {
  const f = inboundFields(i, runTag);
  return {
    body: new URLSearchParams(f).toString(),
    signature: getExpectedTwilioSignature(token, url, f),
    sid: f.MessageSid!,
  };
}
