import { defaultMessagingServiceSid } from '../twilio/inbound-form.js';
import { type EmulatorState, SANDBOX_NUMBER } from './state.js';
import type { EmulatorNumber, HttpMethod, InboundLayer, SenderMethod } from './types.js';

/** Where one inbound message goes: the layer that decided, its SID and the URLs it configures. */
export interface InboundRoute {
  layer: InboundLayer;
  /** MG… / AP… / PN… / XE…, or null for the Sandbox and a dropped message. */
  sid: string | null;
  /** '' when the winning layer has no URL (the message is logged, no webhook is called). */
  url: string;
  method: HttpMethod;
  fallbackUrl: string;
  fallbackMethod: HttpMethod;
  /**
   * The service the number belongs to, even when the number's own webhook wins: Twilio still reports it; for a
   * number in no service, the account's default one (defaultMessagingServiceSid). Null for the Sandbox.
   */
  messagingServiceSid: string | null;
}

/**
 * THE inbound routing rule: every inbound delivery (the library, the control API, a message between two of our
 * own numbers) asks this one function. Precedence, as Twilio's OpenAPI specs state it:
 *  1. Messaging Service of the number: its inbound_request_url, unless use_inbound_webhook_on_number is true;
 *     a null inbound_request_url drops the message ("will not be logged").
 *  2. TwiML App of the number (sms_application_sid): "we ignore all sms_*_url values and use those of the app".
 *  3. The number's own SmsUrl / SmsMethod / SmsFallbackUrl.
 *  4. WhatsApp: a WhatsApp sender of the number (webhook.callback_url).
 *  5. The WhatsApp Sandbox (+14155238886): the URL set in the Console.
 * Where the specs are silent, the rule below is OUR READING, marked "our reading", to be corrected here only:
 *  - a WhatsApp message to a number in a service follows the service like SMS does (a sender "attached" to a
 *    service is one whose number is in the service); with use_inbound_webhook_on_number it goes to the number's
 *    own layers, the sender first;
 *  - a WhatsApp sender with no callback_url does not take the message: the number's app or SmsUrl does;
 *  - a service that defers to the number with a null inbound URL does not drop: the number decides;
 *  - Conversations (conversations v1 /v1/Configuration/Addresses): an address configuration whose
 *    auto_creation is enabled, for the address the message is to (`+1…` on SMS, `whatsapp:+1…` on WhatsApp),
 *    takes the message INSTEAD of every layer above (service, sender, app, SmsUrl): Conversations creates a
 *    conversation message and posts its own webhooks (not modelled: the emulator logs the message and calls no
 *    messaging webhook). A disabled one, or one for the other channel's address, changes nothing.
 * Returns undefined when `to` is neither one of the account's numbers nor the Sandbox (on WhatsApp).
 */
export function routeInbound(state: EmulatorState, toNumber: string, whatsapp: boolean): InboundRoute | undefined {
  if (whatsapp && toNumber === SANDBOX_NUMBER && !state.findNumber(toNumber)) {
    const s = state.sandbox;
    return {
      layer: 'sandbox',
      sid: null,
      url: s.inboundUrl,
      method: s.inboundMethod,
      fallbackUrl: '',
      fallbackMethod: 'POST',
      messagingServiceSid: null,
    };
  }
  const number = state.findNumber(toNumber);
  if (!number) return undefined;
  const service = state.serviceOfNumber(number.sid);
  const messagingServiceSid = service?.sid ?? defaultMessagingServiceSid(state.account.sid);
  const conversations = state.addressConfigurationOf(whatsapp ? `whatsapp:${number.phoneNumber}` : number.phoneNumber);
  if (conversations?.autoCreation.enabled) {
    return {
      layer: 'conversations',
      sid: conversations.sid,
      url: '',
      method: 'POST',
      fallbackUrl: '',
      fallbackMethod: 'POST',
      messagingServiceSid,
    };
  }
  if (service && !service.useInboundWebhookOnNumber) {
    if (!service.inboundRequestUrl) {
      return {
        layer: 'dropped',
        sid: service.sid,
        url: '',
        method: service.inboundMethod,
        fallbackUrl: '',
        fallbackMethod: 'POST',
        messagingServiceSid,
      };
    }
    return {
      layer: 'messaging_service',
      sid: service.sid,
      url: service.inboundRequestUrl,
      method: service.inboundMethod,
      fallbackUrl: service.fallbackUrl,
      fallbackMethod: service.fallbackMethod,
      messagingServiceSid,
    };
  }
  if (whatsapp) {
    const sender = state.senderOfNumber(number.phoneNumber);
    if (sender?.callbackUrl) {
      return {
        layer: 'whatsapp_sender',
        sid: sender.sid,
        url: sender.callbackUrl,
        method: senderDeliveryMethod(sender.callbackMethod),
        fallbackUrl: sender.fallbackUrl,
        fallbackMethod: senderDeliveryMethod(sender.fallbackMethod),
        messagingServiceSid,
      };
    }
  }
  return { ...numberLayer(state, number), messagingServiceSid };
}

