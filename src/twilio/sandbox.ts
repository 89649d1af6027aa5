import { SANDBOX_NUMBER } from './route.js';

/**
 * The WhatsApp Sandbox's `join <code>` keyword, when it can be known. Twilio has no API for it (the Console shows
 * it); the emulator tells it on its control API, so with a config whose API URL is an emulator the tool can name
 * it. Null when unknown (real Twilio, an emulator guarded by a control token, or no answer within 2 s).
 */
export async function sandboxJoinCode(apiUrl: string | null): Promise<string | null> {
  if (!apiUrl) return null;
  try {
    const res = await fetch(`${apiUrl.replace(/\/+$/, '')}/_emulator/topology`, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return null;
    const code = ((await res.json()) as { sandbox?: { join_code?: unknown } }).sandbox?.join_code;
    return typeof code === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(code) ? code : null;
  } catch {
    return null;
  }
}

/** The step every Sandbox sender takes first, with the code when known. */
export function sandboxJoinStep(code: string | null): string {
  return code
    ? `senders must first send "join ${code}" to whatsapp:${SANDBOX_NUMBER} (again every 72 hours)`
    : `senders must first send "join <your sandbox keyword>" to whatsapp:${SANDBOX_NUMBER} (again every 72 hours; the keyword is on the Console's WhatsApp Sandbox page)`;
}
