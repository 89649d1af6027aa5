/** An error the REST API answers with Twilio's JSON error body. */
export class TwilioApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'TwilioApiError';
  }

  toJSON(): { code: number; message: string; more_info: string; status: number } {
    return {
      code: this.code,
      message: this.message,
      more_info: `https://www.twilio.com/docs/errors/${this.code}`,
      status: this.status,
    };
  }
}

export const apiErrors = {
  noCredentials: () => new TwilioApiError(401, 20003, 'Authentication Error - No credentials provided'),
  badCredentials: () => new TwilioApiError(401, 20003, 'Authenticate'),
  notFound: (path: string) => new TwilioApiError(404, 20404, `The requested resource ${path} was not found`),
  methodNotAllowed: (method: string) => new TwilioApiError(405, 20004, `Method ${method} not allowed`),
  invalidParameter: (message: string) => new TwilioApiError(400, 20001, message),
  toRequired: () => new TwilioApiError(400, 21604, "A 'To' phone number is required."),
  fromRequired: () => new TwilioApiError(400, 21603, "A 'From' phone number is required."),
  invalidTo: (to: string) => new TwilioApiError(400, 21211, `Invalid 'To' Phone Number: ${to}`),
  invalidFrom: (from: string) => new TwilioApiError(400, 21212, `Invalid From Number: ${from}`),
  fromNotOwned: (from: string) =>
    new TwilioApiError(
      400,
      21606,
      `The From phone number ${from} is not a valid, SMS-capable inbound phone number or short code for your account.`,
    ),
  bodyRequired: () => new TwilioApiError(400, 21602, 'Message body is required.'),
  bodyTooLong: () => new TwilioApiError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.'),
  trialUnverified: (to: string) =>
    new TwilioApiError(
      400,
      21608,
      `The number ${to} is unverified. Trial accounts cannot send messages to unverified numbers; verify ${to} at twilio.com/user/account/phone-numbers/verified, or purchase a Twilio number to send messages to unverified numbers.`,
    ),
  // Our reading for both: 400, as Twilio answers the other refusals of a message it cannot create.
  serviceNotFound: (sid: string) => new TwilioApiError(400, 21701, `The Messaging Service ${sid} does not exist`),
  serviceHasNoSenders: () => new TwilioApiError(400, 21704, 'The Messaging Service contains no phone numbers'),
  tooManyRequests: () => new TwilioApiError(429, 20429, 'Too Many Requests'),
  unsubscribed: () => new TwilioApiError(400, 21610, 'Attempt to send to unsubscribed recipient'),
  unroutable: () =>
    new TwilioApiError(
      400,
      21612,
      "The 'To' phone number is not currently reachable using the 'From' phone number via SMS.",
    ),
  regionNotEnabled: (to: string) =>
    new TwilioApiError(
      400,
      21408,
      `Permission to send an SMS has not been enabled for the region indicated by the 'To' number: ${to}`,
    ),
  notMobile: (to: string) => new TwilioApiError(400, 21614, `'To' number ${to} is not a valid mobile number`),
  channelMismatch: () =>
    new TwilioApiError(400, 21910, 'Invalid From and To pair. From and To should be of the same channel'),
  invalidUrl: (name: string, url: string) => new TwilioApiError(400, 21502, `${name} is not valid: ${url}`),
  invalidMediaUrl: (url: string) => new TwilioApiError(400, 21620, `Invalid media URL(s): ${url}`),
  sameToFrom: () => new TwilioApiError(400, 21266, "'To' and 'From' number cannot be the same"),
  tooManyMedia: () => new TwilioApiError(400, 21623, 'Number of media files exceeds allowed limit'),
  // Our reading for the three: 400, as the other refusals of a create.
  contentSidRequired: () => new TwilioApiError(400, 21654, 'ContentSid Required'),
  invalidContentSid: (sid: string) => new TwilioApiError(400, 21655, `The ContentSid is Invalid: ${sid}`),
  invalidContentVariables: (why: string) =>
    new TwilioApiError(400, 21656, `The ContentVariables Parameter is invalid: ${why}`),
  invalidStatusCallback: (url: string) => new TwilioApiError(400, 21609, `Invalid StatusCallback URL: ${url}`),
};

/** Asynchronous failures: the message is accepted (201) and later ends `failed` or `undelivered` with these. */
export const deliveryErrors = {
  30003: 'Unreachable destination handset',
  30005: 'Unknown destination handset',
  30008: 'Unknown error',
  30032: 'Toll-Free Number Has Not Been Verified',
  30034: 'US A2P 10DLC - Message from an Unregistered Number',
  63015: 'Channel Sandbox can only send messages to phone numbers that have joined the Sandbox',
  63016:
    'Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template.',
} as const;
export type DeliveryErrorCode = keyof typeof deliveryErrors;
