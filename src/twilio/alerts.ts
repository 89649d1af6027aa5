import type { AlertInstance } from 'twilio/lib/rest/monitor/v1/alert.js';
import type { TwilioClient } from './client.js';
import { withoutCredentials } from './webhook-post.js';

/**
 * Twilio's Monitor log (monitor v1 `/v1/Alerts`) as far as a number's messaging webhooks go: each failed request
 * Twilio made to a webhook (11200 HTTP retrieval failure, 11205 connection failure, ...). The list filters by
 * date and log level only; which alerts concern a number is decided here, by the failed request's URL and the
 * message it was about.
 */
export interface Alert {
  sid: string;
  errorCode: number | null;
  logLevel: string;
  /** What went wrong, from `alert_text` (`Msg`), else Twilio's name for the code. */
  reason: string;
  /** The HTTP status the webhook answered (`httpResponse` in `alert_text`), when it answered. */
  httpStatus: number | null;
  /** The URL Twilio called, without any user:password part. */
  url: string | null;
  method: string | null;
  /** The resource the alert is about: for a messaging webhook, the message (SM…/MM…). */
  resourceSid: string | null;
  dateCreated: Date | null;
  moreInfo: string | null;
}

/** Twilio's names for the webhook errors its Monitor logs for messaging. */
const NAMES: Record<number, string> = {
  11200: 'HTTP retrieval failure',
  11205: 'HTTP connection failure',
  11206: 'HTTP protocol violation',
  11210: 'HTTP bad host name',
  11215: 'HTTP too many redirects',
  11220: 'SSL/TLS handshake error',
  11235: 'certificate invalid: could not find path to certificate',
  11236: 'certificate invalid: certificate expired',
  11237: 'certificate invalid: domain mismatch',
  11750: 'TwiML response body too large',
  12100: 'document parse failure',
  12200: 'schema validation warning',
  12300: 'invalid Content-Type',
};

const FIXES: Record<number, string> = {
  11200:
    'the webhook answered an error or too slowly: check its logs (a 502/503 is often the agent or its host down), then redeliver the message: fruxon-twilio messages redeliver SID',
  11205:
    'nothing accepted the connection at the webhook URL: is the server (or the tunnel of fruxon-twilio listen) running? then: fruxon-twilio messages redeliver SID',
  11206: 'the webhook answered something that is not HTTP: check the server at that URL',
  11210: "the webhook URL's host name does not resolve: fix the URL (fruxon-twilio webhook show)",
  11215: 'the webhook URL redirects in a loop: point the webhook at the final URL',
  11220: "the webhook's TLS certificate was refused: serve a valid certificate (not self-signed) for that host",
  11235: "the webhook's certificate chain is incomplete: serve the intermediate certificates too",
  11236: "the webhook's TLS certificate has expired: renew it",
  11237: "the webhook's TLS certificate does not name its host: serve a certificate for that host name",
  11750: 'the TwiML answer is over 64 KB: answer with less (or send the reply through the API)',
  12100: 'the webhook answered with TwiML Twilio could not parse: answer valid TwiML (or an empty 200)',
  12200: 'the TwiML answer has an element Twilio does not know: check it against the TwiML reference',
  12300:
    'the webhook answered with a Content-Type Twilio does not take: answer text/xml (TwiML), or an empty 200 / 204',
};

export function alertName(code: number | null): string {
  return (code !== null && NAMES[code]) || 'webhook alert';
}

/** The fix for an alert's code; `messageSid` names the message in the redeliver command (else `SID`). */
export function alertFix(code: number | null, messageSid?: string | null): string | undefined {
  const fix = code === null ? undefined : FIXES[code];
  return fix && messageSid ? fix.replace('redeliver SID', `redeliver ${messageSid}`) : fix;
}

export function toAlert(a: AlertInstance): Alert {
  const text = new URLSearchParams(a.alertText ?? '');
  const code = a.errorCode && /^\d+$/.test(a.errorCode) ? Number(a.errorCode) : null;
  const http = text.get('httpResponse');
  const url = a.requestUrl || text.get('url') || null;
  return {
    sid: a.sid,
    errorCode: code,
    logLevel: a.logLevel ?? 'error',
    reason: text.get('Msg') || alertName(code),
    httpStatus: http && /^\d+$/.test(http) ? Number(http) : null,
    url: url ? withoutCredentials(url) : null,
    method: a.requestMethod ?? null,
    resourceSid: a.resourceSid || null,
    dateCreated: a.dateCreated instanceof Date && !Number.isNaN(a.dateCreated.getTime()) ? a.dateCreated : null,
    moreInfo: a.moreInfo || null,
  };
}

/** One page of the account's alerts, newest first, created at or after `since` (Twilio's resolution: the second). */
export async function listAlerts(
  client: TwilioClient,
  opts: { since?: Date; until?: Date; pageSize?: number; limit?: number } = {},
): Promise<Alert[]> {
  const limit = opts.limit ?? 50;
  const list = await client.monitor.v1.alerts.list({
    ...(opts.since && { startDate: opts.since }),
    ...(opts.until && { endDate: opts.until }),
    pageSize: Math.min(opts.pageSize ?? limit, 1000),
    limit,
  });
  return list.map(toAlert);
}

/** What decides that an alert concerns a number: its webhook URLs, and messages known to be its. */
export interface AlertScope {
  /** Webhook URLs of the number's layers (inbound, fallback, status callback); credentials are ignored. */
  urls: Iterable<string | null | undefined>;
  /** Whether a message SID is one of the number's. */
  isOwnMessage?: (sid: string) => boolean;
}

export function concerns(alert: Alert, scope: AlertScope): boolean {
  if (alert.resourceSid && scope.isOwnMessage?.(alert.resourceSid)) return true;
  if (!alert.url) return false;
  const target = normalizeUrl(alert.url);
  for (const u of scope.urls) if (u && normalizeUrl(u) === target) return true;
  return false;
}

/** The account's alerts since `since` that concern the scope, newest first. */
export async function listWebhookAlerts(
  client: TwilioClient,
  scope: AlertScope,
  opts: { since: Date; limit?: number },
): Promise<Alert[]> {
  const all = await listAlerts(client, { since: opts.since, limit: opts.limit ?? 200 });
  return all.filter((a) => concerns(a, scope));
}

/** `Twilio could not deliver SM… to https://…: HTTP 502 (11200)`: one line, unescaped (the caller escapes). */
export function describeAlert(a: Alert): string {
  const what = a.resourceSid ? `deliver ${a.resourceSid}` : 'call the webhook';
  const where = a.url ? ` to ${a.url}` : '';
  const why = a.httpStatus !== null ? `HTTP ${a.httpStatus}` : a.reason;
  return `Twilio could not ${what}${where}: ${why}${a.errorCode !== null ? ` (${a.errorCode})` : ''}`;
}

function normalizeUrl(url: string): string {
  try {
    const u = new URL(withoutCredentials(url));
    // A layer's URL may carry connection overrides (#rc=…&ct=…) that the request Twilio made never does.
    u.hash = '';
    return u.toString();
  } catch {
    return url;
  }
}

/** How many alerts about these webhook URLs Twilio logged since `since`, and the newest. */
export interface AlertSummary {
  since: Date;
  count: number;
  latest: Alert | null;
}

export async function summarizeWebhookAlerts(
  client: TwilioClient,
  urls: Iterable<string | null | undefined>,
  since: Date,
): Promise<AlertSummary> {
  const list = await listWebhookAlerts(client, { urls: [...urls] }, { since, limit: 1000 });
  return { since, count: list.length, latest: list[0] ?? null };
}
