/**
 * Contract tests: the emulator against Twilio's own OpenAPI descriptions of the 2010-04-01 API, messaging v1
 * (Messaging Services) and messaging v2 (Channels/Senders), read from ../shared/twilio-oai/ beside the repository
 * (never copied into it). Runs in the `--shared` pass only.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import {
  type Emulator,
  type EmulatorLogEntry,
  emulatorRoutes,
  MAGIC_NUMBERS,
  startEmulator,
} from '../../src/emulator/index.js';
import { EmulatorRequestClient } from '../helpers/emulator-client.js';

// ---------------------------------------------------------------------------------------------- the spec

interface Schema {
  $ref?: string;
  type?: string;
  nullable?: boolean;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  items?: Schema;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  format?: string;
  additionalProperties?: boolean | Schema;
}

interface Operation {
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}

interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

const SPEC_FILES = [
  'twilio_api_v2010.json',
  'twilio_messaging_v1.json',
  'twilio_messaging_v2.json',
  'twilio_content_v1.json',
  'twilio_conversations_v1.json',
  'twilio_monitor_v1.json',
] as const;
type SpecFile = (typeof SPEC_FILES)[number];

function loadSpec(file: SpecFile): OpenApi {
  const specPath = path.resolve(findRepoRoot(), '../shared/twilio-oai', file);
  if (!existsSync(specPath)) {
    assert.fail(
      `Twilio's OpenAPI spec is missing at ${specPath}. The contract tests need the shared folder beside the ` +
        `repository (../shared/twilio-oai/${file}, from github.com/twilio/twilio-oai).`,
    );
  }
  return JSON.parse(readFileSync(specPath, 'utf8')) as OpenApi;
}

/** Which spec describes a route: by its version prefix, as Twilio's paths are written. */
function specFileOf(template: string): SpecFile {
  if (template.startsWith('/2010-04-01/')) return 'twilio_api_v2010.json';
  if (template.startsWith('/v1/Content')) return 'twilio_content_v1.json';
  if (template.startsWith('/v1/Configuration/')) return 'twilio_conversations_v1.json';
  // monitor.twilio.com and messaging.twilio.com both version as /v1/: the resource names the API.
  if (template.startsWith('/v1/Alerts')) return 'twilio_monitor_v1.json';
  if (template.startsWith('/v1/')) return 'twilio_messaging_v1.json';
  if (template.startsWith('/v2/')) return 'twilio_messaging_v2.json';
  assert.fail(`no spec for ${template}`);
}

function operation(
  specs: Record<SpecFile, OpenApi>,
  method: string,
  template: string,
): { spec: OpenApi; op: Operation } {
  const spec = specs[specFileOf(template)];
  const op = spec.paths[template]?.[method.toLowerCase()];
  assert.ok(op, `${specFileOf(template)} has no ${method} ${template}`);
  return { spec, op };
}

/** A schema with its $ref followed (request bodies of messaging v2 are references). */
function resolve(spec: OpenApi, schema: Schema | undefined): Schema | undefined {
  if (!schema?.$ref) return schema;
  return spec.components.schemas[schema.$ref.replace('#/components/schemas/', '')];
}

// ------------------------------------------------------------------------------ a small schema checker

const RFC2822 =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/;
const ISO8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Checks the subset of JSON Schema that the spec's response schemas use: $ref, type, nullable, enum, properties,
 * items, pattern, minLength, maxLength and the date format. Stricter than JSON Schema in one way, on purpose:
 * the spec never sets additionalProperties (so anything extra would pass), yet a property the spec does not
 * declare is one the twilio client would not model, so it counts as an error.
 */
