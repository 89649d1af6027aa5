import { guessContentType } from '../twilio/inbound-form.js';
import { DURATION_FORM, parseDuration } from './clock.js';
import { type EmulatorCore, isCallbackUrl, isHttpMethod } from './core.js';
import { applicationJson, mediaSid, senderJson, serviceJson } from './resources.js';
import { SANDBOX_NUMBER } from './state.js';
import type { DeliveryResult, HttpMethod, MediaItem, TopologySummary } from './types.js';

/**
 * The control API: what the emulator's operator (a script, a test, CI) does that no Twilio API does, such as a
 * phone texting a number, or the Console setting the Sandbox's URL. On the emulator's origin, under `/_emulator/`,
 * JSON in and out, no credentials (bind the emulator to loopback).
 */

export const CONTROL_PREFIX = '/_emulator/';

export interface ControlAnswer {
  status: number;
  body: unknown;
}

/** Rate limiting for tests: the next `remaining` API requests answer 429 with Retry-After. */
export interface RateLimit {
  remaining: number;
  retryAfterSeconds: number;
}

export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function handleControl(
  core: EmulatorCore,
  rateLimit: RateLimit,
  method: string,
  pathname: string,
  body: string,
): Promise<ControlAnswer> {
  const name = pathname.slice(CONTROL_PREFIX.length);
  if (method === 'GET' && name === 'topology') return { status: 200, body: topologySummary(core) };
  if (method === 'GET' && name === 'clock') return { status: 200, body: clockJson(core) };
  if (method === 'GET' && name === 'opt-outs') return { status: 200, body: { opt_outs: optOutsJson(core) } };
  if (method === 'DELETE' && name === 'opt-outs') return deleteOptOuts(core, parseJson(body));
  if (method !== 'POST')
    throw new ControlError(
      405,
      `${method} ${pathname}: the control API takes POST with a JSON body (GET for topology, clock and opt-outs; DELETE for opt-outs)`,
    );
  const input = parseJson(body);
  switch (name) {
    case 'clock': {
      const advance = input.advance;
      const ms = typeof advance === 'string' ? parseDuration(advance) : undefined;
      if (ms === undefined)
        throw new ControlError(400, `advance must be a duration, ${DURATION_FORM}; got ${JSON.stringify(advance)}`);
      core.state.advanceClock(ms);
      return { status: 200, body: clockJson(core) };
    }
    case 'inbound':
      return inbound(core, input);
    case 'sandbox': {
      const inboundUrl = optionalUrl(input, 'inbound_url');
      const statusCallback = optionalUrl(input, 'status_callback');
      const inboundMethod = optionalMethod(input, 'inbound_method');
      const joinCode = input.join_code === undefined ? undefined : requiredString(input, 'join_code');
      try {
        core.setSandbox({ inboundUrl, inboundMethod, statusCallback, joinCode });
      } catch (err) {
        throw new ControlError(400, (err as Error).message);
      }
      return { status: 200, body: topologySummary(core).sandbox };
    }
    case 'rate-limit': {
      const requests = input.requests;
      const retryAfter = input.retry_after ?? 1;
      if (!Number.isInteger(requests) || (requests as number) < 0)
        throw new ControlError(400, 'requests must be a whole number >= 0');
      if (!Number.isInteger(retryAfter) || (retryAfter as number) < 0)
        throw new ControlError(400, 'retry_after must be a whole number of seconds >= 0');
      rateLimit.remaining = requests as number;
      rateLimit.retryAfterSeconds = retryAfter as number;
      return { status: 200, body: { requests: rateLimit.remaining, retry_after: rateLimit.retryAfterSeconds } };
    }
    case 'account': {
      if (typeof input.enforce_media_auth !== 'boolean')
        throw new ControlError(400, 'enforce_media_auth must be true or false');
      core.state.saveSettings({ ...core.state.settings, enforceMediaAuth: input.enforce_media_auth });
      return { status: 200, body: { enforce_media_auth: core.state.settings.enforceMediaAuth } };
    }
    case 'list-lag': {
      const ms = input.ms;
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)
        throw new ControlError(400, 'ms must be a number of milliseconds >= 0');
      core.alerts.lagMs = ms;
      return { status: 200, body: { ms } };
    }
    default:
      throw new ControlError(
        404,
        `no control endpoint ${pathname} (inbound, sandbox, rate-limit, account, list-lag, topology, clock, opt-outs)`,
      );
  }
}

