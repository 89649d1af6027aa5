import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Emulator, startEmulator } from '../emulator/index.js';
import type { TriggerEnvelope } from '../listener/payload.js';
import type { RestoreOutcome } from '../listener/registration.js';
import { ListenSession } from '../listener/session.js';
import type { Config, Store } from '../store/index.js';
import { type Message, sendMessage, waitForFinalStatus } from '../twilio/messages.js';
import { saveConfig } from './configs.js';
import type { CoreDeps } from './deps.js';

/**
 * The whole loop offline, in one process: the emulator, a throwaway config in a temporary data directory
 * (its token in this run's memory only: no keychain needed; the store is opened through `deps.openStore`
 * on that directory, never the user's), a listener registered on the emulator's
 * number, two inbound messages from simulated phones, and a test message out. It never prints: each step
 * is reported through `onStep`, and the command decides how to show it.
 */

export const DEMO_NUMBER = '+15005550006';
export const DEMO_PHONES = { sms: '+14155550123', whatsapp: '+447700900123' } as const;

export type DemoStep =
  | { step: 'emulator'; url: string; accountSid: string; number: string }
  | { step: 'config'; name: string; home: string; participant: string }
  | { step: 'listen'; webhookUrl: string; number: string }
  | { step: 'inbound'; channel: 'sms' | 'whatsapp'; description: string; envelope: TriggerEnvelope }
  | { step: 'send-status'; message: Message }
  | { step: 'sent'; message: Message }
  /** Dana texts STOP: the event (its opt_out_type), and the reply Twilio then refuses (21610). */
  | { step: 'opt-out'; envelope: TriggerEnvelope; refused: { code: number | null; message: string } }
  | { step: 'stopped'; restore: RestoreOutcome | null };

/** The demo opens its own store (a throwaway data directory); the Twilio factory makes the client for its emulator. */
export interface DemoDeps extends Pick<CoreDeps, 'twilio' | 'now'> {
  /** Opens the store; the demo hands it an environment whose data directory is a throwaway one. */
  openStore: (env: NodeJS.ProcessEnv, opts?: { now?: () => Date }) => Store;
}

