import { isE164, stripChannel, WHATSAPP_PREFIX } from '../phone.js';
import {
  bodyChars,
  countSegments,
  guessContentType,
  inboundMessageForm,
  MAX_BODY_CHARS,
  MAX_MEDIA_PER_MESSAGE,
} from '../twilio/inbound-form.js';
import { withoutCredentials } from '../twilio/webhook-post.js';
import { AlertLog } from './alerts.js';
import { type DeliveryPolicy, deliverWebhook, sleep, type WebhookTarget } from './delivery.js';
import { apiErrors, type DeliveryErrorCode, deliveryErrors } from './errors.js';
import { newSid } from './ids.js';
import { MAGIC_NUMBERS, scriptedFailure } from './magic.js';
import { API_VERSION, mediaBytesPath, mediaSid } from './resources.js';
import { defaultStatusCallback, type InboundRoute, routeInbound } from './routing.js';
import type { EmulatorState } from './state.js';
import { SANDBOX_NUMBER } from './state.js';
import type {
  DeliveryResult,
  EmulatorInboundMessage,
  EmulatorLogEntry,
  EmulatorMessage,
  EmulatorNumber,
  HttpMethod,
  MessageDirection,
  MessageStatus,
} from './types.js';

export interface CoreSettings {
  statusDelayMs: number;
  deliveryTimeoutMs: number;
  /** Undefined: Twilio's delivery policy; given: every failure retried after these delays. */
  retryDelaysMs: number[] | undefined;
}

export type Logger = (entry: Omit<EmulatorLogEntry, 'time'>) => void;

export interface OutboundRequest {
  to?: string;
  from?: string;
  messagingServiceSid?: string;
  body?: string;
  mediaUrls: string[];
  statusCallback?: string;
}

const MG_SID = /^MG[0-9a-fA-F]{32}$/;

/**
 * The behaviour behind the routes: message creation rules, the status life cycle, status callbacks and inbound
 * webhooks. Every background step is tracked so `idle()` and `stop()` know when the emulator is quiet.
 */
export class EmulatorCore {
  private readonly stopping = new AbortController();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly policy: DeliveryPolicy;
  /** The emulator's own origin (`http://127.0.0.1:PORT`), known once the server listens: media URLs use it. */
  baseUrl = '';
  /** Monitor alerts (failed webhooks) and the lag of the Messages and Alerts lists. */
  readonly alerts = new AlertLog();

  constructor(
    readonly state: EmulatorState,
    private readonly settings: CoreSettings,
    private readonly log: Logger,
  ) {
    this.policy = {
      authToken: () => this.state.account.authToken,
      timeoutMs: settings.deliveryTimeoutMs,
      mode: settings.retryDelaysMs ? 'configured' : 'twilio',
      retryDelaysMs: settings.retryDelaysMs ?? [],
      signal: this.stopping.signal,
      onAttempt: (messageSid, a) => {
        const ok = a.statusCode !== undefined && a.statusCode >= 200 && a.statusCode < 300;
        this.log({
          level: ok ? 'info' : 'warn',
          event: 'webhook.attempt',
          message: `${a.kind} webhook for ${messageSid} attempt ${a.attempt} -> ${a.statusCode ?? a.error}`,
          kind: a.kind,
          messageSid,
          url: withoutCredentials(a.url),
          attempt: a.attempt,
          ...(a.statusCode !== undefined && { statusCode: a.statusCode }),
          ...(a.error !== undefined && { error: a.error }),
          durationMs: a.durationMs,
        });
      },
      onRetry: (messageSid, target, delayMs) =>
        this.log({
          level: 'info',
          event: 'webhook.retry',
          message: `retrying ${target.kind} webhook for ${messageSid} in ${delayMs} ms`,
          kind: target.kind,
          messageSid,
          url: withoutCredentials(target.url),
          delayMs,
        }),
    };
  }

