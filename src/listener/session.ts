import { fetchFailure } from '../net-error.js';
import { isTwilioAddress, stripChannel } from '../phone.js';
import { backgroundCheckpoints, type Checkpointer } from '../store/checkpoint.js';
import { type Config, type Lease, type NewEvent, type Store, webhookPath } from '../store/index.js';
import type { ApiTrace } from '../trace.js';
import type { TwilioClient } from '../twilio/client.js';
import { type Channel, type Route, resolveRoute } from '../twilio/route.js';
import { sandboxJoinCode } from '../twilio/sandbox.js';
import {
  classifyWebhookUrl,
  displayWebhookUrl,
  isListenerUrl,
  type WebhookKind,
  type WebhookKnowledge,
} from '../twilio/webhook.js';
import { isLoopbackUrl } from '../validate.js';
import { type MissedMessage, watchMissed } from './missed.js';
import {
  envelopeJson,
  type Form,
  field,
  plainAddress,
  TRIGGER,
  type TriggerEnvelope,
  type TriggerPayload,
  toTriggerPayload,
} from './payload.js';
import { RefusalBudget, type RefusalMinute, UNSUPPORTED_ADDRESS } from './refusals.js';
import { type RestoreOutcome, registerWebhook, restoreWebhook, type TakeOverQuestion } from './registration.js';
import type { ReplyEvent } from './replies.js';
import {
  bodyExcerpt,
  type ConnectionLimits,
  type CrowdedEpisode,
  EMPTY_TWIML,
  type InboundRequest,
  type ListenerServer,
  type MalformedRequest,
  type Reply,
  startListenerServer,
} from './server.js';
import { isValidTwilioSignature } from './signature.js';
import { openTunnel, type Tunnel, type TunnelOptions } from './tunnel.js';

const OK_REPLY: Reply = { status: 200, body: EMPTY_TWIML, contentType: 'text/xml' };

interface Pending {
  event: NewEvent;
  /** The accepted message's trigger (printed once recorded); null for a refused request. */
  envelope: TriggerEnvelope | null;
  resolve: (r: { id: number; duplicate: boolean }) => void;
  reject: (err: unknown) => void;
}

/** The headers worth keeping with an event (never Authorization or cookies). */
const KEPT_HEADERS = [
  'x-twilio-signature',
  // listen --catch-up's mark on a message Twilio logged while no listener ran.
  'x-fruxon-twilio-recovered',
  'i-twilio-idempotency-token',
  'user-agent',
  'content-type',
  'x-forwarded-for',
  'x-forwarded-proto',
  'host',
];

/** What the listener knows of an event besides its envelope. */
export interface EventMeta {
  /** Fed by `listen --catch-up` (the request carried `X-Fruxon-Twilio-Recovered: 1`). */
  recovered: boolean;
}

export interface ListenHooks {
  /**
   * An accepted message, once it is durable and before its 200 is sent. `duplicate`: a Twilio retry of a
   * message already recorded (not printed again by default). `json` is `JSON.stringify(envelope)`.
   * `meta.recovered`: `listen --catch-up` fed it (a message Twilio logged while no listener ran).
   */
  onEvent?(envelope: TriggerEnvelope, duplicate: boolean, json: string, meta?: EventMeta): void;
  /** After the onEvent calls of one group commit (e.g. to write their lines in one go), before any reply. */
  onEventsEnd?(): void;
  onRefused?(info: {
    eventId: number | null;
    reason: string;
    detail: string;
    from: string | null;
    /** Where Twilio now sends the message (the error answer makes it try the fallback); null: no fallback. */
    fallback?: ListenFallback | null;
  }): void;
  /**
   * Refused requests beyond the per-minute budget are counted, not recorded or printed: `firstDrop` once,
   * when that starts; `minute` for each minute that dropped some, once it is over.
   */
  onRefusalsDropped?(info: { firstDrop: boolean; minute: RefusalMinute | null }): void;
  /** Events pruned by the retention while listening (hourly). */
  onPruned?(count: number): void;
  onForward?(info: { eventId: number; url: string; status: number | null; ms: number; error: string | null }): void;
  /** A signed delivery-status callback of a message we sent (answered 200; never a trigger, not recorded). */
  onStatus?(info: StatusCallback): void;
  /** A message Twilio logged as inbound to the number that never reached the listener (once per message), and the route that now receives the number's messages. */
  onMissed?(info: MissedMessage & { route: Route | null }): void;
  /**
   * The agent's side: a message the number sent that no face of this listen sent (the agent answering through
   * the Messages API, Fruxon's dispatcher), once as `kind: 'reply'`, then each status change once until final;
   * `eventId` is this session's event it answers (null when none).
   */
  onAgentReply?(reply: AgentReply): void;
  onWarning?(message: string): void;
  onInternalError?(err: unknown): void;
}

