import { backgroundCheckpoints, type Checkpointer } from '../store/checkpoint.js';
import { webhookPath, type Config, type Lease, type NewEvent, type Store } from '../store/index.js';
import type { TwilioClient } from '../twilio/client.js';
import { TRIGGER, channelOf, envelopeJson, field, plainAddress, toTriggerPayload, type Channel, type Form, type TriggerEnvelope, type TriggerPayload } from './payload.js';
import { registerWebhook, restoreWebhook, type RestoreOutcome } from './registration.js';
import { EMPTY_TWIML, startListenerServer, type InboundRequest, type ListenerServer, type Reply } from './server.js';
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
const KEPT_HEADERS = ['x-twilio-signature', 'i-twilio-idempotency-token', 'user-agent', 'content-type', 'x-forwarded-for', 'x-forwarded-proto', 'host'];

export interface ListenHooks {
  /**
   * An accepted message, once it is durable and before its 200 is sent. `duplicate`: a Twilio retry of a
   * message already recorded (not printed again by default). `json` is `JSON.stringify(envelope)`.
   */
  onEvent?(envelope: TriggerEnvelope, duplicate: boolean, json: string): void;
  /** After the onEvent calls of one group commit (e.g. to write their lines in one go), before any reply. */
  onEventsEnd?(): void;
  onRefused?(info: { eventId: number | null; reason: string; detail: string; from: string | null }): void;
  onForward?(info: { eventId: number; url: string; status: number | null; ms: number; error: string | null }): void;
  /**
   * A delivery-status callback (MessageStatus, no Body) of a message sent with this listener's URL as its
   * StatusCallback: signed like a webhook, answered 200, never recorded as an event and never a trigger.
   */
  onStatus?(info: StatusCallback): void;
  onWarning?(message: string): void;
  onInternalError?(err: unknown): void;
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
  apiUrl: string | null;
  /**
   * Reads the config's recorded production webhook URL (from the keychain) when registering and again when
   * restoring: `link` may record it while the listener runs. Never stored in the lease.
   */
  productionUrl: () => string | null;
  forwardTo?: string;
  /** The local participant's name for a sender, if any. */
  contactName?(from: string): string | null;
  hooks?: ListenHooks;
}

export interface ListenInfo {
  localUrl: string;
  publicUrl: string;
  webhookUrl: string;
  tunnel: Tunnel['kind'];
  lease: Lease | null;
  staleRestored: RestoreOutcome | null;
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
  #signedBase = '';
  #stopping: Promise<RestoreOutcome | null> | null = null;
  #checkpoints: Checkpointer | null = null;
  /** Events waiting for the next group commit, with the requests waiting on them. */
  #pending: Pending[] = [];
  accepted = 0;