  /** Validates and records a message sent through the REST API, then starts its status life cycle. */
  createOutbound(req: OutboundRequest, direction: MessageDirection = 'outbound-api'): EmulatorMessage {
    const to = req.to?.trim() ?? '';
    if (!to) throw apiErrors.toRequired();
    const body = req.body ?? '';
    if (!body && req.mediaUrls.length === 0) throw apiErrors.bodyRequired();
    if (bodyChars(body) > MAX_BODY_CHARS) throw apiErrors.bodyTooLong();
    if (req.mediaUrls.length > MAX_MEDIA_PER_MESSAGE) throw apiErrors.tooManyMedia();

    const whatsapp = to.startsWith(WHATSAPP_PREFIX);
    const toNumber = stripChannel(to);
    if (!isE164(toNumber) || toNumber === MAGIC_NUMBERS.invalidTo) throw apiErrors.invalidTo(to);

    let from = req.from?.trim() ?? '';
    if (req.messagingServiceSid !== undefined && !MG_SID.test(req.messagingServiceSid)) {
      throw apiErrors.invalidParameter(`MessagingServiceSid ${req.messagingServiceSid} is not valid`);
    }
    if (req.messagingServiceSid) {
      const service = this.state.services.get(req.messagingServiceSid);
      if (!service) throw apiErrors.serviceNotFound(req.messagingServiceSid);
      if (!from) {
        // Twilio picks "the optimal sender from the Messaging Service's Sender Pool"; the emulator, its first number.
        const sender = service.phoneNumberSids.map((sid) => this.state.numbers.get(sid)).find((n) => n !== undefined);
        if (!sender) throw apiErrors.serviceHasNoSenders();
        from = (whatsapp ? WHATSAPP_PREFIX : '') + sender.phoneNumber;
      }
    }
    if (!from) throw apiErrors.fromRequired();
    const fromNumber = stripChannel(from);
    if (!isE164(fromNumber)) throw apiErrors.invalidFrom(from);
    if (fromNumber === toNumber) throw apiErrors.sameToFrom();
    const fromSandbox = whatsapp && fromNumber === SANDBOX_NUMBER && !this.state.findNumber(fromNumber);
    if (!this.state.findNumber(fromNumber) && !fromSandbox) throw apiErrors.fromNotOwned(from);
    if (from.startsWith(WHATSAPP_PREFIX) !== whatsapp) throw apiErrors.channelMismatch();
    if (toNumber === MAGIC_NUMBERS.unsubscribed) throw apiErrors.unsubscribed();
    if (toNumber === MAGIC_NUMBERS.unroutable) throw apiErrors.unroutable();
    if (toNumber === MAGIC_NUMBERS.regionNotEnabled) throw apiErrors.regionNotEnabled(to);
    if (toNumber === MAGIC_NUMBERS.notMobile) throw apiErrors.notMobile(to);
    if (toNumber === MAGIC_NUMBERS.trialUnverified) throw apiErrors.trialUnverified(to);

    for (const url of req.mediaUrls) {
      if (!isHttpUrl(url)) throw apiErrors.invalidMediaUrl(url);
    }
    if (req.statusCallback !== undefined && req.statusCallback !== '' && !isCallbackUrl(req.statusCallback)) {
      throw apiErrors.invalidStatusCallback(req.statusCallback);
    }

    const now = new Date();
    const media = req.mediaUrls.map((url) => ({ url, contentType: guessContentType(url) }));
    const ownFrom = this.state.findNumber(fromNumber);
    const messagingServiceSid =
      req.messagingServiceSid ?? (ownFrom && this.state.serviceOfNumber(ownFrom.sid)?.sid) ?? null;
    const message: EmulatorMessage = {
      sid: newSid(media.length > 0 ? 'MM' : 'SM'),
      accountSid: this.state.account.sid,
      from,
      to,
      body,
      direction,
      status: 'queued',
      media,
      numSegments: countSegments(body),
      errorCode: null,
      errorMessage: null,
      price: null,
      messagingServiceSid,
      statusCallback:
        req.statusCallback || defaultStatusCallback(this.state, fromNumber, whatsapp, messagingServiceSid) || null,
      dateCreated: now,
      dateUpdated: now,
      dateSent: null,
    };
    this.state.saveMessage(message);
    this.alerts.noteMessage(message);
    this.log({
      level: 'info',
      event: 'message.created',
      message: `${direction} message ${message.sid} queued`,
      messageSid: message.sid,
      messageStatus: 'queued',
    });
    // The Sandbox only reaches WhatsApp users who joined it (by messaging it first).
    const notJoined = fromSandbox && !this.state.sandbox.participants.includes(toNumber);
    const failure =
      scriptedFailure(toNumber, whatsapp) ??
      (notJoined ? { status: 'failed' as const, errorCode: 63015 as const } : undefined);
    this.track(this.runLifeCycle(message.sid, whatsapp, failure));
    return message;
  }

