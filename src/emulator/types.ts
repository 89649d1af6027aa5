/** Public shapes of the emulator library. Field names are camelCase; the HTTP layer renders Twilio's snake_case. */

export type HttpMethod = 'GET' | 'POST';
/** The methods messaging v2 allows for a WhatsApp sender's webhooks (its enum: POST, PUT). */
export type SenderMethod = 'POST' | 'PUT';

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
  /**
   * Without it (the default), Twilio's delivery policy: a webhook whose connection fails is retried once, an HTTP
   * error or a timeout is not retried, and the layer's fallback URL is called instead. With it, today's test policy:
   * every failure is retried after each of these delays (its length is the number of retries), then the fallback.
   */
  retryDelaysMs?: number[];
  /** Services, TwiML Apps, WhatsApp senders and the Sandbox to start with (the `--topology` file, parsed). */
  topology?: Topology;
  /** Inbound URL of the WhatsApp Sandbox (+14155238886), as set in the Twilio Console. Default: none. */
  sandboxUrl?: string;
  /** The account setting "Enforce HTTP Auth on Media URLs": media URLs answer 401 without Basic auth. */
  enforceMediaAuth?: boolean;
  /**
   * How long a new message (or a status change) stays out of the Messages list, and a new alert out of the Monitor
   * Alerts list, as Twilio's lists lag behind. Fetching a message by SID is never delayed. Default 0.
   */
  listLagMs?: number;
  /**
   * The source of the emulator's clock (default: the system clock). Message dates, the WhatsApp 24-hour window,
   * Sandbox membership and the log's `time` read it, plus however far `advanceClock()` has moved it.
   */
  now?: () => Date;
  /**
   * When set, the control API (`/_emulator/`) answers only requests with `Authorization: Bearer <controlToken>`
   * (for an emulator reachable beyond loopback). Whatever it is, the control API refuses requests whose `Origin`
   * is another site's and POSTs that are not `application/json`, so no web page can reach it.
   */
  controlToken?: string;
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
  | 'webhook.outcome'
  | 'control';

export type DeliveryKind = 'inbound' | 'inbound-fallback' | 'status-callback';

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
  kind?: DeliveryKind;
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
  /** AP… when a TwiML App handles the number's messages (then its sms_* URLs win); '' when none. */
  smsApplicationSid: string;
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
  /** Inbound: where the hosted media's bytes come from (the phone's side), one per `media` item. */
  mediaSources?: string[];
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

/** A Messaging Service (messaging v1 `/v1/Services`). Empty strings stand for Twilio's null. */
export interface EmulatorService {
  sid: string;
  friendlyName: string;
  /** '' = null: inbound messages to the service's numbers are dropped and not logged. */
  inboundRequestUrl: string;
  inboundMethod: HttpMethod;
  fallbackUrl: string;
  fallbackMethod: HttpMethod;
  statusCallback: string;
  /** When true, the number's own webhook (or its TwiML App) wins over the service's inbound URL. */
  useInboundWebhookOnNumber: boolean;
  /** PN SIDs of the numbers in the service, in the order they were added. */
  phoneNumberSids: string[];
  /** When each number was added (ISO 8601), by PN SID. */
  phoneNumberAddedAt: Record<string, string>;
  /** Short codes of the service (`/v1/Services/{sid}/ShortCodes`), digits as Twilio writes them in To. */
  shortCodes?: string[];
  /** Channel senders of the service (`/v1/Services/{sid}/ChannelSenders`): `rcs:…`, `messenger:…`. */
  channelSenders?: string[];
  dateCreated: Date;
  dateUpdated: Date;
}

/** A TwiML App (v2010 `/Applications`), as far as messaging goes. */
export interface EmulatorApplication {
  sid: string;
  friendlyName: string;
  smsUrl: string;
  smsMethod: HttpMethod;
  smsFallbackUrl: string;
  smsFallbackMethod: HttpMethod;
  smsStatusCallback: string;
  dateCreated: Date;
  dateUpdated: Date;
}

/** A WhatsApp sender (messaging v2 `/v2/Channels/Senders`). */
export interface EmulatorSender {
  sid: string;
  /** `whatsapp:+E164`, one of the account's numbers. */
  senderId: string;
  callbackUrl: string;
  callbackMethod: SenderMethod;
  fallbackUrl: string;
  fallbackMethod: SenderMethod;
  statusCallbackUrl: string;
  profileName: string;
  configuration: Record<string, unknown> | null;
  dateCreated: Date;
  dateUpdated: Date;
}