  constructor(opts: ListenOptions) {
    this.#o = opts;
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
      onInternalError: (err) => o.hooks?.onInternalError?.(err),
    });
    let staleRestored: RestoreOutcome | null = null;
    try {
      this.#tunnel = await openTunnel({ ...o.tunnel, localOrigin: this.#server.localOrigin, localPort: this.#server.port, localHost: o.host });
      this.#signedBase = this.#tunnel.publicUrl;
      const webhookUrl = this.#tunnel.publicUrl + this.path;
      if (o.twilio) {
        this.#lease = await registerWebhook({
          store: o.store,
          client: o.twilio,
          config: o.config,
          webhookUrl,
          apiUrl: o.apiUrl,
          productionUrl: o.productionUrl(),
          onStaleRestored: (outcome) => (staleRestored = outcome),
        });
      }
      return {
        localUrl: this.#server.localOrigin + this.path,
        publicUrl: this.#tunnel.publicUrl,
        webhookUrl,
        tunnel: this.#tunnel.kind,
        lease: this.#lease,
        staleRestored,
      };
    } catch (err) {
      await this.#tunnel?.close();
      await this.#server.close();
      throw err;
    }
  }

  /** Idempotent: a second call (a second Ctrl-C) waits for the same restore instead of skipping it. */
  stop(): Promise<RestoreOutcome | null> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<RestoreOutcome | null> {
    const o = this.#o;
    let outcome: RestoreOutcome | null = null;
    try {
      if (this.#lease && o.twilio) {
        // Read the lease again: `link` may have changed what it puts back while we ran.
        const lease = o.store.leases.get(o.config.id) ?? this.#lease;
        outcome = await restoreWebhook({ store: o.store, client: o.twilio, lease, apiUrl: o.apiUrl, config: o.config, productionUrl: o.productionUrl() });
      }
    } finally {
      await this.#tunnel?.close();
      await this.#server?.close();
      await this.#checkpoints?.stop();
    }
    return outcome;
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
        o.hooks?.onEvent?.(envelope, duplicate, envelopeJson(envelope, b.event.payloadJson!));
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
    const receivedAt = new Date().toISOString();
    const signature = header(req, 'x-twilio-signature');
    const headers: Record<string, string> = {};
    for (const h of KEPT_HEADERS) {
      const v = header(req, h);
      if (v !== undefined) headers[h] = v;
    }
    const from = plainAddress(field(req.form, 'From'));
    const base: EventBase = {
      configId: o.config.id,
      configName: o.config.name,
      receivedAt,
      messageSid: field(req.form, 'MessageSid'),
      idempotencyToken: header(req, 'i-twilio-idempotency-token') ?? null,
      fromNumber: from,
      body: field(req.form, 'Body'),
      rawForm: req.form,
      headers,
    };

    let signatureValid: boolean | null = null;
    if (!o.skipVerify) {
      signatureValid = isValidTwilioSignature(o.authToken!, signature, this.#signedBase + req.url, req.form);
      if (!signatureValid) {
        const reason = signature ? 'invalid_signature' : 'missing_signature';
        const { id } = await this.#record(newEvent(base, 'refused', reason, false, null));
        o.hooks?.onRefused?.({
          eventId: id,
          reason,
          detail: signature
            ? `X-Twilio-Signature does not match ${this.#signedBase + req.url} and the form`
            : 'no X-Twilio-Signature header',
          from,
        });
        return { status: 403, body: 'forbidden: invalid X-Twilio-Signature\n' };
      }
    }
    const status = statusCallbackOf(req.form);
    if (status) {
      try {
        o.hooks?.onStatus?.(status);
      } catch (err) {
        o.hooks?.onInternalError?.(err);
      }
      return OK_REPLY;
    }
    if (!base.messageSid || !field(req.form, 'From') || !field(req.form, 'To')) {
      const { id } = await this.#record(newEvent(base, 'refused', 'not_a_message', signatureValid, null));
      o.hooks?.onRefused?.({ eventId: id, reason: 'not_a_message', detail: 'the form has no MessageSid, From or To: not an inbound message', from });
      return { status: 400, body: 'bad request: not an inbound message webhook\n' };
    }

    const payload = toTriggerPayload(req.form, { configId: o.config.id, contactName: from ? (o.contactName?.(from) ?? null) : null });
    // event_id is set by #flush once the event has its row; printed (and forwarded) there, before the reply.
    const envelope: TriggerEnvelope = { trigger: TRIGGER, config: o.config.name, event_id: 0, received_at: receivedAt, payload };
    await this.#record(newEvent(base, 'accepted', null, signatureValid, payload), envelope);
    return OK_REPLY;
  }

  async #forward(envelope: TriggerEnvelope): Promise<void> {
    const url = this.#o.forwardTo!;
    const outcome = await forwardEvent(url, envelope);
    try {
      this.#o.store.events.setForwardOutcome(envelope.event_id, { url, status: outcome.status, ms: outcome.ms, error: outcome.error });
    } catch (err) {
      this.#o.hooks?.onInternalError?.(err);
    }
    this.#o.hooks?.onForward?.({ eventId: envelope.event_id, url, ...outcome });
  }
}

/** POSTs the trigger JSON to a local URL; never throws: a failing target is an outcome, not an error. */
export async function forwardEvent(url: string, envelope: TriggerEnvelope, timeoutMs = 10_000): Promise<{ status: number | null; ms: number; error: string | null }> {
  const t0 = performance.now();
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'fruxon-twilio', 'x-fruxon-trigger': TRIGGER },
      body: JSON.stringify(envelope),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    const ms = performance.now() - t0;
    return { status: res.status, ms, error: res.ok ? null : `HTTP ${res.status}` };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string; errors?: { code?: string }[] } };
    const reason =
      e.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (e.cause?.code ?? e.cause?.errors?.[0]?.code ?? e.cause?.message ?? e.message);
    return { status: null, ms: performance.now() - t0, error: reason };
  }
}

/** What every event of a request has, whatever becomes of it. */
export type EventBase = Pick<NewEvent, 'configId' | 'configName' | 'receivedAt' | 'messageSid' | 'idempotencyToken' | 'fromNumber' | 'body' | 'rawForm' | 'headers'>;

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
  };
}

export interface StatusCallback {
  messageSid: string;
  status: string;
  /** Plain E.164 (the channel is in `channel`). */
  from: string | null;
  to: string | null;
  channel: Channel;
  errorCode: string | null;
}

/** A status callback carries MessageStatus and no Body; an inbound message always has a Body (maybe empty). */
export function statusCallbackOf(form: Form): StatusCallback | null {
  const status = field(form, 'MessageStatus');
  const sid = field(form, 'MessageSid') ?? field(form, 'SmsSid');
  if (status === null || sid === null || form.Body !== undefined) return null;
  const to = field(form, 'To');
  return { messageSid: sid, status, from: plainAddress(field(form, 'From')), to: plainAddress(to), channel: channelOf(to ?? field(form, 'From')), errorCode: field(form, 'ErrorCode') };
}

function header(req: InboundRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export type { Form };
