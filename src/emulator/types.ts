/** Public shapes of the emulator library. Field names are camelCase; the HTTP layer renders Twilio's snake_case. */

export type HttpMethod = 'GET' | 'POST';

export interface EmulatorOptions {
  /** Port to listen on; 0 (the default) picks any free port. */
  port?: number;
  /** Interface to bind; default `127.0.0.1`. */
  host?: string;
  /** Default: generated (`AC` + 32 hex), or the one stored in `statePath`. */
  accountSid?: string;
  /** Default: generated (32 hex), or the one stored in `statePath`. */
  authToken?: string;
  /** E.164 numbers the account owns. Default: one generated `+15005551xxx` number (or those stored in `statePath`). */
  numbers?: string[];
  /** SQLite file that keeps credentials, numbers, API keys and messages across restarts. Default: memory only. */
  statePath?: string;
  /** Delay between status steps (queued -> sent -> delivered -> read). Default 150 ms. */
  statusDelayMs?: number;
  /** Timeout of one webhook attempt. Default 5000 ms (Twilio itself waits 15 s). */
  deliveryTimeoutMs?: number;
  /** Delays before each retry of a failed webhook; its length is the number of retries. Default [200, 1000]. */
  retryDelaysMs?: number[];
  /** Receives structured log entries. The library never prints; entries never carry the auth token or key secrets. */
  onLog?: (entry: EmulatorLogEntry) => void;
}

export type EmulatorLogEvent =
  | 'emulator.started'
  | 'emulator.stopped'
  | 'http.request'
  | 'message.created'
  | 'message.status'
  | 'webhook.attempt'
  | 'webhook.retry'
  | 'webhook.outcome';

export type WebhookKind = 'inbound' | 'inbound-fallback' | 'status-callback';

export interface EmulatorLogEntry {
  time: string; // ISO 8601
  level: 'info' | 'warn' | 'error';
  event: EmulatorLogEvent;
  /** One human-readable line; the other fields carry the same facts for machines. */
  message: string;
  // http.request
  method?: string;
  path?: string;
  /** Route template that served the request, e.g. `/2010-04-01/Accounts/{AccountSid}/Messages.json`. */
  route?: string;
  status?: number;
  /** Twilio error code of an error response. */
  code?: number;
  /** Names (never values) of the form fields and query parameters the request carried. */
  bodyParams?: string[];
  queryParams?: string[];
  auth?: 'account' | 'api-key' | 'none' | 'rejected';
  // messages and webhooks
  messageSid?: string;
  messageStatus?: string;
  errorCode?: number | null;
  kind?: WebhookKind;
  /** Webhook URL with any user:password part removed. */
  url?: string;
  attempt?: number;
  statusCode?: number;
  error?: string;
  delayMs?: number;
  outcome?: DeliveryOutcome;
  durationMs?: number;
}

export interface EmulatorNumber {
  sid: string;
  phoneNumber: string;
  friendlyName: string;
  smsUrl: string;
  smsMethod: HttpMethod;
  smsFallbackUrl: string;
  smsFallbackMethod: HttpMethod;
  statusCallback: string;
  statusCallbackMethod: HttpMethod;
  dateCreated: Date;
  dateUpdated: Date;
}

export type MessageStatus =
  | 'queued'
  | 'sending'
  | 'sent'
  | 'failed'
  | 'delivered'
  | 'undelivered'
  | 'received'
  | 'read';

export type MessageDirection = 'inbound' | 'outbound-api' | 'outbound-reply';

export interface MediaItem {
  url: string;
  contentType: string;
}

export interface EmulatorMessage {
  sid: string;
  accountSid: string;
  /** With the `whatsapp:` prefix for WhatsApp, as Twilio stores it. */
  from: string;
  to: string;
  body: string;
  direction: MessageDirection;
  status: MessageStatus;
  media: MediaItem[];
  numSegments: number;
  errorCode: number | null;
  errorMessage: string | null;
  price: string | null;
  messagingServiceSid: string | null;
  statusCallback: string | null;
  dateCreated: Date;
  dateUpdated: Date;
  dateSent: Date | null;
}

export interface ApiKey {
  sid: string;
  secret: string;
  friendlyName: string;
  dateCreated: Date;
}

export interface InboundMessage {
  /** The sender's E.164 number (no `whatsapp:` prefix needed; set `whatsapp: true`). */
  from: string;
  /** One of the emulator's numbers. */
  to: string;
  body?: string;
  whatsapp?: boolean;
  /** WhatsApp sender's profile name; default `Emulator User`. */
  profileName?: string;
  mediaUrls?: MediaItem[];
}

export type DeliveryOutcome = 'delivered' | 'failed' | 'no-webhook' | 'cancelled';

export interface DeliveryAttempt {
  kind: WebhookKind;
  url: string;
  attempt: number;
  statusCode?: number;
  error?: string;
  durationMs: number;
}

export interface DeliveryResult {
  messageSid: string;
  outcome: DeliveryOutcome;
  /** The URL of the last attempt (the fallback URL if it was used); null when the number has no SmsUrl. */
  url: string | null;
  /** HTTP status of the last attempt, when one answered. */
  statusCode?: number;
  /** Why the last attempt failed, when it did not answer 2xx. */
  error?: string;
  attempts: DeliveryAttempt[];
  /** Response body of the successful attempt (TwiML), at most 64 KiB. */
  responseBody?: string;
}

export interface Emulator {
  /** Base URL, e.g. `http://127.0.0.1:53211`; the API lives under `${url}/2010-04-01/`. */
  url: string;
  accountSid: string;
  authToken: string;
  numbers: { sid: string; phoneNumber: string }[];
  /** Creates an API key (`SK` + 32 hex) whose SID and secret authenticate like the account SID and token. */
  createApiKey(friendlyName?: string): ApiKey;
  /** Simulates a phone texting one of our numbers: records an inbound message and delivers its webhook. */
  deliverInbound(msg: InboundMessage): Promise<DeliveryResult>;
  getNumber(phoneNumber: string): EmulatorNumber | undefined;
  /** What a change made in the Twilio Console looks like. */
  setSmsUrl(phoneNumber: string, url: string, method?: HttpMethod): void;
  /** All messages, oldest first (copies). */
  messages(): EmulatorMessage[];
  getMessage(sid: string): EmulatorMessage | undefined;
  /** Resolves once every status step and webhook started so far has finished (handy in tests). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}
