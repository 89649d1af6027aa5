import type { RedeliverResult } from '../operations/redeliver.js';
import type { Output } from './index.js';
import { safe, truncate } from './index.js';

/** `messages redeliver --json`: one object per SID, in the order given. */
export function redeliverJson(r: RedeliverResult): Record<string, unknown> {
  return {
    sid: r.sid,
    ok: r.ok,
    url: r.url,
    status: r.status,
    body: r.body,
    error: r.error,
    refused: r.refused?.reason ?? null,
    reason: r.refused?.message ?? null,
    idempotency_token: r.idempotencyToken,
  };
}

export function printRedeliverResult(out: Output, r: RedeliverResult): void {
  const c = out.errColor;
  if (r.refused) {
    out.status(`${c.red('✗')} ${safe(r.refused.message)}`);
    return;
  }
  const answer = r.status !== null ? `HTTP ${r.status}` : `no answer: ${safe(r.error ?? '')}`;
  const mark = r.ok ? c.green('✔') : c.red('✗');
  out.status(`${mark} ${r.sid} → ${safe(r.url ?? '')}: ${answer}`);
  if (r.body) out.line(truncate(r.body, 500));
}
