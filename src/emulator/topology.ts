import { isE164, whatsAppNumber } from '../phone.js';
import { isCallbackUrl, isHttpMethod } from './core.js';
import { newSid } from './ids.js';
import { optOutKey } from './policy.js';
import { type EmulatorState, newNumberRecord } from './state.js';
import type {
  EmulatorApplication,
  EmulatorNumber,
  EmulatorSender,
  EmulatorService,
  Topology,
  TopologySender,
  TopologyService,
} from './types.js';

/** Account resources (services, apps, senders): one place builds them, for the REST routes and the topology file. */

export type ServiceFields = Partial<
  Pick<
    EmulatorService,
    | 'friendlyName'
    | 'inboundRequestUrl'
    | 'inboundMethod'
    | 'fallbackUrl'
    | 'fallbackMethod'
    | 'statusCallback'
    | 'useInboundWebhookOnNumber'
    | 'shortCodes'
    | 'channelSenders'
  >
>;
export type ApplicationFields = Partial<
  Pick<
    EmulatorApplication,
    'friendlyName' | 'smsUrl' | 'smsMethod' | 'smsFallbackUrl' | 'smsFallbackMethod' | 'smsStatusCallback'
  >
>;
export type SenderFields = Partial<
  Pick<
    EmulatorSender,
    | 'callbackUrl'
    | 'callbackMethod'
    | 'fallbackUrl'
    | 'fallbackMethod'
    | 'statusCallbackUrl'
    | 'profileName'
    | 'configuration'
  >
>;

/** A short code as Twilio writes it in To (3 to 8 digits). */
const SHORT_CODE = /^\d{3,8}$/;
/** A service's channel sender address (messaging v1 ChannelSenders `sender`): RCS or Messenger. */
const CHANNEL_SENDER = /^(rcs|messenger):[^\s]{1,100}$/;

export function newService(fields: ServiceFields, sid: string | undefined, now: Date): EmulatorService {
  return {
    sid: sid ?? newSid('MG'),
    friendlyName: '',
    inboundRequestUrl: '',
    inboundMethod: 'POST',
    fallbackUrl: '',
    fallbackMethod: 'POST',
    statusCallback: '',
    useInboundWebhookOnNumber: false,
    phoneNumberSids: [],
    phoneNumberAddedAt: {},
    dateCreated: now,
    dateUpdated: now,
    ...defined(fields),
  };
}

export function newApplication(fields: ApplicationFields, sid: string | undefined, now: Date): EmulatorApplication {
  return {
    sid: sid ?? newSid('AP'),
    friendlyName: '',
    smsUrl: '',
    smsMethod: 'POST',
    smsFallbackUrl: '',
    smsFallbackMethod: 'POST',
    smsStatusCallback: '',
    dateCreated: now,
    dateUpdated: now,
    ...defined(fields),
  };
}

export function newSender(senderId: string, fields: SenderFields, sid: string | undefined, now: Date): EmulatorSender {
  return {
    sid: sid ?? newSid('XE'),
    senderId,
    callbackUrl: '',
    callbackMethod: 'POST',
    fallbackUrl: '',
    fallbackMethod: 'POST',
    statusCallbackUrl: '',
    profileName: '',
    configuration: null,
    dateCreated: now,
    dateUpdated: now,
    ...defined(fields),
  };
}

/** Puts a number into a service. A number is in one service at most (Twilio answers 21710 otherwise). */
export function addNumberToService(
  state: EmulatorState,
  service: EmulatorService,
  number: EmulatorNumber,
): 'added' | 'already-here' | 'elsewhere' {
  const current = state.serviceOfNumber(number.sid);
  if (current?.sid === service.sid) return 'already-here';
  if (current) return 'elsewhere';
  const now = state.clock.now();
  state.saveService({
    ...service,
    phoneNumberSids: [...service.phoneNumberSids, number.sid],
    phoneNumberAddedAt: { ...service.phoneNumberAddedAt, [number.sid]: now.toISOString() },
    dateUpdated: now,
  });
  return 'added';
}

export function defined<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// ------------------------------------------------------------------------------------------ the topology file

/** conversations v1 configuration_address_enum_type. */
const ADDRESS_TYPES = ['sms', 'whatsapp', 'messenger', 'gbm', 'email', 'rcs', 'apple', 'chat'];

