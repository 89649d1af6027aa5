import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  /** Path and query as requested. */
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Form fields (POST) or query parameters (GET). */
  params: Record<string, string>;
}

/**
 * A stand-in for the tool's webhook endpoint: records every request and answers with the next scripted status
 * (200 with an empty TwiML response once the script runs out).
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  #script: { status: number; body?: string }[] = [];
  #waiters: { count: number; resolve: () => void }[] = [];
  #server = http.createServer((req, res) => this.#handle(req, res));
  url = '';

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await new Promise<void>((resolve) => receiver.#server.listen(0, '127.0.0.1', resolve));
    receiver.url = `http://127.0.0.1:${(receiver.#server.address() as AddressInfo).port}`;
    return receiver;
  }

  /** The next requests get these answers, in order. */
  respondWith(...answers: { status: number; body?: string }[]): void {
    this.#script.push(...answers);
  }

  /** Resolves once at least `count` requests have arrived in total. */
  waitForRequests(count: number): Promise<ReceivedRequest[]> {
    if (this.requests.length >= count) return Promise.resolve(this.requests.slice());
    return new Promise((resolve) => this.#waiters.push({ count, resolve: () => resolve(this.requests.slice()) }));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', this.url);
      const source =
        req.method === 'POST' ? new URLSearchParams(Buffer.concat(chunks).toString('utf8')) : url.searchParams;
      this.requests.push({
        method: req.method ?? '',
        path: req.url ?? '/',
        headers: req.headers,
        params: Object.fromEntries(source),
      });
      const answer = this.#script.shift() ?? {
        status: 200,
        body: '<?xml version="1.0" encoding="UTF-8"?><Response></Response>',
      };
      res.writeHead(answer.status, { 'Content-Type': 'text/xml' });
      res.end(answer.body ?? '');
      this.#waiters = this.#waiters.filter((w) => {
        if (this.requests.length < w.count) return true;
        w.resolve();
        return false;
      });
    });
  }
}
