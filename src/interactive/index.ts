import type { ChalkInstance } from 'chalk';
import type { TwilioFactory } from '../config/connect.js';
import { CliError } from '../errors.js';
import { optOutMark, type TriggerEnvelope } from '../listener/payload.js';
import type { ListenHooks, ListenInfo, StatusCallback } from '../listener/session.js';
import { replayForward, replayToListener } from '../operations/replay.js';
import { ReplyTracker, replyStatusLabel, sendReply } from '../operations/reply.js';
import { printEventDetail } from '../output/events.js';
import { type Io, Output } from '../output/index.js';
import { screenColors } from '../output/iostreams.js';
import { stripChannel } from '../phone.js';
import type { SecretStore } from '../secrets/index.js';
import type { Config, Store, StoredEvent } from '../store/index.js';
import type { ApiTrace } from '../trace.js';
import { fixFor } from '../twilio/messages.js';
import { conversationsNotes } from '../twilio/route.js';
import { type Key, Terminal } from './terminal.js';
import { clean, dropLast, fit, type Span, width, wrap } from './text.js';

/**
 * The interactive `listen`: a status bar, the events as they arrive (newest at the bottom, one selected),
 * their details, and replies and replays without leaving the screen. It consumes the listen session through
 * its hooks like the line printer does, and acts through the same cores as the commands: a reply is the
 * send core (`send`), a replay the replay core (`events replay`). Hooks and keys only change the state;
 * #draw() writes it as one frame (at most one per turn of the event loop), so key handling and arriving
 * events never interleave their output.
 */

export interface ScreenDeps {
  io: Io;
  store: Store;
  config: Config;
  secrets: () => SecretStore;
  /** The command context's Twilio client factory (the screen's replies). */
  twilio: TwilioFactory;
  /** What the listener verifies signatures with; signs `n` replays (null: --skip-verify, a random key). */
  authToken: string | null;
  forwardTo?: string;
  /** The API trace (FRUXON_TWILIO_DEBUG=api), null when off: told of each replay's POST. */
  trace: ApiTrace | null;
  /** Called after each new event has been counted (listen's --once/--max). */
  afterEvent?: () => void;
  /** A reply sent from the screen (its SID): listen leaves it out of the agent's replies. */
  onSent?: (sid: string) => void;
}

export interface ListenScreen {
  hooks: ListenHooks;
  /** `inspectorUrl`: the web inspector's URL (with its token), shown in the status area; null without one. */
  open(opts: { info: ListenInfo; quit: () => void; inspectorUrl?: string | null }): void;
  /** Puts the terminal back; idempotent. */
  close(): void;
  /** A line of listen's own (e.g. `--catch-up`'s) among the events, instead of on stderr under the screen. */
  note(level: 'info' | 'warn', text: string): void;
}

const MAX_ITEMS = 2000;
/**
 * The key bar, most needed first: on a narrow terminal the last ones give way (`q quit` never does), and the
 * bar is drawn in this order with the dropped ones left out.
 */
const KEYS: readonly { text: string; priority: number }[] = [
  { text: '↑↓ select', priority: 3 },
  { text: 'd details', priority: 1 },
  { text: 'r reply', priority: 2 },
  { text: 'p replay', priority: 5 },
  { text: 'n new sid', priority: 6 },
  { text: 'i inspector', priority: 4 },
  { text: 'q quit', priority: 0 },
];

/** The key bar that fits `cols`: the lowest-priority keys dropped first. */
export function keyBar(cols: number): string {
  const shown = [...KEYS];
  const text = () => ' ' + shown.map((k) => k.text).join(' · ');
  while (width(text()) > cols && shown.length > 1) {
    const drop = shown.reduce((a, b) => (b.priority > a.priority ? b : a));
    shown.splice(shown.indexOf(drop), 1);
  }
  return text();
}

