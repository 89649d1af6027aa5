import type { DeliveryErrorCode } from './errors.js';

/**
 * Recipient numbers with scripted behaviour, in the spirit of Twilio's own test-credential numbers
 * (+15005550001 to +15005550004 and +15005550009 mean the same thing there). They work with or without
 * `whatsapp:`.
 * The asynchronous ones spell their error code in the last four digits: +1500555 3003 -> 30003.
 */
export const MAGIC_NUMBERS = {
  /** POST Messages answers 400, code 21211 (invalid 'To'). */
  invalidTo: '+15005550001',
  /** POST Messages answers 400, code 21612 (the To number cannot be reached from the From number). */
  unroutable: '+15005550002',
  /** POST Messages answers 400, code 21408 (sending to the To number's region is not enabled). */
  regionNotEnabled: '+15005550003',
  /** POST Messages answers 400, code 21610 (recipient replied STOP). */
  unsubscribed: '+15005550004',
  /** POST Messages answers 400, code 21614 (the To number is not a mobile number). */
  notMobile: '+15005550009',
  /** POST Messages answers 400, code 21608 (a trial account sending to a number it has not verified). */
  trialUnverified: '+15005552608',
  /** Accepted, then queued -> sent -> undelivered with error 30034 (the From number's 10DLC campaign is not registered). */
  unregistered10dlc: '+15005553034',
  /** Accepted, then queued -> sent -> undelivered with error 30032 (the toll-free From number is not verified). */
  unverifiedTollFree: '+15005553032',
  /** WhatsApp only: accepted, then queued -> failed with error 63015 (the recipient has not joined the Sandbox). */
  sandboxNotJoined: '+15005556315',
  /** Accepted, then queued -> sent -> undelivered with error 30003 (unreachable handset). */
  undeliveredUnreachable: '+15005553003',
  /** Accepted, then queued -> sent -> undelivered with error 30005 (unknown handset). */
  undeliveredUnknown: '+15005553005',
  /** Accepted, then queued -> failed with error 30008 (unknown error). */
  failed: '+15005553008',
  /** WhatsApp only: accepted, then queued -> failed with error 63016 (outside the 24-hour session window). */
  whatsappOutsideWindow: '+15005556316',
} as const;

export interface ScriptedFailure {
  status: 'failed' | 'undelivered';
  errorCode: DeliveryErrorCode;
}

export function scriptedFailure(toNumber: string, whatsapp: boolean): ScriptedFailure | undefined {
  switch (toNumber) {
    case MAGIC_NUMBERS.undeliveredUnreachable:
      return { status: 'undelivered', errorCode: 30003 };
    case MAGIC_NUMBERS.undeliveredUnknown:
      return { status: 'undelivered', errorCode: 30005 };
    case MAGIC_NUMBERS.failed:
      return { status: 'failed', errorCode: 30008 };
    // Our reading: carriers' filtering of unregistered/unverified senders shows as undelivered after sent.
    case MAGIC_NUMBERS.unregistered10dlc:
      return { status: 'undelivered', errorCode: 30034 };
    case MAGIC_NUMBERS.unverifiedTollFree:
      return { status: 'undelivered', errorCode: 30032 };
    case MAGIC_NUMBERS.sandboxNotJoined:
      return whatsapp ? { status: 'failed', errorCode: 63015 } : undefined;
    case MAGIC_NUMBERS.whatsappOutsideWindow:
      return whatsapp ? { status: 'failed', errorCode: 63016 } : undefined;
    default:
      return undefined;
  }
}