/** Thrown for a topology that does not fit: one line naming the field and the expected form. */
export class TopologyError extends Error {
  override name = 'TopologyError';
}

/**
 * Checks a parsed topology file (see README "emulator") and returns it typed. Every error names the field, e.g.
 * `services[0].inbound_request_url must be an http(s) URL, got "ftp://x"`.
 */
export function checkTopology(raw: unknown): Topology {
  const t = object(raw, 'the topology');
  allowKeys(t, 'the topology', [
    'numbers',
    'services',
    'applications',
    'senders',
    'sandbox',
    'account',
    'conversations',
    'opt_outs',
    'content',
  ]);
  (array(t.numbers, 'numbers') ?? []).forEach((n, i) => {
    if (typeof n === 'string') {
      e164(n, `numbers[${i}]`);
      return;
    }
    const o = object(n, `numbers[${i}]`);
    allowKeys(o, `numbers[${i}]`, [
      'phone_number',
      'friendly_name',
      'sms_url',
      'sms_method',
      'sms_fallback_url',
      'sms_fallback_method',
      'status_callback',
    ]);
    e164(o.phone_number, `numbers[${i}].phone_number`);
    str(o.friendly_name, `numbers[${i}].friendly_name`);
    for (const k of ['sms_url', 'sms_fallback_url', 'status_callback']) url(o[k], `numbers[${i}].${k}`);
    for (const k of ['sms_method', 'sms_fallback_method']) method(o[k], `numbers[${i}].${k}`);
  });
  (array(t.services, 'services') ?? []).forEach((s, i) => {
    const at = `services[${i}]`;
    const o = object(s, at);
    allowKeys(o, at, [
      'sid',
      'friendly_name',
      'inbound_request_url',
      'inbound_method',
      'fallback_url',
      'fallback_method',
      'status_callback',
      'use_inbound_webhook_on_number',
      'phone_numbers',
      'short_codes',
      'channel_senders',
    ]);
    sid(o.sid, `${at}.sid`, 'MG');
    str(o.friendly_name, `${at}.friendly_name`);
    for (const k of ['inbound_request_url', 'fallback_url', 'status_callback']) url(o[k], `${at}.${k}`, true);
    for (const k of ['inbound_method', 'fallback_method']) method(o[k], `${at}.${k}`);
    if (o.use_inbound_webhook_on_number !== undefined && typeof o.use_inbound_webhook_on_number !== 'boolean') {
      throw new TopologyError(`${at}.use_inbound_webhook_on_number must be true or false`);
    }
    (array(o.phone_numbers, `${at}.phone_numbers`) ?? []).forEach((n, j) => {
      e164(n, `${at}.phone_numbers[${j}]`);
    });
    (array(o.short_codes, `${at}.short_codes`) ?? []).forEach((n, j) => {
      if (typeof n !== 'string' || !SHORT_CODE.test(n))
        throw new TopologyError(`${at}.short_codes[${j}] must be a short code (3 to 8 digits)`);
    });
    (array(o.channel_senders, `${at}.channel_senders`) ?? []).forEach((n, j) => {
      if (typeof n !== 'string' || !CHANNEL_SENDER.test(n))
        throw new TopologyError(`${at}.channel_senders[${j}] must be an rcs:… or messenger:… address`);
    });
  });
  (array(t.applications, 'applications') ?? []).forEach((a, i) => {
    const at = `applications[${i}]`;
    const o = object(a, at);
    allowKeys(o, at, [
      'sid',
      'friendly_name',
      'sms_url',
      'sms_method',
      'sms_fallback_url',
      'sms_fallback_method',
      'sms_status_callback',
      'phone_numbers',
    ]);
    sid(o.sid, `${at}.sid`, 'AP');
    str(o.friendly_name, `${at}.friendly_name`);
    for (const k of ['sms_url', 'sms_fallback_url', 'sms_status_callback']) url(o[k], `${at}.${k}`);
    for (const k of ['sms_method', 'sms_fallback_method']) method(o[k], `${at}.${k}`);
    (array(o.phone_numbers, `${at}.phone_numbers`) ?? []).forEach((n, j) => {
      e164(n, `${at}.phone_numbers[${j}]`);
    });
  });
  (array(t.senders, 'senders') ?? []).forEach((x, i) => {
    const at = `senders[${i}]`;
    const o = object(x, at);
    allowKeys(o, at, ['sid', 'sender_id', 'webhook', 'profile']);
    sid(o.sid, `${at}.sid`, 'XE');
    if (typeof o.sender_id !== 'string' || !whatsAppNumber(o.sender_id)) {
      throw new TopologyError(
        `${at}.sender_id must be whatsapp:+E164 (like whatsapp:+15005550006), got ${JSON.stringify(o.sender_id)}`,
      );
    }
    if (o.webhook !== undefined) {
      const w = object(o.webhook, `${at}.webhook`);
      allowKeys(w, `${at}.webhook`, [
        'callback_url',
        'callback_method',
        'fallback_url',
        'fallback_method',
        'status_callback_url',
      ]);
      for (const k of ['callback_url', 'fallback_url', 'status_callback_url']) url(w[k], `${at}.webhook.${k}`, true);
      for (const k of ['callback_method', 'fallback_method']) {
        if (w[k] !== undefined && w[k] !== 'POST' && w[k] !== 'PUT')
          throw new TopologyError(`${at}.webhook.${k} must be POST or PUT, got ${JSON.stringify(w[k])}`);
      }
    }
    if (o.profile !== undefined) str(object(o.profile, `${at}.profile`).name, `${at}.profile.name`);
  });
  if (t.sandbox !== undefined) {
    const o = object(t.sandbox, 'sandbox');
    allowKeys(o, 'sandbox', ['inbound_url', 'inbound_method', 'status_callback', 'participants', 'join_code']);
    if (o.join_code !== undefined && !(typeof o.join_code === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(o.join_code)))
      throw new TopologyError(
        `sandbox.join_code must be one word of letters, digits and dashes (like amber-river), got ${JSON.stringify(o.join_code)}`,
      );
    url(o.inbound_url, 'sandbox.inbound_url');
    method(o.inbound_method, 'sandbox.inbound_method');
    url(o.status_callback, 'sandbox.status_callback');
    (array(o.participants, 'sandbox.participants') ?? []).forEach((n, j) => {
      e164(n, `sandbox.participants[${j}]`);
    });
  }
  if (t.conversations !== undefined) {
    const c = object(t.conversations, 'conversations');
    allowKeys(c, 'conversations', ['address_configurations']);
    (array(c.address_configurations, 'conversations.address_configurations') ?? []).forEach((raw, i) => {
      const at = `conversations.address_configurations[${i}]`;
      const o = object(raw, at);
      allowKeys(o, at, ['sid', 'type', 'address', 'friendly_name', 'auto_creation', 'address_country']);
      if (o.sid !== undefined) sid(o.sid, `${at}.sid`, 'IG');
      if (!ADDRESS_TYPES.includes(o.type as string))
        throw new TopologyError(`${at}.type must be one of ${ADDRESS_TYPES.join(', ')}, got ${JSON.stringify(o.type)}`);
      if (typeof o.address !== 'string' || !o.address) throw new TopologyError(`${at}.address must be a string`);
      if (o.friendly_name !== undefined) str(o.friendly_name, `${at}.friendly_name`);
      if (o.auto_creation !== undefined) {
        const a = object(o.auto_creation, `${at}.auto_creation`);
        allowKeys(a, `${at}.auto_creation`, [
          'enabled',
          'type',
          'conversation_service_sid',
          'webhook_url',
          'webhook_method',
          'webhook_filters',
          'studio_flow_sid',
          'studio_retry_count',
        ]);
        if (a.enabled !== undefined && typeof a.enabled !== 'boolean')
          throw new TopologyError(`${at}.auto_creation.enabled must be true or false`);
        if (a.type !== undefined && !['webhook', 'studio', 'default'].includes(a.type as string))
          throw new TopologyError(`${at}.auto_creation.type must be webhook, studio or default`);
        url(a.webhook_url, `${at}.auto_creation.webhook_url`);
      }
    });
  }
  (array(t.opt_outs, 'opt_outs') ?? []).forEach((x, i) => {
    const at = `opt_outs[${i}]`;
    const o = object(x, at);
    allowKeys(o, at, ['phone_number', 'sender', 'messaging_service_sid']);
    e164(o.phone_number, `${at}.phone_number`);
    if ((o.sender === undefined) === (o.messaging_service_sid === undefined))
      throw new TopologyError(`${at} needs one of sender (one of our numbers, E.164) or messaging_service_sid`);
    if (o.sender !== undefined) e164(o.sender, `${at}.sender`);
    if (o.messaging_service_sid !== undefined) {
      if (o.messaging_service_sid === null) throw new TopologyError(`${at}.messaging_service_sid must be MG…`);
      sid(o.messaging_service_sid, `${at}.messaging_service_sid`, 'MG');
    }
  });
  (array(t.content, 'content') ?? []).forEach((x, i) => {
    const at = `content[${i}]`;
    const o = object(x, at);
    allowKeys(o, at, ['sid', 'friendly_name', 'language', 'body', 'variables', 'whatsapp']);
    sid(o.sid, `${at}.sid`, 'HX');
    if (typeof o.friendly_name !== 'string' || o.friendly_name === '')
      throw new TopologyError(`${at}.friendly_name must be a non-empty string`);
    str(o.language, `${at}.language`);
    if (typeof o.body !== 'string' || o.body === '')
      throw new TopologyError(
        `${at}.body must be a non-empty string (the template's text, with {{1}}-style variables)`,
      );
    if (o.variables !== undefined) {
      const v = object(o.variables, `${at}.variables`);
      for (const [k, value] of Object.entries(v)) str(value, `${at}.variables.${k}`);
    }
    if (o.whatsapp !== undefined) {
      const w = object(o.whatsapp, `${at}.whatsapp`);
      allowKeys(w, `${at}.whatsapp`, ['status', 'category', 'name']);
      if (w.status !== undefined && !WHATSAPP_STATUSES.includes(w.status as string))
        throw new TopologyError(
          `${at}.whatsapp.status must be one of ${WHATSAPP_STATUSES.join(', ')}, got ${JSON.stringify(w.status)}`,
        );
      str(w.category, `${at}.whatsapp.category`);
      str(w.name, `${at}.whatsapp.name`);
    }
  });
  if (t.account !== undefined) {
    const o = object(t.account, 'account');
    allowKeys(o, 'account', ['enforce_media_auth']);
    if (o.enforce_media_auth !== undefined && typeof o.enforce_media_auth !== 'boolean') {
      throw new TopologyError('account.enforce_media_auth must be true or false');
    }
  }
  return t as Topology;
}