type Item =
  | {
      kind: 'event';
      id: number;
      envelope: TriggerEnvelope;
      forward: string | null;
      forwardOk: boolean;
      /** Fed by `listen --catch-up`. */
      recovered?: boolean;
    }
  | { kind: 'refused'; id: number | null; time: string; reason: string; detail: string; from: string | null }
  | {
      kind: 'reply';
      /** The event it answers: the reply is listed under it. */
      replyTo: number;
      to: string;
      channel: string;
      body: string;
      sid: string | null;
      statuses: string[];
      error: string | null;
      fix: string | null;
      /** Sent by the agent through the API (listen read it from Twilio's Messages list), not from this screen. */
      agent?: boolean;
    }
  | { kind: 'note'; level: 'info' | 'warn' | 'error'; text: string; fix?: string };

type ReplyItem = Extract<Item, { kind: 'reply' }>;

export function createListenScreen(deps: ScreenDeps): ListenScreen {
  return new Screen(deps);
}

class Screen implements ListenScreen {
  readonly #d: ScreenDeps;
  readonly #c: ChalkInstance;
  readonly #term: Terminal;
  #info: ListenInfo | null = null;
  /** Under the webhook line: a Conversations address that takes the number's messages, or "unknown" (once). */
  #routeNotes: string[] = [];
  #inspectorUrl: string | null = null;
  #quit: () => void = () => {};
  #closed = false;
  #drawPending = false;

  readonly #items: Item[] = [];
  /** The selected item, or null to follow the newest selectable one. */
  #selected: Item | null = null;
  #top = 0;
  #detail: { title: string; lines: string[]; scroll: number } | null = null;
  #prompt: { event: TriggerEnvelope; text: string } | null = null;
  #footer: string | null = null;
  /** Our replies by MessageSid (operations/reply.ts); statuses that came before the send returned wait there. */
  readonly #replies = new ReplyTracker<ReplyItem>();
  readonly #counts = { messages: 0, refused: 0, replies: 0, statuses: 0 };
  /** The agent's replies by MessageSid (their status changes follow). */
  readonly #agentReplies = new Map<string, ReplyItem>();
  /** The SIDs of the replies sent from this screen (never the agent's). */
  readonly #ownSids = new Set<string>();

  constructor(deps: ScreenDeps) {
    this.#d = deps;
    this.#c = screenColors(deps.io);
    this.#term = new Terminal(deps.io.stdin, deps.io.stdout);
  }

