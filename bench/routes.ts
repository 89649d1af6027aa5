import twilio from 'twilio';
import RequestClient from 'twilio/lib/base/RequestClient.js';
import { type Emulator, SANDBOX_NUMBER, startEmulator } from '../src/emulator/index.js';
import type { Topology } from '../src/emulator/types.js';
import type { Config } from '../src/store/index.js';
import type { TwilioCredentials } from '../src/twilio/client.js';
import { lookUpRoutes } from '../src/twilio/register-webhook.js';
import { median, round } from './common.js';

/**
 * The route resolver's cost: how many Twilio API requests `lookUpRoutes` (what listen, link, webhook show|set
 * and doctor ask first) makes for each topology, and how long it takes against the in-process emulator on
 * loopback (so the time is the client's and the emulator's work, not a network's: on real Twilio each request
 * is a round trip of 100 ms or more, which makes the count the figure that matters).
 */

const OURS = '+15005551601';
const OTHER = '+15005551602';

/** Requests sent to the emulator, counted (and named) on the way; `rttMs` delays each as a network round trip would. */
class CountingClient extends RequestClient {
  readonly seen: string[] = [];
  rttMs = 0;
  readonly #baseUrl: string;

  constructor(baseUrl: string) {
    super();
    this.#baseUrl = baseUrl;
  }
  override async request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const uri = opts.uri.replace(/^https:\/\/([a-z0-9-]+\.)*twilio\.com/i, this.#baseUrl);
    this.seen.push(`${opts.method.toUpperCase()} ${new URL(uri).pathname}`);
    if (this.rttMs) await new Promise((r) => setTimeout(r, this.rttMs));
    return super.request({ ...opts, uri });
  }
}

/** The round trip the second timing adds to every request: about what api.twilio.com answers in from Europe. */
export const SIMULATED_RTT_MS = 100;

/** `count` services on the account, each with a number of its own; ours (when `withOurs`) in the last one listed. */
function services(count: number, withOurs: boolean): NonNullable<Topology['services']> {
  return Array.from({ length: count }, (_, i) => ({
    friendly_name: `Service ${i + 1}`,
    inbound_request_url: `http://127.0.0.1:9/svc${i + 1}`,
    phone_numbers: [`+150055518${String(i).padStart(2, '0')}`, ...(withOurs && i === count - 1 ? [OURS] : [])],
  }));
}

const TOPOLOGIES: { name: string; from?: string; topology: Topology }[] = [
  { name: 'plain number', topology: { numbers: [{ phone_number: OURS, sms_url: 'http://127.0.0.1:9/sms' }] } },
  {
    name: 'plain number, 20 other services on the account',
    topology: { numbers: [OURS], services: services(20, false) },
  },
  {
    name: 'TwiML App',
    topology: {
      applications: [{ friendly_name: 'Bot', sms_url: 'http://127.0.0.1:9/bot', phone_numbers: [OURS, OTHER] }],
    },
  },
  {
    name: 'Messaging Service (1 on the account)',
    topology: {
      services: [
        { friendly_name: 'Support', inbound_request_url: 'http://127.0.0.1:9/in', phone_numbers: [OURS, OTHER] },
      ],
    },
  },
  { name: 'Messaging Service (20 on the account, ours listed last)', topology: { services: services(20, true) } },
  {
    name: 'WhatsApp sender (+ SMS on the number)',
    topology: {
      numbers: [OURS],
      senders: [{ sender_id: `whatsapp:${OURS}`, webhook: { callback_url: 'http://127.0.0.1:9/wa' } }],
    },
  },
  {
    name: 'WhatsApp sender, 20 other services on the account',
    topology: {
      numbers: [OURS],
      services: services(20, false),
      senders: [{ sender_id: `whatsapp:${OURS}`, webhook: { callback_url: 'http://127.0.0.1:9/wa' } }],
    },
  },
  { name: 'WhatsApp Sandbox', from: SANDBOX_NUMBER, topology: {} },
];

export interface RouteFigure {
  topology: string;
  layers: string;
  requests: number;
  /** method + path, in order (the first run). */
  calls: string[];
  ms_median: number;
  /** With SIMULATED_RTT_MS added to every request. */
  ms_median_at_rtt: number;
}

export async function routeLookups(opts: {
  runs: number;
  slowRuns: number;
  log: (m: string) => void;
}): Promise<RouteFigure[]> {
  const figures: RouteFigure[] = [];
  for (const t of TOPOLOGIES) {
    const emu: Emulator = await startEmulator({
      numbers: [],
      topology: t.topology,
      statusDelayMs: 1,
      retryDelaysMs: [],
    });
    try {
      const from = t.from ?? OURS;
      const http = new CountingClient(emu.url);
      const client = twilio(emu.accountSid, emu.authToken, { accountSid: emu.accountSid, httpClient: http });
      const config = { id: 'bench', name: 'bench', fromNumber: from, accountSid: emu.accountSid } as Config;
      const creds: TwilioCredentials = {
        accountSid: emu.accountSid,
        authMethod: 'auth-token',
        apiKeySid: null,
        secret: emu.authToken,
        apiUrl: emu.url,
      };
      const routes = await lookUpRoutes(client, config, creds); // warm-up, and the request count
      const calls = [...http.seen];
      const ms: number[] = [];
      for (let i = 0; i < opts.runs; i++) {
        const t0 = process.hrtime.bigint();
        await lookUpRoutes(client, config, creds);
        ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      http.rttMs = SIMULATED_RTT_MS;
      const slow: number[] = [];
      for (let i = 0; i < opts.slowRuns; i++) {
        const t0 = process.hrtime.bigint();
        await lookUpRoutes(client, config, creds);
        slow.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      const fig = {
        topology: t.name,
        layers: routes.map((r) => `${r.channel}:${r.layer}`).join(', '),
        requests: calls.length,
        calls,
        ms_median: round(median(ms), 2),
        ms_median_at_rtt: Math.round(median(slow)),
      };
      opts.log(
        `routes: ${fig.topology}: ${fig.requests} requests, ${fig.ms_median} ms on loopback, ${fig.ms_median_at_rtt} ms at ${SIMULATED_RTT_MS} ms a round trip (${fig.layers})`,
      );
      figures.push(fig);
    } finally {
      await emu.stop();
    }
  }
  return figures;
}
