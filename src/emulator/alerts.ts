import { randomBytes } from 'node:crypto';
import { API_VERSION } from '../twilio/inbound-form.js';
import { withoutCredentials } from '../twilio/webhook-post.js';
import { iso8601 } from './ids.js';
import type {
  AlertLogLevel,
  DeliveryAttempt,
  DeliveryKind,
  EmulatorAlert,
  EmulatorMessage,
  HttpMethod,
} from './types.js';

/**
 * Twilio's Monitor log (`https://monitor.twilio.com/v1/Alerts`) as far as messaging webhooks go, and the lag of
 * Twilio's lists. An alert is recorded where Twilio records one: a webhook request it made failed (an HTTP error,
 * a refused connection, a timeout, a bad host name, a TLS failure), whether or not the fallback URL then worked.
 * Alerts live for the emulator's run (not in the `--state` file).
 */

/** What Twilio's error dictionary calls each code the emulator records. */
export const ALERT_MESSAGES: Record<string, string> = {
  '11200': 'HTTP retrieval failure',
  '11205': 'HTTP connection failure',
  '11210': 'HTTP bad host name',
  '11220': 'SSL/TLS Handshake Error',
  '11237': 'Certificate Invalid - Domain Mismatch',
};

/** Twilio's error code for one failed webhook attempt (our reading of how Twilio classifies each cause). */
export function alertCodeOf(attempt: Pick<DeliveryAttempt, 'statusCode' | 'error'>): string {
  if (attempt.statusCode !== undefined && attempt.statusCode > 0) return '11200';
  const error = attempt.error ?? '';
  if (/^(ENOTFOUND|EAI_AGAIN|invalid URL)/.test(error)) return '11210';
  if (/ALTNAME|HOSTNAME_MISMATCH/i.test(error)) return '11237';
  if (/CERT|SSL|TLS|SELF_SIGNED/i.test(error)) return '11220';
  if (/timed out/.test(error)) return '11200';
  return '11205';
}

export interface WebhookFailure {
  kind: DeliveryKind;
  url: string;
  method: HttpMethod;
  attempt: DeliveryAttempt;
  message: EmulatorMessage;
  params: Record<string, string>;
  responseBody?: string;
}

function newAlertSid(): string {
  return `NO${randomBytes(16).toString('hex')}`;
}

/** The alerts of the emulator's account, oldest first, and the lag of Twilio's lists. */
export class AlertLog {
  readonly #alerts: EmulatorAlert[] = [];
  /** How long a new message, status or alert stays out of the Messages list and the Alerts list. */
  lagMs = 0;
  /** Earlier versions of each message, for lists that show the account as it was `lagMs` ago. */
  readonly #versions = new Map<string, { at: number; message: EmulatorMessage }[]>();

  readonly #now: () => Date;

  /** `now`: the emulator's clock (message dates and alert dates read the same one). */
  constructor(now: () => Date = () => new Date()) {
    this.#now = now;
  }

  record(failure: WebhookFailure): EmulatorAlert {
    const { attempt, message } = failure;
    const errorCode = alertCodeOf(attempt);
    const logLevel: AlertLogLevel = failure.kind === 'status-callback' ? 'warning' : 'error';
    const url = withoutCredentials(failure.url);
    const text = new URLSearchParams({
      Msg: attempt.error && attempt.statusCode === undefined ? attempt.error : ALERT_MESSAGES[errorCode]!,
      sourceComponent: failure.kind === 'status-callback' ? '12000' : '14100',
      ErrorCode: errorCode,
      ...(attempt.statusCode !== undefined && { httpResponse: String(attempt.statusCode) }),
      url,
      LogLevel: logLevel.toUpperCase(),
    });
    const alert: EmulatorAlert = {
      sid: newAlertSid(),
      accountSid: message.accountSid,
      errorCode,
      logLevel,
      alertText: text.toString(),
      requestMethod: failure.method,
      requestUrl: url,
      resourceSid: message.sid,
      serviceSid: message.messagingServiceSid,
      requestVariables: new URLSearchParams(failure.params).toString(),
      responseBody: failure.responseBody ?? null,
      dateCreated: this.#now(),
    };
    this.#alerts.push(alert);
    return alert;
  }

