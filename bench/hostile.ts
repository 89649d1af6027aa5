/**
 * What a stranger's requests cost the listener (issue 12): 64 KiB bodies of the shapes that cost a naive form
 * parser most, each timed alone, and a signed webhook's latency while several clients flood the listener with
 * them. The listener answers them 400 (over the form limits) or 403 (forged) before any trigger.
 */
import { type Agent, request } from 'node:http';

const MAX_BODY_BYTES = 64 * 1024;

export function hostileBodies(): Record<string, string> {
  const fill = (unit: string) => unit.repeat(Math.ceil(MAX_BODY_BYTES / unit.length)).slice(0, MAX_BODY_BYTES);
  return {
    one_key_repeated: fill('a&'),
    one_key_with_values: fill('a=1&'),
    distinct_keys: Array.from({ length: 8000 }, (_, i) => `k${i}=v`)
      .join('&')
      .slice(0, MAX_BODY_BYTES),
    one_huge_value: 'Body=' + fill('x').slice(5),
    percent_escapes: 'Body=' + fill('%41').slice(5),
    ampersands_only: fill('&'),
    within_limits_forged: Array.from({ length: 16 }, (_, i) => `F${i}=${'y'.repeat(4000)}`)
      .join('&')
      .slice(0, MAX_BODY_BYTES),
  };
}

/** POSTs one body; resolves with the status and the milliseconds to the end of the answer. */
export function post(
  url: URL,
  body: string,
  headers: Record<string, string>,
  agent?: Agent,
): Promise<{ status: number; ms: number }> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      },
      (resp) => {
        resp.resume();
        resp.on('end', () => res({ status: resp.statusCode!, ms: performance.now() - t0 }));
      },
    );
    req.on('error', rej);
    req.end(body);
  });
}
