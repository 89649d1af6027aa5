import { createHash } from 'node:crypto';
import { whatsAppNumber } from '../phone.js';
import { isCallbackUrl } from './core.js';
import { apiErrors, TwilioApiError } from './errors.js';
import { iso8601 } from './ids.js';
import { MESSAGING_ORIGIN, metaPage, senderJson, serviceJson, servicePhoneNumberJson } from './resources.js';
import { methodParam, ok, type RouteContext, type RouteDefinition, urlParam } from './route-kit.js';
import {
  addNumberToService,
  defined,
  newSender,
  newService,
  type SenderFields,
  type ServiceFields,
} from './topology.js';
import type { EmulatorSender, EmulatorService, SenderMethod } from './types.js';

/** Messaging v1 (Services and their PhoneNumbers) and v2 (Channels/Senders), on the emulator's one origin. */

export const messagingRoutes: RouteDefinition[] = [
  {
    method: 'GET',
    path: '/v1/Services',
    handle: ({ core, path, query }) => {
      const services = [...core.state.services.values()].sort(byCreation);
      return ok(metaPage({ path, query }, 'services', services, (s) => serviceJson(core.state.account.sid, s)));
    },
  },
  {
    method: 'POST',
    path: '/v1/Services',
    handle: ({ core, form }) => {
      const fields = serviceParams(form);
      if (!form.get('FriendlyName'))
        throw apiErrors.invalidParameter('FriendlyName is required to create a Messaging Service');
      const service = newService(fields, undefined, core.now());
      core.state.saveService(service);
      return { status: 201, body: serviceJson(core.state.account.sid, service) };
    },
  },
  {
    method: 'GET',
    path: '/v1/Services/{Sid}',
    handle: (ctx) => ok(serviceJson(ctx.core.state.account.sid, findService(ctx, ctx.params.Sid!))),
  },
  {
    method: 'POST',
    path: '/v1/Services/{Sid}',
    handle: (ctx) => {
      const service = findService(ctx, ctx.params.Sid!);
      const updated: EmulatorService = { ...service, ...defined(serviceParams(ctx.form)), dateUpdated: ctx.core.now() };
      ctx.core.state.saveService(updated);
      return ok(serviceJson(ctx.core.state.account.sid, updated));
    },
  },
  {
    method: 'DELETE',
    path: '/v1/Services/{Sid}',
    handle: (ctx) => {
      ctx.core.state.deleteService(findService(ctx, ctx.params.Sid!).sid);
      return { status: 204, body: undefined };
    },
  },
  {
    method: 'GET',
    path: '/v1/Services/{ServiceSid}/PhoneNumbers',
    handle: (ctx) => {
      const service = findService(ctx, ctx.params.ServiceSid!);
      const numbers = service.phoneNumberSids
        .map((sid) => ctx.core.state.numbers.get(sid))
        .filter((n) => n !== undefined);
      return ok(
        metaPage({ path: ctx.path, query: ctx.query }, 'phone_numbers', numbers, (n) =>
          servicePhoneNumberJson(ctx.core.state.account.sid, service.sid, n, addedAt(service, n.sid)),
        ),
      );
    },
  },
  {
    method: 'GET',
    path: '/v1/Services/{ServiceSid}/ShortCodes',
    handle: (ctx) => {
      const service = findService(ctx, ctx.params.ServiceSid!);
      const account = ctx.core.state.account.sid;
      const codes = (service.shortCodes ?? []).map((code) => ({ sid: stableSid('SC', service.sid, code), code }));
      return ok(
        metaPage({ path: ctx.path, query: ctx.query }, 'short_codes', codes, (c) => ({
          sid: c.sid,
          account_sid: account,
          service_sid: service.sid,
          date_created: iso8601(service.dateCreated),
          date_updated: iso8601(service.dateUpdated),
          short_code: c.code,
          country_code: 'US',
          capabilities: ['SMS'],
          url: `${MESSAGING_ORIGIN}/v1/Services/${service.sid}/ShortCodes/${c.sid}`,
        })),
      );
    },
  },
  {
    method: 'GET',
    path: '/v1/Services/{MessagingServiceSid}/ChannelSenders',
    handle: (ctx) => {
      const service = findService(ctx, ctx.params.MessagingServiceSid!);
      const account = ctx.core.state.account.sid;
      const senders = (service.channelSenders ?? []).map((sender) => ({
        sid: stableSid('XE', service.sid, sender),
        sender,
      }));
      return ok(
        metaPage({ path: ctx.path, query: ctx.query }, 'senders', senders, (x) => ({
          account_sid: account,
          messaging_service_sid: service.sid,
          sid: x.sid,
          sender: x.sender,
          sender_type: x.sender.startsWith('rcs:') ? 'RCS' : 'Messenger',
          country_code: null,
          date_created: iso8601(service.dateCreated),
          date_updated: iso8601(service.dateUpdated),
          url: `${MESSAGING_ORIGIN}/v1/Services/${service.sid}/ChannelSenders/${x.sid}`,
        })),
      );
    },
  },
  {
    method: 'POST',
    path: '/v1/Services/{ServiceSid}/PhoneNumbers',
    handle: (ctx) => {
      const service = findService(ctx, ctx.params.ServiceSid!);
      const numberSid = ctx.form.get('PhoneNumberSid') ?? '';
      if (!/^PN[0-9a-fA-F]{32}$/.test(numberSid))
        throw apiErrors.invalidParameter('PhoneNumberSid must be PN followed by 32 hex digits');
      const number = ctx.core.state.numbers.get(numberSid);
      if (!number) throw new TwilioApiError(400, 21452, `Phone Number ${numberSid} is not a number of this account`);
      const outcome = addNumberToService(ctx.core.state, service, number);
      if (outcome === 'elsewhere') {
        throw new TwilioApiError(
          409,
          21710,
          `Phone Number ${number.phoneNumber} is already in another Messaging Service`,
        );
      }
      const now = ctx.core.state.services.get(service.sid)!;
      return {
        status: outcome === 'added' ? 201 : 200,
        body: servicePhoneNumberJson(ctx.core.state.account.sid, service.sid, number, addedAt(now, number.sid)),
      };
    },
  },
  {
    method: 'GET',
    path: '/v1/Services/{ServiceSid}/PhoneNumbers/{Sid}',
    handle: (ctx) => {
      const service = findService(ctx, ctx.params.ServiceSid!);
      const number = ctx.core.state.numbers.get(ctx.params.Sid!);
      if (!number || !service.phoneNumberSids.includes(number.sid)) throw apiErrors.notFound(ctx.path);
      return ok(servicePhoneNumberJson(ctx.core.state.account.sid, service.sid, number, addedAt(service, number.sid)));
    },
  },
  {
    method: 'DELETE',
    path: '/v1/Services/{ServiceSid}/PhoneNumbers/{Sid}',
    handle: (ctx) => {
      const service = findService(ctx, ctx.params.ServiceSid!);
      const sid = ctx.params.Sid!;
      if (!service.phoneNumberSids.includes(sid)) throw apiErrors.notFound(ctx.path);
      const { [sid]: _gone, ...rest } = service.phoneNumberAddedAt;
      ctx.core.state.saveService({
        ...service,
        phoneNumberSids: service.phoneNumberSids.filter((x) => x !== sid),
        phoneNumberAddedAt: rest,
        dateUpdated: ctx.core.now(),
      });
      return { status: 204, body: undefined };
    },
  },
  {
    method: 'GET',
    path: '/v2/Channels/Senders',
    handle: ({ core, path, query }) => {
      const channel = query.get('Channel');
      if (channel === null) throw apiErrors.invalidParameter('Channel is required (whatsapp)');
      const senders = [...core.state.senders.values()]
        .filter((x) => x.senderId.startsWith(`${channel.toLowerCase()}:`))
        .sort(byCreation);
      return ok(metaPage({ path, query, filters: [['Channel', channel]] }, 'senders', senders, senderJson));
    },
  },
  {
    method: 'POST',
    path: '/v2/Channels/Senders',
    handle: ({ core, json }) => {
      const body = jsonObject(json);
      const senderId = body.sender_id;
      const n = typeof senderId === 'string' ? whatsAppNumber(senderId) : null;
      const m = n ? ([senderId as string, n] as const) : null;
      if (!m) throw apiErrors.invalidParameter(`sender_id must be whatsapp:+E164, got ${JSON.stringify(senderId)}`);
      if (!core.state.findNumber(m[1]!))
        throw apiErrors.invalidParameter(`sender_id ${senderId}: ${m[1]} is not a number of this account`);
      if (core.state.senderOfNumber(m[1]!))
        throw new TwilioApiError(409, 63113, `A sender already exists for ${senderId}`);
      const sender = newSender(
        senderId as string,
        {
          ...senderFields(body),
          configuration:
            body.configuration === undefined
              ? null
              : (jsonObject(body.configuration, 'configuration') as Record<string, unknown>),
        },
        undefined,
        core.now(),
      );
      core.state.saveSender(sender);
      return { status: 202, body: senderJson(sender) };
    },
  },
  {
    method: 'GET',
    path: '/v2/Channels/Senders/{Sid}',
    handle: (ctx) => ok(senderJson(findSender(ctx))),
  },
  {
    method: 'POST',
    path: '/v2/Channels/Senders/{Sid}',
    handle: (ctx) => {
      const sender = findSender(ctx);
      const body = jsonObject(ctx.json ?? {});
      const updated: EmulatorSender = { ...sender, ...defined(senderFields(body)), dateUpdated: ctx.core.now() };
      ctx.core.state.saveSender(updated);
      return { status: 202, body: senderJson(updated) };
    },
  },
  {
    method: 'DELETE',
    path: '/v2/Channels/Senders/{Sid}',
    handle: (ctx) => {
      ctx.core.state.deleteSender(findSender(ctx).sid);
      return { status: 204, body: undefined };
    },
  },
];

