import { connectConfig } from '../config/connect.js';
import { loadProductionWebhookUrl } from '../config/webhook-url.js';
import { stripChannel, WHATSAPP_PREFIX } from '../phone.js';
import type { Config } from '../store/index.js';
import { type Alert, listWebhookAlerts } from '../twilio/alerts.js';
import { callSite, twilioError } from '../twilio/client.js';
import { listMessagesBetween } from '../twilio/message-history.js';
import { type Message, sleepUnlessAborted } from '../twilio/messages.js';
import { resolveRoutes } from '../twilio/route.js';
import { displayWebhookUrl } from '../twilio/webhook.js';
import type { ConfigDeps, CoreDeps } from './deps.js';

/**
 * The agent's answer, from Twilio's Messages list: the first message the config's number sent to `to` at or after
 * `since` (whoever sent it: the agent through the API, Fruxon, a TwiML answer). The core of the MCP
 * `wait_for_reply` tool, for an agent testing its own deployment: send or simulate a message, then wait for the
 * answer. When none comes, the Monitor alerts about the number's webhooks since `since` say why (a 502, a refused
 * connection). Polls the From=number&To=to list of each channel asked (at most two requests a second). Never prints.
 */

export interface WaitReplyInput {
  config?: string;
  /** E.164 (both channels) or `whatsapp:+…` (WhatsApp only). */
  to: string;
  /** Default: the start of the call (deps.now()). */
  since?: Date;
  timeoutMs: number;
  /** Between two polls (default 1000 ms). */
  intervalMs?: number;
}

export interface WaitReplyResult {
  config: Config;
  since: Date;
  reply: Message | null;
  timedOut: boolean;
  /**
   * When no reply came: the alerts about the number's webhooks since `since`, newest first, at most 10 (URLs
   * masked as webhook show masks them).
   */
  alerts: Alert[];
  alertsError: string | null;
}

export async function waitForReply(
  deps: ConfigDeps & Pick<CoreDeps, 'now' | 'signal'>,
  input: WaitReplyInput,
): Promise<WaitReplyResult> {
  // The call's start, before anything slow (loading the twilio package): a reply right after the call counts.
  const since = input.since ?? deps.now();
  const { config, creds, client } = await connectConfig(deps.store, input.config, deps.env, deps.secrets, deps.twilio);
  const where = callSite(creds);
  const sinceSecond = Math.floor(since.getTime() / 1000) * 1000;
  const whatsapp = input.to.startsWith(WHATSAPP_PREFIX);
  const phone = stripChannel(input.to);
  const pairs = (whatsapp ? [WHATSAPP_PREFIX] : ['', WHATSAPP_PREFIX]).map((p) => ({
    from: p + config.fromNumber,
    to: p + phone,
  }));
  const timeout = AbortSignal.timeout(input.timeoutMs);
  const signal = AbortSignal.any([deps.signal, timeout]);
  const interval = input.intervalMs ?? 1000;

  for (;;) {
    let lists: Message[][];
    try {
      lists = await Promise.all(pairs.map((p) => listMessagesBetween(client, p.from, p.to, 20)));
    } catch (err) {
      if (signal.aborted) break;
      throw twilioError(err, `list the messages from ${config.fromNumber} to ${phone}`, where);
    }
    const replies = lists
      .flat()
      .filter((m) => m.direction !== 'inbound' && (m.dateCreated?.getTime() ?? 0) >= sinceSecond)
      .sort((a, b) => (a.dateCreated?.getTime() ?? 0) - (b.dateCreated?.getTime() ?? 0));
    if (replies[0]) return { config, since, reply: replies[0], timedOut: false, alerts: [], alertsError: null };
    if (signal.aborted) break;
    await sleepUnlessAborted(interval, signal);
    if (signal.aborted) break;
  }

  // No reply: what Twilio's Monitor says about the number's webhooks since then.
  let alerts: Alert[] = [];
  let alertsError: string | null = null;
  try {
    const productionUrl = loadProductionWebhookUrl(config, deps.env, deps.secrets);
    const routes = await resolveRoutes(client, config.fromNumber);
    const urls = [...routes.flatMap((r) => [r.url, r.fallbackUrl]), productionUrl];
    const found = await listWebhookAlerts(client, { urls }, { since: new Date(sinceSecond), limit: 200 });
    alerts = found.slice(0, 10).map((a) => ({ ...a, url: displayWebhookUrl(a.url, productionUrl) }));
  } catch (err) {
    alertsError = twilioError(err, "read the account's Monitor alerts", where).message;
  }
  return { config, since, reply: null, timedOut: true, alerts, alertsError };
}