  /**
   * Records a message arriving at one of our numbers (or the WhatsApp Sandbox) and delivers it where
   * routeInbound() says. A message a Messaging Service drops is neither recorded nor delivered.
   */
  receiveInbound(msg: EmulatorInboundMessage): Promise<DeliveryResult> {
    const toNumber = stripChannel(msg.to);
    const fromNumber = stripChannel(msg.from);
    const whatsapp =
      msg.whatsapp === true || msg.to.startsWith(WHATSAPP_PREFIX) || msg.from.startsWith(WHATSAPP_PREFIX);
    const route = routeInbound(this.state, toNumber, whatsapp);
    if (!route) {
      throw new Error(
        toNumber === SANDBOX_NUMBER
          ? `the WhatsApp Sandbox ${SANDBOX_NUMBER} receives WhatsApp messages only (to: whatsapp:${SANDBOX_NUMBER})`
          : `${msg.to} is not one of the emulator's numbers`,
      );
    }
    if (!isE164(fromNumber)) throw new Error(`${msg.from} is not an E.164 phone number`);
    const prefix = whatsapp ? WHATSAPP_PREFIX : '';
    const sources = msg.mediaUrls ?? [];
    const body = msg.body ?? '';
    const now = new Date();
    const sid = newSid(sources.length > 0 ? 'MM' : 'SM');
    if (route.layer === 'dropped') {
      this.log({
        level: 'warn',
        event: 'webhook.outcome',
        message: `inbound message ${sid} to ${prefix}${toNumber} dropped: Messaging Service ${route.sid} has no inbound URL`,
        kind: 'inbound',
        messageSid: sid,
        outcome: 'dropped',
      });
      return Promise.resolve({ messageSid: sid, layer: 'dropped', outcome: 'dropped', url: null, attempts: [] });
    }
    if (route.layer === 'sandbox' && !this.state.sandbox.participants.includes(fromNumber)) {
      this.state.saveSandbox({ ...this.state.sandbox, participants: [...this.state.sandbox.participants, fromNumber] });
    }
    // Twilio hosts inbound media: the webhook gets the emulator's own URLs, which serve the sender's bytes.
    const media = sources.map((m, i) => ({
      url: `${this.baseUrl}${mediaBytesPath(this.state.account.sid, sid, mediaSid(sid, i))}`,
      contentType: m.contentType,
    }));
    const message: EmulatorMessage = {
      sid,
      accountSid: this.state.account.sid,
      from: prefix + fromNumber,
      to: prefix + toNumber,
      body,
      direction: 'inbound',
      status: 'received',
      media,
      ...(sources.length > 0 && { mediaSources: sources.map((m) => m.url) }),
      numSegments: countSegments(body),
      errorCode: null,
      errorMessage: null,
      price: priceFor(whatsapp, media.length),
      messagingServiceSid: route.messagingServiceSid,
      statusCallback: null,
      dateCreated: now,
      dateUpdated: now,
      dateSent: now,
    };
    this.state.saveMessage(message);
    this.alerts.noteMessage(message);
    this.log({
      level: 'info',
      event: 'message.created',
      message: `inbound message ${message.sid} received from ${message.from} at ${message.to} (${route.layer})`,
      messageSid: message.sid,
      messageStatus: 'received',
    });
    return this.track(this.deliverInboundWebhook(message, route, msg.profileName ?? 'Emulator User'));
  }

  updateNumber(
    number: EmulatorNumber,
    changes: Partial<
      Pick<
        EmulatorNumber,
        | 'friendlyName'
        | 'smsApplicationSid'
        | 'smsUrl'
        | 'smsMethod'
        | 'smsFallbackUrl'
        | 'smsFallbackMethod'
        | 'statusCallback'
        | 'statusCallbackMethod'
      >
    >,
  ): EmulatorNumber {
    const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    const updated: EmulatorNumber = { ...number, ...defined, dateUpdated: new Date() };
    this.state.saveNumber(updated);
    return updated;
  }

  /** What the Console's WhatsApp Sandbox settings page sets; an empty string clears a URL. */
  setSandbox(settings: { inboundUrl?: string; inboundMethod?: HttpMethod; statusCallback?: string }): void {
    for (const [name, url] of [
      ['inboundUrl', settings.inboundUrl],
      ['statusCallback', settings.statusCallback],
    ] as const) {
      if (url && !isCallbackUrl(url)) throw new Error(`sandbox ${name} must be an http(s) URL, got ${url}`);
    }
    const defined = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
    this.state.saveSandbox({ ...this.state.sandbox, ...defined });
  }

