/** The local Twilio emulator: Twilio's 2010-04-01 REST API for messaging on 127.0.0.1, plus signed webhooks. */

export { countSegments } from '../twilio/inbound-form.js';
export { MAGIC_NUMBERS } from './magic.js';
export type { EmulatorRoute } from './route-kit.js';
export { emulatorRoutes } from './routes.js';
export { type InboundRoute, matchesPhoneNumberFilter, routeInbound } from './routing.js';
export { startEmulator } from './server.js';
export { SANDBOX_NUMBER } from './state.js';
export { checkTopology, TopologyError } from './topology.js';
export type {
  AlertLogLevel,
  ApiKey,
  DeliveryAttempt,
  DeliveryKind,
  DeliveryOutcome,
  DeliveryResult,
  Emulator,
  EmulatorAlert,
  EmulatorApplication,
  EmulatorContent,
  EmulatorInboundMessage,
  EmulatorLogEntry,
  EmulatorLogEvent,
  EmulatorMessage,
  EmulatorNumber,
  EmulatorOptions,
  EmulatorOptOut,
  EmulatorSandbox,
  EmulatorSender,
  EmulatorService,
  HttpMethod,
  InboundLayer,
  MediaItem,
  MessageDirection,
  MessageStatus,
  OptOutType,
  Topology,
  TopologyContent,
  TopologyOptOut,
  TopologySummary,
} from './types.js';