/** The WhatsApp Sandbox: a shared number outside the account, configured only in the Console. */
export interface EmulatorSandbox {
  inboundUrl: string;
  inboundMethod: HttpMethod;
  statusCallback: string;
  /** E.164 numbers of the WhatsApp users who joined (sent `join <code>` to the sandbox). */
  participants: string[];
  /** The keyword of `join <code>`; '' until the emulator starts (then the account's default, see policy.ts). */
  joinCode?: string;
  /** When each participant joined (ISO 8601), by number: membership lasts 72 hours. */
  joinedAt?: Record<string, string>;
}

/** What an inbound opt-out keyword is (the webhook's `OptOutType`). */
export type OptOutType = 'STOP' | 'START' | 'HELP';

/** A contact who texted an opt-out keyword: sends to them from `sender` (or through the service) answer 21610. */
export interface EmulatorOptOut {
  /** The contact (E.164). */
  phoneNumber: string;
  /** Our number they opted out of (E.164); null when the opt-out covers a whole Messaging Service. */
  sender: string | null;
  messagingServiceSid: string | null;
  dateCreated: Date;
}

/** A Content API template (content v1). No approval workflow: its WhatsApp approval is what the topology says. */
export interface EmulatorContent {
  sid: string;
  friendlyName: string;
  language: string;
  /** Default values of its `{{1}}`-style variables. */
  variables: Record<string, string>;
  /** Content types, as the API writes them: `{ "twilio/text": { "body": "Hi {{1}}" } }`. */
  types: Record<string, Record<string, unknown>>;
  /** WhatsApp approval status: approved, rejected, pending, unsubmitted. */
  whatsappStatus: string;
  whatsappCategory: string;
  whatsappName: string;
  dateCreated: Date;
  dateUpdated: Date;
}

/** The layer that decided where an inbound message went. */
export type InboundLayer =
  | 'messaging_service'
  | 'application'
  | 'number'
  | 'whatsapp_sender'
  | 'sandbox'
  | 'dropped'
  | 'conversations';

export interface TopologySummary {
  services: Record<string, unknown>[];
  applications: Record<string, unknown>[];
  senders: Record<string, unknown>[];
  sandbox: Record<string, unknown>;
  /** The account's settings, as the topology file's `account` writes them: `{ enforce_media_auth }`. */
  account: { enforce_media_auth: boolean };
}

/**
 * A Conversations address configuration (conversations v1 `/v1/Configuration/Addresses`): with auto-creation
 * enabled, messages to its address create Conversations messages (routing.ts says what that does to the
 * number's own webhook).
 */
export interface EmulatorAddressConfiguration {
  sid: string;
  /** sms | whatsapp | messenger | gbm | email | rcs | apple | chat. */
  type: string;
  /** `+1…` (sms) or `whatsapp:+1…`. */
  address: string;
  friendlyName: string;
  autoCreation: {
    enabled: boolean;
    /** webhook | studio | default. */
    type: string;
    conversationServiceSid: string | null;
    webhookUrl: string | null;
    webhookMethod: string | null;
    webhookFilters: string[];
    studioFlowSid: string | null;
    studioRetryCount: number | null;
  };
  addressCountry: string | null;
  dateCreated: Date;
  dateUpdated: Date;
}

/** An address configuration as the topology file writes it: the conversations v1 spec's wire format. */
export interface TopologyAddressConfiguration {
  sid?: string;
  type: string;
  address: string;
  friendly_name?: string;
  auto_creation?: {
    enabled?: boolean;
    type?: string;
    conversation_service_sid?: string;
    webhook_url?: string;
    webhook_method?: string;
    webhook_filters?: string[];
    studio_flow_sid?: string;
    studio_retry_count?: number;
  };
  address_country?: string;
}

