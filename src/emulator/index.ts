/** The local Twilio emulator: Twilio's 2010-04-01 REST API for messaging on 127.0.0.1, plus signed webhooks. */
export { startEmulator } from './server.js';
export { emulatorRoutes, type EmulatorRoute } from './routes.js';
export { MAGIC_NUMBERS } from './magic.js';
export { SANDBOX_NUMBER } from './state.js';
export { checkTopology, TopologyError } from './topology.js';
export { routeInbound, matchesPhoneNumberFilter, type InboundRoute } from './routing.js';
export { countSegments } from '../twilio/inbound-form.js';
export type {
  ApiKey,
  DeliveryAttempt,
  DeliveryOutcome,
  DeliveryResult,
  Emulator,
  EmulatorLogEntry,
  EmulatorLogEvent,
  EmulatorMessage,
  EmulatorNumber,
  EmulatorApplication,
  EmulatorOptions,
  EmulatorSandbox,
  EmulatorSender,
  EmulatorService,
  HttpMethod,
  InboundLayer,
  EmulatorInboundMessage,
  Topology,
  TopologySummary,
  MediaItem,
  MessageDirection,
  MessageStatus,
  DeliveryKind,
} from './types.js';