/** A reply of the agent (listener/replies.ts), with the event of this session it answers. */
export type AgentReply = ReplyEvent & { eventId: number | null };

/** What a status callback says about one of our messages. */
export interface StatusCallback {
  receivedAt: string;
  messageSid: string | null;
  status: string;
  errorCode: number | null;
  /** As Twilio posts them (`whatsapp:` kept). */
  from: string | null;
  to: string | null;
  /** Its row in the status events (events list --kind status), once recorded. */
  eventId?: number;
}

/**
 * Twilio posts delivery-status callbacks signed like inbound messages and with MessageSid, From and To, so
 * only the status fields tell them apart: MessageStatus present, or SmsStatus other than `received`.
 */
export function statusCallbackOf(form: Form, receivedAt: string): StatusCallback | null {
  const messageStatus = field(form, 'MessageStatus');
  const smsStatus = field(form, 'SmsStatus');
  if (messageStatus === null && (smsStatus === null || smsStatus === 'received')) return null;
  const code = field(form, 'ErrorCode');
  return {
    receivedAt,
    messageSid: field(form, 'MessageSid') ?? field(form, 'SmsSid'),
    status: (messageStatus ?? smsStatus)!,
    errorCode: code && /^\d+$/.test(code) ? Number(code) : null,
    from: field(form, 'From'),
    to: field(form, 'To'),
  };
}

export interface ListenOptions {
  store: Store;
  config: Config;
  /** The account's Auth Token, for X-Twilio-Signature; null only with skipVerify. */
  authToken: string | null;
  skipVerify: boolean;
  host: string;
  port: number;
  tunnel: Omit<TunnelOptions, 'localOrigin' | 'localPort' | 'localHost'>;
  /** The Twilio client for registration; null with --no-register. */
  twilio: TwilioClient | null;
  /** The clock of user-visible times: an event's `received_at` (as the store's own stamps). */
  now: () => Date;
  apiUrl: string | null;
  /**
   * Reads the config's recorded production webhook URL (from the keychain) when registering and again when
   * restoring: `link` may record it while the listener runs. Never stored in the lease.
   */
  productionUrl: () => string | null;
  /** Channels to register for (default: every channel the number has). */
  channels?: Channel[];
  /** Consent to point the number's Messaging Service (every number in it) at the listener. */
  allowMessagingService?: boolean;
  /** Clear the winning layer's fallback URL for the run (put back on stop). */
  noFallback?: boolean;
  /** Asked before taking a layer that points at a production URL (registration.ts); absent: taken with a warning. */
  confirmTakeOver?: (q: TakeOverQuestion) => Promise<boolean>;
  /** How often to ask Twilio for inbound messages the listener never received (0 or undefined: never). */
  checkMissedMs?: number;
  forwardTo?: string;
  /** The local participant's name for a sender, if any. */
  contactName?(from: string): string | null;
  hooks?: ListenHooks;
  /** Deletes the events older than the retention; run hourly while listening (returns how many). */
  retention?: () => number;
  /** Internal (tests): how often `retention` runs; default hourly. */
  retentionIntervalMs?: number;
  /** Internal (tests): connection limits; the defaults (server.ts CONNECTION_LIMITS) are the contract. */
  limits?: Partial<ConnectionLimits>;
  /** Internal (tests): refused requests recorded per minute. */
  refusedPerMinute?: number;
  /** The API trace (FRUXON_TWILIO_DEBUG=api): every webhook received or forwarded, the ngrok session. */
  trace?: ApiTrace | null;
}

/** A fallback URL in force while listening, as it may be printed (masked like any webhook URL). */
export interface ListenFallback {
  channel: Channel;
  url: string;
  /**
   * What the URL is: the recorded production URL, this listener's (or another lease's of this store), a URL
   * with a listener's shape that no lease here holds, or something else.
   */
  kind: Exclude<WebhookKind, 'none'> | 'other_listener';
}

