import type { TwilioClient } from './client.js';

/**
 * Reading and setting the webhook of each routing layer above the number (the number's own SmsUrl is in
 * numbers.ts). Twilio answers "" for an unset URL; these say null. An empty string clears a URL.
 */

export interface ServiceWebhook {
  sid: string;
  inboundRequestUrl: string | null;
  inboundMethod: string | null;
  fallbackUrl: string | null;
  fallbackMethod: string | null;
}

export async function fetchServiceWebhook(client: TwilioClient, sid: string): Promise<ServiceWebhook> {
  const s = await client.messaging.v1.services(sid).fetch();
  return {
    sid: s.sid,
    inboundRequestUrl: s.inboundRequestUrl || null,
    inboundMethod: s.inboundMethod || null,
    fallbackUrl: s.fallbackUrl || null,
    fallbackMethod: s.fallbackMethod || null,
  };
}

export async function setServiceWebhook(
  client: TwilioClient,
  sid: string,
  v: Omit<ServiceWebhook, 'sid'>,
): Promise<void> {
  await client.messaging.v1.services(sid).update({
    inboundRequestUrl: v.inboundRequestUrl ?? '',
    inboundMethod: (v.inboundMethod ?? 'POST') as 'POST',
    fallbackUrl: v.fallbackUrl ?? '',
    fallbackMethod: (v.fallbackMethod ?? 'POST') as 'POST',
  });
}

export interface SenderWebhook {
  sid: string;
  callbackUrl: string | null;
  callbackMethod: string | null;
  fallbackUrl: string | null;
  fallbackMethod: string | null;
}

export async function fetchSenderWebhook(client: TwilioClient, sid: string): Promise<SenderWebhook> {
  const s = await client.messaging.v2.channelsSenders(sid).fetch();
  const w = s.webhook;
  return {
    sid: s.sid,
    callbackUrl: w?.callbackUrl || null,
    callbackMethod: w?.callbackMethod || null,
    fallbackUrl: w?.fallbackUrl || null,
    fallbackMethod: w?.fallbackMethod || null,
  };
}

/** A URL and its method, to set in the same update (null url: clear it). */
export interface FallbackValue {
  url: string | null;
  method: string | null;
}

/** The sender's callback URL; with `fallback`, its fallback URL in the same update (otherwise left as it is). */
export async function setSenderWebhook(
  client: TwilioClient,
  sid: string,
  url: string | null,
  method: string | null,
  fallback?: FallbackValue,
): Promise<void> {
  const webhook: Record<string, string> = { callback_url: url ?? '', callback_method: method ?? 'POST' };
  if (fallback) {
    webhook.fallback_url = fallback.url ?? '';
    webhook.fallback_method = fallback.method ?? 'POST';
  }
  await client.messaging.v2.channelsSenders(sid).update({ webhook } as never);
}

/**
 * In one update: the number's TwiML App (null clears it) and its SmsUrl/SmsMethod; with `fallback`, its
 * SmsFallbackUrl/SmsFallbackMethod too (otherwise left as they are).
 */
export async function setNumberApplication(
  client: TwilioClient,
  numberSid: string,
  appSid: string | null,
  smsUrl: string,
  smsMethod: string,
  fallback?: FallbackValue,
): Promise<void> {
  await client.incomingPhoneNumbers(numberSid).update({
    smsApplicationSid: appSid ?? '',
    smsUrl,
    smsMethod: smsMethod as 'POST',
    ...(fallback && {
      smsFallbackUrl: fallback.url ?? '',
      smsFallbackMethod: (fallback.method ?? 'POST') as 'POST',
    }),
  });
}

/** A TwiML App's SMS URL (POST): every number of the app follows it. */
export async function setApplicationSmsUrl(client: TwilioClient, appSid: string, url: string): Promise<void> {
  await client.applications(appSid).update({ smsUrl: url, smsMethod: 'POST' });
}

/**
 * A Messaging Service's own senders that are not phone numbers, as Twilio writes them in To: its short codes
 * (`/v1/Services/{sid}/ShortCodes`) and its channel senders (`/v1/Services/{sid}/ChannelSenders`: `rcs:…`,
 * `messenger:…`; its WhatsApp senders are numbers the resolver knows already). Two list calls.
 */
export async function listServiceNonPhoneSenders(client: TwilioClient, sid: string): Promise<string[]> {
  const service = client.messaging.v1.services(sid);
  const [codes, senders] = await Promise.all([
    service.shortCodes.list({ limit: 1000 }),
    service.channelSenders.list({ limit: 1000 }),
  ]);
  return [
    ...codes.map((c) => c.shortCode).filter((c): c is string => Boolean(c)),
    ...senders.map((s) => s.sender).filter((s): s is string => Boolean(s) && /^(rcs|messenger):/i.test(s)),
  ];
}
