import { z } from 'zod';
import { CliError, usageError } from '../errors.js';
import type { CoreDeps } from '../operations/deps.js';
import { getEvent, listEvents, waitForEvent } from '../operations/events.js';
import {
  DEFAULT_MESSAGES_LIMIT,
  getConfigMessage,
  listConfigMessages,
  MAX_MESSAGES_LIMIT,
} from '../operations/messages.js';
import { sendFromConfig, sendOutcomeError } from '../operations/send.js';
import { simulateInbound } from '../operations/simulate.js';
import { waitForReply } from '../operations/wait-reply.js';
import { inspectWebhook } from '../operations/webhook-show.js';
import { configJson, listenerJson } from '../output/configs.js';
import { eventDetailJson, eventJson } from '../output/events.js';
import { historyMessageJson, messageDetailJson, messageJson } from '../output/messages.js';
import { alertJson } from '../output/tail.js';
import { webhookShowJson, webhookVerdict } from '../output/webhook.js';
import { channelOf, withoutWhatsAppPrefix } from '../phone.js';
import { DEFAULT_EVENTS_LIMIT, MAX_EVENTS_LIMIT } from '../store/events.js';
import { isLeaseAlive } from '../store/index.js';
import { alertFix, describeAlert } from '../twilio/alerts.js';
import { MAX_MEDIA_PER_MESSAGE } from '../twilio/inbound-form.js';
import { checkBodyLength, MAX_BODY } from '../twilio/send-rules.js';
import { checkE164, checkHttpUrl, durationBefore, MESSAGE_SID } from '../validate.js';
import { checkSend, type SendPolicy, sendPolicy, sendRulesText, UNTRUSTED_TEXT, withUntrusted } from './guard.js';

/**
 * The agent tools: each one parses its arguments and calls the same core function as its command (never
 * printing); server.ts turns what it returns, or the CliError it throws, into a tool result. Tool names,
 * argument names and the shapes of results are a contract (README, MCP section).
 */

/** An optional whole-number `limit` from 1 to `max`, with the one error text every tool gives. */
/** A not-found error of a core whose hint names a CLI command, with the hint naming the MCP tool instead. */
async function withToolHint<T>(run: () => T | Promise<T>, hint: string): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof CliError && err.reason === 'not_found')
      throw new CliError(err.message, { exitCode: err.exitCode, reason: err.reason, hint, cause: err });
    throw err;
  }
}

function limitArg(max: number, deflt: number) {
  const error = `must be a whole number from 1 to ${max}`;
  return z
    .number({ error })
    .int({ error })
    .min(1, { error })
    .max(max, { error })
    .optional()
    .describe(`how many (default ${deflt})`);
}

/** The operations' dependencies (the command context's), and `mcp --config NAME`: the config of a call that names none. */
export interface ToolDeps extends CoreDeps {
  defaultConfig?: string;
  /** What send_message may spend in this server run (guard.ts); default: the defaults, counted from here. */
  sendPolicy?: SendPolicy;
}

export interface ToolContext {
  /** Aborted when the client cancels the call. */
  signal: AbortSignal;
}

/** A successful result is an object (the structured content); `failure` makes it an error result with this error's message and fix. */
export type ToolValue = Record<string, unknown> & { failure?: CliError };

export interface ToolDef {
  name: string;
  title: string;
  description: string;
  input: z.ZodObject;
  annotations: { readOnlyHint: boolean; destructiveHint?: boolean; idempotentHint?: boolean; openWorldHint: boolean };
  /** Said after the description: what this server run allows (send_message's limits). */
  rules?(deps: ToolDeps): string;
  // biome-ignore lint/suspicious/noExplicitAny: each tool's zod schema (`input`) has parsed args before run is called
  run(args: any, deps: ToolDeps, ctx: ToolContext): Promise<ToolValue>;
}

/** The longest a tool waits (send_message's wait, wait_for_message): MCP clients give up on a call long before. */
export const MAX_WAIT_S = 600;
export const DEFAULT_WAIT_S = 30;

