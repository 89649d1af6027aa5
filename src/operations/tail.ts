import type { MessagePage } from 'twilio/lib/rest/api/v2010/account/message.js';
import { connectConfig } from '../config/connect.js';
import { loadProductionWebhookUrl } from '../config/webhook-url.js';
import type { FruxonClient } from '../fruxon/client.js';
import { findInbound, type InboundFinding, type InboundQuery, linkedFruxon } from '../fruxon/inbound-records.js';
import { type Channel, WHATSAPP_PREFIX } from '../phone.js';
import type { Config } from '../store/index.js';
import { type Alert, type AlertScope, concerns, listAlerts } from '../twilio/alerts.js';
import {
  callSite,
  retryAfterMs,
  type TwilioClient,
  type TwilioCredentials,
  type TwilioFactory,
  twilioError,
} from '../twilio/client.js';
import { FINAL_STATUSES, fixFor, type Message, otherParty, sleepUnlessAborted, toMessage } from '../twilio/messages.js';
import { resolveChannels } from '../twilio/route.js';
import { displayWebhookUrl } from '../twilio/webhook.js';
import type { CoreDeps } from './deps.js';

/**
 * `messages tail`: a number's traffic, both directions, followed from Twilio's Messages list and its Monitor
 * alerts, without touching any webhook (safe on a production number). Never prints: each message, status change
 * and alert goes to `onEvent` once.
 *
 * The request budget: at most one list request every `spacingMs` (500 ms: two per second) in all. Each channel
 * is a pair of lists (To= and From= the number), each list its own request; status changes are read from those
 * lists, never one fetch per message. A channel whose traffic flows (something new in the last 30 s, or an
 * outbound message not final yet) has its lists read again at once (the spacing decides), with at most one other
 * request between two of theirs; an idle list backs off 1, 2, 4, 8, then every 10 s. Alerts are polled every 5 s
 * while traffic flows, every 10 s otherwise. A 429 waits its Retry-After.
 */

export type SentBy = 'customer' | 'twiml' | 'this tool' | 'API';

export type TailEvent =
  | { kind: 'message'; message: Message; sentBy: SentBy; participant: string | null; fix: string | undefined }
  | {
      kind: 'status';
      message: Message;
      previousStatus: string;
      participant: string | null;
      fix: string | undefined;
    }
  | { kind: 'alert'; alert: Alert }
  /** Fruxon's side of an inbound message, for a linked config: recorded (conversation, run), held, or no record. */
  | { kind: 'fruxon'; message: Message; finding: InboundFinding };

/**
 * The operations' deps: `now` is where `--since` starts, `signal` stops the tail (SIGINT: it then resolves),
 * `fruxon` builds a linked config's Fruxon client.
 */
export type TailDeps = CoreDeps;

export interface TailOptions {
  config?: string;
  /** Show what happened in this window before the start too (default: only what happens from now). */
  sinceMs?: number;
  /** One channel only (one pair of lists instead of two). */
  channel?: Channel;
  /** End after this long (resolves like a stop). */
  timeoutMs?: number;
  onEvent: (e: TailEvent) => void;
  /** Once, before the first poll. */
  onStart?: (s: { config: Config; number: string; channels: Channel[]; since: Date }) => void;
  /** A poll failed and will be tried again (a network error, a 5xx); or a 429 is being waited out. */
  onWarning?: (text: string) => void;
  /** Tuning for tests and the bench; the defaults are the documented budget. */
  spacingMs?: number;
  idleIntervalMs?: number;
  /** A linked config: how often Fruxon is asked about new inbound messages (3 s), and for how long (30 s). */
  fruxonEveryMs?: number;
  fruxonGiveUpMs?: number;
}

export interface TailSummary {
  config: Config;
  /** Poll requests made (list pages and alert lists; not the route lookup at the start). */
  requests: number;
  events: { message: number; status: number; alert: number; fruxon: number };
  endedBy: 'stop' | 'timeout';
}

