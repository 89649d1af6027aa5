import { maskSid } from '../validate.js';
import type { TwilioClient } from './client.js';
import { findNumber, type PhoneNumberInfo } from './numbers.js';

/**
 * Which layer of the account receives the inbound messages of a number on one channel: the one answer every
 * command that reads or changes routing asks. Twilio's order (its OpenAPI specs; the emulator's routeInbound
 * models the same): the number's Messaging Service (its inbound URL, unless use_inbound_webhook_on_number; no
 * inbound URL: dropped), for WhatsApp the number's sender (webhook.callback_url), the number's TwiML App
 * (sms_application_sid), the number's own SmsUrl. The WhatsApp Sandbox is not on the account.
 */

export type Channel = 'sms' | 'whatsapp';
export type RouteLayer = 'number' | 'application' | 'messaging_service' | 'whatsapp_sender' | 'sandbox' | 'none';

/** The WhatsApp Sandbox's number: shared by every account, set only in the Console. */
export const SANDBOX_NUMBER = '+14155238886';

export interface Route {
  layer: RouteLayer;
  channel: Channel;
  /** PN… / AP… / MG… / XE…; null for the Sandbox. For 'none', the service that drops the messages. */
  sid: string | null;
  friendlyName: string | null;
  /** As Twilio answers it (the caller masks it); null when the layer has none. */
  url: string | null;
  method: string | null;
  fallbackUrl: string | null;
  fallbackMethod: string | null;
  /** Other numbers of the account the same layer serves. */
  sharedWith: string[];
  /** A Messaging Service's use_inbound_webhook_on_number; null when the number is in no service. */
  defersToNumber: boolean | null;
  /** The account's number (null for the Sandbox). */
  number: PhoneNumberInfo | null;
  /**
   * A Conversations address configuration for the number on this channel (`+1…` for SMS, `whatsapp:+1…`): with
   * auto-creation enabled, Conversations takes its messages; 'unknown' when the account's Conversations could not
   * be asked (no access); absent or null: none.
   */
  conversations?: ConversationsAddress | 'unknown' | null;
}

/** A Conversations address configuration, as the faces name it. */
export interface ConversationsAddress {
  sid: string;
  address: string;
  enabled: boolean;
  /** webhook | studio | default. */
  type: string;
  conversationServiceSid: string | null;
  webhookUrl: string | null;
  studioFlowSid: string | null;
}

/** The route of `phoneNumber` on `channel`; null when it is neither a number of the account nor the Sandbox. */
export async function resolveRoute(client: TwilioClient, phoneNumber: string, channel: Channel): Promise<Route | null> {
  return (await resolveChannels(client, phoneNumber, [channel]))[0] ?? null;
}

/** Every channel the number has: SMS for a number of the account, WhatsApp when it has a sender (the Sandbox: WhatsApp only). */
export async function resolveRoutes(client: TwilioClient, phoneNumber: string): Promise<Route[]> {
  return resolveChannels(client, phoneNumber, null);
}

/**
 * The routes of `phoneNumber` on `channels`, in that order (null: every channel it has, SMS first; empty when it
 * is neither a number of the account nor the Sandbox). Each lookup is made once whatever the channels: the
 * number, its service (the Services list and a fetch per service), its sender, its TwiML App; the channels
 * share one route unless a sender takes WhatsApp (bench/README.md counts the requests).
 */
