import { randomUUID } from 'node:crypto';
import { connectConfig } from '../config/connect.js';
import { webhookSigningToken } from '../config/resolve.js';
import { loadProductionWebhookUrl } from '../config/webhook-url.js';
import { CliError } from '../errors.js';
import { stripChannel } from '../phone.js';
import type { Config, Store } from '../store/index.js';
import { callSite, twilioError } from '../twilio/client.js';
import { inboundMessageForm } from '../twilio/inbound-form.js';
import { listMessageMedia, listNumberMessages } from '../twilio/message-history.js';
import { fetchMessage, isNotFound, type Message } from '../twilio/messages.js';
import { type Route, resolveRoute } from '../twilio/route.js';
import { displayWebhookUrl } from '../twilio/webhook.js';
import { sendSignedWebhook } from '../twilio/webhook-post.js';
import { runningListenerUrl } from './deliver.js';
import type { ConfigDeps } from './deps.js';

/**
 * `messages redeliver`: an inbound message Twilio logged but the webhook never got (an alert said so) is sent
 * again as Twilio would have sent it: the inbound form rebuilt from the Message resource and its Media list,
 * signed with the account's Auth Token over the exact target URL, with an I-Twilio-Idempotency-Token. By
 * default to the webhook of the layer that routes the message's channel now (the production URL after an
 * outage). Outbound messages and messages of another number are refused, one by one. Never prints.
 */

export interface RedeliverInput {
  config?: string;
  sids: string[];
  /**
   * Instead of `sids`: every inbound message Twilio logged for the number since this time (oldest first, at most
   * MAX_MISSED) that this machine's store has no event for (a listener that was not running: a laptop that slept).
   */
  missedSince?: Date;
  /** Post here instead of the layer's current webhook. */
  url?: string;
  /** Post to the config's running listener. */
  toListener?: boolean;
  /** How an API Key config gets the Auth Token that signs (else TWILIO_AUTH_TOKEN). */
  readAuthToken?: () => Promise<string>;
  timeoutMs?: number;
  /** Mark each POST `X-Fruxon-Twilio-Recovered: 1` (listen --catch-up: the listener keeps the header with the event). */
  recovered?: boolean;
}

/** The most messages `--missed` posts in one run. */
export const MAX_MISSED = 200;

/** Where `--missed` starts by default: the config's newest recorded event (a listener ran then), at most a day back. */
export function missedSinceDefault(store: Store, configId: string, now: Date): Date {
  const day = now.getTime() - 24 * 60 * 60 * 1000;
  const last = store.events.list({ configId, limit: 1 })[0];
  const at = last ? Date.parse(last.receivedAt) : Number.NaN;
  return new Date(Number.isNaN(at) ? day : Math.max(day, at));
}

export interface RedeliverResult {
  sid: string;
  /** The target as it may be printed (a production URL masked); null when refused before any target. */
  url: string | null;
  /** Why this message was not sent: `outbound`, `other_number`, `not_found`, `no_webhook`. */
  refused: { reason: string; message: string } | null;
  /** The HTTP answer; null when refused or when no answer came. */
  status: number | null;
  body: string | null;
  error: string | null;
  ok: boolean;
  idempotencyToken: string | null;
}

