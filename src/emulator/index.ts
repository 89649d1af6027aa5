/** The local Twilio emulator: Twilio's 2010-04-01 REST API for messaging on 127.0.0.1, plus signed webhooks. */

export { countSegments } from '../twilio/inbound-form.js';
export type { AlertLogLevel, EmulatorAlert } from './alerts.js';
export { MAGIC_NUMBERS } from './magic.js';
export { type EmulatorRoute, emulatorRoutes } from './routes.js';
export { type InboundRoute, matchesPhoneNumberFilter, routeInbound } from './routing.js';
export { startEmulator } from './server.js';
export { SANDBOX_NUMBER } from './state.js';
export { checkTopology, TopologyError } from './topology.js';
export type {
  ApiKey,
  DeliveryAttempt,
  DeliveryKind,
  DeliveryOutcome,
  DeliveryResult,
  Emulator,
  EmulatorApplication,
  EmulatorInboundMessage,
  EmulatorLogEntry,
  EmulatorLogEvent,
  EmulatorMessage,
  EmulatorNumber,
  EmulatorOptions,
  EmulatorSandbox,
  EmulatorSender,
  EmulatorService,
  HttpMethod,
  InboundLayer,
  MediaItem,
  MessageDirection,
  MessageStatus,
  Topology,
  TopologySummary,
} from './types.js';