export async function resolveChannels(
  client: TwilioClient,
  phoneNumber: string,
  channels: Channel[] | null,
): Promise<Route[]> {
  const wanted = channels ?? (['sms', 'whatsapp'] as Channel[]);
  const number = await findNumber(client, phoneNumber); // exact match: the PhoneNumber filter is partial
  if (!number) return phoneNumber === SANDBOX_NUMBER && wanted.includes('whatsapp') ? [sandboxRoute()] : [];

  // Conversations beside the Services: one list, in parallel (an account without access: 'unknown').
  const [service, addresses] = await Promise.all([serviceOf(client, number.sid), addressesOf(client)]);
  const conversationsFor = (channel: Channel): ConversationsAddress | 'unknown' | null => {
    if (addresses === 'unknown') return 'unknown';
    const address = channel === 'whatsapp' ? `whatsapp:${number.phoneNumber}` : number.phoneNumber;
    return addresses.find((a) => a.address === address) ?? null;
  };
  const defersToNumber = service ? service.useInboundWebhookOnNumber : null;
  const serviceWins = service !== null && !service.useInboundWebhookOnNumber;
  // The sender: whether the number has WhatsApp at all (every channel asked for), and whether it takes WhatsApp.
  const sender =
    wanted.includes('whatsapp') && (channels === null || !serviceWins)
      ? await senderOf(client, number.phoneNumber)
      : null;

  let shared: Promise<Route> | undefined;
  const common = async (): Promise<Route> => {
    const base = { channel: 'sms' as Channel, number, sharedWith: [] as string[], defersToNumber };
    if (service && serviceWins) {
      const sharedWith = (await client.messaging.v1.services(service.sid).phoneNumbers.list({ limit: 1000 }))
        .map((n) => n.phoneNumber)
        .filter((n) => n !== number.phoneNumber);
      return {
        ...base,
        layer: service.inboundRequestUrl ? 'messaging_service' : 'none',
        sid: service.sid,
        friendlyName: service.friendlyName,
        url: service.inboundRequestUrl || null,
        method: service.inboundMethod || null,
        fallbackUrl: service.fallbackUrl || null,
        fallbackMethod: service.fallbackMethod || null,
        sharedWith,
      };
    }
    if (number.smsApplicationSid)
      return { ...(await applicationRoute(client, number, number.smsApplicationSid, 'sms')), defersToNumber };
    return {
      ...base,
      layer: 'number',
      sid: number.sid,
      friendlyName: null,
      url: number.smsUrl,
      method: number.smsMethod,
      fallbackUrl: number.smsFallbackUrl,
      fallbackMethod: number.smsFallbackMethod,
    };
  };

  const routes: Route[] = [];
  for (const channel of wanted) {
    if (channel === 'whatsapp' && channels === null && !sender) continue; // no WhatsApp on this number
    const w = sender?.webhook;
    if (channel === 'whatsapp' && !serviceWins && sender && w?.callbackUrl) {
      routes.push({
        channel,
        number,
        sharedWith: [],
        defersToNumber,
        conversations: conversationsFor(channel),
        layer: 'whatsapp_sender',
        sid: sender.sid,
        friendlyName: sender.senderId,
        url: w.callbackUrl,
        method: w.callbackMethod || 'POST',
        fallbackUrl: w.fallbackUrl || null,
        fallbackMethod: w.fallbackMethod || null,
      });
      continue;
    }
    routes.push({ ...(await (shared ??= common())), channel, conversations: conversationsFor(channel) });
  }
  return routes;
}

/**
 * The route of a number through TwiML App `appSid` (the number's own sms_application_sid, or the app a listener
 * detached it from for the listen): the app's SMS URL, and the other numbers of the account attached to it.
 */
export async function applicationRoute(
  client: TwilioClient,
  number: PhoneNumberInfo,
  appSid: string,
  channel: Channel,
): Promise<Route> {
  const app = await client.applications(appSid).fetch();
  const sharedWith = (await client.incomingPhoneNumbers.list({ limit: 1000 }))
    .filter((n) => n.smsApplicationSid === app.sid && n.phoneNumber !== number.phoneNumber)
    .map((n) => n.phoneNumber);
  return {
    layer: 'application',
    channel,
    number,
    defersToNumber: null,
    sid: app.sid,
    friendlyName: app.friendlyName,
    url: app.smsUrl || null,
    method: app.smsMethod || null,
    fallbackUrl: app.smsFallbackUrl || null,
    fallbackMethod: app.smsFallbackMethod || null,
    sharedWith,
  };
}

