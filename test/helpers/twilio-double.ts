import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The smallest Twilio stand-in: the account fetch and the IncomingPhoneNumbers list that add-config's
 * verification makes, with Twilio's Basic auth and error body. The project's full emulator covers the rest.
 */
export interface TwilioDouble {
  url: string;
  accountSid: string;
  authToken: string;
  numbers: string[];
  requests: { method: string; path: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

export async function startTwilioDouble(opts: {
  accountSid: string;
  authToken: string;
  numbers: string[];
}): Promise<TwilioDouble> {
  const requests: TwilioDouble['requests'] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ method: req.method ?? '', path: url.pathname, authorization: req.headers.authorization });
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const expected = 'Basic ' + Buffer.from(`${opts.accountSid}:${opts.authToken}`).toString('base64');
    if (req.headers.authorization !== expected) {
      return send(401, {
        code: 20003,
        message: 'Authenticate',
        more_info: 'https://www.twilio.com/docs/errors/20003',
        status: 401,
      });
    }
    const base = `/2010-04-01/Accounts/${opts.accountSid}`;
    if (url.pathname === `${base}.json`) {
      return send(200, {
        sid: opts.accountSid,
        friendly_name: 'Double account',
        status: 'active',
        type: 'Full',
        date_created: null,
        date_updated: null,
        owner_account_sid: opts.accountSid,
        uri: `${base}.json`,
        subresource_uris: {},
      });
    }
    if (url.pathname === `${base}/IncomingPhoneNumbers.json`) {
      const wanted = url.searchParams.get('PhoneNumber');
      const items = opts.numbers
        .filter((n) => !wanted || n === wanted)
        .map((n, i) => ({
          sid: `PN${String(i).padStart(32, '0')}`,
          account_sid: opts.accountSid,
          phone_number: n,
          friendly_name: n,
          sms_url: '',
          sms_method: 'POST',
        }));
      return send(200, {
        incoming_phone_numbers: items,
        page: 0,
        page_size: 50,
        start: 0,
        end: Math.max(0, items.length - 1),
        first_page_uri: `${base}/IncomingPhoneNumbers.json?PageSize=50&Page=0`,
        next_page_uri: null,
        previous_page_uri: null,
        uri: `${base}/IncomingPhoneNumbers.json?PageSize=50&Page=0`,
      });
    }
    send(404, {
      code: 20404,
      message: 'The requested resource was not found',
      more_info: 'https://www.twilio.com/docs/errors/20404',
      status: 404,
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    ...opts,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
