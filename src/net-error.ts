/**
 * Why a `fetch()` failed, for a one-line message: the one parser of undici's errors (the listener's
 * `--forward-to`, the Fruxon client). Neutral: no I/O.
 */
export interface FetchFailure {
  /** The request's AbortSignal.timeout fired. */
  timedOut: boolean;
  /**
   * The network cause: its code (ECONNREFUSED, ENOTFOUND, ECONNRESET, UND_ERR_CONNECT_TIMEOUT, a TLS code such
   * as CERT_HAS_EXPIRED), else the first code of an AggregateError cause (a host with several addresses), else
   * the cause's message; null when the error has no cause (a timeout, an abort).
   */
  cause: string | null;
}

export function fetchFailure(err: unknown): FetchFailure {
  const e = err as { name?: string; cause?: { code?: string; message?: string; errors?: { code?: string }[] } } | null;
  const c = e?.cause;
  return { timedOut: e?.name === 'TimeoutError', cause: c?.code ?? c?.errors?.[0]?.code ?? c?.message ?? null };
}
