import twilio from 'twilio';
import RequestClient from 'twilio/lib/base/RequestClient.js';

/** Sends the official client's requests, aimed at https://*.twilio.com, to the emulator instead. */
export class EmulatorRequestClient extends RequestClient {
  /** Every request sent, as `GET /v1/Services` (method and path, no query), to count them. */
  readonly sent: string[] = [];

  readonly #baseUrl: string;

  constructor(baseUrl: string) {
    super();
    this.#baseUrl = baseUrl;
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const uri = opts.uri.replace(/^https:\/\/([a-z0-9-]+\.)*twilio\.com/i, this.#baseUrl);
    this.sent.push(`${opts.method.toUpperCase()} ${new URL(uri).pathname}`);
    return super.request({ ...opts, uri });
  }
}

export interface EmulatorCredentials {
  url: string;
  accountSid: string;
  authToken: string;
}

/**
 * An official `twilio` client talking to the emulator, authenticated with the account's token or, when given,
 * an API key SID + secret.
 */
export function emulatorClient(
  emulator: EmulatorCredentials,
  credentials: { username: string; password: string } = {
    username: emulator.accountSid,
    password: emulator.authToken,
  },
): twilio.Twilio {
  return twilio(credentials.username, credentials.password, {
    accountSid: emulator.accountSid,
    httpClient: new EmulatorRequestClient(emulator.url),
  });
}
