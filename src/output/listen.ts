import { missedCause } from '../listener/missed.js';
import { REFUSED_DETAILS_PER_MINUTE } from '../listener/refusals.js';
import type { AgentReply, ListenFallback, ListenHooks, ListenInfo } from '../listener/session.js';
import type { ListenReport } from '../operations/listen.js';
import { stripChannel } from '../phone.js';
import { fixFor } from '../twilio/messages.js';
import { CONVERSATIONS_UNKNOWN, conversationsSentence, conversationsUnknown, routeName } from '../twilio/route.js';
import { sandboxJoinStep } from '../twilio/sandbox.js';
import { printEvent, statusEventJson } from './events.js';
import { senderHintLine } from './fruxon-participants.js';
import { type Output, safe } from './index.js';

/**
 * What a plain `listen` prints (piped, --json, or --no-interactive): the session's events as lines (or JSON
 * lines on stdout with --json), and the notices around the session (operations/listen.ts reports them). On a
 * terminal the key-driven screen (src/interactive) takes the events' place.
 */

/** The line for `count` events pruned by the retention (at start, and hourly while listening). */
function prunedLine(out: Output, count: number, days: number): string {
  return out.errColor.dim(`pruned ${count} event(s) older than ${days} days (FRUXON_TWILIO_RETENTION_DAYS)`);
}