export async function redeliverMessages(
  deps: ConfigDeps,
  input: RedeliverInput,
): Promise<{ config: Config; results: RedeliverResult[] }> {
  const { store, env } = deps;
  const { config, creds, client } = await connectConfig(store, input.config, env, deps.secrets, deps.twilio);
  const where = callSite(creds);
  const authToken = await webhookSigningToken(
    config,
    env,
    deps.secrets,
    input.readAuthToken,
    'or use an Auth Token config',
  );
  const productionUrl = loadProductionWebhookUrl(config, env, deps.secrets);
  let listenerUrl: string | null = null;
  if (input.toListener) {
    const found = runningListenerUrl(store, config.id);
    if (found.url === null)
      throw new CliError(`no listener is running for config ${JSON.stringify(config.name)}`, {
        reason: 'no_listener',
        hint: `start one with: fruxon-twilio listen --config ${JSON.stringify(config.name)}, or pass --to URL`,
      });
    listenerUrl = found.url;
  }

  let sids = input.sids;
  if (input.missedSince) {
    const since = input.missedSince.getTime();
    let listed: Message[];
    try {
      listed = await listNumberMessages(client, config.fromNumber, { limit: MAX_MISSED, direction: 'in' });
    } catch (err) {
      throw twilioError(err, `list the messages to ${config.fromNumber}`, where);
    }
    sids = listed
      .filter((m) => (m.dateCreated?.getTime() ?? 0) >= Math.floor(since / 1000) * 1000)
      .filter((m) => !store.events.hasMessage(config.id, m.sid))
      .reverse()
      .map((m) => m.sid);
  }

  const results: RedeliverResult[] = [];
  for (const sid of sids) {
    const refuse = (reason: string, message: string): RedeliverResult => ({
      sid,
      url: null,
      refused: { reason, message },
      status: null,
      body: null,
      error: null,
      ok: false,
      idempotencyToken: null,
    });
    let message: Message;
    try {
      message = await fetchMessage(client, sid, where);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      results.push(refuse('not_found', `no message ${sid} on the account of config ${JSON.stringify(config.name)}`));
      continue;
    }
    if (message.direction !== 'inbound') {
      results.push(
        refuse(
          'outbound',
          `${sid} is an outbound message (${message.direction}): only inbound messages are delivered to a webhook`,
        ),
      );
      continue;
    }
    if (stripChannel(message.to) !== config.fromNumber) {
      results.push(
        refuse(
          'other_number',
          `${sid} was sent to ${message.to}, not to ${config.fromNumber} (config ${JSON.stringify(config.name)})`,
        ),
      );
      continue;
    }
    let target = input.url ?? listenerUrl;
    let method: 'GET' | 'POST' = 'POST';
    if (target === null) {
      let route: Route | null;
      try {
        route = await resolveRoute(client, config.fromNumber, message.channel);
      } catch (err) {
        throw twilioError(err, `look up where inbound messages to ${config.fromNumber} go`, where);
      }
      if (!route?.url) {
        results.push(
          refuse(
            'no_webhook',
            `the ${message.channel} route of ${config.fromNumber} has no webhook URL: pass --to URL`,
          ),
        );
        continue;
      }
      target = route.url;
      method = (route.method ?? 'POST').toUpperCase() === 'GET' ? 'GET' : 'POST';
    }
    let media: { url: string; contentType: string }[] = [];
    if (message.numMedia > 0) {
      try {
        media = (await listMessageMedia(client, message.sid, creds.apiUrl ?? 'https://api.twilio.com')).map((m) => ({
          url: m.url,
          contentType: m.contentType,
        }));
      } catch (err) {
        throw twilioError(err, `list the media of ${message.sid}`, where);
      }
    }
    const form = inboundMessageForm({
      sid: message.sid,
      accountSid: message.accountSid,
      from: message.from,
      to: message.to,
      body: message.body,
      media,
      ...(message.numSegments !== null && { numSegments: message.numSegments }),
      messagingServiceSid: message.messagingServiceSid || null,
    });
    const idempotencyToken = randomUUID();
    const timeoutMs = input.timeoutMs ?? 15_000;
    const answer = await sendSignedWebhook({
      url: target,
      method,
      form,
      signingKey: authToken,
      idempotencyToken,
      timeoutMs,
      maxBodyBytes: 4096,
      ...(input.recovered && { extraHeaders: { 'X-Fruxon-Twilio-Recovered': '1' } }),
    });
    const status = answer.statusCode ?? null;
    results.push({
      sid,
      url: displayWebhookUrl(target, productionUrl),
      refused: null,
      status,
      body: status === null ? null : (answer.body ?? ''),
      error:
        status === null
          ? answer.timedOut
            ? `no answer within ${timeoutMs / 1000} s`
            : (answer.error ?? 'no answer')
          : null,
      ok: status !== null && status >= 200 && status < 300,
      idempotencyToken,
    });
  }
  return { config, results };
}
