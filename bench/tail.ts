import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import twilio from 'twilio';
import RequestClient from 'twilio/lib/base/RequestClient.js';
import { type EmulatorLogEntry, startEmulator } from '../src/emulator/index.js';
import { BENCH_ACCOUNT, BENCH_FROM, BENCH_TOKEN, binPath, median, percentile, round, tempDir } from './common.js';
import { benchHome } from './listener.js';

/**
 * `messages tail`'s cost and speed against the in-process emulator with Twilio's lists lagging `lagMs` (1 s):
 * the Twilio API requests it makes per minute while idle (after its back-off has settled) and while 10 messages
 * per second flow (half inbound, half sent by "the agent" through the API, each with its status changes), and
 * the delay from a message entering the emulator's log to its line on the output of `messages tail --json` (the
 * built CLI, in its own process, as a user runs it).
 */

const PHONE = '+14155550160';
const WAKE_S = 11;

export interface TailBench {
  lag_ms: number;
  idle_window_s: number;
  idle_requests_per_min: number;
  traffic_window_s: number;
  traffic_msgs_per_s: number;
  traffic_requests_per_min: number;
  messages_sent: number;
  messages_seen: number;
  /** Over the messages created in the measured window (after the tail woke from its idle back-off). */
  delay_ms_p50: number;
  delay_ms_p95: number;
  delay_ms_max: number;
  delay_ms_p95_inbound: number;
  delay_ms_p95_outbound: number;
}

export async function tailBench(opts: {
  lagMs: number;
  idleWarmupS: number;
  idleWindowS: number;
  trafficS: number;
  rate: number;
  log: (s: string) => void;
}): Promise<TailBench> {
  const requests: number[] = [];
  const onLog = (e: EmulatorLogEntry) => {
    // The tail's requests: GETs of the Messages and Alerts lists (not the agent's POSTs).
    if (e.event === 'http.request' && e.method === 'GET' && /Messages\.json$|\/v1\/Alerts$/.test(e.path ?? ''))
      requests.push(Date.now());
  };
  const emu = await startEmulator({
    accountSid: BENCH_ACCOUNT,
    authToken: BENCH_TOKEN,
    numbers: [BENCH_FROM],
    statusDelayMs: 300,
    listLagMs: opts.lagMs,
    onLog,
  });
  const home = tempDir('fruxon-twilio-bench-tail-');
  try {
    const env = await benchHome(home.dir, emu.url);
    // The tail as a user runs it: the built CLI in its own process, its JSON lines timed as they arrive.
    const seenAt = new Map<string, number>();
    const child = spawn(process.execPath, [binPath, 'messages', 'tail', '--json'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const e = JSON.parse(line) as { kind: string; sid: string };
      if (e.kind === 'message' && !seenAt.has(e.sid)) seenAt.set(e.sid, Date.now());
    });
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));

    const count = (from: number, to: number) => requests.filter((t) => t >= from && t < to).length;
    opts.log(`tail: idle for ${opts.idleWarmupS + opts.idleWindowS} s (lag ${opts.lagMs} ms)...`);
    await sleep(opts.idleWarmupS * 1000);
    const idleFrom = Date.now();
    await sleep(opts.idleWindowS * 1000);
    const idleRequests = count(idleFrom, Date.now());

    // The first WAKE_S seconds of traffic are the tail waking from its idle back-off (it polls an idle channel
    // every 10 s): not measured. Then `trafficS` seconds "while traffic flows".
    opts.log(`tail: ${opts.rate} messages/s for ${WAKE_S} + ${opts.trafficS} s...`);
    class Redirect extends RequestClient {
      override request<T>(o: RequestClient.RequestOptions<T>) {
        return super.request({ ...o, uri: o.uri.replace(/^https:\/\/([a-z0-9-]+\.)*twilio\.com/i, emu.url) });
      }
    }
    const agent = twilio(BENCH_ACCOUNT, BENCH_TOKEN, { accountSid: BENCH_ACCOUNT, httpClient: new Redirect() });
    const created = new Map<string, number>();
    const inboundSids = new Set<string>();
    const trafficFrom = Date.now();
    const total = opts.rate * (WAKE_S + opts.trafficS);
    const measuredFrom = trafficFrom + WAKE_S * 1000;
    for (let i = 0; i < total; i++) {
      const due = trafficFrom + (i * 1000) / opts.rate;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      if (i % 2 === 0) {
        const at = Date.now();
        const r = await emu.deliverInbound({ from: PHONE, to: BENCH_FROM, body: `inbound ${i}` });
        created.set(r.messageSid, at);
        inboundSids.add(r.messageSid);
      } else {
        const at = Date.now();
        const m = await agent.messages.create({ from: BENCH_FROM, to: PHONE, body: `reply ${i}` });
        created.set(m.sid, at);
      }
    }
    const trafficTo = measuredFrom + opts.trafficS * 1000;
    if (Date.now() < trafficTo) await sleep(trafficTo - Date.now());
    const trafficRequests = count(measuredFrom, trafficTo);
    // The last messages: give them the lag and a few polls.
    await sleep(opts.lagMs + 3000);
    child.kill('SIGINT');
    const code = await exited;
    if (code !== 0) throw new Error(`messages tail exited with ${code}: ${stderr}`);

    const seenCount = [...created.keys()].filter((sid) => seenAt.has(sid)).length;
    const delaysOf = (which: (sid: string) => boolean) =>
      [...created].flatMap(([sid, at]) => {
        const seen = seenAt.get(sid);
        return seen === undefined || at < measuredFrom || !which(sid) ? [] : [seen - at];
      });
    const delays = delaysOf(() => true);
    const inbound = delaysOf((sid) => inboundSids.has(sid));
    const outbound = delaysOf((sid) => !inboundSids.has(sid));
    const minutes = (ms: number) => ms / 60_000;
    return {
      lag_ms: opts.lagMs,
      idle_window_s: opts.idleWindowS,
      idle_requests_per_min: round(idleRequests / minutes(opts.idleWindowS * 1000), 1),
      traffic_window_s: round((trafficTo - measuredFrom) / 1000, 1),
      traffic_msgs_per_s: opts.rate,
      traffic_requests_per_min: round(trafficRequests / minutes(trafficTo - measuredFrom), 1),
      messages_sent: created.size,
      messages_seen: seenCount,
      delay_ms_p50: delays.length ? Math.round(median(delays)) : -1,
      delay_ms_p95: delays.length ? Math.round(percentile(delays, 95)) : -1,
      delay_ms_max: delays.length ? Math.round(Math.max(...delays)) : -1,
      delay_ms_p95_inbound: inbound.length ? Math.round(percentile(inbound, 95)) : -1,
      delay_ms_p95_outbound: outbound.length ? Math.round(percentile(outbound, 95)) : -1,
    };
  } finally {
    await emu.stop();
    home.cleanup();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