/**
 * How a face names a route's layer: the one home of these names and of their masking.
 * - 'label': a sentence's subject, the SID masked: `Messaging Service 'Support' (MG…1234)`, `TwiML App 'Bot' (AP…1234)`,
 *   `WhatsApp sender whatsapp:+1… (XE…1234)`, `+1… "A MESSAGE COMES IN"`, `the WhatsApp Sandbox` (webhook set).
 * - 'full': as 'label', the SID whole, to find the layer by in the Console: `Messaging Service 'Support' (MG…)` (a
 *   refusal to change a shared layer, listen's banner).
 * - 'check': as 'label', but the number's own layer is `the number's SmsUrl` and a sender is named by its SID (doctor).
 * - 'step': the layer and its full SID, as a step report that a person acts on names it: `messaging service MG…` (link).
 * - 'took': the layer that took a missed message, its full SID: `the number's SmsUrl PN…`, `messaging service MG…`.
 * Names are Twilio's text: a face that prints them escapes the result (output's `safe`); --json carries them as they are.
 */
export type RouteNameForm = 'label' | 'full' | 'check' | 'step' | 'took';

export function routeName(
  r: Pick<Route, 'layer' | 'sid' | 'friendlyName'> & { number?: Pick<PhoneNumberInfo, 'phoneNumber'> | null },
  form: RouteNameForm,
): string {
  if (form === 'step') return `${r.layer.replace('_', ' ')} ${r.sid}`;
  if (form === 'took')
    return `${r.layer === 'number' ? "the number's SmsUrl" : r.layer.replace('_', ' ')}${r.sid ? ` ${r.sid}` : ''}`;
  const sid = r.sid ? ` (${form === 'full' ? r.sid : maskSid(r.sid)})` : '';
  const named = r.friendlyName ? ` '${r.friendlyName}'` : '';
  switch (r.layer) {
    case 'number':
      return form === 'check' ? "the number's SmsUrl" : `${r.number?.phoneNumber ?? ''} "A MESSAGE COMES IN"`;
    case 'application':
      return `TwiML App${named}${sid}`;
    case 'messaging_service':
    case 'none':
      return `Messaging Service${named}${sid}`;
    case 'whatsapp_sender':
      return form === 'check' ? `WhatsApp sender${sid}` : `WhatsApp sender ${r.friendlyName ?? ''}${sid}`;
    case 'sandbox':
      return 'the WhatsApp Sandbox';
  }
}

/**
 * What Conversations does with the route's messages, in one sentence (null: nothing, or unknown: see
 * conversationsUnknown): an enabled address configuration takes them instead of the layer that would.
 */
export function conversationsSentence(r: Route): string | null {
  const c = r.conversations;
  if (!c || c === 'unknown' || !c.enabled) return null;
  const how =
    c.type === 'webhook' && c.webhookUrl
      ? `its auto-creation webhook`
      : c.type === 'studio' && c.studioFlowSid
        ? `Studio Flow ${c.studioFlowSid}`
        : c.conversationServiceSid
          ? `Conversation Service ${c.conversationServiceSid}`
          : 'the default Conversation Service';
  return `Conversations address configuration ${c.sid} (${c.address}) has auto-creation on: ${r.channel === 'whatsapp' ? 'WhatsApp' : 'SMS'} messages to ${c.address} create Conversations messages (${how}) instead of reaching ${routeName(r, 'label')}`;
}

/** Whether the account's Conversations could not be asked for any of the routes (said once). */
export function conversationsUnknown(routes: Route[]): boolean {
  return routes.some((r) => r.conversations === 'unknown');
}

/** Said once when Conversations could not be asked. */
export const CONVERSATIONS_UNKNOWN =
  'Conversations address configurations: unknown (the account answered no access); a Conversations address on this number would take its messages';