const FLOWING_MS = 30_000;
const ALERTS_ACTIVE_MS = 5_000;
const PENDING_MAX_AGE_MS = 10 * 60_000;
const PAGE_SIZE = 50;
const FIRST_POLL_MAX_PAGES = 20;
const ALERT_WINDOW_MS = 10 * 60_000;

const STATUS_RANK: Record<string, number> = {
  accepted: 0,
  scheduled: 0,
  queued: 1,
  sending: 2,
  sent: 3,
  received: 3,
  receiving: 2,
  delivered: 4,
  undelivered: 4,
  failed: 4,
  canceled: 4,
  read: 5,
};

/** One request the tail makes over and over: a list of a channel (To= or From= the number), or the alerts. */
interface Job {
  kind: 'list' | 'alerts';
  channel: Channel;
  dir: 'to' | 'from';
  due: number;
  /** The back-off of an idle list: 0 while its channel flows, then 1, 2, 4, 8, 10 s. */
  interval: number;
  first: boolean;
}

export async function tailMessages(deps: TailDeps, opts: TailOptions): Promise<TailSummary> {
  const { store } = deps;
  const { config, creds, client } = await connect(deps, opts.config);
  const where = callSite(creds);
  const spacing = opts.spacingMs ?? 500;
  const idle = opts.idleIntervalMs ?? 10_000;
  const channels: Channel[] = opts.channel ? [opts.channel] : ['sms', 'whatsapp'];
  const started = deps.now();
  const since = new Date(started.getTime() - (opts.sinceMs ?? 0));
  const summary: TailSummary = {
    config,
    requests: 0,
    events: { message: 0, status: 0, alert: 0, fruxon: 0 },
    endedBy: 'stop',
  };

  const timeout = opts.timeoutMs !== undefined ? AbortSignal.timeout(opts.timeoutMs) : undefined;
  const signal = timeout ? AbortSignal.any([deps.signal, timeout]) : deps.signal;
  const book = store.participants.contactBook(config.id);
  const productionUrl = loadProductionWebhookUrl(config, deps.env, deps.secrets);
  const seen = new Map<string, Message>();
  const seenAlerts = new Set<string>();
  const hidden = new Set<string>();
  const sinceSecond = Math.floor(since.getTime() / 1000) * 1000;
  let nextSlot = 0;

  const emit = (e: TailEvent) => {
    summary.events[e.kind]++;
    opts.onEvent(e);
  };

  /** One API request within the budget; a 429 is waited out (its Retry-After) and the request made again. */
  const request = async <T>(what: string, call: () => Promise<T>): Promise<T | undefined> => {
    for (let failures = 0; ; ) {
      const wait = nextSlot - performance.now();
      if (wait > 0) await sleepUnlessAborted(wait, signal);
      if (signal.aborted) return undefined;
      nextSlot = performance.now() + spacing;
      summary.requests++;
      try {
        return await call();
      } catch (err) {
        if (signal.aborted) return undefined;
        const status = (err as { status?: number }).status;
        if (status === 429) {
          const after = retryAfterMs(client) ?? 1000;
          opts.onWarning?.(`Twilio answered 429 (too many requests): waiting ${Math.ceil(after / 1000)} s`);
          nextSlot = performance.now() + Math.max(after, spacing);
          continue;
        }
        if (status === 401 || status === 403 || status === 404) throw twilioError(err, what, where);
        failures++;
        const backoff = Math.min(idle, 1000 * 2 ** Math.min(failures, 4));
        opts.onWarning?.(`${twilioError(err, what, where).message}; trying again in ${Math.round(backoff / 1000)} s`);
        nextSlot = performance.now() + backoff;
      }
    }
  };

  // The layers' webhook URLs: an alert about one of them concerns this number even when its message is not listed.
  const scopeUrls: string[] = [];
  try {
    for (const r of await resolveChannels(client, config.fromNumber, channels)) {
      for (const u of [r.url, r.fallbackUrl]) if (u) scopeUrls.push(u);
    }
  } catch (err) {
    if (signal.aborted) return finish();
    opts.onWarning?.(
      `${twilioError(err, `look up the webhooks of ${config.fromNumber}`, where).message}: alerts are matched by message only`,
    );
  }
  if (productionUrl) scopeUrls.push(productionUrl);
  const scope: AlertScope = { urls: scopeUrls, isOwnMessage: (sid) => seen.has(sid) };

  opts.onStart?.({ config, number: config.fromNumber, channels, since });

  // Alerts first: one request, and the reason most people start a tail.
  const jobs: Job[] = [
    { kind: 'alerts', channel: 'sms', dir: 'to', due: 0, interval: 0, first: true },
    ...channels.flatMap((channel) =>
      (['to', 'from'] as const).map((dir): Job => ({ kind: 'list', channel, dir, due: 0, interval: 0, first: true })),
    ),
  ];
  const lastNews = new Map<Channel, number>();
  const floors = new Map<string, number>();
  const flowing = (channel: Channel) =>
    performance.now() - (lastNews.get(channel) ?? Number.NEGATIVE_INFINITY) < FLOWING_MS || pending(channel);
  let lastWasOther = false;
  let alertsFirst = true;

  // A linked config: Fruxon is asked what became of each inbound message (its own API, not Twilio's budget).
  let linked: ReturnType<typeof linkedFruxon> = null;
  try {
    linked = linkedFruxon(store, config, deps.env, deps.secrets, deps.fruxon);
  } catch (err) {
    opts.onWarning?.(`${(err as Error).message}: no Fruxon lines`);
  }
  const fruxonEvery = opts.fruxonEveryMs ?? 3000;
  const fruxonGiveUp = opts.fruxonGiveUpMs ?? 30_000;
  const toAsk = new Map<string, { message: Message; query: InboundQuery; since: number }>();
  let fruxonDue = Number.POSITIVE_INFINITY;

  while (!signal.aborted) {
    if (linked && toAsk.size > 0 && performance.now() >= fruxonDue) {
      await askFruxon(linked);
      fruxonDue = toAsk.size > 0 ? performance.now() + fruxonEvery : Number.POSITIVE_INFINITY;
      continue;
    }
    // A flowing channel's lists come first, but between two of their requests goes at most one other (the alerts,
    // an idle channel's list), so that a flowing list is read again within three request slots (1.5 s).
    const now = performance.now();
    const isHot = (j: Job) => j.kind === 'list' && j.interval === 0 && flowing(j.channel);
    const due = jobs.filter((j) => j.due <= now);
    const earliest = (list: Job[]) => list.reduce((x, y) => (y.due < x.due ? y : x));
    const hot = due.filter(isHot);
    const others = due.filter((j) => !isHot(j));
    let job: Job;
    if (others.length && (!lastWasOther || !hot.length)) job = earliest(others);
    else if (hot.length) job = earliest(hot);
    else {
      job = earliest(jobs);
      await sleepUnlessAborted(Math.min(job.due, fruxonDue) - now, signal);
      continue;
    }
    lastWasOther = !isHot(job);
    if (job.kind === 'alerts') {
      await pollAlerts();
      const anyFlowing = channels.some(flowing);
      job.due = performance.now() + (anyFlowing ? ALERTS_ACTIVE_MS : idle);
      continue;
    }
    const news = await pollList(job);
    job.first = false;
    if (news) {
      lastNews.set(job.channel, performance.now());
      // Something moved: both lists of the channel are read at once again (an answer follows a question).
      for (const j of jobs) if (j.kind === 'list' && j.channel === job.channel) j.interval = 0;
    } else if (!flowing(job.channel)) {
      job.interval = job.interval === 0 ? Math.min(1000, idle) : Math.min(idle, job.interval * 2);
    }
    job.due = performance.now() + job.interval;
    for (const j of jobs)
      if (j.kind === 'list' && j.channel === job.channel && j.interval === 0) j.due = Math.min(j.due, job.due);
  }
  return finish();

  function finish(): TailSummary {
    summary.endedBy = timeout?.aborted && !deps.signal.aborted ? 'timeout' : 'stop';
    return summary;
  }

  /** Whether an outbound message of the channel may still change (not final, and recent). */
  function pending(channel: Channel): boolean {
    const now = Date.now();
    for (const m of seen.values()) {
      if (m.channel !== channel || m.direction === 'inbound' || FINAL_STATUSES.has(m.status)) continue;
      if (now - (m.dateCreated?.getTime() ?? 0) < PENDING_MAX_AGE_MS) return true;
    }
    return false;
  }

  /** One list of a channel; what is new or changed is emitted, oldest first. Returns whether anything was. */
  async function pollList(job: Job): Promise<boolean> {
    const { channel } = job;
    const address = (channel === 'whatsapp' ? WHATSAPP_PREFIX : '') + config.fromNumber;
    const filter = job.dir === 'to' ? { to: address } : { from: address };
    const what = `list the messages ${job.dir} ${address}`;
    const found: Message[] = [];
    let page = await request(what, () => client.messages.page({ ...filter, pageSize: PAGE_SIZE }));
    if (!page) return false;
    found.push(...page.instances.map(toMessage));
    // The oldest time the list still shows on its first page: anything older has fallen off it.
    const full = page.instances.length === PAGE_SIZE;
    floors.set(
      `${channel}:${job.dir}`,
      full ? (page.instances.at(-1)!.dateCreated?.getTime() ?? 0) : Number.NEGATIVE_INFINITY,
    );
    // The first poll reads back to `since` (a bounded number of pages); later ones read the newest page only.
    for (let n = 1; job.first && n < FIRST_POLL_MAX_PAGES && reachesBack(page, since); n++) {
      const current: MessagePage = page;
      page = await request(what, async () => ((await current.nextPage()) as MessagePage | undefined) ?? undefined);
      if (!page) break;
      found.push(...page.instances.map(toMessage));
    }
    found.sort((a, b) => time(a) - time(b));
    // Off the first page of both lists (a minute's margin): forgotten.
    forget(
      channel,
      Math.min(
        floors.get(`${channel}:to`) ?? Number.NEGATIVE_INFINITY,
        floors.get(`${channel}:from`) ?? Number.NEGATIVE_INFINITY,
      ) - 60_000,
    );
    const owned = ownSids();
    let news = false;
    for (const m of found) {
      const before = seen.get(m.sid);
      if (!before) {
        seen.set(m.sid, m);
        // Before the window (Twilio's dates are to the second): known, never shown, nor its status changes.
        if (time(m) < sinceSecond) {
          hidden.add(m.sid);
          continue;
        }
        news = true;
        emit({
          kind: 'message',
          message: m,
          sentBy: sentBy(m, owned),
          participant: book.nameFor(otherParty(m)),
          fix: fixFor(m.errorCode),
        });
        if (linked && m.direction === 'inbound') {
          toAsk.set(m.sid, {
            message: m,
            query: { sid: m.sid, from: m.from, body: m.body, at: time(m) },
            since: performance.now(),
          });
          if (!Number.isFinite(fruxonDue)) fruxonDue = performance.now() + fruxonEvery;
        }
        continue;
      }
      if (hidden.has(m.sid)) {
        seen.set(m.sid, m);
        continue;
      }
      if (before.status === m.status || (STATUS_RANK[m.status] ?? 9) < (STATUS_RANK[before.status] ?? 0)) continue;
      seen.set(m.sid, m);
      news = true;
      emit({
        kind: 'status',
        message: m,
        previousStatus: before.status,
        participant: book.nameFor(otherParty(m)),
        fix: fixFor(m.errorCode),
      });
    }
    return news;
  }

  /**
   * Forgets the channel's messages older than `before`: off the first page of both lists, they can neither
   * come back as new nor show a change (the tail's memory stays bounded at any rate).
   */
  function forget(channel: Channel, before: number): void {
    if (!Number.isFinite(before)) return;
    for (const [sid, m] of seen) {
      if (m.channel === channel && time(m) < before) {
        seen.delete(sid);
        hidden.delete(sid);
      }
    }
  }

  async function pollAlerts(): Promise<void> {
    const from = alertsFirst ? since : new Date(Math.max(since.getTime(), Date.now() - ALERT_WINDOW_MS));
    const list = await request('list the Monitor alerts', () =>
      listAlerts(client, { since: new Date(Math.floor(from.getTime() / 1000) * 1000), limit: PAGE_SIZE }),
    );
    if (!list) return;
    alertsFirst = false;
    for (const alert of list.slice().reverse()) {
      if (seenAlerts.has(alert.sid) || !concerns(alert, scope)) continue;
      seenAlerts.add(alert.sid);
      if (alert.dateCreated && alert.dateCreated.getTime() < sinceSecond) continue;
      // The production URL is a secret: shown masked, as webhook show shows it.
      emit({ kind: 'alert', alert: { ...alert, url: displayWebhookUrl(alert.url, productionUrl) } });
    }
  }

  /** One look at Fruxon for every inbound message still unanswered; a failure is a warning, asked again later. */
  async function askFruxon(f: { client: FruxonClient; fruxonConfigId: string }): Promise<void> {
    const asked = [...toAsk.values()];
    const now = performance.now();
    let found: Map<string, InboundFinding>;
    try {
      found = await findInbound(
        f.client,
        f.fruxonConfigId,
        asked.map((a) => a.query),
        { finalFor: (q) => now - (toAsk.get(q.sid)?.since ?? now) >= fruxonGiveUp },
      );
    } catch (err) {
      if (signal.aborted) return;
      opts.onWarning?.(`${(err as Error).message}; asking Fruxon again in ${Math.round(fruxonEvery / 1000)} s`);
      for (const a of asked) if (now - a.since >= fruxonGiveUp * 2) toAsk.delete(a.query.sid);
      return;
    }
    for (const a of asked) {
      const finding = found.get(a.query.sid);
      if (!finding) continue;
      toAsk.delete(a.query.sid);
      emit({ kind: 'fruxon', message: a.message, finding });
    }
  }

  /** Messages this tool knows it sent: those whose status callbacks its listener recorded. */
  function ownSids(): Set<string> {
    const sids = new Set<string>();
    for (const s of store.events.listStatuses({ configId: config.id, since: since.toISOString(), limit: 1000 }))
      if (s.messageSid) sids.add(s.messageSid);
    return sids;
  }
}

function sentBy(m: Message, own: Set<string>): SentBy {
  if (m.direction === 'inbound') return 'customer';
  if (own.has(m.sid)) return 'this tool';
  if (m.direction === 'outbound-reply') return 'twiml';
  return 'API';
}

function reachesBack(page: MessagePage, since: Date): boolean {
  const last = page.instances.at(-1);
  if (!last || page.instances.length < PAGE_SIZE) return false;
  return (last.dateCreated?.getTime() ?? 0) >= since.getTime();
}

function time(m: Message): number {
  return (m.dateCreated ?? m.dateSent ?? new Date(0)).getTime();
}

async function connect(
  deps: TailDeps,
  name: string | undefined,
): Promise<{ config: Config; creds: TwilioCredentials; client: TwilioClient }> {
  // A client that leaves 429s to the tail (its backoff ignores Retry-After and spends the budget).
  const twilio: TwilioFactory = (creds, o) => deps.twilio(creds, { ...o, retry429: false });
  return connectConfig(deps.store, name, deps.env, deps.secrets, twilio);
}