/** Every number a topology names, so the account owns them all. */
export function topologyNumbers(t: Topology): string[] {
  const all = [
    ...(t.numbers ?? []).map((n) => (typeof n === 'string' ? n : n.phone_number)),
    ...(t.services ?? []).flatMap((s) => s.phone_numbers ?? []),
    ...(t.applications ?? []).flatMap((a) => a.phone_numbers ?? []),
    ...(t.senders ?? []).map((x) => whatsAppNumber(x.sender_id) ?? x.sender_id),
  ];
  return [...new Set(all)];
}

/**
 * Creates what a checked topology describes; a service or app with the same `sid` (or, without one, the same
 * `friendly_name`) and a sender with the same `sender_id` is replaced, so applying it twice changes nothing.
 */
export function applyTopology(state: EmulatorState, t: Topology): void {
  const now = state.clock.now();
  const numberOf = (phoneNumber: string): EmulatorNumber => {
    const found = state.findNumber(phoneNumber);
    if (found) return found;
    const created = newNumberRecord(phoneNumber, now);
    state.saveNumber(created);
    return created;
  };
  for (const n of t.numbers ?? []) {
    if (typeof n === 'string') {
      numberOf(n);
      continue;
    }
    const number = numberOf(n.phone_number);
    state.saveNumber({
      ...number,
      ...defined({
        friendlyName: n.friendly_name,
        smsUrl: n.sms_url,
        smsMethod: n.sms_method,
        smsFallbackUrl: n.sms_fallback_url,
        smsFallbackMethod: n.sms_fallback_method,
        statusCallback: n.status_callback,
      }),
      dateUpdated: now,
    });
  }
  for (const s of t.services ?? []) applyService(state, s, numberOf);
  for (const a of t.applications ?? []) {
    const previous = a.sid
      ? undefined
      : [...state.applications.values()].find(
          (x) => a.friendly_name !== undefined && x.friendlyName === a.friendly_name,
        );
    const app = newApplication(
      {
        friendlyName: a.friendly_name,
        smsUrl: a.sms_url,
        smsMethod: a.sms_method,
        smsFallbackUrl: a.sms_fallback_url,
        smsFallbackMethod: a.sms_fallback_method,
        smsStatusCallback: a.sms_status_callback,
      },
      a.sid ?? previous?.sid,
      now,
    );
    state.saveApplication(previous ? { ...app, dateCreated: previous.dateCreated } : app);
    for (const phoneNumber of a.phone_numbers ?? []) {
      state.saveNumber({ ...numberOf(phoneNumber), smsApplicationSid: app.sid, dateUpdated: now });
    }
  }
  for (const x of t.senders ?? []) applySender(state, x, numberOf);
  if (t.sandbox) {
    const joined = t.sandbox.participants ?? [];
    state.saveSandbox({
      ...state.sandbox,
      inboundUrl: t.sandbox.inbound_url ?? state.sandbox.inboundUrl,
      inboundMethod: t.sandbox.inbound_method ?? state.sandbox.inboundMethod,
      statusCallback: t.sandbox.status_callback ?? state.sandbox.statusCallback,
      participants: [...new Set([...state.sandbox.participants, ...joined])],
      // The topology's participants join when the emulator starts.
      joinedAt: { ...state.sandbox.joinedAt, ...Object.fromEntries(joined.map((n) => [n, now.toISOString()])) },
      ...(t.sandbox.join_code !== undefined && { joinCode: t.sandbox.join_code.toLowerCase() }),
    });
  }
  for (const o of t.opt_outs ?? []) {
    const record = {
      phoneNumber: o.phone_number,
      sender: o.messaging_service_sid ? null : (o.sender ?? null),
      messagingServiceSid: o.messaging_service_sid ?? null,
    };
    const key = optOutKey(record);
    if (!state.optOuts.has(key)) state.saveOptOut(key, { ...record, dateCreated: now });
  }
  for (const c of t.content ?? []) {
    const previous = c.sid
      ? state.contents.get(c.sid)
      : [...state.contents.values()].find((x) => x.friendlyName === c.friendly_name);
    state.saveContent({
      sid: c.sid ?? previous?.sid ?? newSid('HX'),
      friendlyName: c.friendly_name,
      language: c.language ?? 'en',
      variables: c.variables ?? {},
      types: { 'twilio/text': { body: c.body } },
      whatsappStatus: c.whatsapp?.status ?? 'unsubmitted',
      whatsappCategory: c.whatsapp?.category ?? 'UTILITY',
      whatsappName: c.whatsapp?.name ?? c.friendly_name.toLowerCase().replace(/[^a-z0-9_]+/g, '_'),
      dateCreated: previous?.dateCreated ?? now,
      dateUpdated: now,
    });
  }
  for (const c of t.conversations?.address_configurations ?? []) {
    const previous = c.sid ? state.addressConfigurations.get(c.sid) : state.addressConfigurationOf(c.address);
    const a = c.auto_creation ?? {};
    state.saveAddressConfiguration({
      sid: c.sid ?? previous?.sid ?? newSid('IG'),
      type: c.type,
      address: c.address,
      friendlyName: c.friendly_name ?? '',
      autoCreation: {
        enabled: a.enabled ?? false,
        type: a.type ?? 'default',
        conversationServiceSid: a.conversation_service_sid ?? null,
        webhookUrl: a.webhook_url ?? null,
        webhookMethod: a.webhook_method ?? null,
        webhookFilters: a.webhook_filters ?? [],
        studioFlowSid: a.studio_flow_sid ?? null,
        studioRetryCount: a.studio_retry_count ?? null,
      },
      addressCountry: c.address_country ?? null,
      dateCreated: previous?.dateCreated ?? now,
      dateUpdated: now,
    });
  }
  if (t.account?.enforce_media_auth !== undefined)
    state.saveSettings({ ...state.settings, enforceMediaAuth: t.account.enforce_media_auth });
}