export async function runDemo(
  onStep: (s: DemoStep) => void,
  deps: DemoDeps,
  opts: { statusDelayMs?: number } = {},
): Promise<{ events: number; sent: Message }> {
  const home = mkdtempSync(join(tmpdir(), 'fruxon-twilio-demo-'));
  let emulator: Emulator | null = null;
  let store: Store | null = null;
  let session: ListenSession | null = null;
  try {
    emulator = await startEmulator({ numbers: [DEMO_NUMBER], statusDelayMs: opts.statusDelayMs ?? 120 });
    onStep({ step: 'emulator', url: emulator.url, accountSid: emulator.accountSid, number: DEMO_NUMBER });

    const env: NodeJS.ProcessEnv = { FRUXON_TWILIO_HOME: home, TWILIO_AUTH_TOKEN: emulator.authToken };
    store = deps.openStore(env);
    const config: Config = saveConfig(
      store,
      {
        name: 'demo',
        fromNumber: DEMO_NUMBER,
        accountSid: emulator.accountSid,
        authMethod: 'auth-token',
        apiKeySid: null,
        secretSource: 'env',
        apiUrl: emulator.url,
      },
      null,
    );
    store.participants.add({ name: 'Dana', phone: DEMO_PHONES.sms, configId: config.id });
    onStep({ step: 'config', name: config.name, home, participant: 'Dana' });

    const creds = {
      accountSid: emulator.accountSid,
      authMethod: 'auth-token' as const,
      apiKeySid: null,
      secret: emulator.authToken,
      apiUrl: emulator.url,
    };
    const client = await deps.twilio(creds);
    const arrived: TriggerEnvelope[] = [];
    let notify: () => void = () => {};
    const activeStore = store;
    session = new ListenSession({
      store: activeStore,
      config,
      authToken: emulator.authToken,
      skipVerify: false,
      host: '127.0.0.1',
      port: 0,
      tunnel: { kind: 'none' },
      twilio: client,
      now: deps.now,
      apiUrl: emulator.url,
      productionUrl: () => null,
      contactName: activeStore.participants.contactBook(config.id).nameFor,
      hooks: {
        onEvent: (envelope, duplicate) => {
          if (!duplicate) arrived.push(envelope);
          notify();
        },
      },
    });
    const info = await session.start();
    onStep({ step: 'listen', webhookUrl: info.webhookUrl, number: DEMO_NUMBER });

    const inbound = [
      {
        channel: 'sms' as const,
        description: 'Dana texts your number (SMS)',
        msg: { from: DEMO_PHONES.sms, to: DEMO_NUMBER, body: 'Hi! Is my order #1042 on its way?' },
      },
      {
        channel: 'whatsapp' as const,
        description: 'Sam sends a photo on WhatsApp',
        msg: {
          from: DEMO_PHONES.whatsapp,
          to: DEMO_NUMBER,
          body: 'The parcel arrived damaged, see the photo',
          whatsapp: true,
          profileName: 'Sam',
          mediaUrls: [{ url: 'https://media.example.com/parcel.jpg', contentType: 'image/jpeg' }],
        },
      },
    ];
    for (const [i, m] of inbound.entries()) {
      const seen = new Promise<void>((r) => (notify = () => arrived.length > i && r()));
      const result = await emulator.deliverInbound(m.msg);
      if (result.outcome !== 'delivered')
        throw new Error(`the emulator could not deliver the ${m.channel} message: ${result.error ?? result.outcome}`);
      await seen;
      onStep({ step: 'inbound', channel: m.channel, description: m.description, envelope: arrived[i]! });
    }

    const sent = await sendMessage(
      client,
      { from: DEMO_NUMBER, to: DEMO_PHONES.sms, body: 'Hi Dana, your order ships today.' },
      { apiUrl: emulator.url },
    );
    onStep({ step: 'send-status', message: sent });
    // Polled three times per status change of the demo's emulator (120 ms apart), so every status shows even on a busy machine.
    const waited = await waitForFinalStatus(client, sent.sid, {
      timeoutMs: 10_000,
      intervalMs: 25,
      maxIntervalMs: 40,
      onStatus: (m) => onStep({ step: 'send-status', message: m }),
    });
    onStep({ step: 'sent', message: waited.message });

    // Twilio's message policy: Dana opts out, and the next reply to her is refused at create (21610).
    const stopSeen = new Promise<void>((r) => (notify = () => arrived.length > inbound.length && r()));
    const stop = await emulator.deliverInbound({ from: DEMO_PHONES.sms, to: DEMO_NUMBER, body: 'STOP' });
    if (stop.outcome !== 'delivered')
      throw new Error(`the emulator could not deliver the STOP message: ${stop.error ?? stop.outcome}`);
    await stopSeen;
    const refused = await sendMessage(
      client,
      { from: DEMO_NUMBER, to: DEMO_PHONES.sms, body: 'Anything else I can help with?' },
      { apiUrl: emulator.url },
    ).then(
      () => null,
      (err: unknown) => ({ code: optOutCode(err), message: (err as Error).message }),
    );
    if (refused?.code !== 21610)
      throw new Error(`the reply after STOP was not refused with 21610: ${refused?.message ?? 'it was sent'}`);
    onStep({ step: 'opt-out', envelope: arrived[inbound.length]!, refused });

    const restore = await session.stop();
    session = null;
    onStep({ step: 'stopped', restore });
    return { events: arrived.length, sent: waited.message };
  } finally {
    await session?.stop().catch(() => undefined);
    store?.close();
    await emulator?.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

/** The Twilio error code a refused send carries (its CliError's reason is `twilio_<code>`). */
function optOutCode(err: unknown): number | null {
  const m = /^twilio_(\d+)$/.exec((err as { reason?: string }).reason ?? '');
  return m ? Number(m[1]) : null;
}
