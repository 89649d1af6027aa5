import { effectiveApiUrl, loadSecret, resolveConfig, twilioCredentials } from '../config/resolve.js';
import { CliError, ExitCode, fieldUsageError } from '../errors.js';
import { withoutWhatsAppPrefix } from '../phone.js';
import { shellQuote } from '../shell.js';
import type { Config, Participant } from '../store/index.js';
import { callSite } from '../twilio/client.js';
import { deliveryFailure, type Message, sendMessage, type WaitResult, waitForFinalStatus } from '../twilio/messages.js';
import { findNumber } from '../twilio/numbers.js';
import { SANDBOX_NUMBER } from '../twilio/route.js';
import { refuseLoopbackUrls } from '../twilio/send-rules.js';
import { checkE164, E164 } from '../validate.js';
import type { ConfigDeps } from './deps.js';

/**
 * Sending a message from a config: the core of `send` and of the MCP `send_message` tool. The caller has
 * checked the shape of its input (URLs, body length); this resolves the recipient (a number or a
 * participant), the config (named, the participant's, else the default), the channel, refuses loopback URLs
 * on real Twilio, sends, and optionally waits for a final status. It never prints.
 */

export interface SendInput {
  /** An E.164 number (a `whatsapp:` prefix is accepted) or a participant name. */
  to: string;
  body: string;
  /** Already checked http(s) URLs. */
  mediaUrls: string[];
  statusCallback: string | null;
  /** Config name; default: the participant's config, else the default config. */
  config?: string;
  /** 'whatsapp' or 'sms' forces the channel; undefined: the participant's channel, else SMS. */
  channel?: 'sms' | 'whatsapp';
  /** HX…: send this Content API template (its body is the template's). */
  contentSid?: string;
  contentVariables?: Record<string, string>;
  wait?: {
    timeoutMs: number;
    signal?: AbortSignal;
    /** The message as Twilio answered the create (and how messages name its recipient), before the first poll. */
    onSent?: (m: Message, recipient: string) => void;
    /** The first polled status and every change after it. */
    onStatus?: (m: Message) => void;
  };
}

export interface SendResult {
  /** The message as created (without wait) or its last state (with wait). */
  message: Message;
  config: Config;
  participant: Participant | null;
  whatsapp: boolean;
  /** `alice (+1…)` or the number: how messages name the recipient. */
  recipient: string;
  /** With `wait`: how it ended. */
  waited: WaitResult | null;
}

export async function sendFromConfig(deps: ConfigDeps, input: SendInput): Promise<SendResult> {
  const { store, env } = deps;
  // to: a number, else a participant.
  const toRaw = input.to.trim();
  let to: string;
  let participant: Participant | undefined;
  if (E164.test(withoutWhatsAppPrefix(toRaw))) {
    to = checkE164('to', withoutWhatsAppPrefix(toRaw));
  } else {
    participant = store.participants.byName(toRaw);
    if (!participant) {
      const hint = store.participants.list().length
        ? 'see the participants: fruxon-twilio participants list'
        : `add one: fruxon-twilio participants add ${shellQuote(toRaw)} --phone +1…`;
      throw fieldUsageError('to', (name) => ({
        message: `${name('to')} must be an E.164 number like +14155238886 or the name of a participant (got ${JSON.stringify(toRaw)}, which is neither)`,
        hint,
      }));
    }
    to = participant.phone;
  }

  let configName = input.config;
  if (participant?.configId) {
    const bound = store.configs.byId(participant.configId);
    if (bound && configName !== undefined && bound.name.toLowerCase() !== configName.toLowerCase()) {
      const [who, boundName, asked] = [participant.name, bound.name, configName];
      throw fieldUsageError('config', (name) => ({
        message: `participant ${JSON.stringify(who)} is bound to config ${JSON.stringify(boundName)}, not ${JSON.stringify(asked)}`,
        hint: `drop ${name('config')}, or pass ${name('config')} ${shellQuote(boundName)}`,
      }));
    }
    if (bound) configName = bound.name;
  }
  const config = resolveConfig(store, configName);
  let whatsapp = input.channel === 'whatsapp' ? true : input.channel === 'sms' ? false : Boolean(participant?.whatsapp);

  const apiUrl = effectiveApiUrl(config, env);
  refuseLoopbackUrls(
    [
      ...input.mediaUrls.map((u) => ['media_url', u] as const),
      ...(input.statusCallback ? [['status_callback', input.statusCallback] as const] : []),
    ],
    apiUrl,
  );

  const secret = loadSecret(config, env, deps.secrets);
  const creds = twilioCredentials(config, secret, env);
  const client = await deps.twilio(creds);
  const callCtx = callSite(creds);
  // The WhatsApp Sandbox (its number, not on the account) sends on WhatsApp only: sending from it implies WhatsApp.
  if (!whatsapp && input.channel === undefined && config.fromNumber === SANDBOX_NUMBER) {
    whatsapp = await findNumber(client, SANDBOX_NUMBER).then(
      (n) => n === null,
      () => false,
    );
  }
  const recipient = participant ? `${participant.name} (${to})` : to;
  const sent = await sendMessage(
    client,
    {
      from: config.fromNumber,
      to,
      body: input.body,
      mediaUrls: input.mediaUrls,
      statusCallback: input.statusCallback,
      whatsapp,
      contentSid: input.contentSid,
      contentVariables: input.contentVariables,
    },
    callCtx,
  ).catch(async (err: unknown) => {
    // 21610: say when the recipient opted out (from the message log) and that only they can undo it.
    if (!(err instanceof CliError) || err.reason !== 'twilio_21610' || whatsapp) throw err;
    const { findOptOut, optOutHint } = await import('../twilio/opt-outs.js');
    const evidence = await findOptOut(client, to, config.fromNumber);
    throw new CliError(err.message, {
      reason: err.reason,
      exitCode: err.exitCode,
      cause: err.cause,
      hint: optOutHint(to, config.fromNumber, evidence),
    });
  });
  const base = { config, participant: participant ?? null, whatsapp, recipient };
  if (!input.wait) return { ...base, message: sent, waited: null };

  input.wait.onSent?.(sent, recipient);
  const waited = await waitForFinalStatus(client, sent.sid, {
    timeoutMs: input.wait.timeoutMs,
    signal: input.wait.signal,
    ctx: callCtx,
    onStatus: input.wait.onStatus,
  });
  return { ...base, message: waited.message, waited };
}

/**
 * The error a waited send ends with, or null when it was delivered (or read): still not final after the
 * wait (exit 3, or 1 when the wait was cancelled), else Twilio's error code, its doc link and the fix.
 */
export function sendOutcomeError(
  waited: WaitResult,
  timeoutMs: number,
  opts: { cancelled?: boolean } = {},
): CliError | null {
  if (waited.succeeded) return null;
  const m = waited.message;
  if (waited.timedOut) {
    return new CliError(
      `message ${m.sid} to ${m.to} is still ${m.status} after ${(timeoutMs / 1000).toFixed(timeoutMs % 1000 ? 1 : 0)}s: no final status yet`,
      {
        exitCode: opts.cancelled ? ExitCode.failure : ExitCode.timeout,
        reason: 'timeout',
        hint: `wait longer with --wait-timeout, or look later: the message keeps going (sid ${m.sid})`,
      },
    );
  }
  return deliveryFailure(m);
}