async function inbound(core: EmulatorCore, input: Record<string, unknown>): Promise<ControlAnswer> {
  const from = requiredString(input, 'from');
  const to = requiredString(input, 'to');
  const body = input.body === undefined ? '' : requiredString(input, 'body');
  const profileName = input.profile_name === undefined ? undefined : requiredString(input, 'profile_name');
  const mediaUrls = input.media_urls ?? [];
  if (!Array.isArray(mediaUrls) || mediaUrls.some((u) => typeof u !== 'string' || !/^(https?:|data:)/.test(u))) {
    throw new ControlError(400, 'media_urls must be an array of http(s) or data: URLs');
  }
  const media: MediaItem[] = (mediaUrls as string[]).map((url) => ({ url, contentType: contentTypeOf(url) }));
  let result: DeliveryResult;
  try {
    result = await core.receiveInbound({
      from,
      to,
      body,
      mediaUrls: media,
      ...(profileName !== undefined && { profileName }),
    });
  } catch (err) {
    throw new ControlError(400, (err as Error).message);
  }
  return {
    status: 202,
    body: {
      message_sid: result.messageSid,
      layer: result.layer,
      delivered_to: result.url,
      outcome: result.outcome,
      ...(result.reason !== undefined && { reason: result.reason }),
    },
  };
}

/** Every opt-out, oldest first: the contact, and our number (`sender`) or the Messaging Service they left. */
function optOutsJson(core: EmulatorCore): Record<string, unknown>[] {
  return [...core.state.optOuts.values()]
    .sort((a, b) => a.dateCreated.getTime() - b.dateCreated.getTime())
    .map((o) => ({
      phone_number: o.phoneNumber,
      sender: o.sender,
      messaging_service_sid: o.messagingServiceSid,
      date_created: o.dateCreated.toISOString(),
    }));
}

/**
 * What only the contact can do on Twilio (text START), for a test's clean slate: without a body every opt-out goes;
 * `phone_number`, `sender` and `messaging_service_sid` narrow it down.
 */
function deleteOptOuts(core: EmulatorCore, input: Record<string, unknown>): ControlAnswer {
  const filters: [string, 'phoneNumber' | 'sender' | 'messagingServiceSid'][] = [
    ['phone_number', 'phoneNumber'],
    ['sender', 'sender'],
    ['messaging_service_sid', 'messagingServiceSid'],
  ];
  for (const [key] of filters) {
    if (input[key] !== undefined && typeof input[key] !== 'string')
      throw new ControlError(400, `${key} must be a string`);
  }
  let removed = 0;
  for (const [k, o] of [...core.state.optOuts]) {
    if (filters.every(([key, field]) => input[key] === undefined || o[field] === input[key])) {
      core.state.deleteOptOut(k);
      removed++;
    }
  }
  return { status: 200, body: { removed, opt_outs: optOutsJson(core) } };
}

/** The emulator's clock: its time and how far it has been moved ahead of the system clock. */
function clockJson(core: EmulatorCore): { now: string; advanced_seconds: number } {
  return { now: core.now().toISOString(), advanced_seconds: Math.round(core.state.clock.offsetMs / 1000) };
}

