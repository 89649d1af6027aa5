/**
 * Slow connections against the listener (issue 28): `count` connections that never finish their request, each
 * sending its headers one line at a time (or a declared body one byte at a time) and opened again as soon as it
 * is closed, the way an attacker holds a server's connection table. The listener must still answer a signed
 * webhook well within Twilio's 15 s.
 */
import { connect, type Socket } from 'node:net';

export function slowClients(
  url: URL,
  count: number,
  kind: 'headers' | 'body',
  dripMs = 500,
): { opened(): number; connected: Promise<void>; stop(): void } {
  let stopped = false;
  let opened = 0;
  let first = 0;
  let markConnected!: () => void;
  const connected = new Promise<void>((r) => (markConnected = r));
  const socks = new Set<Socket>();
  const start =
    kind === 'headers'
      ? `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\n`
      : `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\n`;
  const one = (initial: boolean) => {
    if (stopped) return;
    opened++;
    const sock = connect(Number(url.port), url.hostname);
    socks.add(sock);
    let timer: NodeJS.Timeout | null = null;
    sock.on('error', () => {});
    sock.once('connect', () => {
      if (initial && ++first === count) markConnected();
      sock.write(start);
      let i = 0;
      timer = setInterval(() => sock.write(kind === 'headers' ? `X-Slow-${i++}: x\r\n` : 'a'), dripMs);
    });
    sock.once('close', () => {
      if (timer) clearInterval(timer);
      socks.delete(sock);
      setImmediate(() => one(false));
    });
  };
  for (let i = 0; i < count; i++) one(true);
  return {
    opened: () => opened,
    connected,
    stop() {
      stopped = true;
      for (const s of socks) s.destroy();
    },
  };
}