/** What `--topology FILE.json` holds; see README "emulator". Field names are those of Twilio's APIs. */
export interface Topology {
  conversations?: { address_configurations?: TopologyAddressConfiguration[] };
  numbers?: (string | TopologyNumber)[];
  services?: TopologyService[];
  applications?: TopologyApplication[];
  senders?: TopologySender[];
  sandbox?: {
    inbound_url?: string;
    inbound_method?: HttpMethod;
    status_callback?: string;
    /** Joined when the emulator starts (membership lasts 72 hours of the emulator's clock from then). */
    participants?: string[];
    /** The Sandbox's keyword: `join <join_code>`. Default: two words derived from the account SID. */
    join_code?: string;
  };
  account?: { enforce_media_auth?: boolean };
  /** Contacts who have opted out (texted STOP): of `sender` (one of our numbers) or of a Messaging Service. */
  opt_outs?: TopologyOptOut[];
  /** Content API templates (`/v1/Content`), with their WhatsApp approval status. */
  content?: TopologyContent[];
}
export interface TopologyOptOut {
  phone_number: string;
  sender?: string;
  messaging_service_sid?: string;
}
export interface TopologyContent {
  /** HX + 32 hex; default generated. */
  sid?: string;
  friendly_name: string;
  /** Default `en`. */
  language?: string;
  /** The `twilio/text` body, with `{{1}}`-style variables. */
  body: string;
  variables?: Record<string, string>;
  /** WhatsApp approval: `status` approved, rejected, pending or unsubmitted (default); `category` default UTILITY. */
  whatsapp?: { status?: string; category?: string; name?: string };
}
export interface TopologyNumber {
  phone_number: string;
  friendly_name?: string;
  sms_url?: string;
  sms_method?: HttpMethod;
  sms_fallback_url?: string;
  sms_fallback_method?: HttpMethod;
  status_callback?: string;
}
export interface TopologyService {
  sid?: string;
  friendly_name?: string;
  inbound_request_url?: string | null;
  inbound_method?: HttpMethod;
  fallback_url?: string | null;
  fallback_method?: HttpMethod;
  status_callback?: string | null;
  use_inbound_webhook_on_number?: boolean;
  phone_numbers?: string[];
  /** The service's short codes (`12345`): inbound to one goes through the service. */
  short_codes?: string[];
  /** The service's channel senders (`rcs:acme_agent`, `messenger:123…`): inbound to one goes through the service. */
  channel_senders?: string[];
}
export interface TopologyApplication {
  sid?: string;
  friendly_name?: string;
  sms_url?: string;
  sms_method?: HttpMethod;
  sms_fallback_url?: string;
  sms_fallback_method?: HttpMethod;
  sms_status_callback?: string;
  /** Numbers whose SmsApplicationSid is this app. */
  phone_numbers?: string[];
}
export interface TopologySender {
  sid?: string;
  sender_id: string;
  webhook?: {
    callback_url?: string;
    callback_method?: SenderMethod;
    fallback_url?: string;
    fallback_method?: SenderMethod;
    status_callback_url?: string;
  };
  profile?: { name?: string };
}

export interface ApiKey {
  sid: string;
  secret: string;
  friendlyName: string;
  dateCreated: Date;
}

export interface EmulatorInboundMessage {
  /** The sender's E.164 number (no `whatsapp:` prefix needed; set `whatsapp: true`). */
  from: string;
  /** One of the emulator's numbers, or the WhatsApp Sandbox (+14155238886, WhatsApp only). */
  to: string;
  body?: string;
  whatsapp?: boolean;
  /** WhatsApp sender's profile name; default `Emulator User`. */
  profileName?: string;
  /**
   * The media the phone sends. Like Twilio, the emulator hosts it: the webhook's MediaUrlN are the emulator's
   * own `/2010-04-01/Accounts/{AC}/Messages/{MM}/Media/{ME}` URLs, which serve the bytes (of a `data:` URL, or
   * fetched from an http(s) URL when asked for).
   */
  mediaUrls?: MediaItem[];
}

/** `joined`, `not-joined`: the WhatsApp Sandbox answered the message itself (see DeliveryResult.reason). */
export type DeliveryOutcome = 'delivered' | 'failed' | 'no-webhook' | 'cancelled' | 'dropped' | 'joined' | 'not-joined';

export interface DeliveryAttempt {
  kind: DeliveryKind;
  url: string;
  attempt: number;
  statusCode?: number;
  error?: string;
  durationMs: number;
}

