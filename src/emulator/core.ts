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
import { type DeliveryPolicy, deliverWebhook, sleep, type WebhookTarget, withoutFragment } from './delivery.js';
import { apiErrors, type DeliveryErrorCode, deliveryErrors } from './errors.js';
import { newSid } from './ids.js';
import { MAGIC_NUMBERS, scriptedFailure } from './magic.js';
import {
  defaultJoinCode,
  joinRequest,
  OPT_OUT_REPLIES,
  optOutKey,
  optOutType,
  SANDBOX_MEMBERSHIP_MS,
  sandboxReply,
  WINDOW_MS,
} from './policy.js';
import { API_VERSION, mediaBytesPath, mediaSid } from './resources.js';
import {
  defaultMessagingServiceSid,
  defaultStatusCallback,
  type InboundRoute,
  routeInbound,
  routeToServiceSender,
} from './routing.js';

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
  OptOutType,
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
  /** HX…: a Content API template, rendered into the body. */
  contentSid?: string;
  /** JSON object of the template's `{{1}}`-style variables. */
  contentVariables?: string;
}

const MG_SID = /^MG[0-9a-fA-F]{32}$/;

/** Who may write to a service's RCS or Messenger sender: an `rcs:`/`messenger:` address (or a phone number). */
const NON_PHONE_FROM = /^(rcs|messenger):[^\s]{1,100}$/;

/**
 * The behaviour behind the routes: message creation rules, the status life cycle, status callbacks and inbound
 * webhooks. Every background step is tracked so `idle()` and `stop()` know when the emulator is quiet.
 */
export class EmulatorCore {
  readonly #stopping = new AbortController();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #policy: DeliveryPolicy;
  readonly #settings: CoreSettings;
  readonly #log: Logger;
  /** The emulator's own origin (`http://127.0.0.1:PORT`), known once the server listens: media URLs use it. */
  baseUrl = '';
  /** Monitor alerts (failed webhooks) and the lag of the Messages and Alerts lists, on the emulator's clock. */
  readonly alerts = new AlertLog(() => this.now());