function validate(spec: OpenApi, schema: Schema, value: unknown, at: string, errors: string[]): void {
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = spec.components.schemas[name];
    if (!target) return void errors.push(`${at}: unresolvable $ref ${schema.$ref}`);
    return validate(spec, { ...target, nullable: schema.nullable ?? target.nullable }, value, at, errors);
  }
  if (value === null) {
    if (!schema.nullable) errors.push(`${at}: null but not nullable`);
    return;
  }
  const actual = Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  if (schema.type) {
    const fits = schema.type === actual || (schema.type === 'number' && actual === 'integer');
    if (!fits) return void errors.push(`${at}: expected ${schema.type}, got ${actual} (${JSON.stringify(value)})`);
  }
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${at}: ${JSON.stringify(value)} not in enum`);
  if (typeof value === 'string') {
    if (schema.pattern && !new RegExp(schema.pattern).test(value)) errors.push(`${at}: ${value} !~ ${schema.pattern}`);
    if (schema.minLength !== undefined && value.length < schema.minLength)
      errors.push(`${at}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      errors.push(`${at}: longer than ${schema.maxLength}`);
    if (schema.format === 'date-time-rfc-2822' && !RFC2822.test(value)) errors.push(`${at}: ${value} is not RFC 2822`);
    if (schema.format === 'date-time' && !ISO8601.test(value)) errors.push(`${at}: ${value} is not ISO 8601`);
  }
  if (Array.isArray(value) && schema.items) {
    for (const [i, item] of value.entries()) validate(spec, schema.items!, item, `${at}[${i}]`, errors);
  }
  if (actual === 'object' && schema.properties) {
    const record = value as Record<string, unknown>;
    for (const [key, item] of Object.entries(record)) {
      const declared = schema.properties[key];
      if (!declared) errors.push(`${at}.${key}: not declared in the spec`);
      else validate(spec, declared, item, `${at}.${key}`, errors);
    }
  }
}

/**
 * The other half of the contract: every property the spec declares for an object is present in the answer (null
 * when it has no value), as on Twilio, so a client reading a field never meets `undefined`. Follows $ref, nested
 * objects and array items. `omitted` lists paths left out on purpose.
 */
function complete(
  spec: OpenApi,
  schema: Schema,
  value: unknown,
  at: string,
  errors: string[],
  omitted: ReadonlySet<string>,
): void {
  if (schema.$ref) {
    const target = spec.components.schemas[schema.$ref.replace('#/components/schemas/', '')];
    if (target) complete(spec, target, value, at, errors, omitted);
    return;
  }
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    if (schema.items) {
      for (const [i, item] of value.entries()) complete(spec, schema.items!, item, `${at}[${i}]`, errors, omitted);
    }
    return;
  }
  if (typeof value !== 'object' || !schema.properties) return;
  const record = value as Record<string, unknown>;
  for (const [key, declared] of Object.entries(schema.properties)) {
    const path = `${at.replace(/\[\d+\]/g, '[]')}.${key}`;
    if (!(key in record)) {
      if (!omitted.has(path)) errors.push(`${at}.${key}: declared in the spec, missing from the answer`);
    } else complete(spec, declared, record[key], `${at}.${key}`, errors, omitted);
  }
}

// ------------------------------------------------------------------------------- the recorded traffic

interface Exchange {
  method: string;
  route: string;
  status: number;
  body: unknown;
  bodyParams: string[];
  queryParams: string[];
}

/** Records every response the official client receives, paired with the route the emulator says served it. */
class RecordingRequestClient extends EmulatorRequestClient {
  readonly #lastRequestLog: () => EmulatorLogEntry | undefined;
  readonly #exchanges: Exchange[];

  constructor(baseUrl: string, lastRequestLog: () => EmulatorLogEntry | undefined, exchanges: Exchange[]) {
    super(baseUrl);
    this.#lastRequestLog = lastRequestLog;
    this.#exchanges = exchanges;
  }

  override async request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const response = await super.request(opts);
    const entry = this.#lastRequestLog();
    assert.ok(entry?.route, `the emulator logged no route for ${opts.method} ${opts.uri}`);
    this.#exchanges.push({
      method: entry.method!,
      route: entry.route,
      status: response.statusCode,
      body:
        typeof response.body === 'string'
          ? response.body === ''
            ? undefined
            : JSON.parse(response.body)
          : response.body,
      bodyParams: entry.bodyParams ?? [],
      queryParams: entry.queryParams ?? [],
    });
    return response;
  }
}

