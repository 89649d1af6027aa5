/**
 * The load driver, run as its own process (so the client does not share an event loop with the bench):
 * pre-computes signed inbound-message forms with distinct MessageSids, then fires them with autocannon and
 * prints autocannon's result as one JSON line on stdout.
 *
 *   node dist/bench/load.js '{"url": "...", "signedUrl": "...", "amount": 20000, "connections": 10, "runTag": "a1"}'
 */
import { signedBody } from './common.js';

export interface LoadSpec {
  /** Where requests go. */
  url: string;
  /** The URL the signatures are computed over (the listener's public webhook URL). */
  signedUrl: string;
  /** A number of requests (autocannon's amount mode), or... */
  amount?: number;
  /** ...a duration in seconds: requests answered within it are counted (throughput: autocannon ends
   * amount-mode runs on a 1 s tick, which would quantize a short run's wall time). */
  durationS?: number;
  connections: number;
  /** Makes MessageSids unique across runs against one store. */
  runTag: string;
}

export interface LoadResult {
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationS: number;
  rps: number;
  latencyP50: number;
  latencyP99: number;
}

async function loadAutocannon(): Promise<(opts: unknown, cb: (err: Error | null, res: any) => void) => unknown> {
  try {
    const mod = (await import('autocannon' as string)) as { default: any };
    return mod.default;
  } catch (err) {
    throw new Error(
      `the listener benchmark needs the dev dependency autocannon (^9.0.0): run npm ci (or npm install --save-dev autocannon@^9.0.0); import failed: ${(err as Error).message}`,
    );
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]!) as LoadSpec;
  const autocannon = await loadAutocannon();
  // Enough distinct MessageSids: autocannon may start a few more than `amount`; a timed run gets room for 20k/s.
  const n = (spec.amount ?? 20_000 * spec.durationS!) + spec.connections * 4 + 100;
  const bodies = Array.from({ length: n }, (_, i) => signedBody(spec.signedUrl, i, spec.runTag));
  let next = 0;
  const t0 = performance.now();
  const result = await new Promise<any>((resolve, reject) => {
    autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        ...(spec.amount !== undefined ? { amount: spec.amount } : { duration: spec.durationS }),
        timeout: 30,
        requests: [
          {
            method: 'POST',
            setupRequest: (req: Record<string, unknown>) => {
              const b = bodies[next++ % n]!;
              return {
                ...req,
                method: 'POST',
                body: b.body,
                headers: {
                  'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
                  'x-twilio-signature': b.signature,
                  'i-twilio-idempotency-token': b.sid,
                  'user-agent': 'TwilioProxy/1.1',
                },
              };
            },
          },
        ],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
  });
  const wallS = spec.amount !== undefined ? (performance.now() - t0) / 1000 : spec.durationS!;
  const out: LoadResult = {
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationS: wallS,
    rps: result['2xx'] / wallS,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err) => {
  process.stderr.write(`load: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
