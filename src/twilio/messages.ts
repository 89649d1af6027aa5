import type { MessageInstance } from 'twilio/lib/rest/api/v2010/account/message.js';
import { CliError, ExitCode } from '../errors.js';
import { type Channel, channelOf, stripChannel, WHATSAPP_PREFIX } from '../phone.js';
import { type TwilioCallSite, type TwilioClient, twilioError, twilioIn } from './client.js';

/**
 * A Message resource as this tool uses it (send, demo, messages list/show). Addresses keep the channel prefix
 * as Twilio stores them; `relativeDirection` and `otherParty` give the view from our number.
 */
export interface Message {
  sid: string;
  accountSid: string;
  status: string;
  /** `whatsapp:+1…` on the WhatsApp channel. */
  to: string;
  from: string;
  channel: Channel;
  /** Twilio's: inbound, outbound-api, outbound-call, outbound-reply. */
  direction: string;
  body: string;
  numMedia: number;
  /** null when Twilio gives no count. */
  numSegments: number | null;
  errorCode: number | null;
  errorMessage: string | null;
  price: string | null;
  priceUnit: string | null;
  messagingServiceSid: string | null;
  dateCreated: Date | null;
  dateSent: Date | null;
  dateUpdated: Date | null;
}

/**
 * The one mapping from Twilio's Message resource. twilio-node types its fields as always present, but Twilio
 * (and a stand-in) may send nulls: each is read defensively.
 */
export function toMessage(m: MessageInstance): Message {
  return {
    sid: m.sid,
    accountSid: m.accountSid,
    status: m.status,
    to: m.to,
    from: m.from,
    channel: channelOf(m.to) === 'whatsapp' || channelOf(m.from) === 'whatsapp' ? 'whatsapp' : 'sms',
    direction: m.direction,
    body: m.body ?? '',
    numMedia: count(m.numMedia) ?? 0,
    numSegments: count(m.numSegments),
    errorCode: m.errorCode ? Number(m.errorCode) : null,
    errorMessage: m.errorMessage || null,
    price: m.price ?? null,
    priceUnit: m.priceUnit ?? null,
    messagingServiceSid: m.messagingServiceSid ?? null,
    dateCreated: validDate(m.dateCreated),
    dateSent: validDate(m.dateSent),
    dateUpdated: validDate(m.dateUpdated),
  };
}

/** 'in' for a message that arrived at our number (Twilio's inbound), 'out' for one it sent (outbound-*). */
export function relativeDirection(m: Pick<Message, 'direction'>): 'in' | 'out' {
  return m.direction === 'inbound' ? 'in' : 'out';
}

/** The phone on the other end from our number, plain E.164. */
export function otherParty(m: Pick<Message, 'direction' | 'from' | 'to'>): string {
  return stripChannel(relativeDirection(m) === 'in' ? m.from : m.to);
}

export interface SendRequest {
  /** E.164, without `whatsapp:`; the prefix is added when `whatsapp` is set. */
  from: string;
  to: string;
  body?: string;
  mediaUrls?: string[];
  statusCallback?: string | null;
  whatsapp?: boolean;
  /** HX…: a Content API template (the body is the template's, rendered by Twilio). */
  contentSid?: string;
  /** The template's `{{1}}`-style variables; sent as the JSON object Twilio expects. */
  contentVariables?: Record<string, string>;
}

/** Where the call went and for whom: named in error messages (never the secret). Build it with callSite(creds). */
export type CallContext = TwilioCallSite;

/** Statuses after which a message never changes again. `read` is WhatsApp's last step. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['delivered', 'undelivered', 'failed', 'read', 'canceled']);
/** Final statuses that mean the message reached the recipient. */
export const SUCCESS_STATUSES: ReadonlySet<string> = new Set(['delivered', 'read']);

/** Twilio's page for an error code. */
export function errorDocUrl(code: number): string {
  return `https://www.twilio.com/docs/errors/${code}`;
}

/** What to do about the Twilio errors a sender meets most; the message line already carries code and link. */
const FIXES: Record<number, string> = {
  21211: "the 'To' number is not a valid phone number: check it is E.164 (+ country code, number)",
  21408: 'enable the destination country in the Twilio Console: Messaging > Settings > Geo permissions',
  21606:
    "the From number is not an SMS-capable number of this account: check the config's --from (fruxon-twilio configs show)",
  21608:
    'a trial account sends only to verified numbers: verify the recipient in the Twilio Console (Phone Numbers > Verified Caller IDs), or upgrade the account',
  21610:
    'the recipient replied STOP (or another opt-out keyword) and Twilio now refuses messages to them; only they can undo it, by texting START to your number',
  21612: "the 'To' number cannot be reached from this From number (a carrier or country the sender does not cover)",
  21614: "the 'To' number cannot receive SMS (a landline?)",
  21704:
    'the Messaging Service has no phone numbers to send from: add one to its sender pool (Console: Messaging > Services > the service > Sender Pool), or send with From (a number of the account)',
  21910: 'From and To must be on the same channel: pass --whatsapp for both, or neither',
  63007: 'the From number is not enabled for WhatsApp: set up a WhatsApp sender (or the Sandbox) in the Twilio Console',
  63015:
    'the recipient has not joined the WhatsApp Sandbox: they must first send "join <your sandbox keyword>" to +14155238886 (Console: Messaging > Try it out > WhatsApp)',
  63016:
    'outside the 24-hour WhatsApp session window: send an approved template (send --content-sid HX…; see fruxon-twilio templates list), or have the recipient message you first',
  30003: 'the handset is unreachable (off, or out of coverage); try again later',
  30005: 'the number is unknown to the carrier: check it',
  30006: 'the number is a landline or unreachable carrier',
  30007: 'the carrier filtered the message as spam; register the sender (A2P 10DLC) or change the content',
  30032:
    'the toll-free number is not verified: submit toll-free verification in the Twilio Console (Phone Numbers > Regulatory Compliance)',
  30034:
    'the number is not registered for A2P 10DLC: register a brand and campaign and add the number to its Messaging Service (Console: Messaging > Regulatory Compliance)',
  30008: 'Twilio reports an unknown delivery error; retry, and check the message logs in the Console',
};