function applyService(state: EmulatorState, s: TopologyService, numberOf: (n: string) => EmulatorNumber): void {
  // A service without a sid is the one of the same friendly_name, so a topology applied again to a state file
  // (every start with --state) updates what it created instead of adding a copy.
  const previous = s.sid
    ? state.services.get(s.sid)
    : [...state.services.values()].find((x) => s.friendly_name !== undefined && x.friendlyName === s.friendly_name);
  let service = newService(
    {
      friendlyName: s.friendly_name,
      inboundRequestUrl: s.inbound_request_url ?? undefined,
      inboundMethod: s.inbound_method,
      fallbackUrl: s.fallback_url ?? undefined,
      fallbackMethod: s.fallback_method,
      statusCallback: s.status_callback ?? undefined,
      useInboundWebhookOnNumber: s.use_inbound_webhook_on_number,
      shortCodes: s.short_codes,
      channelSenders: s.channel_senders,
    },
    s.sid ?? previous?.sid,
    state.clock.now(),
  );
  if (previous) {
    service = {
      ...service,
      phoneNumberSids: previous.phoneNumberSids,
      phoneNumberAddedAt: previous.phoneNumberAddedAt,
      dateCreated: previous.dateCreated,
    };
  }
  state.saveService(service);
  for (const phoneNumber of s.phone_numbers ?? []) {
    const number = numberOf(phoneNumber);
    const other = state.serviceOfNumber(number.sid);
    if (other && other.sid !== service.sid) {
      throw new TopologyError(
        `services: ${phoneNumber} is in two services (${other.sid} and ${service.sid}); a number belongs to one at most`,
      );
    }
    addNumberToService(state, state.services.get(service.sid)!, number);
  }
}