function byCreation(a: { dateCreated: Date }, b: { dateCreated: Date }): number {
  return a.dateCreated.getTime() - b.dateCreated.getTime();
}

function addedAt(service: EmulatorService, numberSid: string): Date {
  const at = service.phoneNumberAddedAt[numberSid];
  return at ? new Date(at) : service.dateUpdated;
}

/** A SID that stays the same for one service's one short code or channel sender (the topology names no SID). */
function stableSid(prefix: 'SC' | 'XE', serviceSid: string, value: string): string {
  return prefix + createHash('sha256').update(`${serviceSid}|${value}`).digest('hex').slice(0, 32);
}

function findService(ctx: RouteContext, sid: string): EmulatorService {
  const service = ctx.core.state.services.get(sid);
  if (!service) throw apiErrors.notFound(ctx.path);
  return service;
}

function findSender(ctx: RouteContext): EmulatorSender {
  const sender = ctx.core.state.senders.get(ctx.params.Sid!);
  if (!sender) throw apiErrors.notFound(ctx.path);
  return sender;
}

function serviceParams(form: URLSearchParams): ServiceFields {
  const flag = form.get('UseInboundWebhookOnNumber');
  if (flag !== null && flag !== 'true' && flag !== 'false')
    throw apiErrors.invalidParameter('UseInboundWebhookOnNumber must be true or false');
  return {
    friendlyName: form.get('FriendlyName') ?? undefined,
    inboundRequestUrl: urlParam(form, 'InboundRequestUrl'),
    inboundMethod: methodParam(form, 'InboundMethod'),
    fallbackUrl: urlParam(form, 'FallbackUrl'),
    fallbackMethod: methodParam(form, 'FallbackMethod'),
    statusCallback: urlParam(form, 'StatusCallback'),
    useInboundWebhookOnNumber: flag === null ? undefined : flag === 'true',
  };
}