export function fixFor(code: number | null | undefined): string | undefined {
  return code ? FIXES[code] : undefined;
}

/** Creates the message. Twilio's refusal becomes one CliError line: its message, code and doc link. */
export async function sendMessage(client: TwilioClient, req: SendRequest, ctx: CallContext = {}): Promise<Message> {
  const prefix = req.whatsapp ? WHATSAPP_PREFIX : '';
  const to = prefix + stripChannel(req.to);
  const from = prefix + stripChannel(req.from);
  const params: Record<string, unknown> = { to, from };
  if (req.body) params.body = req.body;
  if (req.mediaUrls?.length) params.mediaUrl = req.mediaUrls;
  if (req.statusCallback) params.statusCallback = req.statusCallback;
  if (req.contentSid) params.contentSid = req.contentSid;
  if (req.contentVariables) params.contentVariables = JSON.stringify(req.contentVariables);
  try {
    const m = await client.messages.create(params as unknown as Parameters<TwilioClient['messages']['create']>[0]);
    return toMessage(m);
  } catch (err) {
    throw messageCallError(err, `send ${req.whatsapp ? 'a WhatsApp message' : 'an SMS'} to ${to}`, ctx);
  }
}

/** One message by SID; failures mapped like send's (`isNotFound` tells a missing message apart). */
export async function fetchMessage(client: TwilioClient, sid: string, ctx: CallContext = {}): Promise<Message> {
  try {
    return toMessage(await client.messages(sid).fetch());
  } catch (err) {
    throw messageCallError(err, `fetch message ${sid}`, ctx);
  }
}

export interface WaitOptions {
  timeoutMs: number;
  /** Called with the first status seen and with every change after it. */
  onStatus?: (message: Message) => void;
  /** Stops the wait early (Ctrl-C); the result then has `timedOut: true`. */
  signal?: AbortSignal;
  /** First poll interval; it grows by half each poll up to `maxIntervalMs`. Defaults 250 and 1000. */
  intervalMs?: number;
  maxIntervalMs?: number;
  ctx?: CallContext;
}

export interface WaitResult {
  /** The last state seen: final unless `timedOut`. */
  message: Message;
  timedOut: boolean;
  /** delivered or read. */
  succeeded: boolean;
}

/** Polls the message until it reaches a final status or the time runs out. */
export async function waitForFinalStatus(client: TwilioClient, sid: string, opts: WaitOptions): Promise<WaitResult> {
  const deadline = Date.now() + opts.timeoutMs;
  let interval = opts.intervalMs ?? 250;
  const maxInterval = opts.maxIntervalMs ?? 1000;
  let last: Message | undefined;
  for (;;) {
    const m = await fetchMessage(client, sid, opts.ctx);
    if (!last || last.status !== m.status) opts.onStatus?.(m);
    last = m;
    if (FINAL_STATUSES.has(m.status)) return { message: m, timedOut: false, succeeded: SUCCESS_STATUSES.has(m.status) };
    const left = deadline - Date.now();
    if (left <= 0 || opts.signal?.aborted) return { message: m, timedOut: true, succeeded: false };
    await sleepUnlessAborted(Math.min(interval, left), opts.signal);
    interval = Math.min(maxInterval, Math.round(interval * 1.5));
  }
}

/** One line for a message that ended badly: status, Twilio's error text, code and doc link. */
export function deliveryFailure(m: Message): CliError {
  const code = m.errorCode;
  const what = m.errorMessage ? `: ${m.errorMessage}` : '';
  return new CliError(
    `message ${m.sid} to ${m.to} ${m.status}${what}${code ? ` (${code}, ${errorDocUrl(code)})` : ''}`,
    {
      exitCode: ExitCode.failure,
      reason: code ? `twilio_${code}` : `message_${m.status}`,
      hint: fixFor(code),
    },
  );
}

/** Twilio's API errors as one line carrying the code and the doc link, with a fix for the common ones. */
export function messageCallError(err: unknown, what: string, ctx: CallContext): CliError {
  const e = err as { status?: number; code?: number; message?: string; moreInfo?: string };
  if (typeof e?.status === 'number' && e.status > 0 && e.status !== 401 && typeof e.code === 'number') {
    const link = e.moreInfo || errorDocUrl(e.code);
    return new CliError(
      `${twilioIn(ctx)} refused to ${what}: ${oneLine(e.message ?? `HTTP ${e.status}`)} (${e.code}, ${link})`,
      {
        reason: `twilio_${e.code}`,
        hint: fixFor(e.code),
        cause: err,
      },
    );
  }
  return twilioError(err, what, ctx);
}

/** Whether a Twilio error (or the CliError mapped from it) says the resource does not exist. */
export function isNotFound(err: unknown): boolean {
  const status = (e: unknown) => (e as { status?: unknown } | null | undefined)?.status;
  return status(err) === 404 || (err instanceof Error && status(err.cause) === 404);
}

function count(v: string | null | undefined): number | null {
  return v === null || v === undefined || v === '' || Number.isNaN(Number(v)) ? null : Number(v);
}

function validDate(d: Date | null | undefined): Date | null {
  return d instanceof Date && !Number.isNaN(d.getTime()) ? d : null;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Waits `ms`, or less when `signal` aborts (never rejects). */
export function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
