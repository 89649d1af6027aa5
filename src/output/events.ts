import type { TriggerEnvelope } from '../listener/payload.js';
import type { Output } from './index.js';
import { truncate } from './index.js';

/** One human line per trigger event: time, channel, sender (and name), text, media count, event id. */
export function printEvent(out: Output, e: TriggerEnvelope): void {
  const c = out.color;
  const p = e.payload;
  const time = e.received_at.slice(11, 19);
  const who = p.from_name ? `${p.from} (${p.from_name})` : (p.from ?? '?');
  const media = p.media.length ? c.cyan(` [${p.media.length} media]`) : '';
  const width = Math.max(20, (out.io.stdout.columns ?? 120) - 50);
  const text = p.text === null || p.text === '' ? c.dim('(no text)') : out.io.stdout.isTTY ? truncate(p.text, width) : p.text.replace(/\n/g, ' ');
  out.line(`${c.dim(time)}  ${c.magenta(p.channel.padEnd(8))}  ${c.bold(who)}  ${text}${media}  ${c.dim(`#${e.event_id}`)}`);
}