const configArg = z
  .string({ error: 'must be a config name (see list_configs)' })
  .min(1, { error: 'must be a config name (see list_configs)' })
  .optional()
  .describe("config name (list_configs); default: the server's --config, else the default config");
const channelArg = z.enum(['sms', 'whatsapp'], { error: 'must be "sms" or "whatsapp"' });
const seconds = (what: string) =>
  z
    .number({ error: `must be a number of seconds (${what})` })
    .positive({ error: 'must be more than 0 seconds' })
    .max(MAX_WAIT_S, { error: `must be at most ${MAX_WAIT_S} seconds` });
const mediaArg = (max: number) =>
  z
    .array(z.string({ error: 'must be an http(s) URL' }), { error: 'must be an array of http(s) URLs' })
    .max(max, { error: `takes at most ${max} URLs, as Twilio allows` });

function configOf(args: { config?: string }, deps: ToolDeps): string | undefined {
  return args.config ?? deps.defaultConfig;
}

function policyOf(deps: ToolDeps): SendPolicy {
  deps.sendPolicy ??= sendPolicy();
  return deps.sendPolicy;
}

function checkMedia(urls: string[] | undefined): string[] {
  return (urls ?? []).map((u, i) => checkHttpUrl(`media_urls[${i}]`, u));
}