export interface ListenInfo {
  localUrl: string;
  publicUrl: string;
  webhookUrl: string;
  tunnel: Tunnel['kind'];
  lease: Lease | null;
  staleRestored: RestoreOutcome | null;
  /** The routes registered at (empty with --no-register). A 'sandbox' route: nothing was registered, the Console must be. */
  routes: Route[];
  /** Every address whose messages the listener accepts (numbers, and a leased service's short codes and RCS/Messenger senders). */
  accepts: string[];
  /** The fallback URL of each registered channel that has one (none: empty); printable. */
  fallbacks: ListenFallback[];
  /** --no-fallback: the winning layer's fallback is cleared for the run. */
  noFallback: boolean;
  /**
   * Where Twilio can post the delivery-status callbacks of messages sent elsewhere (`send --status-callback`):
   * the webhook URL (status callbacks are told apart from messages); null when real Twilio cannot reach it (loopback).
   */
  statusCallbackUrl: string | null;
  /** On the WhatsApp Sandbox: its `join <code>` keyword when it can be known (an emulator tells it), else null. */
  sandboxJoinCode: string | null;
}

/**
 * A running listener: HTTP server, tunnel, and (unless told not to) the number's webhook pointed at it.
 * `stop()` puts the webhook back first (so Twilio sends new messages where they went before), then closes
 * the tunnel and the server. It never prints: everything it has to say goes through the hooks.
 */
export class ListenSession {
  readonly #o: ListenOptions;
  #server: ListenerServer | null = null;
  #tunnel: Tunnel | null = null;
  #lease: Lease | null = null;
  #stopMissed: (() => void) | null = null;
  #accepts: Set<string>;
  #signedBase = '';
  #stopping: Promise<RestoreOutcome | null> | null = null;
  #checkpoints: Checkpointer | null = null;
  /** Events waiting for the next group commit, with the requests waiting on them. */
  #pending: Pending[] = [];
  #refusals: RefusalBudget;
  #timers: NodeJS.Timeout[] = [];
  /** The production webhook URL as read at start: the restore uses it if the keychain is gone by then. */
  #productionUrl: string | null = null;
  #fallbacks: ListenFallback[] = [];
  accepted = 0;

  constructor(opts: ListenOptions) {
    this.#o = opts;
    this.#refusals = new RefusalBudget({ perMinute: opts.refusedPerMinute });
    this.#accepts = new Set([opts.config.fromNumber]);
  }

