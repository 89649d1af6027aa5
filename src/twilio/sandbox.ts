import type { ApiTrace } from '../trace.js';
import { SANDBOX_NUMBER } from './route.js';

/**
 * What can be known of the WhatsApp Sandbox. Twilio has no API for it: the Console shows its `join <code>`
 * keyword, and who has joined cannot be read at all. The emulator tells both on its control API
 * (GET /_emulator/topology), so with a config whose API URL is an emulator the tool can name the code and
 * check a sender's membership.
 */
export interface SandboxFacts {
  joinCode: string | null;
  /** The senders (E.164) who joined in the last 72 hours; null: unknown. */
  participants: string[] | null;
}

/**
 * The Sandbox as the emulator tells it; null when nothing can be known (real Twilio, an emulator guarded by a
 * control token, or no answer within 2 s). The call is told to the API trace (null: off).
 */
export async function sandboxFacts(apiUrl: string | null, trace: ApiTrace | null): Promise<SandboxFacts | null> {
  if (!apiUrl) return null;
  const url = `${apiUrl.replace(/\/+$/, '')}/_emulator/topology`;
  const t0 = performance.now();
  let status: number | null = null;
  let text: string | null = null;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    status = res.status;
    text = await res.text();
    trace?.http({
      service: 'twilio',
      method: 'GET',
      url,
      status,
      ms: performance.now() - t0,
      responseBody: trace.bodies ? text : null,
    });
    if (!res.ok) return null;
    const sandbox = (JSON.parse(text) as { sandbox?: { join_code?: unknown; participants?: unknown } }).sandbox;
    const code = sandbox?.join_code;
    const participants = sandbox?.participants;
    return {
      joinCode: typeof code === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(code) ? code : null,
      participants:
        Array.isArray(participants) && participants.every((p) => typeof p === 'string')
          ? (participants as string[])
          : null,
    };
  } catch (err) {
    if (status === null)
      trace?.http({
        service: 'twilio',
        method: 'GET',
        url,
        status: null,
        ms: performance.now() - t0,
        error: String((err as Error).message),
      });
    return null;
  }
}

/** The Sandbox's `join <code>` keyword, when it can be known (see sandboxFacts). */
export async function sandboxJoinCode(apiUrl: string | null, trace: ApiTrace | null): Promise<string | null> {
  return (await sandboxFacts(apiUrl, trace))?.joinCode ?? null;
}

/** The step every Sandbox sender takes first, with the code when known. */
export function sandboxJoinStep(code: string | null): string {
  return code
    ? `senders must first send "join ${code}" to whatsapp:${SANDBOX_NUMBER} (again every 72 hours)`
    : `senders must first send "join <your sandbox keyword>" to whatsapp:${SANDBOX_NUMBER} (again every 72 hours; the keyword is on the Console's WhatsApp Sandbox page)`;
}