/** What the account looks like: the `--json` first line's services, applications, senders, the Sandbox and the account's settings. */
export function topologySummary(core: EmulatorCore): TopologySummary {
  const { state } = core;
  const accountSid = state.account.sid;
  const phone = (sid: string) => state.numbers.get(sid)?.phoneNumber;
  return {
    services: [...state.services.values()].map((s) => ({
      ...pickKeys(serviceJson(accountSid, s), [
        'sid',
        'friendly_name',
        'inbound_request_url',
        'inbound_method',
        'fallback_url',
        'status_callback',
        'use_inbound_webhook_on_number',
      ]),
      phone_numbers: s.phoneNumberSids.map(phone).filter((n) => n !== undefined),
    })),
    applications: [...state.applications.values()].map((a) => ({
      ...pickKeys(applicationJson(accountSid, a), [
        'sid',
        'friendly_name',
        'sms_url',
        'sms_method',
        'sms_fallback_url',
        'sms_status_callback',
      ]),
      phone_numbers: [...state.numbers.values()].filter((n) => n.smsApplicationSid === a.sid).map((n) => n.phoneNumber),
    })),
    senders: [...state.senders.values()].map((x) => pickKeys(senderJson(x), ['sid', 'sender_id', 'webhook'])),
    sandbox: {
      phone_number: SANDBOX_NUMBER,
      inbound_url: state.sandbox.inboundUrl || null,
      inbound_method: state.sandbox.inboundMethod,
      status_callback: state.sandbox.statusCallback || null,
      participants: state.sandbox.participants.filter((n) => core.isSandboxParticipant(n)),
      join_code: core.sandboxJoinCode(),
    },
    account: { enforce_media_auth: state.settings.enforceMediaAuth },
  };
}

/**
 * The bytes of a hosted media item: from a `data:` URL, or fetched from the http(s) URL it came from. Null when
 * the message or item does not exist (or the source cannot be read).
 */
export async function mediaBytes(
  core: EmulatorCore,
  messageSid: string,
  sid: string,
): Promise<{ contentType: string; bytes: Buffer } | null> {
  const message = core.state.getMessage(messageSid);
  if (!message) return null;
  const index = message.media.findIndex((_, i) => mediaSid(message.sid, i) === sid);
  if (index < 0) return null;
  const item = message.media[index]!;
  const source = message.mediaSources?.[index] ?? item.url;
  const data = /^data:([^;,]*)(;base64)?,(.*)$/s.exec(source);
  if (data) {
    const payload = data[3]!;
    const bytes = data[2] ? Buffer.from(payload, 'base64') : Buffer.from(decodeURIComponent(payload), 'utf8');
    return { contentType: item.contentType, bytes };
  }
  if (source.startsWith(core.baseUrl + '/')) return null; // never fetch ourselves in a loop
  try {
    const res = await fetch(source, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return null;
    return { contentType: item.contentType, bytes: Buffer.from(await res.arrayBuffer()) };
  } catch {
    return null;
  }
}

function contentTypeOf(url: string): string {
  const data = /^data:([^;,]+)/.exec(url);
  return data ? data[1]! : guessContentType(url);
}

function parseJson(body: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = body.trim() === '' ? {} : JSON.parse(body);
  } catch {
    throw new ControlError(400, 'the body must be JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ControlError(400, 'the body must be a JSON object');
  return value as Record<string, unknown>;
}

function requiredString(input: Record<string, unknown>, key: string): string {
  const v = input[key];
  if (typeof v !== 'string' || (key !== 'body' && v === ''))
    throw new ControlError(
      400,
      `${key} must be a string${key === 'to' ? ' (one of the numbers, or whatsapp:+…)' : ''}`,
    );
  return v;
}

function optionalUrl(input: Record<string, unknown>, key: string): string | undefined {
  const v = input[key];
  if (v === undefined) return undefined;
  if (v === null || v === '') return '';
  if (typeof v !== 'string' || !isCallbackUrl(v))
    throw new ControlError(400, `${key} must be an http(s) URL, or "" to clear it`);
  return v;
}

function optionalMethod(input: Record<string, unknown>, key: string): HttpMethod | undefined {
  const v = input[key];
  if (v === undefined) return undefined;
  const upper = String(v).toUpperCase();
  if (!isHttpMethod(upper)) throw new ControlError(400, `${key} must be GET or POST`);
  return upper;
}

function pickKeys(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, o[k] ?? null]));
}