  get path(): string {
    return webhookPath(this.#o.config);
  }

  async start(): Promise<ListenInfo> {
    const o = this.#o;
    this.#server = await startListenerServer({
      host: o.host,
      port: o.port,
      path: this.path,
      handle: (req) => this.#handle(req),
      onMalformed: (req) => void this.#refuseMalformed(req),
      identity: `pid=${process.pid}`,
      onCrowded: (e) => o.hooks?.onWarning?.(crowdedMessage(e)),
      onInternalError: (err) => o.hooks?.onInternalError?.(err),
      limits: o.limits,
      trace: o.trace,
    });
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(() => {
        try {
          fn();
        } catch (err) {
          o.hooks?.onInternalError?.(err);
        }
      }, ms);
      t.unref();
      this.#timers.push(t);
    };
    // A long listen keeps the event log within its retention too, not only the next listen's start.
    if (o.retention) {
      const retention = o.retention;
      every(o.retentionIntervalMs ?? 3_600_000, () => {
        const n = retention();
        if (n > 0) o.hooks?.onPruned?.(n);
      });
    }
    every(60_000, () => {
      const minute = this.#refusals.flush();
      if (minute) o.hooks?.onRefusalsDropped?.({ firstDrop: false, minute });
    });
    let staleRestored: RestoreOutcome | null = null;
    try {
      this.#tunnel = await openTunnel({
        ...o.tunnel,
        localOrigin: this.#server.localOrigin,
        localPort: this.#server.port,
        localHost: o.host,
        trace: o.trace,
      });
      this.#signedBase = this.#tunnel.publicUrl;
      const webhookUrl = this.#tunnel.publicUrl + this.path;
      let routes: Route[] = [];
      if (o.twilio) {
        const reg = await registerWebhook({
          store: o.store,
          client: o.twilio,
          config: o.config,
          webhookUrl,
          apiUrl: o.apiUrl,
          productionUrl: (this.#productionUrl = o.productionUrl()),
          channels: o.channels,
          allowMessagingService: o.allowMessagingService,
          noFallback: o.noFallback,
          confirmTakeOver: o.confirmTakeOver,
          onWarning: (m) => o.hooks?.onWarning?.(m),
          onStaleRestored: (outcome) => (staleRestored = outcome),
        });
        this.#lease = reg.lease;
        routes = reg.routes;
        for (const n of reg.accepts) this.#accepts.add(n);
        const known = { productionUrl: this.#productionUrl, lease: reg.lease };
        this.#fallbacks = reg.fallbacks.flatMap((f) =>
          f.url
            ? [
                {
                  channel: f.channel,
                  url: displayWebhookUrl(f.url, this.#productionUrl)!,
                  kind: fallbackKind(f.url, known),
                },
              ]
            : [],
        );
        if (o.checkMissedMs && reg.lease) this.#watchMissed(o.twilio, routes, o.checkMissedMs);
      }
      return {
        localUrl: this.#server.localOrigin + this.path,
        publicUrl: this.#tunnel.publicUrl,
        webhookUrl,
        tunnel: this.#tunnel.kind,
        lease: this.#lease,
        staleRestored,
        routes,
        accepts: [...this.#accepts],
        fallbacks: this.#fallbacks,
        noFallback: Boolean(o.noFallback),
        statusCallbackUrl: !o.apiUrl && isLoopbackUrl(webhookUrl) ? null : webhookUrl,
        sandboxJoinCode: routes.some((r) => r.layer === 'sandbox')
          ? await sandboxJoinCode(o.apiUrl, o.trace ?? null)
          : null,
      };
    } catch (err) {
      await this.#tunnel?.close();
      await this.#server.close();
      throw err;
    }
  }

  #watchMissed(client: TwilioClient, routes: Route[], intervalMs: number): void {
    const o = this.#o;
    const addresses = [...this.#accepts]
      .filter((n) => isTwilioAddress(n))
      .flatMap((n) => (routes.some((r) => r.channel === 'whatsapp') ? [n, `whatsapp:${n}`] : [n]));
    const stop = watchMissed({
      client,
      store: o.store,
      config: o.config,
      addresses,
      // Compared with Twilio's own times (dateSentAfter): real time, not the injected clock.
      since: new Date(),
      intervalMs,
      now: o.now,
      onMissed: (m) =>
        void resolveRoute(client, o.config.fromNumber, m.to.startsWith('whatsapp:') ? 'whatsapp' : 'sms')
          .catch(() => null)
          .then((route) => o.hooks?.onMissed?.({ ...m, route })),
      onError: (err) =>
        o.hooks?.onWarning?.(`could not check for missed messages: ${(err as Error)?.message ?? String(err)}`),
    });
    this.#stopMissed = stop;
  }

  /** Idempotent: a second call (a second Ctrl-C) waits for the same restore instead of skipping it. */
  stop(): Promise<RestoreOutcome | null> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<RestoreOutcome | null> {
    const o = this.#o;
    let outcome: RestoreOutcome | null = null;
    this.#stopMissed?.();
    try {
      if (this.#lease && o.twilio) {
        // Read the lease again: `link` may have changed what it puts back while we ran (restoreWebhook claims it
        // before reading it once more, and reads the production URL after that claim).
        const lease = o.store.leases.get(o.config.id) ?? this.#lease;
        outcome = await restoreWebhook({
          store: o.store,
          client: o.twilio,
          lease,
          apiUrl: o.apiUrl,
          config: o.config,
          productionUrl: () => this.#currentProductionUrl(),
        });
      }
    } finally {
      for (const t of this.#timers) clearInterval(t);
      await this.#tunnel?.close();
      await this.#server?.close();
      await this.#checkpoints?.stop();
    }
    return outcome;
  }

  /**
   * The production URL for the restore: read again (`link` may have recorded one while we ran), but when the
   * keychain cannot be reached any more (a logout ended the D-Bus session), the one read at start: an
   * unreachable keychain is no reason to leave the number pointing at a listener that is going away.
   */
  #currentProductionUrl(): string | null {
    try {
      return this.#o.productionUrl() ?? this.#productionUrl;
    } catch (err) {
      this.#o.hooks?.onWarning?.(
        `could not read the production webhook URL again (${(err as Error)?.message ?? String(err)}): using the one read at start`,
      );
      return this.#productionUrl;
    }
  }

  /**
   * Group commit: the events of the requests that completed in the same turn of the event loop are
   * written in ONE SQLite transaction (one WAL commit instead of one per webhook), then each request is
   * answered. An event is still durable before its 200 is sent.
   */
  #record(event: NewEvent, envelope: TriggerEnvelope | null = null): Promise<{ id: number; duplicate: boolean }> {
    return new Promise((resolve, reject) => {
      if (this.#pending.push({ event, envelope, resolve, reject }) === 1) setImmediate(this.#flushBound);
    });
  }

  readonly #flushBound = () => this.#flush();

  #flush(): void {
    // WAL checkpoints (and their fsync) in a worker thread, not inside a webhook's commit. The thread runs
    // while writes come in and leaves once they stop, so that an idle listener does not pay for it.
    if (!this.#stopping) (this.#checkpoints ??= backgroundCheckpoints(this.#o.store)).writing();
    const batch = this.#pending.splice(0);
    let results: { id: number; duplicate: boolean }[];
    try {
      results = this.#o.store.events.recordBatch(batch.map((b) => b.event));
    } catch (err) {
      for (const b of batch) b.reject(err);
      return;
    }
    // Printed (and forwarded) once durable and before the replies: a 200 always has its line on stdout.
    const o = this.#o;
    let printed = false;
    for (let i = 0; i < batch.length; i++) {
      const b = batch[i]!;
      const envelope = b.envelope;
      if (!envelope) continue;
      const { id, duplicate } = results[i]!;
      envelope.event_id = id;
      if (!duplicate) this.accepted++;
      printed = true;
      try {
        o.hooks?.onEvent?.(envelope, duplicate, envelopeJson(envelope, b.event.payloadJson!), {
          recovered: b.event.headers['x-fruxon-twilio-recovered'] === '1',
        });
      } catch (err) {
        o.hooks?.onInternalError?.(err);
      }
      if (!duplicate && o.forwardTo) void this.#forward(envelope);
    }
    if (printed) {
      try {
        o.hooks?.onEventsEnd?.();
      } catch (err) {
        o.hooks?.onInternalError?.(err);
      }
    }
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
  }

  async #handle(req: InboundRequest): Promise<Reply> {
    const o = this.#o;
    const receivedAt = o.now().toISOString();
    const signature = header(req, 'x-twilio-signature');
    const form = req.form;
    const rawFrom = field(form, 'From');
    const rawTo = field(form, 'To');
    const from = plainAddress(rawFrom);

    let signatureValid: boolean | null = null;
    if (!o.skipVerify) {
      signatureValid = isValidTwilioSignature(o.authToken!, signature, this.#signedBase + req.url, form);
      if (!signatureValid) {
        return this.#refuse(
          req,
          receivedAt,
          signature ? 'invalid_signature' : 'missing_signature',
          signature
            ? `X-Twilio-Signature does not match ${this.#signedBase + req.url} and the form`
            : 'no X-Twilio-Signature header',
          {
            status: 403,
            body: 'forbidden: invalid X-Twilio-Signature\n',
          },
          signatureValid,
        );
      }
    }
    const messageSid = field(form, 'MessageSid');
    if (!messageSid || !rawFrom || !rawTo) {
      return this.#refuse(
        req,
        receivedAt,
        'not_a_message',
        'the form has no MessageSid, From or To: not an inbound message',
        { status: 400, body: 'bad request: not an inbound message webhook\n' },
        signatureValid,
      );
    }
    // A delivery-status callback of a message sent from the number (a StatusCallback pointed here): not an
    // inbound message, so it fires no trigger, but Twilio gets its 200.
    const status =
      this.#isOurAddress(rawFrom) || this.#isServiceSender(rawFrom) ? statusCallbackOf(form, receivedAt) : null;
    if (status) {
      try {
        status.eventId = o.store.events.addStatus({ configId: o.config.id, configName: o.config.name, ...status });
        o.hooks?.onStatus?.(status);
      } catch (err) {
        o.hooks?.onInternalError?.(err);
      }
      return OK_REPLY;
    }
    // An address Twilio uses that this listener does not model yet (RCS, Messenger, a short code…): said as
    // such, not as a malformed number (doctor counts them). The error answer lets Twilio try the fallback.
    // To one of the leased service's own short codes or RCS/Messenger senders (listed at start): taken from a
    // phone number or an RCS/Messenger address, kept as Twilio wrote it (the payload's channel says which).
    const toServiceSender = this.#isServiceSender(rawTo);
    const unmodelled = toServiceSender
      ? isTwilioAddress(rawFrom) || NON_PHONE_FROM.test(rawFrom)
        ? null
        : unmodelledAddress(rawFrom, 'From')
      : (unmodelledAddress(rawFrom, 'From') ?? unmodelledAddress(rawTo, 'To'));
    if (unmodelled) {
      return this.#refuse(
        req,
        receivedAt,
        UNSUPPORTED_ADDRESS,
        `${unmodelled}: this listener takes SMS and WhatsApp (E.164), and RCS, Messenger and short codes only to the senders of the config's own Messaging Service; ${toServiceSender ? 'this sender kind is' : 'other senders and channels are'} not modelled`,
        { status: 400, body: 'bad request: an address this listener does not model\n' },
        signatureValid,
      );
    }
    const wellFormed = toServiceSender
      ? isTwilioAddress(rawFrom) || NON_PHONE_FROM.test(rawFrom)
      : isTwilioAddress(rawFrom) && isTwilioAddress(rawTo);
    if (!wellFormed) {
      return this.#refuse(
        req,
        receivedAt,
        'not_e164',
        'From and To must be E.164 numbers (or whatsapp:+E.164)',
        { status: 400, body: 'bad request: From and To must be E.164 numbers\n' },
        signatureValid,
      );
    }
    if (!toServiceSender && !this.#isOurAddress(rawTo)) {
      return this.#refuse(
        req,
        receivedAt,
        'not_our_number',
        `the message is to ${plainAddress(rawTo)}, not to ${o.config.fromNumber}`,
        { status: 403, body: 'forbidden: not a message to this number\n' },
        signatureValid,
      );
    }

    const headers: Record<string, string> = {};
    for (const h of KEPT_HEADERS) {
      const v = header(req, h);
      if (v !== undefined) headers[h] = v;
    }
    const base: EventBase = {
      configId: o.config.id,
      configName: o.config.name,
      receivedAt,
      messageSid,
      idempotencyToken: header(req, 'i-twilio-idempotency-token') ?? null,
      fromNumber: from,
      body: field(form, 'Body'),
      rawForm: form,
      headers,
      remoteAddress: req.remoteAddress,
      bodyExcerpt: null,
    };
    const payload = toTriggerPayload(form, {
      configId: o.config.id,
      contactName: from ? (o.contactName?.(from) ?? null) : null,
    });
    // event_id is set by #flush once the event has its row; printed (and forwarded) there, before the reply.
    const envelope: TriggerEnvelope = {
      trigger: TRIGGER,
      config: o.config.name,
      event_id: 0,
      received_at: receivedAt,
      payload,
    };
    await this.#record(newEvent(base, 'accepted', null, signatureValid, payload), envelope);
    return OK_REPLY;
  }

  /** The fallback Twilio tries after an error answer to a message to `to` (its channel's; SMS when unknown). */
  #fallbackFor(to: string | null): ListenFallback | null {
    const channel: Channel = to?.trim().startsWith('whatsapp:') ? 'whatsapp' : 'sms';
    return this.#fallbacks.find((f) => f.channel === channel) ?? null;
  }

  /** The config's number (or another number of a leased Messaging Service), plain or as whatsapp:. */
  #isOurAddress(address: string): boolean {
    return this.#accepts.has(stripChannel(address)) && isTwilioAddress(address.trim());
  }

  /** One of the leased Messaging Service's own short codes or RCS/Messenger senders, exactly as listed. */
  #isServiceSender(address: string): boolean {
    return !isTwilioAddress(address) && this.#accepts.has(address);
  }

  /**
   * A refused request costs little: the reason, the time, the remote address, whether it had a signature and
   * at most the first 1 KiB of its body are recorded, never its form (anyone can send one), and only within
   * the per-minute budget; beyond it, it is counted and answered.
   */
  async #refuse(
    req: InboundRequest | MalformedRequest,
    receivedAt: string,
    reason: string,
    detail: string,
    answer: Reply,
    signatureValid: boolean | null,
  ): Promise<Reply> {
    const o = this.#o;
    const budget = this.#refusals.take();
    if (budget.closed || budget.firstDrop)
      o.hooks?.onRefusalsDropped?.({ firstDrop: budget.firstDrop, minute: budget.closed });
    if (!budget.keep) return answer;
    const form = 'form' in req ? req.form : null;
    const from = form ? plainAddress(field(form, 'From')) : null;
    const signature = header(req, 'x-twilio-signature');
    const event: EventBase = {
      configId: o.config.id,
      configName: o.config.name,
      receivedAt,
      messageSid: form ? short(field(form, 'MessageSid')) : null,
      idempotencyToken: null,
      fromNumber: short(from),
      body: null,
      rawForm: {},
      headers: signature !== undefined ? { 'x-twilio-signature': '(present)' } : {},
      remoteAddress: req.remoteAddress,
      bodyExcerpt: 'rawBody' in req ? bodyExcerpt(req.rawBody) : req.bodyExcerpt,
    };
    const { id } = await this.#record(newEvent(event, 'refused', reason, signatureValid, null));
    const to = form ? field(form, 'To') : null;
    o.hooks?.onRefused?.({ eventId: id, reason, detail, from: short(from), fallback: this.#fallbackFor(to) });
    return answer;
  }

  async #refuseMalformed(req: MalformedRequest): Promise<void> {
    try {
      await this.#refuse(req, this.#o.now().toISOString(), req.reason, req.detail, { status: 400 }, null);
    } catch (err) {
      this.#o.hooks?.onInternalError?.(err);
    }
  }

  async #forward(envelope: TriggerEnvelope): Promise<void> {
    const url = this.#o.forwardTo!;
    const outcome = await forwardEvent(url, envelope, undefined, this.#o.trace);
    try {
      this.#o.store.events.setForwardOutcome(envelope.event_id, {
        url,
        status: outcome.status,
        ms: outcome.ms,
        error: outcome.error,
      });
    } catch (err) {
      this.#o.hooks?.onInternalError?.(err);
    }
    this.#o.hooks?.onForward?.({ eventId: envelope.event_id, url, ...outcome });
  }
}