function applySender(state: EmulatorState, x: TopologySender, numberOf: (n: string) => EmulatorNumber): void {
  numberOf(whatsAppNumber(x.sender_id) ?? x.sender_id);
  const existing = [...state.senders.values()].find((s) => s.senderId === x.sender_id);
  const sid = x.sid ?? existing?.sid;
  if (existing && existing.sid !== sid) state.deleteSender(existing.sid);
  state.saveSender(
    newSender(
      x.sender_id,
      {
        callbackUrl: x.webhook?.callback_url,
        callbackMethod: x.webhook?.callback_method,
        fallbackUrl: x.webhook?.fallback_url,
        fallbackMethod: x.webhook?.fallback_method,
        statusCallbackUrl: x.webhook?.status_callback_url,
        profileName: x.profile?.name,
      },
      sid,
      state.clock.now(),
    ),
  );
}

// ----------------------------------------------------------------------------------------------- checkers

/** The WhatsApp approval statuses a template can have (content v1's approval_requests.status). */
const WHATSAPP_STATUSES = ['approved', 'rejected', 'pending', 'unsubmitted'];

function object(v: unknown, at: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TopologyError(`${at} must be a JSON object`);
  return v as Record<string, unknown>;
}

function array(v: unknown, at: string): unknown[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new TopologyError(`${at} must be a JSON array`);
  return v;
}