/**
 * An inbound message to one of a Messaging Service's own non-phone senders (a short code of its ShortCodes, an
 * `rcs:`/`messenger:` address of its ChannelSenders): the service's inbound URL takes it, as for its numbers (our
 * reading: no number, so no number layer to defer to; a null inbound URL drops it). Undefined: no service has it.
 */
export function routeToServiceSender(state: EmulatorState, to: string): InboundRoute | undefined {
  const service = [...state.services.values()].find(
    (s) => (s.shortCodes ?? []).includes(to) || (s.channelSenders ?? []).includes(to),
  );
  if (!service) return undefined;
  return {
    layer: service.inboundRequestUrl ? 'messaging_service' : 'dropped',
    sid: service.sid,
    url: service.inboundRequestUrl,
    method: service.inboundMethod,
    fallbackUrl: service.inboundRequestUrl ? service.fallbackUrl : '',
    fallbackMethod: service.inboundRequestUrl ? service.fallbackMethod : 'POST',
    messagingServiceSid: service.sid,
  };
}

/** Our reading: a sender's webhook set to PUT gets the same signed form as POST, sent with POST. */
function senderDeliveryMethod(method: SenderMethod): HttpMethod {
  return method === 'PUT' ? 'POST' : method;
}

function numberLayer(state: EmulatorState, number: EmulatorNumber): Omit<InboundRoute, 'messagingServiceSid'> {
  const app = number.smsApplicationSid ? state.applications.get(number.smsApplicationSid) : undefined;
  if (app) {
    return {
      layer: 'application',
      sid: app.sid,
      url: app.smsUrl,
      method: app.smsMethod,
      fallbackUrl: app.smsFallbackUrl,
      fallbackMethod: app.smsFallbackMethod,
    };
  }
  return {
    layer: 'number',
    sid: number.sid,
    url: number.smsUrl,
    method: number.smsMethod,
    fallbackUrl: number.smsFallbackUrl,
    fallbackMethod: number.smsFallbackMethod,
  };
}

/**
 * The status callback of an outbound message when the request names none. Our reading, in this order: the
 * Messaging Service the message was sent through (MessagingServiceSid, or the From number's service), the From
 * number's WhatsApp sender (status_callback_url) on WhatsApp, the Sandbox's on the Sandbox, the From number's TwiML
 * App (sms_status_callback). Twilio never uses the number's own StatusCallback for messages (it is for calls).
 */
export function defaultStatusCallback(
  state: EmulatorState,
  fromNumber: string,
  whatsapp: boolean,
  messagingServiceSid: string | null,
): string {
  const number = state.findNumber(fromNumber);
  const service =
    (messagingServiceSid && state.services.get(messagingServiceSid)) || (number && state.serviceOfNumber(number.sid));
  if (service?.statusCallback) return service.statusCallback;
  if (whatsapp && fromNumber === SANDBOX_NUMBER && !number) return state.sandbox.statusCallback;
  if (whatsapp) {
    const sender = state.senderOfNumber(fromNumber);
    if (sender?.statusCallbackUrl) return sender.statusCallbackUrl;
  }
  const app = number?.smsApplicationSid ? state.applications.get(number.smsApplicationSid) : undefined;
  return app?.smsStatusCallback ?? '';
}

/**
 * IncomingPhoneNumbers' `PhoneNumber` filter: "You can specify partial numbers and use '*' as a wildcard for any
 * digit." Our reading of "partial": the filter's digits (and `*`) appear anywhere in the number, in order and
 * together; any other character (`+`, spaces, dashes) is ignored on both sides.
 */
export function matchesPhoneNumberFilter(phoneNumber: string, filter: string): boolean {
  const wanted = filter.replace(/[^\d*]/g, '');
  if (!wanted) return true;
  const pattern = new RegExp(wanted.replace(/\*/g, '\\d'));
  return pattern.test(phoneNumber.replace(/\D/g, ''));
}

export { defaultMessagingServiceSid };