/** POSTs the trigger JSON to a local URL; never throws: a failing target is an outcome, not an error. */
export async function forwardEvent(
  url: string,
  envelope: TriggerEnvelope,
  timeoutMs = 10_000,
  trace: ApiTrace | null = null,
): Promise<{ status: number | null; ms: number; error: string | null }> {
  const t0 = performance.now();
  const body = JSON.stringify(envelope);
  const tell = (status: number | null, ms: number, error: string | null, answer: string | null) =>
    trace?.http({
      service: 'webhook',
      direction: 'out',
      method: 'POST',
      url,
      status,
      ms,
      error,
      requestBody: trace.bodies ? body : null,
      responseBody: trace.bodies ? answer : null,
    });
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'fruxon-twilio', 'x-fruxon-trigger': TRIGGER },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    let answer: string | null = null;
    if (trace?.bodies) answer = await res.text().catch(() => null);
    else await res.arrayBuffer().catch(() => undefined);
    const ms = performance.now() - t0;
    tell(res.status, ms, null, answer);
    return { status: res.status, ms, error: res.ok ? null : `HTTP ${res.status}` };
  } catch (err) {
    const f = fetchFailure(err);
    const reason = f.timedOut ? `no answer within ${timeoutMs / 1000} s` : (f.cause ?? (err as Error).message);
    const ms = performance.now() - t0;
    tell(null, ms, reason, null);
    return { status: null, ms, error: reason };
  }
}

