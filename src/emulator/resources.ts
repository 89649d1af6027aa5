import { createHash } from 'node:crypto';
import { iso8601, rfc2822 } from './ids.js';
import type { AccountRecord } from './state.js';
import type { EmulatorApplication, EmulatorMessage, EmulatorNumber, EmulatorSender, EmulatorService } from './types.js';

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
    sms_application_sid: n.smsApplicationSid || null,
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

/**
 * The 201 answer to a message sent through a Messaging Service without `From`: the spec's `accepted` ("a sender
 * hasn't yet been assigned": `num_segments` is `0`) and a null `from`. The emulator assigns the sender at once,
 * so a fetch already shows it `queued` from its number (our reading of how soon that happens).
 */
export function acceptedMessageJson(m: EmulatorMessage): Record<string, unknown> {
  return { ...messageJson(m), from: null, status: 'accepted', num_segments: '0' };
}

export interface PageRequest {
  /** Path of the list, e.g. `/2010-04-01/Accounts/AC.../Messages.json`. */
  path: string;
  /** The filters the client sent, repeated in every page URI. */
  filters: [string, string][];
  query: URLSearchParams;
}

/** One page of `items` as Twilio pages them, and a builder of page URLs (path + the client's filters). */
function pageWindow<T extends { sid: string }>(query: URLSearchParams, items: T[], filters: [string, string][]) {
  const pageSize = clampInt(query.get('PageSize'), 50, 1, 1000);
  const page = clampInt(query.get('Page'), 0, 0, Number.MAX_SAFE_INTEGER);
  const token = query.get('PageToken') ?? '';
  let from = page * pageSize;
  const cursor = items.findIndex((item) => item.sid === token.slice(2));
  if (cursor >= 0 && token.startsWith('PA')) from = cursor + 1;
  if (cursor >= 0 && token.startsWith('PB')) from = Math.max(0, cursor - pageSize);
  const slice = items.slice(from, from + pageSize);
  const pageQuery = (p: number, pageToken?: string) => {
    const q = new URLSearchParams(filters);
    q.set('PageSize', String(pageSize));
    q.set('Page', String(p));
    if (pageToken) q.set('PageToken', pageToken);
    return q.toString();
  };
  const hasNext = from + pageSize < items.length;
  const hasPrevious = from > 0 && slice.length > 0;
  return {
    page,
    pageSize,
    slice,
    self: pageQuery(page, token || undefined),
    first: pageQuery(0),
    next: hasNext ? pageQuery(page + 1, 'PA' + slice[slice.length - 1]!.sid) : null,
    previous: hasPrevious ? pageQuery(Math.max(0, page - 1), 'PB' + slice[0]!.sid) : null,
  };
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
  const w = pageWindow(req.query, items, req.filters);
  const { page, pageSize, slice } = w;
  const uri = (q: string | null) => (q === null ? null : `${req.path}?${q}`);
  const start = page * pageSize;
  return {
    end: slice.length > 0 ? start + slice.length - 1 : start,
    first_page_uri: uri(w.first),
    next_page_uri: uri(w.next),
    page,
    page_size: pageSize,
    previous_page_uri: uri(w.previous),
    start,
    uri: uri(w.self),
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

/** Where Twilio serves a media item's bytes (the `.json` sibling is its metadata). */
export function mediaBytesPath(accountSid: string, messageSid: string, sid: string): string {
  return `${accountPath(accountSid)}/Messages/${messageSid}/Media/${sid}`;
}

export function applicationJson(accountSid: string, a: EmulatorApplication): Record<string, unknown> {
  return {
    account_sid: accountSid,
    api_version: API_VERSION,
    date_created: rfc2822(a.dateCreated),
    date_updated: rfc2822(a.dateUpdated),
    friendly_name: a.friendlyName,
    message_status_callback: null,
    public_application_connect_enabled: false,
    sid: a.sid,
    sms_fallback_method: a.smsFallbackMethod,
    sms_fallback_url: a.smsFallbackUrl,
    sms_method: a.smsMethod,
    sms_status_callback: a.smsStatusCallback,
    sms_url: a.smsUrl,
    status_callback: null,
    status_callback_method: 'POST',
    uri: `${accountPath(accountSid)}/Applications/${a.sid}.json`,
    voice_caller_id_lookup: false,
    voice_fallback_method: 'POST',
    voice_fallback_url: null,
    voice_method: 'POST',
    voice_url: null,
  };
}

/** The messaging API's origin as Twilio writes it in `url` fields; the tool sends every *.twilio.com origin here. */
export const MESSAGING_ORIGIN = 'https://messaging.twilio.com';

export function serviceJson(accountSid: string, s: EmulatorService): Record<string, unknown> {
  const url = `${MESSAGING_ORIGIN}/v1/Services/${s.sid}`;
  return {
    account_sid: accountSid,
    area_code_geomatch: true,
    date_created: iso8601(s.dateCreated),
    date_updated: iso8601(s.dateUpdated),
    fallback_method: s.fallbackMethod,
    fallback_to_long_code: true,
    fallback_url: s.fallbackUrl || null,
    friendly_name: s.friendlyName,
    inbound_method: s.inboundMethod,
    inbound_request_url: s.inboundRequestUrl || null,
    links: {
      phone_numbers: `${url}/PhoneNumbers`,
      short_codes: `${url}/ShortCodes`,
      alpha_senders: `${url}/AlphaSenders`,
      messages: `${url}/Messages`,
      us_app_to_person: `${url}/Compliance/Usa2p`,
      us_app_to_person_usecases: `${url}/Compliance/Usa2p/Usecases`,
      channel_senders: `${url}/ChannelSenders`,
      destination_alpha_senders: `${url}/DestinationAlphaSenders`,
    },
    mms_converter: true,
    scan_message_content: 'inherit',
    sid: s.sid,
    smart_encoding: true,
    status_callback: s.statusCallback || null,
    sticky_sender: true,
    synchronous_validation: false,
    url,
    us_app_to_person_registered: false,
    use_inbound_webhook_on_number: s.useInboundWebhookOnNumber,
    usecase: 'undeclared',
    validity_period: 14400,
  };
}

export function servicePhoneNumberJson(
  accountSid: string,
  serviceSid: string,
  n: EmulatorNumber,
  addedAt: Date,
): Record<string, unknown> {
  return {
    account_sid: accountSid,
    capabilities: ['SMS', 'MMS', 'Voice'],
    country_code: n.phoneNumber.startsWith('+1') ? 'US' : 'ZZ',
    date_created: iso8601(addedAt),
    date_updated: iso8601(addedAt),
    phone_number: n.phoneNumber,
    service_sid: serviceSid,
    sid: n.sid,
    url: `${MESSAGING_ORIGIN}/v1/Services/${serviceSid}/PhoneNumbers/${n.sid}`,
  };
}

const SENDER_PROFILE_FIELDS = [
  'about',
  'address',
  'description',
  'logo_url',
  'banner_url',
  'privacy_url',
  'terms_of_service_url',
  'accent_color',
  'vertical',
  'websites',
  'emails',
  'phone_numbers',
];

export function senderJson(x: EmulatorSender): Record<string, unknown> {
  return {
    sid: x.sid,
    status: 'ONLINE',
    sender_id: x.senderId,
    configuration: {
      waba_id: null,
      verification_method: null,
      verification_code: null,
      voice_application_sid: null,
      account_type: null,
      ...x.configuration,
    },
    webhook: {
      callback_url: x.callbackUrl || null,
      callback_method: x.callbackMethod,
      fallback_url: x.fallbackUrl || null,
      fallback_method: x.fallbackMethod,
      status_callback_url: x.statusCallbackUrl || null,
      status_callback_method: 'POST',
    },
    // Every field of the spec's profile, null when unset (the emulator keeps only the name).
    profile: {
      name: x.profileName || null,
      ...Object.fromEntries(SENDER_PROFILE_FIELDS.map((k) => [k, null])),
    },
    properties: { quality_rating: 'HIGH', messaging_limit: '1K Customers/24hr' },
    offline_reasons: null,
    compliance: null, // RCS senders only
    url: `${MESSAGING_ORIGIN}/v2/Channels/Senders/${x.sid}`,
  };
}

/**
 * The paging envelope of the messaging v1 and v2 APIs: `meta` with absolute URLs on Twilio's origin. Paging as in
 * listPage(): `PageToken` `PA<sid>` continues after that record.
 */
export function metaPage<T extends { sid: string }>(
  req: { path: string; query: URLSearchParams; filters?: [string, string][]; origin?: string },
  key: string,
  items: T[],
  render: (item: T) => Record<string, unknown>,
  origin = MESSAGING_ORIGIN,
): Record<string, unknown> {
  const w = pageWindow(req.query, items, req.filters ?? []);
  const url = (q: string | null) => (q === null ? null : `${origin}${req.path}?${q}`);
  return {
    [key]: w.slice.map(render),
    meta: {
      first_page_url: url(w.first),
      key,
      next_page_url: url(w.next),
      page: w.page,
      page_size: w.pageSize,
      previous_page_url: url(w.previous),
      url: url(w.self),
    },
  };
}