  readonly hooks: ListenHooks = {
    onEvent: (envelope, duplicate, _json, meta) => {
      if (duplicate) {
        this.#add({
          kind: 'note',
          level: 'info',
          text: `duplicate delivery of ${envelope.payload.message_sid} (event #${envelope.event_id}): recorded once`,
        });
        return;
      }
      this.#counts.messages++;
      this.#add({
        kind: 'event',
        id: envelope.event_id,
        envelope,
        forward: null,
        forwardOk: true,
        recovered: Boolean(meta?.recovered),
      });
      this.#d.afterEvent?.();
    },
    onRefused: (info) => {
      this.#counts.refused++;
      this.#add({
        kind: 'refused',
        id: info.eventId,
        time: new Date().toISOString(),
        reason: info.reason,
        detail: info.detail,
        from: info.from,
      });
    },
    onForward: (info) => {
      const item = this.#items.find((i) => i.kind === 'event' && i.id === info.eventId) as
        | Extract<Item, { kind: 'event' }>
        | undefined;
      const ms = `${info.ms.toFixed(0)} ms`;
      const text = info.error
        ? `forward failed: ${info.error} (${ms}); the event is kept`
        : `forward ${info.status} ${ms}`;
      if (item) {
        item.forward = text;
        item.forwardOk = !info.error;
        this.#schedule();
      } else this.#add({ kind: 'note', level: info.error ? 'warn' : 'info', text: `#${info.eventId} ${text}` });
    },
    onStatus: (s) => this.#status(s),
    onAgentReply: (r) => {
      const m = r.message;
      if (this.#ownSids.has(m.sid)) return;
      const label = replyStatusLabel({ status: m.status, errorCode: m.errorCode });
      const known = this.#agentReplies.get(m.sid);
      if (known) {
        if (known.statuses[known.statuses.length - 1] !== label) known.statuses.push(label);
        known.fix = fixFor(m.errorCode) ?? known.fix;
        this.#schedule();
        return;
      }
      const reply: ReplyItem = {
        kind: 'reply',
        replyTo: r.eventId ?? -1,
        to: stripChannel(m.to),
        channel: m.channel,
        body: m.body,
        sid: m.sid,
        statuses: [label],
        error: null,
        fix: fixFor(m.errorCode) ?? null,
        agent: true,
      };
      this.#agentReplies.set(m.sid, reply);
      if (this.#agentReplies.size > MAX_ITEMS) this.#agentReplies.delete(this.#agentReplies.keys().next().value!);
      this.#counts.replies++;
      this.#add(reply, r.eventId !== null ? this.#replyPosition(r.eventId) : this.#items.length);
    },
    onWarning: (m) => this.#add({ kind: 'note', level: 'warn', text: m }),
    onInternalError: (err) =>
      this.#add({ kind: 'note', level: 'error', text: `listener: ${(err as Error)?.message ?? String(err)}` }),
  };

  note(level: 'info' | 'warn', text: string): void {
    this.#add({ kind: 'note', level, text });
  }

  open(opts: { info: ListenInfo; quit: () => void; inspectorUrl?: string | null }): void {
    if (this.#closed) return;
    this.#info = opts.info;
    this.#routeNotes = conversationsNotes(opts.info.routes);
    this.#inspectorUrl = opts.inspectorUrl ?? null;
    this.#quit = opts.quit;
    this.#term.onKey = (key) => {
      try {
        this.#key(key);
      } catch (err) {
        this.#add({ kind: 'note', level: 'error', text: `screen: ${(err as Error)?.message ?? String(err)}` });
      }
    };
    this.#term.onResize = () => this.#schedule();
    this.#term.open();
    this.#draw();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#term.close();
  }

  // ---- state changes -------------------------------------------------------------------------------------

  #add(item: Item, at: number = this.#items.length): void {
    this.#items.splice(at, 0, item);
    if (this.#items.length > MAX_ITEMS) {
      const gone = this.#items.splice(0, this.#items.length - MAX_ITEMS);
      if (this.#selected && gone.includes(this.#selected)) this.#selected = null;
    }
    this.#schedule();
  }

  /** Where a reply to event `id` goes: under the event, after the replies to it already there (else at the end). */
  #replyPosition(id: number): number {
    const at = this.#items.findIndex((i) => i.kind === 'event' && i.id === id);
    if (at < 0) return this.#items.length;
    let end = at + 1;
    while (end < this.#items.length) {
      const next = this.#items[end]!;
      if (next.kind !== 'reply' || next.replyTo !== id) break;
      end++;
    }
    return end;
  }

  #status(s: StatusCallback): void {
    this.#counts.statuses++;
    // The callback can beat the answer to the create call: the tracker keeps it for the reply that will claim it.
    const reply = this.#replies.claim(s);
    if (reply) return this.#applyStatus(reply, s);
    // Another sender's message (send --status-callback); while a reply is on its way it may be that one's.
    if (this.#replies.pending === 0)
      this.#add({
        kind: 'note',
        level: 'info',
        text: `status ${s.messageSid ?? '?'} ${s.status}${s.errorCode ? ` (error ${s.errorCode})` : ''}`,
      });
    else this.#schedule();
  }

  /** A reply of this screen that listen read from Twilio's list before the send returned: shown once, as ours. */
  #dropAgentCopy(sid: string): void {
    this.#ownSids.add(sid);
    const copy = this.#agentReplies.get(sid);
    if (!copy) return;
    this.#agentReplies.delete(sid);
    const at = this.#items.indexOf(copy);
    if (at >= 0) this.#items.splice(at, 1);
    this.#counts.replies--;
  }

  #applyStatus(reply: ReplyItem, s: StatusCallback): void {
    const label = replyStatusLabel(s);
    if (reply.statuses[reply.statuses.length - 1] !== label) reply.statuses.push(label);
    if (s.errorCode) reply.fix = fixFor(s.errorCode) ?? null;
    this.#schedule();
  }

  #selectable(): Item[] {
    return this.#items.filter((i) => i.kind === 'event' || (i.kind === 'refused' && i.id !== null));
  }

  #current(): Item | null {
    if (this.#selected) return this.#selected;
    const all = this.#selectable();
    return all[all.length - 1] ?? null;
  }

  #move(delta: number): void {
    const all = this.#selectable();
    if (all.length === 0) return;
    const at = all.indexOf(this.#current()!);
    const next = Math.max(0, Math.min(all.length - 1, (at < 0 ? all.length - 1 : at) + delta));
    // Back on the newest: follow new events again.
    this.#selected = next === all.length - 1 ? null : all[next]!;
    this.#footer = null;
  }

  // ---- keys ------------------------------------------------------------------------------------------------

  #key(k: Key): void {
    if (k.ctrl && k.name === 'c') return this.#quitNow();
    if (this.#prompt) return this.#promptKey(k);
    if (this.#detail) return this.#detailKey(k);
    // A notice answers the key before: the next key clears it (the action may set another).
    if (this.#footer !== null) {
      this.#footer = null;
      this.#schedule();
    }
    switch (k.name) {
      case 'up':
      case 'k':
        this.#move(-1);
        break;
      case 'down':
      case 'j':
        this.#move(1);
        break;
      case 'pageup':
        this.#move(-this.#listRows());
        break;
      case 'pagedown':
        this.#move(this.#listRows());
        break;
      case 'home':
        this.#move(-Infinity);
        break;
      case 'end':
        this.#selected = null;
        break;
      case 'return':
      case 'enter':
      case 'd':
        this.#openDetail();
        break;
      case 'r':
        this.#startReply();
        break;
      case 'p':
        void this.#replayForward();
        break;
      case 'n':
        void this.#replayNew();
        break;
      case 'i':
        this.#footer = this.#inspectorUrl
          ? `inspector: ${this.#inspectorUrl}`
          : 'no inspector: listen runs with --no-inspect';
        break;
      case 'q':
        return this.#quitNow();
      default:
        return;
    }
    this.#schedule();
  }

  #quitNow(): void {
    this.close();
    this.#quit();
  }

  #detailKey(k: Key): void {
    const d = this.#detail!;
    const page = Math.max(1, this.#term.rows - 2);
    switch (k.name) {
      case 'escape':
      case 'd':
      case 'return':
      case 'enter':
      case 'backspace':
      case 'q':
        // Back to the list; q quits from there (Ctrl-C quits from anywhere).
        this.#detail = null;
        break;
      case 'up':
      case 'k':
        d.scroll--;
        break;
      case 'down':
      case 'j':
        d.scroll++;
        break;
      case 'pageup':
        d.scroll -= page;
        break;
      case 'pagedown':
      case 'space':
        d.scroll += page;
        break;
      case 'home':
        d.scroll = 0;
        break;
      case 'end':
        d.scroll = Infinity;
        break;
      default:
        return;
    }
    this.#schedule();
  }

  #promptKey(k: Key): void {
    const p = this.#prompt!;
    if (k.name === 'escape') {
      this.#prompt = null;
      this.#footer = 'reply cancelled';
    } else if (k.name === 'return' || k.name === 'enter') {
      this.#prompt = null;
      if (p.text.trim() === '') this.#footer = 'empty reply: nothing sent';
      else void this.#sendReply(p.event, p.text);
    } else if (k.name === 'backspace') {
      p.text = dropLast(p.text);
    } else if (k.ctrl && k.name === 'u') {
      p.text = '';
    } else if (k.str && !k.ctrl && !k.meta && !/[\u0000-\u001f\u007f]/.test(k.str)) {
      p.text += k.str;
    } else return;
    this.#schedule();
  }

  // ---- actions ---------------------------------------------------------------------------------------------

  #selectedEvent(action: string): Extract<Item, { kind: 'event' }> | null {
    const item = this.#current();
    if (item?.kind === 'event') return item;
    this.#footer = item
      ? `${action}: event #${(item as { id: number }).id} was refused, it has no message to ${action}`
      : `${action}: no message yet`;
    return null;
  }

  #openDetail(): void {
    const item = this.#current();
    const id = item?.kind === 'event' ? item.id : item?.kind === 'refused' ? item.id : null;
    if (id === null) {
      this.#footer = 'details: no event yet';
      return;
    }
    const event = this.#d.store.events.byId(id);
    if (!event) {
      this.#footer = `details: event #${id} is no longer stored`;
      return;
    }
    this.#detail = { title: `Event #${id}`, lines: detailLines(event, this.#d.io), scroll: 0 };
  }

  #startReply(): void {
    const item = this.#selectedEvent('reply');
    if (!item) return;
    if (!item.envelope.payload.from) {
      this.#footer = `reply: event #${item.id} has no sender to reply to`;
      return;
    }
    this.#prompt = { event: item.envelope, text: '' };
  }

  async #sendReply(event: TriggerEnvelope, body: string): Promise<void> {
    const p = event.payload;
    const reply: ReplyItem = {
      kind: 'reply',
      replyTo: event.event_id,
      to: p.from!,
      channel: p.channel,
      body,
      sid: null,
      statuses: ['sending'],
      error: null,
      fix: null,
    };
    this.#counts.replies++;
    this.#add(reply, this.#replyPosition(event.event_id));
    this.#replies.sending();
    try {
      // Statuses come back to this listener (null: real Twilio cannot post to a loopback address).
      const statusCallback = this.#info!.statusCallbackUrl;
      const message = await sendReply(
        { store: this.#d.store, env: this.#d.io.env, secrets: this.#d.secrets, twilio: this.#d.twilio },
        {
          config: this.#d.config,
          to: p.from!,
          channel: p.channel === 'whatsapp' ? 'whatsapp' : 'sms',
          body,
          statusCallback,
          field: 'the reply',
        },
      );
      reply.sid = message.sid;
      this.#d.onSent?.(message.sid);
      this.#dropAgentCopy(message.sid);
      reply.statuses = [message.status];
      if (!statusCallback)
        reply.fix = 'no status callbacks: the listener has no public URL (use the tunnel or --public-url)';
      for (const s of this.#replies.sent(message.sid, reply)) this.#applyStatus(reply, s);
    } catch (err) {
      this.#replies.failed();
      reply.statuses = [];
      reply.error = errorText(err);
      reply.fix = err instanceof CliError ? (err.hint ?? null) : null;
    }
    this.#schedule();
  }

  async #replayForward(): Promise<void> {
    const item = this.#selectedEvent('replay');
    if (!item) return;
    const url = this.#d.forwardTo;
    if (!url) {
      this.#footer = 'p replays the selected event to --forward-to URL: start listen with --forward-to to use it';
      return;
    }
    try {
      const event = this.#storedEvent(item.id);
      const r = await replayForward(event, url, this.#d.trace);
      this.#add({
        kind: 'note',
        level: r.ok ? 'info' : 'warn',
        text: `replayed #${item.id} to ${url}: ${r.status} (${Math.round(r.ms)} ms)`,
      });
    } catch (err) {
      this.#add({
        kind: 'note',
        level: 'error',
        text: `replay #${item.id} to ${url}: ${errorText(err)}`,
        fix: (err as CliError).hint,
      });
    }
  }

  async #replayNew(): Promise<void> {
    const item = this.#selectedEvent('replay');
    if (!item) return;
    const url = this.#info!.webhookUrl;
    try {
      const event = this.#storedEvent(item.id);
      const r = await replayToListener({
        store: this.#d.store,
        event,
        newSid: true,
        url,
        trace: this.#d.trace,
        authToken: async () => this.#d.authToken,
      });
      this.#add({
        kind: 'note',
        level: r.ok ? 'info' : 'warn',
        text: `replayed #${item.id} to the listener as ${r.messageSid ?? '?'}: ${`${r.status} ${r.statusText}`.trim()}`,
      });
    } catch (err) {
      this.#add({
        kind: 'note',
        level: 'error',
        text: `replay #${item.id} to the listener: ${errorText(err)}`,
        fix: (err as CliError).hint,
      });
    }
  }

  #storedEvent(id: number): StoredEvent {
    const event = this.#d.store.events.byId(id);
    if (!event) throw new CliError(`event #${id} is no longer stored`);
    return event;
  }

  // ---- drawing ---------------------------------------------------------------------------------------------

  #schedule(): void {
    if (this.#drawPending || this.#closed || !this.#info) return;
    this.#drawPending = true;
    setImmediate(() => {
      this.#drawPending = false;
      this.#draw();
    });
  }

  /** The rows of the list: the terminal's less the status bar, the webhook line, the inspector line, the keys and the footer. */
  #listRows(): number {
    return Math.max(1, this.#term.rows - 5 - this.#routeNotes.length);
  }

  #draw(): void {
    if (this.#closed || !this.#info) return;
    const cols = this.#term.columns - 1; // never the last column: no terminal wraps or scrolls on us
    const rows = this.#term.rows;
    this.#term.draw(this.#detail ? this.#renderDetail(cols, rows) : this.#renderList(cols, rows));
  }

  #renderList(cols: number, _rows: number): string[] {
    const c = this.#c;
    const info = this.#info!;
    const n = this.#counts;
    const bar = fit(
      [
        [` fruxon-twilio listen · config ${JSON.stringify(this.#d.config.name)} · ${this.#d.config.fromNumber} · `],
        [
          `${n.messages} message${n.messages === 1 ? '' : 's'} · ${n.refused} refused · ${n.replies} repl${n.replies === 1 ? 'y' : 'ies'} · ${n.statuses} status${n.statuses === 1 ? '' : 'es'} `,
        ],
      ],
      cols,
    );
    const lines = [c.inverse(bar.text + ' '.repeat(cols - bar.width))];
    lines.push(
      fit(
        [
          [' '],
          [clean(info.webhookUrl), c.bold],
          [
            ` (${info.lease ? 'webhook registered' : 'webhook not registered'}, tunnel ${info.tunnel}${this.#d.forwardTo ? `, forward to ${clean(this.#d.forwardTo)}` : ''})`,
            c.dim,
          ],
        ],
        cols,
      ).text,
    );
    for (const note of this.#routeNotes) lines.push(fit([[` ${clean(note)}`, c.yellow]], cols).text);
    lines.push(
      fit(
        this.#inspectorUrl
          ? [
              [' inspector ', c.dim],
              [clean(this.#inspectorUrl), c.bold],
            ]
          : [[' inspector off (--no-inspect)', c.dim]],
        cols,
      ).text,
    );
    lines.push(fit([[keyBar(cols), c.dim]], cols).text);

    // Items to rows; the window keeps the selected item in view (the newest rows when following).
    const body: { item: Item; text: string }[] = [];
    const current = this.#current();
    for (const item of this.#items)
      for (const text of this.#itemLines(item, item === current, cols)) body.push({ item, text });
    const height = this.#listRows();
    const at = current ? body.findIndex((r) => r.item === current) : -1;
    if (this.#selected === null || at < 0) this.#top = Math.max(0, body.length - height);
    else if (at < this.#top) this.#top = at;
    else if (at >= this.#top + height) this.#top = at - height + 1;
    this.#top = Math.max(0, Math.min(this.#top, body.length - height));
    const shown = body.slice(this.#top, this.#top + height).map((r) => r.text);
    if (body.length === 0) shown.push(c.dim(`  waiting for messages to ${this.#d.config.fromNumber}…`));
    while (shown.length < height) shown.push('');
    lines.push(...shown);

    if (this.#prompt) {
      const p = this.#prompt.event.payload;
      const label = `reply to ${p.from} (${p.channel}) from ${this.#d.config.fromNumber}: `;
      // The end of the text stays in view while typing; enter sends, esc cancels.
      const room = Math.max(1, cols - width(label) - 1);
      const text = clean(this.#prompt.text);
      let tail = text;
      while (width(tail) > room) tail = [...tail].slice(1).join('');
      lines.push(fit([[label, c.cyan], [tail], ['▏']], cols).text);
    } else {
      lines.push(this.#footer ? fit([[' ' + clean(this.#footer), c.yellow]], cols).text : '');
    }
    return lines;
  }

  #itemLines(item: Item, selected: boolean, cols: number): string[] {
    const c = this.#c;
    const mark: Span = selected ? ['› ', c.bold.cyan] : ['  '];
    switch (item.kind) {
      case 'event': {
        const p = item.envelope.payload;
        const text = p.text === null || p.text.trim() === '' ? '(no text)' : clean(p.text.replace(/\s+/g, ' ').trim());
        const tail: Span[] = [
          [p.media.length ? ` [${p.media.length} media]` : '', c.cyan],
          [
            optOutMark(p.message_attributes?.opt_out_type)
              ? ` [${optOutMark(p.message_attributes?.opt_out_type)}]`
              : '',
            c.yellow,
          ],
          [item.recovered ? ' [recovered]' : '', c.yellow],
          [`  #${item.id}`, c.dim],
          [item.forward ? `  ${item.forward}` : '', item.forwardOk ? c.dim : c.yellow],
        ];
        const start: Span[] = [
          mark,
          [item.envelope.received_at.slice(11, 19), c.dim],
          ['  '],
          [p.channel.padEnd(8), c.magenta],
          ['  '],
        ];
        // A long profile name gives way before the text (up to 24 columns of it) and the tail (media, #id, forward).
        const from = clean(p.from ?? '?');
        let who = from;
        if (p.from_name) {
          const name = clean(p.from_name);
          const fixed = spansWidth(start) + width(from) + 3 + 2 + spansWidth(tail);
          const room = Math.max(6, cols - fixed - Math.min(width(text), 24));
          who = `${from} (${width(name) <= room ? name : fit([[name]], room).text})`;
        }
        // The text gives way next: the tail always shows.
        const head: Span[] = [...start, [who, c.bold], ['  ']];
        const room = cols - spansWidth(head) - spansWidth(tail);
        const textStyle = p.text ? (selected ? c.bold : undefined) : c.dim;
        const spans: Span[] =
          room >= 4 ? [...head, [fit([[text]], room).text, textStyle], ...tail] : [...head, [text, textStyle], ...tail];
        return [fit(spans, cols).text];
      }
      case 'refused':
        return [
          fit(
            [
              mark,
              [item.time.slice(11, 19), c.dim],
              ['  '],
              ['refused', c.red],
              [` ${item.reason}${item.from ? ` from ${clean(item.from)}` : ''}: ${clean(item.detail)}`],
              [item.id ? `  #${item.id}` : '', c.dim],
            ],
            cols,
          ).text,
        ];
      case 'reply': {
        // The statuses always show; the text gives way, then the SID.
        const head: Span[] = [
          [item.agent ? '    ↳ reply (API) ' : '    ↳ reply ', c.dim],
          [`to ${clean(item.to)} (${item.channel}): `],
        ];
        const last = item.statuses[item.statuses.length - 1];
        const quoted = `"${clean(item.body)}"`;
        // The whole status chain when the text keeps room beside it; else only where the reply is now.
        const chain = item.statuses.join(' → ');
        const fitsChain = cols - spansWidth(head) - width(chain) - 2 >= Math.min(width(quoted), 20);
        const status: Span = item.error
          ? ['✖ ' + clean(item.error), c.red]
          : [fitsChain ? chain : (last ?? ''), this.#statusColor(last)];
        const sid: Span = [item.sid ? `  ${item.sid}` : '', c.dim];
        // The SID shows only when the whole text fits beside it: the text matters more.
        let tail: Span[] = [status, sid];
        if (cols - spansWidth(head) - spansWidth(tail) - 2 < width(quoted)) tail = [status];
        const room = cols - spansWidth(head) - spansWidth(tail) - 2;
        const spans: Span[] = [...head, [room > 0 ? fit([[quoted]], room).text + '  ' : ''], ...tail];
        const lines = [fit(spans, cols).text];
        if (item.fix) lines.push(this.#fixLine(item.fix, cols));
        return lines;
      }
      case 'note': {
        const style = item.level === 'error' ? c.red : item.level === 'warn' ? c.yellow : c.dim;
        const lines = [fit([['    '], [clean(item.text), style]], cols).text];
        if (item.fix) lines.push(this.#fixLine(item.fix, cols));
        return lines;
      }
    }
  }

  /** The indented `fix:` line under a reply or a note. */
  #fixLine(fix: string, cols: number): string {
    const c = this.#c;
    return fit(
      [
        ['      fix: ', c.dim],
        [clean(fix), c.yellow],
      ],
      cols,
    ).text;
  }

  #statusColor(status: string | undefined): (s: string) => string {
    const c = this.#c;
    if (status === 'delivered' || status === 'read') return c.green;
    if (status && /failed|undelivered|canceled/.test(status)) return c.red;
    return (s) => s;
  }

  #renderDetail(cols: number, rows: number): string[] {
    const c = this.#c;
    const d = this.#detail!;
    const body: string[] = [];
    for (const line of d.lines) {
      const heading = HEADINGS.has(line);
      for (const piece of wrap(line, cols)) body.push(heading ? c.bold(piece) : piece);
    }
    const height = rows - 2;
    d.scroll = Math.max(0, Math.min(d.scroll, body.length - height));
    const bar = fit([[` ${d.title} · ↑↓ PgUp PgDn scroll · esc/q back `]], cols);
    const out = [c.inverse(bar.text + ' '.repeat(cols - bar.width))];
    const shown = body.slice(d.scroll, d.scroll + height);
    while (shown.length < height) shown.push('');
    out.push(...shown);
    out.push(
      c.dim(
        fit(
          [[` lines ${body.length ? d.scroll + 1 : 0}-${Math.min(body.length, d.scroll + height)} of ${body.length}`]],
          cols,
        ).text,
      ),
    );
    return out;
  }
}

const HEADINGS = new Set(['Trigger payload', 'Raw form', 'Headers']);

/** `events show`'s text for the event (one home for it: printEventDetail), captured without colour and made safe line by line. */
function detailLines(event: StoredEvent, io: Io): string[] {
  let text = '';
  const sink = {
    write: (s: string) => {
      text += s;
      return true;
    },
    isTTY: false,
    columns: 10_000,
  } as unknown as Io['stdout'];
  const capture = new Output({ stdout: sink, stderr: sink, stdin: io.stdin, env: { NO_COLOR: '1' } });
  printEventDetail(capture, event);
  return text.replace(/\n$/, '').split('\n').map(clean);
}

function errorText(err: unknown): string {
  return (err as Error)?.message ?? String(err);
}

function spansWidth(spans: readonly Span[]): number {
  return spans.reduce((w, [t]) => w + width(t), 0);
}