function fallbackKind(url: string, known: WebhookKnowledge): ListenFallback['kind'] {
  const kind = classifyWebhookUrl(url, known).kind;
  if (kind === 'other' || kind === 'none') return isListenerUrl(url) ? 'other_listener' : 'other';
  return kind;
}

/** Who may write to a service's own non-phone sender besides a phone number: an RCS or Messenger address. */
const NON_PHONE_FROM = /^(rcs|messenger):\S{1,100}$/;

/** Twilio's address kinds besides E.164 and whatsapp: (conversations v1 configuration_address_enum_type). */
const CHANNEL_PREFIX = /^(rcs|messenger|gbm|apple|email|chat|line|viber):/i;

/** `From rcs:… is an RCS address` when the address is of a kind Twilio uses that this listener does not model; null otherwise. */
function unmodelledAddress(address: string, which: 'From' | 'To'): string | null {
  const a = address.trim();
  const prefix = CHANNEL_PREFIX.exec(a)?.[1]?.toLowerCase();
  const shown = a.length > 40 ? `${a.slice(0, 40)}…` : a;
  if (prefix) return `${which} ${shown} is ${prefix === 'rcs' ? 'an RCS' : `a ${prefix}`} address`;
  if (/^\d{3,8}$/.test(a)) return `${which} ${shown} is a short code`;
  return null;
}

