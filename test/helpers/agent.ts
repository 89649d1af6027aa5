import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EmulatorCredentials } from './emulator-client.js';
import { emulatorClient } from './emulator-client.js';

/** What the agent does with one inbound message: answer (after a delay), or stay silent (null). */
export type AgentBrain = (
  payload: AgentPayload,
) => { body: string; mediaUrls?: string[]; delayMs?: number; sms?: boolean } | null;

export interface AgentPayload {
  text: string | null;
  from: string;
  channel: 'sms' | 'whatsapp';
  media: { url: string; content_type: string }[];
  message_attributes: { to: string };
}

/**
 * A small local agent: receives the trigger envelopes `listen --forward-to` posts, and answers each through
 * the emulator's Messages API, from the number the message came to, to its sender, on its channel, as a
 * Fruxon agent answers through the Twilio integration.
 */
export class LocalAgent {
  readonly received: AgentPayload[] = [];
  readonly replies: string[] = [];
  readonly errors: string[] = [];
  url = '';
  brain: AgentBrain;
  readonly #server = http.createServer((req, res) => this.#handle(req, res));
  readonly #client;

  private constructor(emulator: EmulatorCredentials, brain: AgentBrain) {
    this.brain = brain;
    this.#client = emulatorClient(emulator);
  }

  static async start(emulator: EmulatorCredentials, brain: AgentBrain): Promise<LocalAgent> {
    const agent = new LocalAgent(emulator, brain);
    await new Promise<void>((r) => agent.#server.listen(0, '127.0.0.1', r));
    agent.url = `http://127.0.0.1:${(agent.#server.address() as AddressInfo).port}/agent`;
    return agent;
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      let payload: AgentPayload;
      try {
        payload = (JSON.parse(body) as { payload: AgentPayload }).payload;
      } catch (err) {
        this.errors.push(`bad envelope: ${(err as Error).message}`);
        return;
      }
      this.received.push(payload);
      const answer = this.brain(payload);
      if (!answer) return;
      const prefix = payload.channel === 'whatsapp' && !answer.sms ? 'whatsapp:' : '';
      setTimeout(() => {
        this.#client.messages
          .create({
            from: prefix + payload.message_attributes.to,
            to: prefix + payload.from,
            body: answer.body,
            ...(answer.mediaUrls ? { mediaUrl: answer.mediaUrls } : {}),
          })
          .then((m) => this.replies.push(m.sid))
          .catch((err: Error) => this.errors.push(err.message));
      }, answer.delayMs ?? 0);
    });
  }

  stop(): Promise<void> {
    return new Promise((r) => {
      this.#server.close(() => r());
      this.#server.closeAllConnections();
    });
  }
}

/** The brain most tests use: answers about order numbers, thanks, and stays silent on "bye". */
export const orderDesk: AgentBrain = (p) => {
  const text = p.text ?? '';
  const order = /#(\d+)/.exec(text);
  if (order) return { body: `Your order #${order[1]} shipped yesterday.` };
  if (/thank/i.test(text))
    return { body: p.media.length ? `You're welcome! Got your ${p.media.length} file(s).` : "You're welcome!" };
  if (/photo/i.test(text)) return { body: 'Here it is', mediaUrls: ['https://example.com/parcel.jpg'] };
  if (/bye/i.test(text)) return null;
  return { body: `Sorry, I did not get that: ${text}` };
};
