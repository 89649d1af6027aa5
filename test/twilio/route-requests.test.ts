import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import { type Emulator, SANDBOX_NUMBER, startEmulator } from '../../src/emulator/index.js';
import { resolveChannels, resolveRoute, resolveRoutes } from '../../src/twilio/route.js';
import { EmulatorRequestClient } from '../helpers/emulator-client.js';

// The resolver asks the account each thing once, whatever the channels: the number, the Services list (and a
// fetch per service, a batch at a time), the Senders list, the Conversations address configurations. bench/README.md has the counts per topology.

const WA = '+15005551501';
const IN_7TH = '+15005551502';
const PLAIN = '+15005551503';
const other = (i: number) => `+150055515${String(50 + i)}`;

describe('route resolver: requests per lookup', () => {
  let emu: Emulator;
  const counted = () => {
    const http = new EmulatorRequestClient(emu.url);
    return { http, client: twilio(emu.accountSid, emu.authToken, { accountSid: emu.accountSid, httpClient: http }) };
  };
  const count = (sent: string[], re: RegExp) => sent.filter((s) => re.test(s)).length;

  before(async () => {
    emu = await startEmulator({
      numbers: [],
      statusDelayMs: 1,
      retryDelaysMs: [],
      topology: {
        numbers: [WA, PLAIN],
        services: Array.from({ length: 20 }, (_, i) => ({
          friendly_name: `Service ${i + 1}`,
          inbound_request_url: `http://127.0.0.1:9/svc${i + 1}`,
          phone_numbers: [other(i), ...(i === 6 ? [IN_7TH] : [])],
        })),
        senders: [{ sender_id: `whatsapp:${WA}`, webhook: { callback_url: 'http://127.0.0.1:9/wa' } }],
      } as never,
    });
  });
  after(async () => {
    await emu.stop();
  });

  test('a number with SMS and a WhatsApp sender, 20 services on the account: the number, the services and the senders asked once', async () => {
    const { http, client } = counted();
    const routes = await resolveRoutes(client, WA);
    assert.deepEqual(
      routes.map((r) => `${r.channel}:${r.layer}`),
      ['sms:number', 'whatsapp:whatsapp_sender'],
    );
    assert.equal(count(http.sent, /IncomingPhoneNumbers\.json$/), 1);
    assert.equal(count(http.sent, /^GET \/v1\/Services$/), 1, 'services listed once, not once per channel');
    assert.equal(count(http.sent, /^GET \/v1\/Services\/MG\w+\/PhoneNumbers\/PN\w+$/), 20, 'each service asked once');
    assert.equal(count(http.sent, /^GET \/v2\/Channels\/Senders$/), 1);
    assert.equal(count(http.sent, /^GET \/v1\/Configuration\/Addresses/), 1, 'Conversations asked once');
    assert.equal(http.sent.length, 24);

    const both = counted();
    const explicit = await resolveChannels(both.client, WA, ['sms', 'whatsapp']);
    assert.deepEqual(explicit, routes, 'listen --channel both: the same routes');
    assert.equal(both.http.sent.length, 24, 'and the same requests');
  });

  test('the service is found in its batch (the 7th of 20): no fetch past the batch that holds it; the right one', async () => {
    const { http, client } = counted();
    const r = await resolveRoute(client, IN_7TH, 'sms');
    assert.equal(r?.layer, 'messaging_service');
    assert.equal(r?.friendlyName, 'Service 7');
    assert.deepEqual(r?.sharedWith, [other(6)]);
    assert.equal(count(http.sent, /^GET \/v1\/Services\/MG\w+\/PhoneNumbers\/PN\w+$/), 10, 'two batches of 5');
  });

  test('a plain number with 20 services and no sender; the Sandbox in one request', async () => {
    const { http, client } = counted();
    assert.deepEqual(
      (await resolveRoutes(client, PLAIN)).map((r) => r.layer),
      ['number'],
    );
    assert.equal(http.sent.length, 24);
    const sandbox = counted();
    assert.deepEqual(
      (await resolveRoutes(sandbox.client, SANDBOX_NUMBER)).map((r) => r.layer),
      ['sandbox'],
    );
    assert.equal(sandbox.http.sent.length, 1);
  });

  test("an account without Conversations access: 'unknown' on every route, never fatal", async () => {
    class NoConversations extends EmulatorRequestClient {
      override request<TData>(opts: RequestClient.RequestOptions<TData>) {
        if (opts.uri.includes('/v1/Configuration/Addresses')) {
          const body = JSON.stringify({ code: 20003, message: 'Forbidden', more_info: '', status: 403 });
          return Promise.resolve({ statusCode: 403, body, headers: {} } as never);
        }
        return super.request(opts);
      }
    }
    const http = new NoConversations(emu.url);
    const client = twilio(emu.accountSid, emu.authToken, { accountSid: emu.accountSid, httpClient: http });
    const routes = await resolveRoutes(client, WA);
    assert.deepEqual(
      routes.map((r) => `${r.channel}:${r.layer}:${r.conversations}`),
      ['sms:number:unknown', 'whatsapp:whatsapp_sender:unknown'],
    );
  });
});