function allowKeys(o: Record<string, unknown>, at: string, keys: string[]): void {
  for (const k of Object.keys(o)) {
    if (!keys.includes(k))
      throw new TopologyError(`${at} has an unknown field "${k}" (expected one of: ${keys.join(', ')})`);
  }
}

function str(v: unknown, at: string): void {
  if (v !== undefined && typeof v !== 'string') throw new TopologyError(`${at} must be a string`);
}

function e164(v: unknown, at: string): void {
  if (typeof v !== 'string' || !isE164(v))
    throw new TopologyError(`${at} must be an E.164 number (like +15005550006), got ${JSON.stringify(v)}`);
}

function url(v: unknown, at: string, nullable = false): void {
  if (v === undefined || v === '' || (nullable && v === null)) return;
  if (typeof v !== 'string' || !isCallbackUrl(v))
    throw new TopologyError(`${at} must be an http(s) URL, got ${JSON.stringify(v)}`);
}

function method(v: unknown, at: string): void {
  if (v !== undefined && !(typeof v === 'string' && isHttpMethod(v)))
    throw new TopologyError(`${at} must be GET or POST, got ${JSON.stringify(v)}`);
}

function sid(v: unknown, at: string, prefix: string): void {
  if (v !== undefined && !(typeof v === 'string' && new RegExp(`^${prefix}[0-9a-f]{32}$`).test(v))) {
    throw new TopologyError(`${at} must be ${prefix} followed by 32 lowercase hex digits, got ${JSON.stringify(v)}`);
  }
}