describe("emulator contract with Twilio's OpenAPI specs (api v2010, messaging v1, messaging v2, content v1, monitor v1, conversations v1)", () => {
  let specs: Record<SpecFile, OpenApi>;
  let emu: Emulator;
  const logs: EmulatorLogEntry[] = [];
  const exchanges: Exchange[] = [];

  before(async () => {
    specs = Object.fromEntries(SPEC_FILES.map((f) => [f, loadSpec(f)])) as Record<SpecFile, OpenApi>;
    const unreachableCallback = 'http://127.0.0.1:1/status'; // callbacks themselves are not part of this contract
    emu = await startEmulator({
      numbers: ['+15005551301', '+15005551302'],
      statusDelayMs: 1,
      retryDelaysMs: [],
      deliveryTimeoutMs: 200,
      onLog: (e) => logs.push(e),
      // Conversations address configurations are made by the topology file only (the tool only reads them).
      topology: {
        // A service's short codes and RCS/Messenger senders come from the topology file only (the tool only lists them).
        services: [
          { friendly_name: 'contract senders', short_codes: ['24680'], channel_senders: ['rcs:contract_agent'] },
        ],
        content: [
          {
            friendly_name: 'order_ready',
            body: 'Hi {{1}}, order {{2}} is ready',
            variables: { '1': 'there' },
            whatsapp: { status: 'approved' },
          },
          { friendly_name: 'promo', body: 'Sale!' },
        ],
        conversations: {
          address_configurations: [
            {
              type: 'sms',
              address: '+15005551302',
              friendly_name: 'contract address',
              auto_creation: { enabled: true, type: 'webhook', webhook_url: 'https://hooks.example.test/conv' },
            },
          ],
        },
      },
    });
    const lastRequestLog = () => logs.filter((e) => e.event === 'http.request').at(-1);
    const client = twilio(emu.accountSid, emu.authToken, {
      accountSid: emu.accountSid,
      httpClient: new RecordingRequestClient(emu.url, lastRequestLog, exchanges),
    });
    const [own, second] = emu.numbers;

    // A tour of every route, with the parameters the tool is expected to use.
    await client.api.v2010.accounts(emu.accountSid).fetch();
    await client.incomingPhoneNumbers.list({ phoneNumber: own!.phoneNumber, pageSize: 1 });
    await client.incomingPhoneNumbers.list({ pageSize: 1, limit: 2 });
    await client.incomingPhoneNumbers(own!.sid).fetch();
    await client.incomingPhoneNumbers(own!.sid).update({
      smsUrl: 'https://hooks.example.test/sms',
      smsMethod: 'POST',
      smsFallbackUrl: 'https://hooks.example.test/fallback',
      smsFallbackMethod: 'POST',
      friendlyName: 'contract',
      statusCallback: 'https://hooks.example.test/voice-status',
      statusCallbackMethod: 'POST',
    });
    // A Messaging Service to send through (its 201 is `accepted` with a null `from`); its number leaves it again
    // before the inbound message below, which would otherwise be dropped by the service's null inbound URL.
    const pool = await client.messaging.v1.services.create({ friendlyName: 'sender pool' });
    await client.messaging.v1.services(pool.sid).phoneNumbers.create({ phoneNumberSid: second!.sid });
    const viaService = await client.messages.create({ messagingServiceSid: pool.sid, to: '+15550002222', body: 'svc' });
    await client.messaging.v1.services(pool.sid).phoneNumbers(second!.sid).remove();
    const withSenders = (await client.messaging.v1.services.list()).find((x) => x.friendlyName === 'contract senders')!;
    assert.deepEqual(
      (await client.messaging.v1.services(withSenders.sid).shortCodes.list()).map((c) => c.shortCode),
      ['24680'],
    );
    assert.deepEqual(
      (await client.messaging.v1.services(withSenders.sid).channelSenders.list()).map((c) => c.sender),
      ['rcs:contract_agent'],
    );
    const sent = [
      await client.messages.create({
        from: own!.phoneNumber,
        to: '+15550002222',
        body: 'plain',
        statusCallback: unreachableCallback,
      }),
      await client.messages.create({
        from: own!.phoneNumber,
        to: '+15550002222',
        mediaUrl: ['https://example.test/a.jpg'],
      }),
      await client.messages.create({ from: `whatsapp:${own!.phoneNumber}`, to: 'whatsapp:+15550002222', body: 'wa' }),
      await client.messages.create({ from: own!.phoneNumber, to: MAGIC_NUMBERS.failed, body: 'fails' }),
      await client.messages.create({
        from: own!.phoneNumber,
        to: MAGIC_NUMBERS.undeliveredUnreachable,
        body: 'bounces',
      }),
      viaService,
    ];
    await emu.deliverInbound({ from: '+15550003333', to: second!.phoneNumber, body: 'inbound' });
    await emu.idle();
    for (const m of sent) await client.messages(m.sid).fetch();
    await client.messages(sent[1]!.sid).media.list({ pageSize: 5 });
    await client.messages.list({ pageSize: 3, limit: 7 });
    await client.messages.list({
      to: '+15550002222',
      from: own!.phoneNumber,
      dateSentAfter: new Date(Date.now() - 86_400_000),
    });
    await client.messages.list({ dateSent: new Date(), dateSentBefore: new Date(Date.now() + 86_400_000) });
    const page = await client.messages.page({ pageSize: 2 });
    const next = await page.nextPage();
    await next?.previousPage();
    const [media] = await client.messages(sent[1]!.sid).media.list();
    await client.messages(sent[1]!.sid).media(media!.sid).fetch();

    // TwiML Apps and a number's SmsApplicationSid.
    const app = await client.applications.create({
      friendlyName: 'contract app',
      smsUrl: 'https://hooks.example.test/app',
      smsMethod: 'POST',
      smsStatusCallback: 'https://hooks.example.test/app-status',
    });
    await client.applications.list({ friendlyName: 'contract app' });
    await client.applications(app.sid).fetch();
    await client
      .applications(app.sid)
      .update({ smsFallbackUrl: 'https://hooks.example.test/app-fallback', smsFallbackMethod: 'POST' });
    await client.incomingPhoneNumbers(second!.sid).update({ smsApplicationSid: app.sid });
    await client.incomingPhoneNumbers(second!.sid).update({ smsApplicationSid: '' });
    await client.applications(app.sid).remove();

    // Messaging Services and their numbers (messaging v1).
    const svc = await client.messaging.v1.services.create({
      friendlyName: 'contract service',
      inboundRequestUrl: 'https://hooks.example.test/svc',
      inboundMethod: 'POST',
      fallbackUrl: 'https://hooks.example.test/svc-fallback',
      fallbackMethod: 'POST',
      statusCallback: 'https://hooks.example.test/svc-status',
      useInboundWebhookOnNumber: false,
    });
    await client.messaging.v1.services.create({ friendlyName: 'second service' });
    await client.messaging.v1.services.list({ pageSize: 1, limit: 2 });
    await client.messaging.v1.services(svc.sid).fetch();
    await client.messaging.v1.services(svc.sid).update({ inboundRequestUrl: '', useInboundWebhookOnNumber: true });
    await client.messaging.v1.services(svc.sid).phoneNumbers.create({ phoneNumberSid: own!.sid });
    await client.messaging.v1.services(svc.sid).phoneNumbers.create({ phoneNumberSid: own!.sid }); // already there: 200
    await client.messaging.v1.services(svc.sid).phoneNumbers.list();
    await client.messaging.v1.services(svc.sid).phoneNumbers(own!.sid).fetch();
    await emu.deliverInbound({ from: '+15550003333', to: own!.phoneNumber, body: 'to a service number' });
    await client.messaging.v1.services(svc.sid).phoneNumbers(own!.sid).remove();
    await client.messaging.v1.services(svc.sid).remove();

    // WhatsApp senders (messaging v2, JSON bodies).
    const sender = await client.messaging.v2.channelsSenders.create({
      sender_id: `whatsapp:${second!.phoneNumber}`,
      configuration: { waba_id: '12345678912345' },
      webhook: {
        callback_url: 'https://hooks.example.test/wa',
        callback_method: 'POST',
        fallback_url: 'https://hooks.example.test/wa-fallback',
        status_callback_url: 'https://hooks.example.test/wa-status',
      },
      profile: { name: 'Contract' },
    } as never);
    await client.messaging.v2.channelsSenders.list({ channel: 'whatsapp' });
    await client.messaging.v2.channelsSenders(sender.sid).fetch();
    await client.messaging.v2.channelsSenders(sender.sid).update({ webhook: { callback_url: '' } } as never);
    await client.messaging.v2.channelsSenders(sender.sid).remove();

    // Content API templates (content v1) and a message sent with one.
    const templates = await client.content.v1.contents.list({ pageSize: 1, limit: 2 });
    await client.content.v1.contents(templates[0]!.sid).fetch();
    await client.content.v1.contentAndApprovals.list({ pageSize: 5 });
    await client.messages.create({
      from: own!.phoneNumber,
      to: '+15550002222',
      contentSid: templates[0]!.sid,
      contentVariables: JSON.stringify({ 1: 'Ann', 2: '#7' }),
    });

    // Monitor alerts (monitor.twilio.com): the unreachable status callback above failed, each time a warning.
    await emu.idle();
    const alerts = await client.monitor.v1.alerts.list({
      logLevel: 'warning',
      startDate: new Date(Date.now() - 3_600_000),
      endDate: new Date(Date.now() + 3_600_000),
      pageSize: 1,
      limit: 2,
    });
    assert.ok(alerts.length === 2, 'the failed status callbacks left alerts');
    await client.monitor.v1.alerts(alerts[0]!.sid).fetch();

    // Conversations address configurations (conversations v1).
    const [address] = await client.conversations.v1.addressConfigurations.list({ type: 'sms' });
    await client.conversations.v1.addressConfigurations(address!.sid).fetch();

    // Refusals, one of each kind the tool meets, on each API: Twilio's error body, with the HTTP status in it.
    const none = (prefix: string) => prefix + '0'.repeat(32);
    for (const refused of [
      () => client.api.v2010.accounts(none('AC')).fetch(),
      () => client.incomingPhoneNumbers(none('PN')).fetch(),
      () => client.messages(none('SM')).fetch(),
      () => client.messages.create({ from: own!.phoneNumber, to: '+15005550001', body: 'invalid To' }),
      () => client.messages.create({ messagingServiceSid: pool.sid, to: '+15550002222', body: 'an empty pool' }),
      () => client.messages.create({ messagingServiceSid: none('MG'), to: '+15550002222', body: 'no such service' }),
      () => client.applications(none('AP')).fetch(),
      () => client.messaging.v1.services(none('MG')).fetch(),
      () => client.messaging.v1.services(pool.sid).phoneNumbers(own!.sid).fetch(),
      () => client.messaging.v1.services(pool.sid).phoneNumbers.create({ phoneNumberSid: none('PN') }),
      () => client.messaging.v2.channelsSenders(none('XE')).fetch(),
      () => client.messaging.v2.channelsSenders.create({ sender_id: 'not-whatsapp' } as never),
      () => client.monitor.v1.alerts(none('NO')).fetch(),
      () => client.content.v1.contents(none('HX')).fetch(),
      () => client.conversations.v1.addressConfigurations(none('IG')).fetch(),
    ]) {
      await assert.rejects(refused());
    }
  });

  after(async () => {
    await emu?.stop();
  });

  it('serves only routes the specs define, with the same method and path template', () => {
    assert.ok(emulatorRoutes.length >= 28);
    for (const route of emulatorRoutes) operation(specs, route.method, route.path);
    for (const file of SPEC_FILES)
      assert.ok(
        emulatorRoutes.some((r) => specFileOf(r.path) === file),
        `no route from ${file}`,
      );
  });

  it('exercised every route in this tour', () => {
    const seen = new Set(exchanges.map((e) => `${e.method} ${e.route}`));
    for (const route of emulatorRoutes)
      assert.ok(seen.has(`${route.method} ${route.path}`), `${route.method} ${route.path} untested`);
  });

  it('answers with a status and a body the spec declares for that route', () => {
    assert.ok(exchanges.length > 40);
    assert.ok(
      exchanges.some(
        (e) => e.route === '/v1/Services/{ServiceSid}/PhoneNumbers' && e.method === 'POST' && e.status === 200,
      ),
      'a re-added number answers 200',
    );
    for (const ex of exchanges.filter((e) => e.status < 400)) {
      const { spec, op } = operation(specs, ex.method, ex.route);
      const declared = op.responses[String(ex.status)];
      assert.ok(
        declared,
        `${ex.method} ${ex.route} answered ${ex.status}; the spec declares ${Object.keys(op.responses)}`,
      );
      if (ex.status === 204) {
        assert.equal(ex.body, undefined, `${ex.method} ${ex.route}: 204 has no body`);
        continue;
      }
      const schema = declared.content?.['application/json']?.schema;
      assert.ok(schema, `no JSON schema for ${ex.status} of ${ex.method} ${ex.route}`);
      const errors: string[] = [];
      validate(spec, schema, ex.body, `${ex.method} ${ex.route}`, errors);
      assert.deepEqual(errors, [], `response does not match the spec:\n${errors.join('\n')}`);
    }
  });

  it('answers with every property the spec declares for the resource (null when unset), at every level', () => {
    // Left out on purpose: the emulator never echoes the Auth Token, which real Twilio returns for the account.
    const omitted = new Set(['GET /2010-04-01/Accounts/{Sid}.json.auth_token']);
    for (const ex of exchanges.filter((e) => e.status < 400 && e.status !== 204)) {
      const { spec, op } = operation(specs, ex.method, ex.route);
      const schema = op.responses[String(ex.status)]!.content!['application/json']!.schema;
      const errors: string[] = [];
      complete(spec, schema, ex.body, `${ex.method} ${ex.route}`, errors, omitted);
      assert.deepEqual(errors, [], `the answer lacks fields the spec declares:\n${errors.join('\n')}`);
    }
  });

  it("refuses with Twilio's error body on each API: code, message, more_info and the HTTP status", () => {
    const refusals = exchanges.filter((e) => e.status >= 400);
    assert.deepEqual(
      refusals.map((e) => `${e.status} ${(e.body as { code: number }).code}`),
      [
        '404 20404',
        '404 20404',
        '404 20404',
        '400 21211',
        '400 21704',
        '400 21701',
        '404 20404',
        '404 20404',
        '404 20404',
        '400 21452',
        '404 20404',
        '400 20001',
        '404 20404',
        '404 20404',
        '404 20404',
      ],
    );
    for (const ex of refusals) {
      const body = ex.body as Record<string, unknown>;
      assert.deepEqual(
        Object.keys(body).sort(),
        ['code', 'message', 'more_info', 'status'],
        `${ex.method} ${ex.route}`,
      );
      assert.equal(body.status, ex.status);
      assert.equal(body.more_info, `https://www.twilio.com/docs/errors/${body.code}`);
      assert.ok(typeof body.message === 'string' && body.message.length > 0 && !body.message.includes('\n'));
    }
    assert.ok(new Set(refusals.map((e) => specFileOf(e.route))).size === SPEC_FILES.length, 'a refusal from each API');
  });

  it('received from the twilio client only parameters the spec defines for each operation', () => {
    for (const ex of exchanges) {
      const { spec, op } = operation(specs, ex.method, ex.route);
      const query = new Set((op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name));
      for (const name of ex.queryParams)
        assert.ok(query.has(name), `${ex.method} ${ex.route}: query ${name} not in spec`);
      const content = op.requestBody?.content ?? {};
      const body =
        resolve(spec, content['application/x-www-form-urlencoded']?.schema ?? content['application/json']?.schema)
          ?.properties ?? {};
      for (const name of ex.bodyParams)
        assert.ok(name in body, `${ex.method} ${ex.route}: body field ${name} not in spec`);
    }
    const used = new Set(exchanges.flatMap((e) => [...e.bodyParams, ...e.queryParams]));
    for (const name of [
      'To',
      'From',
      'Body',
      'MediaUrl',
      'StatusCallback',
      'MessagingServiceSid',
      'SmsUrl',
      'PageSize',
      'PageToken',
      'PhoneNumber',
      'DateSent>',
      'SmsApplicationSid',
      'SmsStatusCallback',
      'InboundRequestUrl',
      'UseInboundWebhookOnNumber',
      'FallbackUrl',
      'PhoneNumberSid',
      'Channel',
      'sender_id',
      'webhook',
      'profile',
    ]) {
      assert.ok(used.has(name), `the tour never sent ${name}`);
    }
  });

  it('finds additionalProperties unset in the checked schemas (why validate() treats undeclared fields as errors)', () => {
    for (const [file, name] of [
      ['twilio_api_v2010.json', 'api.v2010.account'],
      ['twilio_api_v2010.json', 'api.v2010.account.message'],
      ['twilio_api_v2010.json', 'api.v2010.account.incoming_phone_number'],
      ['twilio_api_v2010.json', 'api.v2010.account.application'],
      ['twilio_messaging_v1.json', 'messaging.v1.service'],
      ['twilio_messaging_v1.json', 'messaging.v1.service.phone_number'],
      ['twilio_messaging_v2.json', 'messaging.v2.channels_sender_response'],
      ['twilio_conversations_v1.json', 'conversations.v1.configuration_address'],
      ['twilio_monitor_v1.json', 'monitor.v1.alert'],
      ['twilio_monitor_v1.json', 'monitor.v1.alert-instance'],
    ] as const) {
      const schema = specs[file].components.schemas[name];
      assert.ok(schema?.properties, `${name} has properties`);
      assert.equal(schema.additionalProperties, undefined, `${name} now sets additionalProperties; revisit validate()`);
    }
  });
});