export interface DeliveryResult {
  messageSid: string;
  /** Inbound only: the layer that decided where the message went. */
  layer?: InboundLayer;
  outcome: DeliveryOutcome;
  /** The URL of the last attempt (the fallback URL if it was used); null when the winning layer has no URL. */
  url: string | null;
  /** HTTP status of the last attempt, when one answered. */
  statusCode?: number;
  /** Why the last attempt failed, when it did not answer 2xx. */
  error?: string;
  attempts: DeliveryAttempt[];
  /** Response body of the successful attempt (TwiML), at most 64 KiB. */
  responseBody?: string;
  /** Why the message was not delivered to a webhook, when a policy (the Sandbox's membership) decided it. */
  reason?: string;
}

export interface Emulator {
  /** Base URL, e.g. `http://127.0.0.1:53211`; the API lives under `${url}/2010-04-01/`. */
  url: string;
  accountSid: string;
  authToken: string;
  /** The control API's bearer token, when one was set (EmulatorOptions.controlToken). */
  controlToken: string | null;
  numbers: { sid: string; phoneNumber: string }[];
  /** Creates an API key (`SK` + 32 hex) whose SID and secret authenticate like the account SID and token. */
  createApiKey(friendlyName?: string): ApiKey;
  /**
   * Simulates a phone texting one of our numbers (or the WhatsApp Sandbox): routes it as Twilio would
   * (`layer` in the result says which layer won), records it and delivers its webhook. What the control API's
   * `POST /_emulator/inbound` does.
   */
  deliverInbound(msg: EmulatorInboundMessage): Promise<DeliveryResult>;
  getNumber(phoneNumber: string): EmulatorNumber | undefined;
  /** Messaging Services, TwiML Apps and WhatsApp senders (copies), for scripts and the `--json` first line. */
  services(): EmulatorService[];
  applications(): EmulatorApplication[];
  senders(): EmulatorSender[];
  /**
   * The account's routing as Twilio's APIs would show it (snake_case): services with their phone numbers,
   * TwiML Apps with the numbers that use them, WhatsApp senders, the Sandbox and the account's settings. Also
   * `GET /_emulator/topology`.
   */
  topology(): TopologySummary;
  /** What the Console's "WhatsApp sandbox settings" page sets, and the Sandbox's join code. */
  setSandbox(settings: {
    inboundUrl?: string;
    inboundMethod?: HttpMethod;
    statusCallback?: string;
    joinCode?: string;
  }): void;
  /** The next `requests` API requests answer 429 with `Retry-After: retryAfterSeconds`. */
  rateLimit(requests: number, retryAfterSeconds?: number): void;
  /** What a change made in the Twilio Console looks like. */
  setSmsUrl(phoneNumber: string, url: string, method?: HttpMethod): void;
  /** The Messages and Alerts lists' lag in milliseconds (`listLagMs`; also `POST /_emulator/list-lag`). */
  setListLag(ms: number): void;
  /** Monitor alerts recorded so far (failed webhooks), oldest first, lag or not (copies). */
  alerts(): EmulatorAlert[];
  /** The emulator's time (the system clock, or `now`, plus every advance). */
  now(): Date;
  /**
   * Moves the emulator's clock forward by a duration (`90s`, `15m`, `25h`, `2d`) or a number of ms; returns the new
   * time. What `POST /_emulator/clock {"advance": "25h"}` does.
   */
  advanceClock(by: string | number): Date;
  /** All messages, oldest first (copies). */
  messages(): EmulatorMessage[];
  getMessage(sid: string): EmulatorMessage | undefined;
  /** Resolves once every status step and webhook started so far has finished (handy in tests). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export type AlertLogLevel = 'error' | 'warning' | 'notice' | 'debug';

/** A Monitor alert (`/v1/Alerts`): a webhook request of Twilio's that failed (recorded by alerts.ts). */
export interface EmulatorAlert {
  sid: string;
  accountSid: string;
  /** Twilio's error code: 11200 (HTTP retrieval failure), 11205 (connection failure), 11210, 11220, 11237. */
  errorCode: string;
  logLevel: AlertLogLevel;
  /** Twilio's `alert_text`: form-encoded `Msg`, `sourceComponent`, `ErrorCode`, `httpResponse`, `url`, `LogLevel`. */
  alertText: string;
  requestMethod: HttpMethod;
  /** The webhook URL, without any user:password part. */
  requestUrl: string;
  /** The message whose webhook failed. */
  resourceSid: string;
  serviceSid: string | null;
  requestVariables: string;
  responseBody: string | null;
  dateCreated: Date;
}