  /** Resolves when no status step or webhook is in progress, including ones started while waiting. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.idle();
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    const forget = () => this.pending.delete(work);
    work.then(forget, forget);
    return work;
  }

  private async runLifeCycle(
    sid: string,
    whatsapp: boolean,
    failure: ReturnType<typeof scriptedFailure>,
  ): Promise<void> {
    const steps: { status: MessageStatus; errorCode?: DeliveryErrorCode }[] =
      failure?.status === 'failed'
        ? [{ status: 'failed', errorCode: failure.errorCode }]
        : failure?.status === 'undelivered'
          ? [{ status: 'sent' }, { status: 'undelivered', errorCode: failure.errorCode }]
          : [{ status: 'sent' }, { status: 'delivered' }, ...(whatsapp ? [{ status: 'read' as const }] : [])];

    // Status callbacks go out one at a time so the receiver sees them in order, even across retries.
    let callbacks: Promise<unknown> = Promise.resolve();
    for (const step of steps) {
      if (!(await sleep(this.settings.statusDelayMs, this.stopping.signal))) break;
      const current = this.state.getMessage(sid);
      if (!current) break;
      const now = new Date();
      const next: EmulatorMessage = {
        ...current,
        status: step.status,
        dateUpdated: now,
        ...(step.status === 'sent' && { dateSent: now, price: priceFor(whatsapp, current.media.length) }),
        ...(step.errorCode !== undefined && {
          errorCode: step.errorCode,
          errorMessage: deliveryErrors[step.errorCode],
        }),
      };
      this.state.saveMessage(next);
      this.alerts.noteMessage(next);
      this.log({
        level: step.errorCode ? 'warn' : 'info',
        event: 'message.status',
        message: `message ${sid} ${step.status}${step.errorCode ? ` (error ${step.errorCode})` : ''}`,
        messageSid: sid,
        messageStatus: step.status,
        errorCode: next.errorCode,
      });
      if (next.statusCallback) {
        const target: WebhookTarget = { kind: 'status-callback', url: next.statusCallback, method: 'POST' };
        const params = statusCallbackParams(next);
        callbacks = callbacks.then(() => this.deliverAndLog(sid, [target], () => params));
      }
      if (step.status === 'delivered' && this.state.findNumber(stripChannel(next.to))) {
        // A message between two of our own numbers arrives as an inbound message at the recipient.
        this.track(
          this.receiveInbound({
            from: next.from,
            to: next.to,
            body: next.body,
            whatsapp,
            mediaUrls: next.media,
          }).then(undefined, () => undefined),
        );
      }
    }
    await callbacks;
  }

  private async deliverInboundWebhook(
    message: EmulatorMessage,
    route: InboundRoute,
    profileName: string,
  ): Promise<DeliveryResult> {
    const targets: WebhookTarget[] = [];
    if (route.url) targets.push({ kind: 'inbound', url: route.url, method: route.method });
    if (route.url && route.fallbackUrl) {
      targets.push({ kind: 'inbound-fallback', url: route.fallbackUrl, method: route.fallbackMethod });
    }
    const params = inboundMessageForm({
      sid: message.sid,
      accountSid: message.accountSid,
      from: message.from,
      to: message.to,
      body: message.body,
      media: message.media,
      numSegments: message.numSegments,
      profileName,
    });
    if (route.messagingServiceSid) params.MessagingServiceSid = route.messagingServiceSid;
    const result = await this.deliverAndLog(
      message.sid,
      targets,
      (target, previous) =>
        // Twilio tells the fallback URL why it is being called.
        target.kind === 'inbound-fallback' && previous?.url
          ? { ...params, ErrorCode: '11200', ErrorUrl: previous.url }
          : params,
      route.layer,
    );
    if (result.outcome === 'delivered' && result.responseBody) this.replyFromTwiml(message, result.responseBody);
    return { ...result, layer: route.layer };
  }

  private async deliverAndLog(
    messageSid: string,
    targets: WebhookTarget[],
    paramsFor: Parameters<typeof deliverWebhook>[2],
    layer?: InboundRoute['layer'],
  ): Promise<DeliveryResult> {
    const result = await deliverWebhook(messageSid, targets, paramsFor, this.policy);
    this.recordAlerts(messageSid, targets, paramsFor, result);
    const kind = targets[0]?.kind ?? 'inbound';
    this.log({
      level: result.outcome === 'delivered' ? 'info' : 'warn',
      event: 'webhook.outcome',
      message:
        result.outcome === 'no-webhook'
          ? `message ${messageSid} not delivered: ${layer === 'application' ? 'its TwiML App has no SMS URL' : layer === 'sandbox' ? 'the Sandbox has no inbound URL' : layer === 'messaging_service' ? 'its Messaging Service has no inbound URL' : 'the number has no SmsUrl'}`
          : `${kind} webhook for ${messageSid} ${result.outcome} after ${result.attempts.length} attempt(s)`,
      kind,
      messageSid,
      outcome: result.outcome,
      ...(result.url !== null && { url: withoutCredentials(result.url) }),
      ...(result.statusCode !== undefined && { statusCode: result.statusCode }),
      ...(result.error !== undefined && { error: result.error }),
    });
    return result;
  }

  /**
   * One Monitor alert per webhook URL that failed (after its retries), as Twilio logs them: the primary URL's
   * failure is recorded even when the fallback then answered.
   */
  private recordAlerts(
    messageSid: string,
    targets: WebhookTarget[],
    paramsFor: Parameters<typeof deliverWebhook>[2],
    result: DeliveryResult,
  ): void {
    const message = this.state.getMessage(messageSid);
    if (!message) return;
    for (const target of targets) {
      const last = result.attempts.filter((a) => a.kind === target.kind && a.url === target.url).at(-1);
      if (!last || last.error === 'emulator stopped') continue;
      if (last.statusCode !== undefined && last.statusCode >= 200 && last.statusCode < 300) continue;
      this.alerts.record({
        kind: target.kind,
        url: target.url,
        method: target.method,
        attempt: last,
        message,
        params: paramsFor(target, undefined),
      });
    }
  }

