import { createHash } from 'node:crypto';
import { rfc2822 } from './ids.js';
import type { AccountRecord } from './state.js';
import type { EmulatorMessage, EmulatorNumber } from './types.js';

/** JSON renderings with the field names and value formats of the 2010-04-01 API. */

import { API_VERSION } from '../twilio/inbound-form.js';

export { API_VERSION };

export function accountPath(accountSid: string): string {
  return `/${API_VERSION}/Accounts/${accountSid}`;
}

export function accountJson(account: AccountRecord): Record<string, unknown> {
  const base = accountPath(account.sid);
  // Real Twilio also returns auth_token for the main account; the emulator never echoes a secret.
  return {
    date_created: rfc2822(account.dateCreated),
    date_updated: rfc2822(account.dateCreated),
    friendly_name: 'Fruxon emulator account',
    owner_account_sid: account.sid,
    sid: account.sid,
    status: 'active',
    subresource_uris: {
      incoming_phone_numbers: `${base}/IncomingPhoneNumbers.json`,
      messages: `${base}/Messages.json`,
    },
    type: 'Full',
    uri: `${base}.json`,
  };
}

export function numberJson(accountSid: string, n: EmulatorNumber): Record<string, unknown> {
  return {
    account_sid: accountSid,
    address_requirements: 'none',
    address_sid: null,
    api_version: API_VERSION,
    beta: false,
    bundle_sid: null,
    capabilities: { voice: true, sms: true, mms: true, fax: false },
    date_created: rfc2822(n.dateCreated),
    date_updated: rfc2822(n.dateUpdated),
    emergency_address_sid: null,
    emergency_address_status: 'unregistered',
    emergency_status: 'Inactive',
    friendly_name: n.friendlyName,
    identity_sid: null,
    origin: 'twilio',
    phone_number: n.phoneNumber,
    sid: n.sid,
    sms_application_sid: null,
    sms_fallback_method: n.smsFallbackMethod,
    sms_fallback_url: n.smsFallbackUrl,
    sms_method: n.smsMethod,
    sms_url: n.smsUrl,
    status: 'in-use',
    status_callback: n.statusCallback,
    status_callback_method: n.statusCallbackMethod,
    trunk_sid: null,
    type: 'local',
    uri: `${accountPath(accountSid)}/IncomingPhoneNumbers/${n.sid}.json`,
    voice_application_sid: null,
    voice_caller_id_lookup: false,
    voice_fallback_method: 'POST',
    voice_fallback_url: null,
    voice_method: 'POST',
    voice_receive_mode: 'voice',
    voice_url: null,
  };
}

export function messageJson(m: EmulatorMessage): Record<string, unknown> {
  const uri = `${accountPath(m.accountSid)}/Messages/${m.sid}`;
  return {
    account_sid: m.accountSid,
    api_version: API_VERSION,
    body: m.body,
    date_created: rfc2822(m.dateCreated),
    date_sent: m.dateSent && rfc2822(m.dateSent),
    date_updated: rfc2822(m.dateUpdated),
    direction: m.direction,
    error_code: m.errorCode,
    error_message: m.errorMessage,
    from: m.from,
    messaging_service_sid: m.messagingServiceSid,
    num_media: String(m.media.length),
    num_segments: String(m.numSegments),
    price: m.price,
    price_unit: 'USD',
    sid: m.sid,
    status: m.status,
    subresource_uris: { media: `${uri}/Media.json` },
    to: m.to,
    uri: `${uri}.json`,
  };
}

export interface PageRequest {
  /** Path of the list, e.g. `/2010-04-01/Accounts/AC.../Messages.json`. */
  path: string;
  /** The filters the client sent, repeated in every page URI. */
  filters: [string, string][];
  query: URLSearchParams;
}

/**
 * Twilio's paging envelope. `PageToken` is a cursor: `PA<sid>` continues after that record, `PB<sid>` goes
 * back from it; without one, `Page` x `PageSize` is the offset.
 */
export function listPage<T extends { sid: string }>(
  req: PageRequest,
  listKey: string,
  items: T[],
  render: (item: T) => Record<string, unknown>,
): Record<string, unknown> {
  const pageSize = clampInt(req.query.get('PageSize'), 50, 1, 1000);
  const page = clampInt(req.query.get('Page'), 0, 0, Number.MAX_SAFE_INTEGER);
  const token = req.query.get('PageToken') ?? '';

  let from = page * pageSize;
  const cursor = items.findIndex((item) => item.sid === token.slice(2));
  if (cursor >= 0 && token.startsWith('PA')) from = cursor + 1;
  if (cursor >= 0 && token.startsWith('PB')) from = Math.max(0, cursor - pageSize);
  const slice = items.slice(from, from + pageSize);

  const uriFor = (p: number, pageToken?: string) => {
    const q = new URLSearchParams(req.filters);
    q.set('PageSize', String(pageSize));
    q.set('Page', String(p));
    if (pageToken) q.set('PageToken', pageToken);
    return `${req.path}?${q.toString()}`;
  };
  const hasNext = from + pageSize < items.length;
  const hasPrevious = from > 0 && slice.length > 0;
  const start = page * pageSize;
  return {
    end: slice.length > 0 ? start + slice.length - 1 : start,
    first_page_uri: uriFor(0),
    next_page_uri: hasNext ? uriFor(page + 1, 'PA' + slice[slice.length - 1]!.sid) : null,
    page,
    page_size: pageSize,
    previous_page_uri: hasPrevious ? uriFor(Math.max(0, page - 1), 'PB' + slice[0]!.sid) : null,
    start,
    uri: uriFor(page, token || undefined),
    [listKey]: slice.map(render),
  };
}

function clampInt(raw: string | null, fallback: number, min: number, max: number): number {
  if (raw === null || !/^\d+$/.test(raw)) return fallback;
  return Math.min(max, Math.max(min, Number(raw)));
}

/** A media item's SID: stable for a message and position, so every listing names it the same way. */
export function mediaSid(messageSid: string, index: number): string {
  return 'ME' + createHash('sha256').update(`${messageSid}/${index}`).digest('hex').slice(0, 32);
}

/** One item of a message's Media list, as Twilio's Media resource. */
export function mediaJson(m: EmulatorMessage, index: number): Record<string, unknown> & { sid: string } {
  const sid = mediaSid(m.sid, index);
  return {
    account_sid: m.accountSid,
    content_type: m.media[index]!.contentType,
    date_created: rfc2822(m.dateCreated),
    date_updated: rfc2822(m.dateUpdated),
    parent_sid: m.sid,
    sid,
    uri: `${accountPath(m.accountSid)}/Messages/${m.sid}/Media/${sid}.json`,
  };
}