/**
 * What Conversations does with a listener's routes, as the faces that show the route say it (the screen's header,
 * the inspector's route panel): one sentence per address configuration that takes messages, and "unknown" once.
 */
export function conversationsNotes(routes: Route[]): string[] {
  const notes = new Set<string>();
  for (const r of routes) {
    const s = conversationsSentence(r);
    if (s) notes.add(s);
  }
  if (conversationsUnknown(routes)) notes.add(CONVERSATIONS_UNKNOWN);
  return [...notes];
}

function sandboxRoute(): Route {
  return {
    layer: 'sandbox',
    channel: 'whatsapp',
    sid: null,
    friendlyName: 'WhatsApp Sandbox',
    url: null,
    method: null,
    fallbackUrl: null,
    fallbackMethod: null,
    sharedWith: [],
    defersToNumber: null,
    number: null,
  };
}

/** How many Services/{MG}/PhoneNumbers/{PN} fetches are in flight at once: a round trip per batch, not per service. */
const SERVICE_FETCHES_AT_ONCE = 5;

/**
 * The number's Messaging Service: listing Services, then Services/{MG}/PhoneNumbers/{PN} (404: not in it), a
 * batch of fetches at a time in the listing's order, stopping after the batch that finds it (a number is in
 * one service at most).
 */
async function serviceOf(client: TwilioClient, numberSid: string) {
  const services = await client.messaging.v1.services.list({ limit: 1000 });
  const inService = async (sid: string) => {
    try {
      await client.messaging.v1.services(sid).phoneNumbers(numberSid).fetch();
      return true;
    } catch (err) {
      if ((err as { status?: number }).status !== 404) throw err;
      return false;
    }
  };
  for (let i = 0; i < services.length; i += SERVICE_FETCHES_AT_ONCE) {
    const batch = services.slice(i, i + SERVICE_FETCHES_AT_ONCE);
    const found = await Promise.all(batch.map((svc) => inService(svc.sid)));
    const at = found.indexOf(true);
    if (at >= 0) return batch[at]!;
  }
  return null;
}

/**
 * The account's Conversations address configurations (conversations v1 /v1/Configuration/Addresses): one request
 * (a page of 50; more pages only when there are more). 'unknown' when Conversations answers 401/403/404 (no
 * access, or not enabled on the account): never fatal.
 */
async function addressesOf(client: TwilioClient): Promise<ConversationsAddress[] | 'unknown'> {
  try {
    const list = await client.conversations.v1.addressConfigurations.list({ pageSize: 50, limit: 1000 });
    return list.map((c) => {
      const a = (c.autoCreation ?? {}) as {
        enabled?: boolean;
        type?: string;
        conversation_service_sid?: string | null;
        webhook_url?: string | null;
        studio_flow_sid?: string | null;
      };
      return {
        sid: c.sid,
        address: c.address,
        enabled: a.enabled === true,
        type: a.type ?? 'default',
        conversationServiceSid: a.conversation_service_sid ?? null,
        webhookUrl: a.webhook_url ?? null,
        studioFlowSid: a.studio_flow_sid ?? null,
      };
    });
  } catch (err) {
    if ([401, 403, 404].includes((err as { status?: number }).status ?? 0)) return 'unknown';
    throw err;
  }
}

/** The number's WhatsApp sender: sender_id is exactly whatsapp:+E164. */
export async function senderOf(client: TwilioClient, phoneNumber: string) {
  try {
    const senders = await client.messaging.v2.channelsSenders.list({ channel: 'whatsapp', limit: 1000 });
    return senders.find((s) => s.senderId === `whatsapp:${phoneNumber}`) ?? null;
  } catch (err) {
    // An account without WhatsApp (or without access to the Senders API) has no sender.
    if ([403, 404].includes((err as { status?: number }).status ?? 0)) return null;
    throw err;
  }
}