export const tools: ToolDef[] = [
  {
    name: 'list_configs',
    title: 'List Twilio configs',
    description:
      'List the stored Twilio configs (name, From number, channels, which is the default, whether a listen runs for it); never returns a secret. Use a name as the `config` argument of the other tools.',
    input: z.strictObject({}),
    annotations: { readOnlyHint: true, openWorldHint: false },
    async run(_args, deps) {
      const store = deps.store;
      const configs = store.configs.list().map((c) => {
        const lease = store.leases.get(c.id);
        return {
          ...configJson(c),
          channels: ['sms', 'whatsapp'],
          listener: lease ? listenerJson(lease, isLeaseAlive(lease)) : null,
        };
      });
      return {
        configs,
        default: store.configs.defaultConfig()?.name ?? null,
        server_default: deps.defaultConfig ?? null,
      };
    },
  },
  {
    name: 'send_message',
    title: 'Send an SMS or WhatsApp message',
    description:
      "Send a message from the config's verified From number to an E.164 number or a participant name; with wait=true, poll until it is delivered, read, undelivered or failed (error code and fix) or the wait times out.",
    rules: (deps) => sendRulesText(policyOf(deps)),
    input: z.strictObject({
      to: z
        .string({ error: 'must be an E.164 number like +14155238886 or a participant name' })
        .min(1, { error: 'must be an E.164 number like +14155238886 or a participant name' })
        .describe('recipient: E.164 number (+14155550123) or a participant name'),
      body: z
        .string({ error: 'must be the message text' })
        .max(MAX_BODY, { error: `must be at most ${MAX_BODY} characters` })
        .describe(`message text, at most ${MAX_BODY} characters (may be empty with media_urls)`),
      channel: channelArg.optional().describe("sms or whatsapp; default: the participant's channel, else sms"),
      media_urls: mediaArg(MAX_MEDIA_PER_MESSAGE).optional().describe('public http(s) URLs of media to attach'),
      content_sid: z
        .string({ error: 'must be a Content API template SID: HX followed by 32 hex digits' })
        .regex(/^HX[0-9a-fA-F]{32}$/, { error: 'must be a Content API template SID: HX followed by 32 hex digits' })
        .optional()
        .describe(
          'send this Content API template (HX…) instead of body (leave body ""); on WhatsApp outside the 24-hour window only an approved template goes out',
        ),
      content_variables: z
        .record(z.string(), z.union([z.string().min(1), z.number()]), {
          error: 'must be an object of non-empty template variables, like {"1": "Ann"}',
        })
        .optional()
        .describe('with content_sid: the template\'s {{1}}-style variables, like {"1": "Ann"}'),
      config: configArg,
      wait: z
        .boolean({ error: 'must be true or false' })
        .optional()
        .describe('wait for a final status (default false; true when wait_timeout_s is given)'),
      wait_timeout_s: seconds(`default ${DEFAULT_WAIT_S}`)
        .optional()
        .describe(`with wait: give up after this many seconds (default ${DEFAULT_WAIT_S}, at most ${MAX_WAIT_S})`),
    }),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    async run(
      args: {
        to: string;
        body: string;
        channel?: 'sms' | 'whatsapp';
        media_urls?: string[];
        content_sid?: string;
        content_variables?: Record<string, string | number>;
        config?: string;
        wait?: boolean;
        wait_timeout_s?: number;
      },
      deps,
      ctx,
    ) {
      const mediaUrls = checkMedia(args.media_urls);
      if (args.content_variables !== undefined && args.content_sid === undefined)
        throw usageError('content_variables needs content_sid (the template they fill in)');
      if (args.content_sid !== undefined && (args.body.trim() !== '' || mediaUrls.length > 0))
        throw usageError('content_sid sends the template as it is: leave body "" and drop media_urls');
      if (args.body.trim() === '' && mediaUrls.length === 0 && args.content_sid === undefined)
        throw usageError('body is empty: give the message text (or attach media_urls, or send a content_sid)');
      checkBodyLength('body', args.body);
      await checkSend(deps, policyOf(deps), { to: args.to, config: configOf(args, deps) });
      const wait = args.wait ?? args.wait_timeout_s !== undefined;
      const timeoutMs = Math.round((args.wait_timeout_s ?? DEFAULT_WAIT_S) * 1000);
      const r = await sendFromConfig(deps, {
        to: args.to,
        body: args.body,
        mediaUrls,
        statusCallback: null,
        config: configOf(args, deps),
        channel: args.channel,
        contentSid: args.content_sid,
        contentVariables:
          args.content_variables &&
          Object.fromEntries(Object.entries(args.content_variables).map(([k, v]) => [k, String(v)])),
        wait: wait ? { timeoutMs, signal: ctx.signal } : undefined,
      });
      const message = messageJson(r.message, { config: r.config.name, participant: r.participant?.name ?? null });
      if (!r.waited) return { outcome: 'sent', message };
      const failure = sendOutcomeError(r.waited, timeoutMs, { cancelled: ctx.signal.aborted });
      if (!failure) return { outcome: r.message.status, message };
      if (r.waited.timedOut) {
        const hint = `the message keeps going: look later with get_message (sid ${r.message.sid}), or wait longer with wait_timeout_s`;
        return { outcome: 'timeout', timed_out: true, detail: failure.message, hint, message };
      }
      return { outcome: r.message.status, message, failure };
    },
  },
  {
    name: 'list_messages',
    title: "List the number's messages",
    description:
      "List the newest messages to and from the config's number (SMS and WhatsApp) from Twilio's message log, newest first." +
      UNTRUSTED_TEXT,
    input: z.strictObject({
      config: configArg,
      direction: z
        .enum(['in', 'out'], { error: 'must be "in" or "out"' })
        .optional()
        .describe('in: received by the number; out: sent from it; default both'),
      limit: limitArg(MAX_MESSAGES_LIMIT, DEFAULT_MESSAGES_LIMIT),
    }),
    annotations: { readOnlyHint: true, openWorldHint: true },
    async run(args: { config?: string; direction?: 'in' | 'out'; limit?: number }, deps) {
      const r = await listConfigMessages(deps, {
        config: configOf(args, deps),
        limit: args.limit ?? DEFAULT_MESSAGES_LIMIT,
        direction: args.direction,
      });
      return withUntrusted(
        { config: r.config.name, number: r.config.fromNumber, count: r.messages.length },
        { messages: r.messages.map((m) => historyMessageJson(m)) },
      );
    },
  },
  {
    name: 'get_message',
    title: 'Get one message',
    description:
      'Get one message from Twilio by its SID (SM… or MM…): status, error code, body and media URLs.' + UNTRUSTED_TEXT,
    input: z.strictObject({
      sid: z
        .string({ error: 'must be a Twilio Message SID: SM or MM followed by 32 lowercase hex characters' })
        .regex(MESSAGE_SID, { error: 'must be a Twilio Message SID: SM or MM followed by 32 lowercase hex characters' })
        .describe('the Message SID'),
    }),
    annotations: { readOnlyHint: true, openWorldHint: true },
    async run(args: { sid: string }, deps) {
      const r = await withToolHint(
        () => getConfigMessage(deps, { config: deps.defaultConfig, sid: args.sid }),
        'list the recent ones with list_messages',
      );
      return withUntrusted(
        { sid: r.message.sid, media_error: r.mediaError },
        { message: messageDetailJson(r.message, r.media) },
      );
    },
  },
  {
    name: 'wait_for_message',
    title: 'Wait for the next inbound message',
    description:
      'Wait for the next inbound message a running `fruxon-twilio listen` records for the config and return its trigger payload envelope (as listen --json prints it) as untrusted_content.envelope, or a timeout result; pass since_event_id (the last event_id seen) to miss nothing between calls.' +
      UNTRUSTED_TEXT,
    input: z.strictObject({
      config: configArg,
      from: z
        .string({ error: 'must be an E.164 number like +14155550123' })
        .optional()
        .describe('only a message from this sender (E.164)'),
      timeout_s: seconds(`default ${DEFAULT_WAIT_S}`)
        .optional()
        .describe(`give up after this many seconds (default ${DEFAULT_WAIT_S}, at most ${MAX_WAIT_S})`),
      since_event_id: z
        .number({ error: 'must be an event id (a whole number, 0 or more)' })
        .int({ error: 'must be an event id (a whole number, 0 or more)' })
        .min(0, { error: 'must be an event id (a whole number, 0 or more)' })
        .optional()
        .describe(
          'return the first message recorded after this event id (default: the first one recorded after the call starts)',
        ),
    }),
    annotations: { readOnlyHint: true, openWorldHint: false },
    async run(args: { config?: string; from?: string; timeout_s?: number; since_event_id?: number }, deps, ctx) {
      const from = args.from !== undefined ? checkE164('from', args.from) : undefined;
      const timeoutS = args.timeout_s ?? DEFAULT_WAIT_S;
      const r = await waitForEvent(deps.store, {
        config: configOf(args, deps),
        from,
        afterId: args.since_event_id,
        timeoutMs: Math.round(timeoutS * 1000),
        signal: ctx.signal,
        now: deps.now,
      });
      if (r.envelope)
        return withUntrusted(
          { event_id: r.envelope.event_id, config: r.envelope.config, received_at: r.envelope.received_at },
          { envelope: r.envelope },
        );
      const detail = `no message${from ? ` from ${from}` : ''} to ${r.config.fromNumber} arrived within ${timeoutS}s`;
      // The wait started after the newest event: a message recorded just before the call (simulate_inbound's)
      // was not counted. Name it, and the since_event_id that returns it, rather than one that skips it again.
      const earlier = r.earlier;
      return {
        timed_out: true,
        config: r.config.name,
        since_event_id: r.afterId,
        detail: earlier
          ? `${detail}; the message of event ${earlier.id} (from ${earlier.from}) was recorded before this call, so it was not counted`
          : detail,
        ...(earlier && { earlier_event_id: earlier.id }),
        hint: earlier
          ? `read it with get_event ${earlier.id}, or call wait_for_message with since_event_id ${earlier.id - 1} to get it`
          : `call wait_for_message again with since_event_id ${r.afterId} to miss nothing`,
      };
    },
  },
  {
    name: 'list_events',
    title: 'List recorded events',
    description:
      'List what listen recorded (accepted messages with their trigger payload, refused requests with the reason), newest first.' +
      UNTRUSTED_TEXT,
    input: z.strictObject({
      config: configArg,
      status: z
        .enum(['accepted', 'refused'], { error: 'must be "accepted" or "refused"' })
        .optional()
        .describe('default: both'),
      limit: limitArg(MAX_EVENTS_LIMIT, DEFAULT_EVENTS_LIMIT),
      since: z
        .string({ error: 'must be a duration like 30s, 15m, 2h or 7d' })
        .optional()
        .describe('only events received within this long: 30s, 15m, 2h, 7d'),
    }),
    annotations: { readOnlyHint: true, openWorldHint: false },
    async run(args: { config?: string; status?: 'accepted' | 'refused'; limit?: number; since?: string }, deps) {
      const since = args.since !== undefined ? durationBefore('since', args.since, deps.now()) : undefined;
      const config = args.config ?? deps.defaultConfig;
      const rows = listEvents(deps.store, {
        config,
        status: args.status,
        since,
        limit: args.limit ?? DEFAULT_EVENTS_LIMIT,
      });
      return withUntrusted({ count: rows.length }, { events: rows.map(eventJson) });
    },
  },
  {
    name: 'get_event',
    title: 'Get one recorded event',
    description:
      'Get one recorded event in full: trigger payload, raw Twilio form, kept headers, signature check and forward outcome.' +
      UNTRUSTED_TEXT,
    input: z.strictObject({
      id: z
        .number({ error: 'must be an event id (a whole number from 1)' })
        .int({ error: 'must be an event id (a whole number from 1)' })
        .min(1, { error: 'must be an event id (a whole number from 1)' })
        .describe('event id (list_events, or event_id of a trigger envelope)'),
    }),
    annotations: { readOnlyHint: true, openWorldHint: false },
    async run(args: { id: number }, deps) {
      return withUntrusted(
        { id: args.id },
        {
          event: eventDetailJson(await withToolHint(() => getEvent(deps.store, args.id), 'list them with list_events')),
        },
      );
    },
  },
  {
    name: 'simulate_inbound',
    title: 'Simulate an inbound message',
    description:
      "Post the config's running listen the inbound-message webhook Twilio would send (signed), as if `from` had texted the number; the listener records it and fires the trigger. Returns the recorded event's event_id: get_event reads its trigger payload; wait_for_message with since_event_id event_id - 1 returns it, with since_event_id event_id the message after it.",
    input: z.strictObject({
      from: z.string({ error: 'must be an E.164 number like +14155550123' }).describe('the sender, E.164'),
      body: z
        .string({ error: 'must be the message text' })
        .optional()
        .describe('message text (default: a greeting, or empty with media_urls)'),
      channel: channelArg.optional().describe('sms (default) or whatsapp'),
      media_urls: mediaArg(MAX_MEDIA_PER_MESSAGE).optional().describe('media URLs (MediaUrlN)'),
      config: configArg,
    }),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    async run(
      args: { from: string; body?: string; channel?: 'sms' | 'whatsapp'; media_urls?: string[]; config?: string },
      deps,
    ) {
      const rawFrom = args.from.trim();
      const whatsapp = args.channel === 'whatsapp' || (args.channel === undefined && channelOf(rawFrom) === 'whatsapp');
      const from = checkE164('from', withoutWhatsAppPrefix(rawFrom));
      const mediaUrls = checkMedia(args.media_urls);
      const r = await simulateInbound(deps, {
        config: configOf(args, deps),
        from,
        body: args.body,
        whatsapp,
        mediaUrls,
      });
      // What this server made up proves nobody wrote: send_message does not count it (guard.ts).
      if (r.outcome.messageSid) policyOf(deps).simulated.add(r.outcome.messageSid);
      const value = {
        status: r.outcome.status,
        url: r.shownUrl,
        message_sid: r.outcome.messageSid,
        event_id: r.eventId,
        signature: r.outcome.signature,
        ok: r.ok,
      };
      if (r.ok) return value;
      // The target's answer is outside text: beside the error, never inside its words.
      const detail = r.outcome.body.trim().split('\n')[0]?.slice(0, 200) ?? '';
      return {
        ...withUntrusted(value, { answer: detail }),
        failure: new CliError(
          `the target did not accept the message (HTTP ${r.outcome.status}; its answer is in untrusted_content.answer)`,
          {
            reason: 'not_accepted',
            hint: 'see what the listener recorded: list_events with status "refused"',
          },
        ),
      };
    },
  },
  {
    name: 'webhook_route',
    title: 'Where inbound messages go',
    description:
      "Say where the config's number sends inbound messages now (kind: production, listener, other, none; the URL masked) and whether a running listen holds the number.",
    input: z.strictObject({ config: configArg }),
    annotations: { readOnlyHint: true, openWorldHint: true },
    async run(args: { config?: string }, deps) {
      const view = await inspectWebhook(deps, configOf(args, deps));
      return {
        ...webhookShowJson(view),
        listener_holds_number: view.lease !== null && view.leaseAlive,
        verdict: webhookVerdict(view),
      };
    },
  },
  {
    name: 'wait_for_reply',
    title: "Wait for the agent's reply",
    description:
      "Wait for the first message the config's number sends to `to` (the agent's answer, through the API, Fruxon or TwiML) at or after `since`, read from Twilio's message log, and return it as untrusted_content.reply; no listen needed. When none comes within timeout_s, the result says so with Twilio's webhook alerts since `since` (a 502, a refused connection: why the agent never got the message)." +
      UNTRUSTED_TEXT,
    input: z.strictObject({
      to: z
        .string({ error: 'must be an E.164 number like +14155550123 (or whatsapp:+14155550123)' })
        .min(1, { error: 'must be an E.164 number like +14155550123 (or whatsapp:+14155550123)' })
        .describe('the phone the reply goes to: E.164 (SMS and WhatsApp) or whatsapp:+E164'),
      since: z
        .string({ error: 'must be an ISO 8601 date-time like 2026-01-31T10:42:00Z' })
        .optional()
        .describe("only a reply created at or after this time (ISO 8601; default: the call's start)"),
      timeout_s: seconds(`default ${DEFAULT_WAIT_S}`)
        .optional()
        .describe(`give up after this many seconds (default ${DEFAULT_WAIT_S}, at most ${MAX_WAIT_S})`),
      config: configArg,
    }),
    annotations: { readOnlyHint: true, openWorldHint: true },
    async run(args: { to: string; since?: string; timeout_s?: number; config?: string }, deps, ctx) {
      const whatsapp = channelOf(args.to) === 'whatsapp';
      const phone = checkE164('to', withoutWhatsAppPrefix(args.to));
      let since: Date | undefined;
      if (args.since !== undefined) {
        since = new Date(args.since);
        if (!/^\d{4}-\d{2}-\d{2}T/.test(args.since) || Number.isNaN(since.getTime()))
          throw usageError(
            `since must be an ISO 8601 date-time like 2026-01-31T10:42:00Z (got ${JSON.stringify(args.since)})`,
          );
      }
      const timeoutS = args.timeout_s ?? DEFAULT_WAIT_S;
      const r = await waitForReply(
        { ...deps, signal: ctx.signal },
        {
          config: configOf(args, deps),
          to: (whatsapp ? 'whatsapp:' : '') + phone,
          since,
          timeoutMs: Math.round(timeoutS * 1000),
        },
      );
      if (r.reply)
        return withUntrusted(
          { outcome: 'reply', config: r.config.name, since: r.since.toISOString(), sid: r.reply.sid },
          { reply: historyMessageJson(r.reply) },
        );
      const latest = r.alerts[0];
      return {
        outcome: 'timeout',
        timed_out: true,
        config: r.config.name,
        since: r.since.toISOString(),
        detail: `no message from ${r.config.fromNumber} to ${phone} since ${r.since.toISOString()} within ${timeoutS}s${latest ? `; Twilio logged ${r.alerts.length} webhook alert(s), the latest: ${describeAlert(latest)}` : ''}`,
        alerts: r.alerts.map((a) => ({ ...alertJson(a) })),
        alerts_error: r.alertsError,
        hint: latest
          ? (alertFix(latest.errorCode, latest.resourceSid) ?? 'check the webhook')
          : 'look at the agent: did its webhook get the message (list_events, webhook_route)? call wait_for_reply again with the same since to keep waiting',
      };
    },
  },
];