  constructor(
    readonly state: EmulatorState,
    settings: CoreSettings,
    log: Logger,
  ) {
    this.#settings = settings;
    this.#log = log;
    this.#policy = {
      authToken: () => this.state.account.authToken,
      timeoutMs: settings.deliveryTimeoutMs,
      mode: settings.retryDelaysMs ? 'configured' : 'twilio',
      retryDelaysMs: settings.retryDelaysMs ?? [],
      signal: this.#stopping.signal,
      onAttempt: (messageSid, a) => {
        const ok = a.statusCode !== undefined && a.statusCode >= 200 && a.statusCode < 300;
        this.#log({
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
        this.#log({
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

  /** The account's time: the emulator's one clock (see clock.ts). */
  now(): Date {
    return this.state.clock.now();
  }

  /** Validates and records a message sent through the REST API, then starts its status life cycle. */
  createOutbound(req: OutboundRequest, direction: MessageDirection = 'outbound-api'): EmulatorMessage {
    const to = req.to?.trim() ?? '';
    if (!to) throw apiErrors.toRequired();
    const content = this.#template(req.contentSid, req.contentVariables);
    const body = content ? content.body : (req.body ?? '');
    if (!body && req.mediaUrls.length === 0) throw apiErrors.bodyRequired();
    if (bodyChars(body) > MAX_BODY_CHARS) throw apiErrors.bodyTooLong();
    if (req.mediaUrls.length > MAX_MEDIA_PER_MESSAGE) throw apiErrors.tooManyMedia();

    const whatsapp = to.startsWith(WHATSAPP_PREFIX);
    const toNumber = stripChannel(to);
    if (
      !isE164(toNumber) ||
      toNumber === MAGIC_NUMBERS.invalidTo ||
      (!plausibleNumber(toNumber) && !this.state.findNumber(toNumber))
    )
      throw apiErrors.invalidTo(to);

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
    // Our reading: one of our numbers may write to the WhatsApp Sandbox as any WhatsApp user does (how a tester
    // joins it and talks to an agent behind it). The Sandbox is no customer, so no customer-service window
    // applies; it answers `join <code>`, turns away a sender who has not joined, and delivers the rest to its
    // inbound URL (receiveInbound, when the message is delivered).
    const toSandbox = whatsapp && toNumber === SANDBOX_NUMBER && !this.state.findNumber(toNumber);
    if (from.startsWith(WHATSAPP_PREFIX) !== whatsapp) throw apiErrors.channelMismatch();
    if (toNumber === MAGIC_NUMBERS.unsubscribed) throw apiErrors.unsubscribed();
    if (!whatsapp && this.optedOut(toNumber, fromNumber, req.messagingServiceSid)) throw apiErrors.unsubscribed();
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

    const media = req.mediaUrls.map((url) => ({ url, contentType: guessContentType(url) }));
    const ownFrom = this.state.findNumber(fromNumber);
    const messagingServiceSid =
      req.messagingServiceSid ??
      (ownFrom &&
        (this.state.serviceOfNumber(ownFrom.sid)?.sid ?? defaultMessagingServiceSid(this.state.account.sid))) ??
      null;
    const message = this.#saveQueued(
      {
        sid: newSid(media.length > 0 ? 'MM' : 'SM'),
        from,
        to,
        body,
        direction,
        media,
        messagingServiceSid,
        statusCallback:
          req.statusCallback || defaultStatusCallback(this.state, fromNumber, whatsapp, messagingServiceSid) || null,
      },
      (sid) => `${direction} message ${sid} queued`,
    );
    // The Sandbox only reaches WhatsApp users who joined it (by messaging it first).
    const notJoined = fromSandbox && !this.isSandboxParticipant(toNumber);
    const failure =
      scriptedFailure(toNumber, whatsapp) ??
      (notJoined ? { status: 'failed' as const, errorCode: 63015 as const } : undefined) ??
      (whatsapp && !toSandbox && !this.#windowAllows(toNumber, fromNumber, content?.approved ?? false)
        ? { status: 'failed' as const, errorCode: 63016 as const }
        : undefined);
    void this.#track(this.#runLifeCycle(message.sid, whatsapp, failure));
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
    // A service's own short code or RCS/Messenger sender: the address is kept as written (no channel prefix added).
    const toServiceSender =
      !whatsapp && !isE164(toNumber) ? routeToServiceSender(this.state, msg.to.trim()) : undefined;
    const route = toServiceSender ?? routeInbound(this.state, toNumber, whatsapp);
    if (!route) {
      throw new Error(
        toNumber === SANDBOX_NUMBER
          ? `the WhatsApp Sandbox ${SANDBOX_NUMBER} receives WhatsApp messages only (to: whatsapp:${SANDBOX_NUMBER})`
          : `${msg.to} is not one of the emulator's numbers`,
      );
    }
    if (!isE164(fromNumber) && !(toServiceSender && NON_PHONE_FROM.test(msg.from.trim())))
      throw new Error(`${msg.from} is not an E.164 phone number`);
    const prefix = whatsapp ? WHATSAPP_PREFIX : '';
    const sources = msg.mediaUrls ?? [];
    const body = msg.body ?? '';
    const now = this.now();
    const sid = newSid(sources.length > 0 ? 'MM' : 'SM');
    // Our reading: keywords are handled whichever layer takes the message, even one that drops it ("the block works
    // and is logged even if your number currently has no messaging request URL"); SMS only (see policy.ts).
    const keyword = whatsapp ? null : optOutType(body);
    if (route.layer === 'dropped') {
      if (keyword) this.#applyKeyword(keyword, fromNumber, toNumber, route.messagingServiceSid);
      this.#log({
        level: 'warn',
        event: 'webhook.outcome',
        message: `inbound message ${sid} to ${prefix}${toNumber} dropped: Messaging Service ${route.sid} has no inbound URL`,
        kind: 'inbound',
        messageSid: sid,
        outcome: 'dropped',
      });
      return Promise.resolve({ messageSid: sid, layer: 'dropped', outcome: 'dropped', url: null, attempts: [] });
    }
    // The Sandbox answers `join <code>` itself and turns away whoever has not joined (or whose 72 hours are up):
    // the message is logged, Twilio's answer goes back, the webhook is not called.
    let sandboxOutcome: 'joined' | 'not-joined' | undefined;
    if (route.layer === 'sandbox') {
      const code = this.sandboxJoinCode();
      const asked = joinRequest(body);
      if (asked === code) {
        sandboxOutcome = 'joined';
        this.state.saveSandbox({
          ...this.state.sandbox,
          participants: [...new Set([...this.state.sandbox.participants, fromNumber])],
          joinedAt: { ...this.state.sandbox.joinedAt, [fromNumber]: now.toISOString() },
        });
      } else if (asked !== null || !this.isSandboxParticipant(fromNumber)) {
        sandboxOutcome = 'not-joined';
      }
    }
    // Twilio hosts inbound media: the webhook gets the emulator's own URLs, which serve the sender's bytes.
    const media = sources.map((m, i) => ({
      url: `${this.baseUrl}${mediaBytesPath(this.state.account.sid, sid, mediaSid(sid, i))}`,
      contentType: m.contentType,
    }));
    const message: EmulatorMessage = {
      sid,
      accountSid: this.state.account.sid,
      from: toServiceSender ? msg.from.trim() : prefix + fromNumber,
      to: toServiceSender ? msg.to.trim() : prefix + toNumber,
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
    this.#log({
      level: 'info',
      event: 'message.created',
      message: `inbound message ${message.sid} received from ${message.from} at ${message.to} (${route.layer})`,
      messageSid: message.sid,
      messageStatus: 'received',
    });
    if (sandboxOutcome) {
      const code = this.sandboxJoinCode();
      const asked = joinRequest(body);
      const kind = sandboxOutcome === 'joined' ? 'joined' : asked !== null ? 'wrong-code' : 'not-joined';
      this.#systemReply(message.to, message.from, sandboxReply(kind, code), null);
      this.#log({
        level: sandboxOutcome === 'joined' ? 'info' : 'warn',
        event: 'webhook.outcome',
        message:
          sandboxOutcome === 'joined'
            ? `${fromNumber} joined the WhatsApp Sandbox (join ${code})`
            : `inbound message ${sid} not delivered: ${fromNumber} has not joined the WhatsApp Sandbox (join ${code})`,
        kind: 'inbound',
        messageSid: sid,
        outcome: sandboxOutcome,
      });
      return Promise.resolve({
        messageSid: sid,
        layer: 'sandbox',
        outcome: sandboxOutcome,
        url: null,
        attempts: [],
        reason:
          sandboxOutcome === 'joined'
            ? `${fromNumber} joined the Sandbox; Twilio answers join messages itself`
            : `${fromNumber} has not joined the Sandbox in the last 72 hours: they must send "join ${code}" to ${SANDBOX_NUMBER}`,
      });
    }
    if (keyword) this.#applyKeyword(keyword, fromNumber, toNumber, route.messagingServiceSid);
    if (route.layer === 'conversations') {
      this.#log({
        level: 'info',
        event: 'webhook.outcome',
        message: `inbound message ${sid} taken by Conversations (address configuration ${route.sid}): no messaging webhook is called`,
        kind: 'inbound',
        messageSid: sid,
        outcome: 'no-webhook',
      });
      return Promise.resolve({
        messageSid: sid,
        layer: 'conversations',
        outcome: 'no-webhook',
        url: null,
        attempts: [],
      });
    }
    return this.#track(this.#deliverInboundWebhook(message, route, msg.profileName ?? 'Emulator User', keyword));
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
    const updated: EmulatorNumber = { ...number, ...defined, dateUpdated: this.now() };
    this.state.saveNumber(updated);
    return updated;
  }

  /** What the Console's WhatsApp Sandbox settings page sets; an empty string clears a URL. */
  setSandbox(settings: {
    inboundUrl?: string;
    inboundMethod?: HttpMethod;
    statusCallback?: string;
    joinCode?: string;
  }): void {
    if (settings.joinCode !== undefined && !/^[A-Za-z0-9-]{1,64}$/.test(settings.joinCode))
      throw new Error(`sandbox join_code must be one word of letters, digits and dashes (like amber-river)`);
    if (settings.joinCode !== undefined) settings = { ...settings, joinCode: settings.joinCode.toLowerCase() };
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
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.idle();
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#pending.add(work);
    const forget = () => this.#pending.delete(work);
    work.then(forget, forget);
    return work;
  }

  async #runLifeCycle(sid: string, whatsapp: boolean, failure: ReturnType<typeof scriptedFailure>): Promise<void> {
    const steps: { status: MessageStatus; errorCode?: DeliveryErrorCode }[] =
      failure?.status === 'failed'
        ? [{ status: 'failed', errorCode: failure.errorCode }]
        : failure?.status === 'undelivered'
          ? [{ status: 'sent' }, { status: 'undelivered', errorCode: failure.errorCode }]
          : [{ status: 'sent' }, { status: 'delivered' }, ...(whatsapp ? [{ status: 'read' as const }] : [])];

    // Status callbacks go out one at a time so the receiver sees them in order, even across retries.
    let callbacks: Promise<unknown> = Promise.resolve();
    for (const step of steps) {
      if (!(await sleep(this.#settings.statusDelayMs, this.#stopping.signal))) break;
      const current = this.state.getMessage(sid);
      if (!current) break;
      const now = this.now();
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
      this.#log({
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
        callbacks = callbacks.then(() => this.#deliverAndLog(sid, [target], () => params));
      }
      const toNumber = stripChannel(next.to);
      const toSandbox = whatsapp && toNumber === SANDBOX_NUMBER && next.to.startsWith(WHATSAPP_PREFIX);
      if (step.status === 'delivered' && (this.state.findNumber(toNumber) || toSandbox)) {
        // A message between two of our own numbers arrives as an inbound message at the recipient; one to the
        // WhatsApp Sandbox arrives there (which answers `join <code>` and turns away whoever has not joined).
        void this.#track(
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

  /** The Sandbox's keyword (`join <code>`): the topology's or control API's, else the account's default. */
  sandboxJoinCode(): string {
    return this.state.sandbox.joinCode || defaultJoinCode(this.state.account.sid);
  }

  /** Joined within the last 72 hours of the emulator's clock (see joinSandboxAtStart for who has no join time). */
  isSandboxParticipant(phoneNumber: string): boolean {
    if (!this.state.sandbox.participants.includes(phoneNumber)) return false;
    const at = this.state.sandbox.joinedAt?.[phoneNumber];
    return at === undefined || this.now().getTime() - Date.parse(at) <= SANDBOX_MEMBERSHIP_MS;
  }

  /** Participants with no join time (a state file from before membership expired) join when the emulator starts. */
  joinSandboxAtStart(): void {
    const joinedAt = this.state.sandbox.joinedAt ?? {};
    const missing = this.state.sandbox.participants.filter((n) => joinedAt[n] === undefined);
    if (missing.length === 0) return;
    const now = this.now().toISOString();
    this.state.saveSandbox({
      ...this.state.sandbox,
      joinedAt: { ...joinedAt, ...Object.fromEntries(missing.map((n) => [n, now])) },
    });
  }

  /**
   * The WhatsApp customer-service window: a free-form message (Body, media, or a template WhatsApp has not approved)
   * goes out only within 24 hours of the contact's last message to this sender; outside it, as on Twilio, the
   * create is accepted and the message then fails with 63016. An approved template may be sent any time.
   * Our reading: a template that is not approved (pending, rejected, unsubmitted) is sent as free-form, so outside
   * the window it fails 63016 like a Body would (the emulator models no language/locale, so never 63027).
   */
  #windowAllows(contact: string, ownNumber: string, approvedTemplate: boolean): boolean {
    if (approvedTemplate) return true;
    // Per sender: a message to another of our numbers does not open the window for this one.
    const last = this.state.lastInboundAt(`${WHATSAPP_PREFIX}${contact}`, `${WHATSAPP_PREFIX}${ownNumber}`);
    return last !== undefined && this.now().getTime() - last.getTime() <= WINDOW_MS;
  }

  /**
   * The template a create names, rendered: `{{1}}`-style variables from ContentVariables, else the template's
   * defaults (a variable with neither stays as written: our reading). Undefined without ContentSid.
   */
  #template(
    contentSid: string | undefined,
    variablesJson: string | undefined,
  ): { body: string; approved: boolean } | undefined {
    if (contentSid === undefined || contentSid === '') {
      if (variablesJson !== undefined && variablesJson !== '') throw apiErrors.contentSidRequired();
      return undefined;
    }
    const content = this.state.contents.get(contentSid);
    if (!/^HX[0-9a-fA-F]{32}$/.test(contentSid) || !content) throw apiErrors.invalidContentSid(contentSid);
    let given: Record<string, unknown> = {};
    if (variablesJson !== undefined && variablesJson !== '') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(variablesJson);
      } catch {
        throw apiErrors.invalidContentVariables('not a JSON string');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw apiErrors.invalidContentVariables('not a JSON object of key-value pairs');
      given = parsed as Record<string, unknown>;
      for (const [k, v] of Object.entries(given)) {
        if (v === null || v === '') throw apiErrors.invalidContentVariables(`variable ${k} is null or empty`);
        if (/[\n\t]| {5,}/.test(String(v)))
          throw apiErrors.invalidContentVariables(`variable ${k} contains a newline, a tab or more than four spaces`);
      }
    }
    const text = String(content.types['twilio/text']?.body ?? '');
    const body = text.replace(/\{\{\s*([^{}\s]+)\s*\}\}/g, (whole, name: string) => {
      const v = given[name] ?? content.variables[name];
      return v === undefined ? whole : String(v);
    });
    return { body, approved: content.whatsappStatus === 'approved' };
  }

  /** Whether `contact` opted out of `ownNumber`, or of the Messaging Service the message goes through. */
  optedOut(contact: string, ownNumber: string, messagingServiceSid?: string): boolean {
    const own = this.state.findNumber(ownNumber);
    const serviceSid = messagingServiceSid || (own && this.state.serviceOfNumber(own.sid)?.sid) || null;
    const has = (scope: { sender: string | null; messagingServiceSid: string | null }) =>
      this.state.optOuts.has(optOutKey({ phoneNumber: contact, ...scope }));
    return (
      has({ sender: ownNumber, messagingServiceSid: null }) ||
      (serviceSid !== null && has({ sender: null, messagingServiceSid: serviceSid }))
    );
  }

  /** STOP records the opt-out, START removes it, HELP answers; each answered with Twilio's default reply. */
  #applyKeyword(keyword: OptOutType, contact: string, ownNumber: string, routeServiceSid: string | null): void {
    // The account's default Messaging Service (a number in no service) is no scope: the opt-out is the number's.
    const serviceSid = routeServiceSid && this.state.services.has(routeServiceSid) ? routeServiceSid : null;
    const scope = { phoneNumber: contact, sender: serviceSid ? null : ownNumber, messagingServiceSid: serviceSid };
    const key = optOutKey(scope);
    const wasOut = this.state.optOuts.has(key);
    if (keyword === 'STOP' && !wasOut) this.state.saveOptOut(key, { ...scope, dateCreated: this.now() });
    if (keyword === 'START' && wasOut) this.state.deleteOptOut(key);
    this.#log({
      level: 'info',
      event: 'message.created',
      message: `${contact} sent ${keyword} to ${ownNumber}: ${keyword === 'STOP' ? `opted out of ${serviceSid ?? ownNumber}` : keyword === 'START' ? `opted back in to ${serviceSid ?? ownNumber}` : 'help requested'}`,
    });
    // Our reading (documented for toll-free numbers): a contact who opted out gets no answer to HELP.
    if (keyword === 'HELP' && wasOut) return;
    this.#systemReply(ownNumber, contact, OPT_OUT_REPLIES[keyword], routeServiceSid);
  }

  /**
   * A message Twilio itself sends (an opt-out confirmation, the Sandbox's instructions): in the log as an
   * outbound reply from our number, never refused by the policy it carries out, no status callback.
   */
  #systemReply(from: string, to: string, body: string, messagingServiceSid: string | null): EmulatorMessage {
    const whatsapp = from.startsWith(WHATSAPP_PREFIX);
    const message = this.#saveQueued(
      {
        sid: newSid('SM'),
        from,
        to,
        body,
        direction: 'outbound-reply',
        media: [],
        messagingServiceSid,
        statusCallback: null,
      },
      (sid) => `Twilio's reply ${sid} to ${to} queued`,
    );
    void this.#track(this.#runLifeCycle(message.sid, whatsapp, undefined));
    return message;
  }

  /** Records a new outgoing message as queued now (no error, price or send time yet) and logs it. */
  #saveQueued(
    fields: Pick<
      EmulatorMessage,
      'sid' | 'from' | 'to' | 'body' | 'direction' | 'media' | 'messagingServiceSid' | 'statusCallback'
    >,
    describe: (sid: string) => string,
  ): EmulatorMessage {
    const now = this.now();
    const message: EmulatorMessage = {
      sid: fields.sid,
      accountSid: this.state.account.sid,
      from: fields.from,
      to: fields.to,
      body: fields.body,
      direction: fields.direction,
      status: 'queued',
      media: fields.media,
      numSegments: countSegments(fields.body),
      errorCode: null,
      errorMessage: null,
      price: null,
      messagingServiceSid: fields.messagingServiceSid,
      statusCallback: fields.statusCallback,
      dateCreated: now,
      dateUpdated: now,
      dateSent: null,
    };
    this.state.saveMessage(message);
    this.alerts.noteMessage(message);
    this.#log({
      level: 'info',
      event: 'message.created',
      message: describe(message.sid),
      messageSid: message.sid,
      messageStatus: 'queued',
    });
    return message;
  }

  async #deliverInboundWebhook(
    message: EmulatorMessage,
    route: InboundRoute,
    profileName: string,
    optOut: OptOutType | null = null,
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
      messagingServiceSid: route.messagingServiceSid,
    });
    if (optOut) params.OptOutType = optOut;
    const result = await this.#deliverAndLog(
      message.sid,
      targets,
      (target, previous) =>
        // Twilio tells the fallback URL why it is being called.
        target.kind === 'inbound-fallback' && previous?.url
          ? { ...params, ErrorCode: '11200', ErrorUrl: previous.url }
          : params,
      route.layer,
    );
    if (result.outcome === 'delivered' && result.responseBody) this.#replyFromTwiml(message, result.responseBody);
    return { ...result, layer: route.layer };
  }

  async #deliverAndLog(
    messageSid: string,
    targets: WebhookTarget[],
    paramsFor: Parameters<typeof deliverWebhook>[2],
    layer?: InboundRoute['layer'],
  ): Promise<DeliveryResult> {
    const result = await deliverWebhook(messageSid, targets, paramsFor, this.#policy);
    this.#recordAlerts(messageSid, targets, paramsFor, result);
    const kind = targets[0]?.kind ?? 'inbound';
    this.#log({
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
  #recordAlerts(
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
        // What was called: connection overrides (the fragment) are Twilio's own, never part of the request.
        url: withoutFragment(target.url),
        method: target.method,
        attempt: last,
        message,
        params: paramsFor(target, undefined),
      });
    }
  }

  /** `<Message>` verbs in the webhook's TwiML answer become replies from our number, as on Twilio. */
  #replyFromTwiml(inbound: EmulatorMessage, twiml: string): void {
    for (const match of twiml.matchAll(/<Message\b[^>]*?(?:\/>|>([\s\S]*?)<\/Message>)/g)) {
      const inner = match[1] ?? '';
      const bodyMatch = /<Body>([\s\S]*?)<\/Body>/.exec(inner);
      const mediaUrls = [...inner.matchAll(/<Media>([\s\S]*?)<\/Media>/g)].map((m) => decodeXml(m[1]!.trim()));
      const body = decodeXml(bodyMatch ? bodyMatch[1]! : inner.replace(/<Media>[\s\S]*?<\/Media>/g, '')).trim();
      if (!body && mediaUrls.length === 0) continue;
      try {
        this.createOutbound({ from: inbound.to, to: inbound.from, body, mediaUrls }, 'outbound-reply');
      } catch (err) {
        this.#log({
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

/**
 * A number a phone could have, as Twilio's 21211 check sees it (roughly; it knows every numbering plan): in the
 * North American plan (+1) ten digits after the 1, the area code not starting with 0 or 1; elsewhere
 * 7 digits at least (Niue's +683 NNNN is the shortest). `+1415555` is valid E.164 and no one's phone.
 */
export function plausibleNumber(e164: string): boolean {
  const digits = e164.slice(1);
  if (digits.startsWith('1')) return /^1[2-9]\d{9}$/.test(digits);
  return digits.length >= 7;
}