/** What every event of a request has, whatever becomes of it. */
export type EventBase = Pick<
  NewEvent,
  | 'configId'
  | 'configName'
  | 'receivedAt'
  | 'messageSid'
  | 'idempotencyToken'
  | 'fromNumber'
  | 'body'
  | 'rawForm'
  | 'headers'
> & {
  remoteAddress: string | null;
  bodyExcerpt: string | null;
};

/**
 * The event to record, as ONE object literal: `{ ...base, status, … }` would do the same, but V8 (Node 20)
 * gives every object made by a spread followed by new keys a map of its own, so a listener made a new hidden
 * class per webhook (garbage in old space, and megamorphic property access wherever events are read).
 */
export function newEvent(
  b: EventBase,
  status: NewEvent['status'],
  reason: string | null,
  signatureValid: boolean | null,
  payload: TriggerPayload | null,
): NewEvent {
  return {
    configId: b.configId,
    configName: b.configName,
    receivedAt: b.receivedAt,
    status,
    reason,
    messageSid: b.messageSid,
    idempotencyToken: b.idempotencyToken,
    channel: payload ? payload.channel : null,
    fromNumber: b.fromNumber,
    body: b.body,
    signatureValid,
    rawForm: b.rawForm,
    headers: b.headers,
    payload: payload as Record<string, unknown> | null,
    payloadJson: payload ? JSON.stringify(payload) : undefined,
    remoteAddress: b.remoteAddress,
    bodyExcerpt: b.bodyExcerpt,
  };
}