/** The session's events as lines; `path` is the listener's (see `tookMissed`). */
export function listenLineHooks(
  out: Output,
  o: { json: boolean; statuses: boolean; configName: string; retentionDays: number; path: string },
): ListenHooks {
  const c = out.errColor;
  let jsonLines: string[] = [];
  return {
    onEvent(envelope, duplicate, json, meta) {
      if (duplicate) {
        out.status(
          c.dim(
            `duplicate delivery of ${safe(envelope.payload.message_sid ?? '?')} (event #${envelope.event_id}): recorded once`,
          ),
        );
        return;
      }
      if (o.json)
        jsonLines.push(json); // = JSON.stringify(envelope); written by onEventsEnd, before the 200s
      else printEvent(out, envelope, { recovered: meta?.recovered });
    },
    onEventsEnd() {
      if (jsonLines.length === 0) return;
      const lines = jsonLines;
      jsonLines = [];
      out.dataJsonLines(lines);
    },
    onRefused(info) {
      const fb = info.fallback;
      out.status(
        `${c.red('refused')} ${info.reason}${info.from ? ` from ${safe(info.from)}` : ''}: ${safe(info.detail)}${info.eventId ? c.dim(` (#${info.eventId})`) : ''}` +
          (fb ? c.yellow(`; Twilio will now try the fallback ${safe(fallbackText(fb))}`) : ''),
      );
    },
    onRefusalsDropped(info) {
      if (info.firstDrop) {
        out.warn(
          `more than ${REFUSED_DETAILS_PER_MINUTE} refused requests this minute: the rest are answered and counted, not recorded or printed`,
        );
      }
      if (info.minute) {
        out.status(
          `${c.red('refused')} ${info.minute.refused} request(s) in the minute from ${info.minute.start.slice(11, 16)} UTC (${info.minute.kept} recorded)`,
        );
      }
    },
    onStatus: (s) =>
      o.json && o.statuses
        ? out.dataJsonLines([JSON.stringify(statusEventJson(o.configName, s))])
        : out.status(
            c.dim(
              `status callback: ${safe(s.messageSid ?? '?')} ${safe(s.status)}${s.errorCode ? ` (error ${s.errorCode})` : ''}: not a message, no trigger${s.to ? ` (to ${safe(stripChannel(s.to))})` : ''}`,
            ),
          ),
    onMissed(m) {
      const cause = missedCause(m, o.path);
      if (cause.kind === 'refused')
        out.warn(
          `Twilio logged an inbound message ${safe(m.messageSid)} to ${safe(m.to)} at ${m.dateSent}; ${safe(cause.text)}, so it fired no trigger; see fruxon-twilio events show ${m.refused!.eventId}`,
        );
      else
        out.warn(
          `Twilio logged an inbound message ${safe(m.messageSid)} to ${safe(m.to)} at ${m.dateSent} that never reached this listener; took it: ${safe(cause.text)}; run fruxon-twilio webhook show`,
        );
    },
    onPruned(n) {
      out.status(prunedLine(out, n, o.retentionDays));
    },
    onForward(info) {
      const ms = `${info.ms.toFixed(0)} ms`;
      if (info.error)
        out.status(
          `${c.yellow('forward')} #${info.eventId} -> ${safe(info.url)} failed: ${safe(info.error)} (${ms}); the event is kept`,
        );
      else
        out.status(
          `${c.dim('forward')} #${info.eventId} -> ${safe(info.url)} ${c.green(String(info.status))} ${c.dim(ms)}`,
        );
    },
    onAgentReply(r) {
      // Under the message it answers (its #event); with --json on stderr, stdout keeps one envelope per line.
      const write = (text: string) => (o.json ? out.status(text) : out.line(text));
      const k = o.json ? c : out.color;
      for (const text of agentReplyLines(r, k)) write(text);
    },
    onWarning: (m) => out.warn(safe(m)),
    onInternalError: (err) => out.error(`listener: ${(err as Error)?.message ?? String(err)}`),
  };
}

/** The notices around the session: the retention, the plan's warnings, Fruxon sender hints, the banner, the restore. */
export function listenReport(out: Output, o: { json: boolean; register: boolean }): ListenReport {
  const c = out.errColor;
  return {
    pruned: (count, days) => out.status(prunedLine(out, count, days)),
    planWarning: (message) => out.warn(c.bold(message)),
    senderHint: (h, config, localName) => out.status(c.yellow(senderHintLine(h, config.name, localName))),
    senderHintsOff: (m) =>
      out.status(
        c.dim(`Fruxon participants not checked (${m}); senders are not looked up on Fruxon for the rest of this run`),
      ),
    started({ config, info, inspectorUrl }) {
      if (info.staleRestored) {
        const s = info.staleRestored;
        if (s.note) out.warn(safe(s.note));
        out.warn(
          s.action === 'restored'
            ? `a crashed listener had left ${s.phoneNumber} pointing at it: restored its previous webhook (${safe(s.restoredUrl || 'none')})`
            : `a crashed listener's lease on ${s.phoneNumber} was dropped: the number had been changed since (now ${safe(s.currentUrl || 'none')}), left as is`,
        );
      }
      out.status(
        `${c.green('Ready!')} Listening for messages to ${c.bold(config.fromNumber)} at ${c.bold(safe(info.webhookUrl))}` +
          ` (config ${safe(JSON.stringify(config.name))}, ${info.lease ? 'webhook registered' : 'webhook not registered'}, tunnel ${info.tunnel})` +
          (info.statusCallbackUrl ? `; status callbacks: send --status-callback ${safe(info.statusCallbackUrl)}` : '') +
          readyFallback(info),
      );
      if (info.tunnel !== 'none') out.status(c.dim(`Local listener: ${info.localUrl}`));
      const service =
        info.lease?.layer === 'messaging_service'
          ? info.routes.find((r) => r.layer === 'messaging_service' || r.layer === 'none')
          : undefined;
      if (service) {
        out.status(
          `${safe(routeName(service, 'full'))} now points here: messages to ${info.accepts.join(', ')} are accepted; its inbound URL is put back on stop.`,
        );
      }
      for (const r of info.routes) {
        const conv = conversationsSentence(r);
        if (conv)
          out.warn(
            `${safe(conv)}: this listener does not get them while it is on (Twilio Console → Conversations → Addresses)`,
          );
      }
      if (conversationsUnknown(info.routes)) out.status(c.dim(CONVERSATIONS_UNKNOWN));
      if (usesSandbox(info)) {
        out.status(
          `The WhatsApp Sandbox is set only in the Twilio Console: Messaging → Try it out → WhatsApp sandbox settings → "When a message comes in": ${info.webhookUrl} (HTTP POST).`,
        );
        out.status(`Only the Sandbox's participants get through: ${sandboxJoinStep(info.sandboxJoinCode)}.`);
      }
      if (!o.register)
        out.status(
          c.dim(`Point the number's "A MESSAGE COMES IN" webhook at ${info.webhookUrl} (HTTP POST) yourself.`),
        );
      if (inspectorUrl) out.status(`Inspector: ${inspectorUrl}`);
      if (!o.json) out.status(c.dim('Press Ctrl-C to stop.'));
    },
    caughtUp: (run) => out.status(safe(caughtUpText(run))),
    catchUpFailed: (message) => out.warn(`--catch-up failed: ${safe(message)}`),
    stopped({ info, outcome }) {
      if (usesSandbox(info))
        out.warn(
          'put the WhatsApp Sandbox\'s "When a message comes in" URL back to its previous value in the Twilio Console (Messaging → Try it out → WhatsApp sandbox settings)',
        );
      if (outcome?.note) out.warn(safe(outcome.note));
      if (outcome?.action === 'restored')
        out.status(
          `${c.green('✔')} Restored the webhook of ${outcome.phoneNumber} to ${safe(outcome.restoredUrl || '(none)')}.`,
        );
      if (outcome?.action === 'left') {
        out.warn(
          `${outcome.phoneNumber} no longer pointed at this listener (now ${safe(outcome.currentUrl || 'none')}): left it as is`,
        );
      }
    },
  };
}

/** A fallback URL in force, and what it is: `https://…/… (production)`. */
function fallbackText(f: ListenFallback): string {
  const what =
    f.kind === 'production'
      ? 'production'
      : f.kind === 'listener'
        ? "a listener's URL"
        : f.kind === 'other_listener'
          ? "another listener's URL"
          : 'not the recorded production URL';
  return `${f.url} (${what})`;
}

/** The Ready line's word on the fallback: where what the listener refuses (or a dead listener) goes; nothing when there is none. */
function readyFallback(info: ListenInfo): string {
  if (info.noFallback && info.lease) return '; fallback: none for this run (--no-fallback), put back on stop';
  // Named per channel unless every channel listened on has the same one.
  const channels = new Set(info.routes.map((r) => r.channel)).size;
  const alike = info.fallbacks.length === channels && new Set(info.fallbacks.map((f) => f.url)).size === 1;
  const per = channels > 1 && !alike;
  return info.fallbacks
    .map((f) => `; ${per ? `${f.channel === 'whatsapp' ? 'WhatsApp' : 'SMS'} ` : ''}fallback: ${safe(fallbackText(f))}`)
    .filter((t, i, all) => all.indexOf(t) === i)
    .join('');
}

function usesSandbox(info: ListenInfo): boolean {
  return info.routes.some((r) => r.layer === 'sandbox');
}

/** A stop request (Ctrl-C, SIGTERM, SIGHUP, the screen's q): the first says what stopping does, a later one that it is still under way. */
export function printStopRequest(out: Output, sig: string, count: number, info: ListenInfo): void {
  const c = out.errColor;
  if (count === 1) {
    out.status(c.dim(`${sig}: stopping${info.lease ? `, restoring the webhook of ${info.lease.phoneNumber}` : ''}…`));
  } else if (info.lease) {
    out.status(
      c.yellow(
        `still restoring the webhook of ${info.lease.phoneNumber}; this finishes in a moment (kill -9 leaves it to: fruxon-twilio restore)`,
      ),
    );
  }
}

/** --timeout ran out before the requested events arrived. */
export function printListenTimeout(out: Output, timeoutMs: number, accepted: number, wanted: number): void {
  out.status(`timed out after ${timeoutMs / 1000} s with ${accepted} of ${wanted} event(s)`);
}

/**
 * An agent's reply (or a status change of one) as listen's lines show it, indented under the message it
 * answers: `↳ reply (API) to +1… (sms) on #12: "text"  queued  SM…`, then `↳ SM… delivered`, a failure
 * with its error code and the fix.
 */
export function agentReplyLines(r: AgentReply, c: Output['color']): string[] {
  const m = r.message;
  const status = m.errorCode ? `${m.status} (${m.errorCode})` : m.status;
  const styled = /failed|undelivered|canceled/.test(m.status)
    ? c.red(status)
    : m.status === 'delivered' || m.status === 'read'
      ? c.green(status)
      : c.dim(status);
  const on = r.eventId !== null ? ` on #${r.eventId}` : '';
  const lines =
    r.kind === 'reply'
      ? [
          `    ${c.cyan('↳ reply')} ${c.dim('(API)')} to ${safe(stripChannel(m.to))} (${safe(m.channel)})${on}: "${safe(m.body.replace(/\n/g, ' '))}"  ${styled}  ${c.dim(safe(m.sid))}`,
        ]
      : [
          `    ${c.cyan('↳')} ${c.dim(safe(m.sid))}${on} ${r.previousStatus ? `${safe(r.previousStatus)} → ` : ''}${styled}`,
        ];
  const fix = fixFor(m.errorCode);
  if (m.errorCode && fix) lines.push(`      ${c.dim('fix:')} ${c.yellow(safe(fix))}`);
  return lines;
}

/** `listen --catch-up`'s one line (unescaped: the caller escapes, or the screen cleans it). */
export function caughtUpText(run: Parameters<ListenReport['caughtUp']>[0]): string {
  const { since, fed, failed } = run;
  const notAccepted = failed.map((r) => `${r.sid} (${r.status ?? r.error ?? r.refused?.reason})`).join(', ');
  return `Caught up: ${fed} message(s) Twilio logged since ${since.toISOString()} while no listener ran here${failed.length ? `; ${failed.length} not accepted: ${notAccepted}` : ''}.`;
}