  /** Every alert, oldest first, whatever the lag (for the library's callers). */
  all(): EmulatorAlert[] {
    return this.#alerts.map((a) => ({ ...a }));
  }

  /** The alerts the Alerts list shows now: newest first, those younger than the lag left out. */
  visible(): EmulatorAlert[] {
    const cutoff = this.#now().getTime() - this.lagMs;
    return this.#alerts.filter((a) => a.dateCreated.getTime() <= cutoff).reverse();
  }

  get(sid: string): EmulatorAlert | undefined {
    return this.#alerts.find((a) => a.sid === sid);
  }

  /** Called after each change to a message, so a lagging list can show its earlier version. */
  noteMessage(message: EmulatorMessage): void {
    if (this.lagMs <= 0) {
      if (this.#versions.size > 0) this.#versions.clear();
      return;
    }
    const at = this.#now().getTime();
    const list = this.#versions.get(message.sid) ?? [];
    list.push({ at, message: structuredClone(message) });
    // Keep the newest version older than the lag window and every version inside it.
    const cutoff = at - this.lagMs;
    while (list.length > 1 && list[1]!.at <= cutoff) list.shift();
    this.#versions.set(message.sid, list);
  }

  /**
   * A message as the Messages list shows it now: undefined while it is younger than the lag, else its version of
   * `lagMs` ago (its status then).
   */
  listed(message: EmulatorMessage): EmulatorMessage | undefined {
    if (this.lagMs <= 0) return message;
    const cutoff = this.#now().getTime() - this.lagMs;
    if (message.dateCreated.getTime() > cutoff) return undefined;
    const list = this.#versions.get(message.sid);
    if (!list) return message;
    let seen: EmulatorMessage | undefined;
    for (const v of list) if (v.at <= cutoff) seen = v.message;
    return seen ?? message;
  }
}

export const MONITOR_ORIGIN = 'https://monitor.twilio.com';

/** An alert as the Alerts list renders it (the spec's `monitor.v1.alert`). */
export function alertJson(a: EmulatorAlert): Record<string, unknown> {
  return {
    account_sid: a.accountSid,
    alert_text: a.alertText,
    api_version: API_VERSION,
    date_created: iso8601(a.dateCreated),
    date_generated: iso8601(a.dateCreated),
    date_updated: iso8601(a.dateCreated),
    error_code: a.errorCode,
    log_level: a.logLevel,
    more_info: `https://www.twilio.com/docs/errors/${a.errorCode}`,
    request_method: a.requestMethod,
    request_url: a.requestUrl,
    resource_sid: a.resourceSid,
    sid: a.sid,
    url: `${MONITOR_ORIGIN}/v1/Alerts/${a.sid}`,
    service_sid: a.serviceSid,
  };
}

/** One alert fetched by SID (the spec's `monitor.v1.alert-instance`): the request and the answer too. */
export function alertInstanceJson(a: EmulatorAlert): Record<string, unknown> {
  return {
    ...alertJson(a),
    request_variables: a.requestVariables,
    request_headers: null,
    response_body: a.responseBody,
    response_headers: null,
  };
}

/**
 * `StartDate`/`EndDate` of the Alerts list: `YYYY-MM-DD` or `YYYY-MM-DDThh:mm:ssZ` in GMT, both inclusive (a day
 * given as EndDate includes the whole day).
 */
export function alertDateBound(value: string, end: boolean): number | null {
  const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const t = Date.parse(dayOnly ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(t)) return null;
  if (dayOnly && end) return t + 24 * 60 * 60 * 1000 - 1;
  return end ? Math.floor(t / 1000) * 1000 + 999 : t;
}