function jsonObject(value: unknown, name = 'the request body'): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw apiErrors.invalidParameter(`${name} must be a JSON object`);
  return value as Record<string, unknown>;
}

/** The `webhook` and `profile` objects of a create or update body; '' or null clears a URL, as on Twilio. */
function senderFields(body: Record<string, unknown>): SenderFields {
  const webhook = body.webhook === undefined || body.webhook === null ? {} : jsonObject(body.webhook, 'webhook');
  const profile = body.profile === undefined || body.profile === null ? {} : jsonObject(body.profile, 'profile');
  return {
    callbackUrl: jsonUrl(webhook, 'callback_url'),
    callbackMethod: jsonMethod(webhook, 'callback_method'),
    fallbackUrl: jsonUrl(webhook, 'fallback_url'),
    fallbackMethod: jsonMethod(webhook, 'fallback_method'),
    statusCallbackUrl: jsonUrl(webhook, 'status_callback_url'),
    profileName: profile.name === undefined ? undefined : String(profile.name ?? ''),
  };
}

function jsonUrl(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (v === null || v === '') return '';
  if (typeof v !== 'string' || !isCallbackUrl(v)) throw apiErrors.invalidUrl(`webhook.${key}`, String(v));
  return v;
}

/** The spec's enum for a sender's webhook methods: POST or PUT, kept and answered as given (routeInbound says how PUT is delivered). */
function jsonMethod(o: Record<string, unknown>, key: string): SenderMethod | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  const upper = String(v).toUpperCase();
  if (upper !== 'POST' && upper !== 'PUT')
    throw apiErrors.invalidParameter(`webhook.${key} must be POST or PUT, not ${String(v)}`);
  return upper;
}