  /** `<Message>` verbs in the webhook's TwiML answer become replies from our number, as on Twilio. */
  private replyFromTwiml(inbound: EmulatorMessage, twiml: string): void {
    for (const match of twiml.matchAll(/<Message\b[^>]*?(?:\/>|>([\s\S]*?)<\/Message>)/g)) {
      const inner = match[1] ?? '';
      const bodyMatch = /<Body>([\s\S]*?)<\/Body>/.exec(inner);
      const mediaUrls = [...inner.matchAll(/<Media>([\s\S]*?)<\/Media>/g)].map((m) => decodeXml(m[1]!.trim()));
      const body = decodeXml(bodyMatch ? bodyMatch[1]! : inner.replace(/<Media>[\s\S]*?<\/Media>/g, '')).trim();
      if (!body && mediaUrls.length === 0) continue;
      try {
        this.createOutbound({ from: inbound.to, to: inbound.from, body, mediaUrls }, 'outbound-reply');
      } catch (err) {
        this.log({
          level: 'warn',
          event: 'message.created',
          message: `TwiML reply to ${inbound.sid} rejected: ${(err as Error).message}`,
          messageSid: inbound.sid,
        });
      }
    }
  }
}

function statusCallbackParams(m: EmulatorMessage): Record<string, string> {
  return {
    AccountSid: m.accountSid,
    ApiVersion: API_VERSION,
    From: m.from,
    To: m.to,
    MessageSid: m.sid,
    SmsSid: m.sid,
    MessageStatus: m.status,
    SmsStatus: m.status,
    ...(m.messagingServiceSid && { MessagingServiceSid: m.messagingServiceSid }),
    ...(m.errorCode !== null && { ErrorCode: String(m.errorCode) }),
  };
}

function priceFor(whatsapp: boolean, mediaCount: number): string {
  if (whatsapp) return '-0.00500';
  return mediaCount > 0 ? '-0.02000' : '-0.00790';
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Twilio refuses callback URLs whose host is missing or contains an underscore. */
export function isCallbackUrl(value: string): boolean {
  if (!isHttpUrl(value)) return false;
  const host = new URL(value).hostname;
  return host.length > 0 && !host.includes('_');
}

function decodeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

export function isHttpMethod(value: string): value is HttpMethod {
  return value === 'GET' || value === 'POST';
}
