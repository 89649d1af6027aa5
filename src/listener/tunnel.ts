import { CliError } from '../errors.js';
import type { ApiTrace } from '../trace.js';

/**
 * How Twilio reaches the local listener. Three providers behind one interface: ngrok (the SDK, no binary
 * download), a public URL the user already runs (cloudflared, a reverse proxy), or none (the local URL,
 * for the emulator or --no-register).
 */
export interface Tunnel {
  kind: TunnelKind;
  /** The public origin (and base path, if any) that maps to the local listener's root. */
  publicUrl: string;
  close(): Promise<void>;
}

export type TunnelKind = 'ngrok' | 'public-url' | 'none';

export interface TunnelOptions {
  kind: TunnelKind;
  localOrigin: string;
  localPort: number;
  localHost: string;
  publicUrl?: string;
  ngrokAuthtoken?: string;
  /** ngrok's `server_addr`: a custom agent ingress (self-hosted or test), from $NGROK_SERVER_ADDR. */
  ngrokServerAddr?: string;
  /** How long ngrok may take to open a session before we give up with a clear error. */
  timeoutMs?: number;
  /** The API trace: told when the ngrok session opens (or fails), with its duration. */
  trace?: ApiTrace | null;
}

const ALTERNATIVES =
  'or use a tunnel you already run with --public-url https://…, or --tunnel none with the emulator or --no-register';

export async function openTunnel(opts: TunnelOptions): Promise<Tunnel> {
  switch (opts.kind) {
    case 'none':
      return { kind: 'none', publicUrl: opts.localOrigin, close: async () => {} };
    case 'public-url':
      return { kind: 'public-url', publicUrl: opts.publicUrl!.replace(/\/+$/, ''), close: async () => {} };
    case 'ngrok':
      return openNgrok(opts);
  }
}

async function openNgrok(opts: TunnelOptions): Promise<Tunnel> {
  if (!opts.ngrokAuthtoken) {
    throw new CliError('ngrok needs an authtoken: set NGROK_AUTHTOKEN or pass --ngrok-authtoken-stdin', {
      reason: 'tunnel_failed',
      hint: `get one at https://dashboard.ngrok.com/get-started/your-authtoken, ${ALTERNATIVES}`,
    });
  }
  const ngrok = await import('@ngrok/ngrok');
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  const t0 = performance.now();
  const ingress = opts.ngrokServerAddr ?? 'connect.ngrok-agent.com:443';
  try {
    const listener = await Promise.race([
      ngrok.forward({
        addr: `${opts.localHost === '0.0.0.0' ? '127.0.0.1' : opts.localHost}:${opts.localPort}`,
        authtoken: opts.ngrokAuthtoken,
        ...(opts.ngrokServerAddr ? { server_addr: opts.ngrokServerAddr } : {}),
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer from ngrok within ${Math.round(timeoutMs / 1000)} s`)),
          timeoutMs,
        );
      }),
    ]);
    const url = listener.url();
    if (!url) throw new Error('ngrok opened a session without a public URL');
    opts.trace?.http({
      service: 'ngrok',
      method: 'FORWARD',
      url: ingress,
      status: 'ok',
      ms: performance.now() - t0,
      responseBody: opts.trace.bodies ? `public URL ${url}` : null,
    });
    return {
      kind: 'ngrok',
      publicUrl: url.replace(/\/+$/, ''),
      close: async () => {
        await listener.close().catch(() => {});
      },
    };
  } catch (err) {
    const e = ngrokError(err);
    opts.trace?.http({
      service: 'ngrok',
      method: 'FORWARD',
      url: ingress,
      status: null,
      ms: performance.now() - t0,
      error: e.message,
    });
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** The SDK's errors are long and multi-line; keep the first line and say what else works. */
export function ngrokError(err: unknown): CliError {
  const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
  const code = (err as { errorCode?: string }).errorCode;
  return new CliError(`ngrok could not open a tunnel: ${msg}${code ? ` (${code})` : ''}`, {
    reason: 'tunnel_failed',
    hint: `check NGROK_AUTHTOKEN and your network, ${ALTERNATIVES}`,
    cause: err,
  });
}