/** One line for a time the listener's connection table was full (slow clients or an attack). */
export function crowdedMessage(e: CrowdedEpisode): string {
  const s = Math.max(1, Math.round(e.ms / 1000));
  const what = [
    e.evicted > 0 ? `closed ${e.evicted} connections that had not finished a request` : '',
    e.dropped > 0 ? `refused ${e.dropped} new connections (every slot was being answered)` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  return `the listener's ${e.maxConnections} connection slots ${e.ongoing ? 'have been' : 'were'} full for ${s} s (slow clients or an attack): ${what}`;
}

/** What a refused request keeps of a value it chose (a number, a SID): a few dozen characters. */
function short(v: string | null): string | null {
  return v === null ? null : v.length > 64 ? v.slice(0, 64) + '…' : v;
}

function header(req: Pick<InboundRequest, 'headers'>, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export type { Form };

const HOOK_NAMES = [
  'onEvent',
  'onEventsEnd',
  'onRefused',
  'onRefusalsDropped',
  'onPruned',
  'onForward',
  'onStatus',
  'onMissed',
  'onAgentReply',
  'onWarning',
  'onInternalError',
] as const satisfies readonly (keyof ListenHooks)[];

/**
 * The faces of one session: each hook calls each face's in turn. Each face is read at each call, so one can
 * come later (listen's lines or screen exist before the session, the inspector only once it has started) or
 * be absent.
 */
export function teeHooks(...faces: (() => ListenHooks | undefined)[]): ListenHooks {
  const hooks: Record<string, (...args: never[]) => void> = {};
  for (const name of HOOK_NAMES) {
    hooks[name] = (...args: never[]) => {
      for (const face of faces) (face()?.[name] as ((...a: never[]) => void) | undefined)?.(...args);
    };
  }
  return hooks as ListenHooks;
}
