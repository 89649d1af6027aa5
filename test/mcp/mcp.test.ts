import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { MAGIC_NUMBERS } from '../../src/emulator/index.js';
import {
  binPath,
  type CliChildProcess,
  childEnv,
  runCliChildProcess,
  stopAllCliRuns,
  tempHome,
} from '../helpers/cli.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER, PHONE } from '../helpers/fixtures.js';
import { jsonLines, startListen } from '../helpers/listen.js';
import { readmeBlock } from '../helpers/readme.js';

const TO = '+14155550100';
const TOOLS = [
  'list_configs',
  'send_message',
  'list_messages',
  'get_message',
  'wait_for_message',
  'list_events',
  'get_event',
  'simulate_inbound',
  'webhook_route',
  'wait_for_reply',
];
const READ_ONLY = [
  'list_configs',
  'list_messages',
  'get_message',
  'wait_for_message',
  'list_events',
  'get_event',
  'webhook_route',
  'wait_for_reply',
];

interface Result {
  isError?: boolean;
  content: { type: string; text: string }[];
  structuredContent?: any;
}

describe("mcp: the agent tools over stdio, with the SDK's own client, against the emulator", () => {
  let f: EmulatorFixture;
  let client: Client;
  let transport: StdioClientTransport;
  let stderr = '';
  const clientErrors: Error[] = [];
  /** Every result the server gave, for the secret check at the end. */
  const results: Result[] = [];
  let listen: { p: CliChildProcess; url: string } | undefined;

  const call = async (name: string, args: Record<string, unknown> = {}): Promise<Result> => {
    const r = (await client.callTool({ name, arguments: args }, undefined, { timeout: 30_000 })) as Result;
    results.push(r);
    return r;
  };
  const ok = async (name: string, args: Record<string, unknown> = {}): Promise<any> => {
    const r = await call(name, args);
    assert.notEqual(r.isError, true, `${name} failed: ${r.content[0]?.text}`);
    assert.deepEqual(JSON.parse(r.content[0]!.text), r.structuredContent, 'the text is the structured content as JSON');
    return r.structuredContent;
  };
  const fails = async (name: string, args: Record<string, unknown>, pattern: RegExp): Promise<Result> => {
    const r = await call(name, args);
    assert.equal(
      r.isError,
      true,
      `${name}(${JSON.stringify(args)}) should be an error result, got ${r.content[0]?.text}`,
    );
    assert.match(r.content[0]!.text, pattern);
    return r;
  };

  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os' });
    transport = new StdioClientTransport({
      command: process.execPath,
      // The numbers these tests send to never wrote to the config's number: allowed by prefix (guard.test.ts has the rules).
      args: [binPath, 'mcp', '--allow-to', '+1415555', '--allow-to', '+1500555'],
      env: childEnv(f.env) as Record<string, string>,
      stderr: 'pipe',
    });
    transport.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    client = new Client({ name: 'fruxon-twilio-test', version: '1.0.0' });
    client.onerror = (e) => clientErrors.push(e);
    await client.connect(transport);
  });
  after(async () => {
    await client?.close();
    await stopAllCliRuns();
    await f?.cleanup();
  });

  test('the tool list: exactly the ten names, each with a description, a strict input schema and its annotations', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), [...TOOLS].sort());
    for (const t of tools) {
      assert.ok(t.description && t.description.length > 30, `${t.name} has a description an agent can act on`);
      assert.equal(t.inputSchema.type, 'object');
      assert.equal(
        (t.inputSchema as { additionalProperties?: unknown }).additionalProperties,
        false,
        `${t.name} refuses unknown arguments`,
      );
      assert.equal(t.annotations?.readOnlyHint, READ_ONLY.includes(t.name), `${t.name} readOnlyHint`);
    }
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    const props = (n: string) => Object.keys(byName[n]!.inputSchema.properties ?? {}).sort();
    assert.deepEqual(props('list_configs'), []);
    assert.deepEqual(props('send_message'), [
      'body',
      'channel',
      'config',
      'content_sid',
      'content_variables',
      'media_urls',
      'to',
      'wait',
      'wait_timeout_s',
    ]);
    assert.deepEqual(props('list_messages'), ['config', 'direction', 'limit']);
    assert.deepEqual(props('get_message'), ['sid']);
    assert.deepEqual(props('wait_for_message'), ['config', 'from', 'since_event_id', 'timeout_s']);
    assert.deepEqual(props('list_events'), ['config', 'limit', 'since', 'status']);
    assert.deepEqual(props('get_event'), ['id']);
    assert.deepEqual(props('simulate_inbound'), ['body', 'channel', 'config', 'from', 'media_urls']);
    assert.deepEqual(props('webhook_route'), ['config']);
    assert.deepEqual(props('wait_for_reply'), ['config', 'since', 'timeout_s', 'to']);
    assert.deepEqual(byName.send_message!.inputSchema.required?.sort(), ['body', 'to']);
    assert.deepEqual(byName.get_message!.inputSchema.required, ['sid']);
    assert.deepEqual(byName.simulate_inbound!.inputSchema.required, ['from']);
    const sendProps = byName.send_message!.inputSchema.properties as Record<string, { enum?: string[]; type?: string }>;
    assert.deepEqual(sendProps.channel!.enum, ['sms', 'whatsapp']);
    assert.equal(sendProps.wait!.type, 'boolean');
    assert.equal(byName.send_message!.annotations?.idempotentHint, false);
    assert.equal(byName.send_message!.annotations?.destructiveHint, false);
    assert.deepEqual((byName.list_messages!.inputSchema.properties as any).direction.enum, ['in', 'out']);
    assert.deepEqual((byName.list_events!.inputSchema.properties as any).status.enum, ['accepted', 'refused']);
  });

  test('list_configs: names, From numbers, channels, the default; no secret', async () => {
    const r = await ok('list_configs');
    assert.equal(r.default, 'emu');
    assert.equal(r.configs.length, 1);
    const c = r.configs[0];
    assert.equal(c.name, 'emu');
    assert.equal(c.from_number, OUR_NUMBER);
    assert.equal(c.default, true);
    assert.deepEqual(c.channels, ['sms', 'whatsapp']);
    assert.equal(c.listener, null);
  });

  test('send_message without wait: queued, and the emulator has it', async () => {
    const r = await ok('send_message', { to: TO, body: 'hello from an agent' });
    assert.equal(r.outcome, 'sent');
    assert.match(r.message.sid, /^SM[0-9a-f]{32}$/);
    assert.equal(r.message.status, 'queued');
    assert.equal(r.message.from, OUR_NUMBER);
    assert.equal(r.message.config, 'emu');
    assert.equal(f.emulator.getMessage(r.message.sid)?.body, 'hello from an agent');
  });

  let deliveredSid = '';
  test('send_message with wait: delivered; an undelivered magic number is an error result with the code and the fix', async () => {
    const r = await ok('send_message', { to: TO, body: 'wait for me', wait: true, wait_timeout_s: 20 });
    assert.equal(r.outcome, 'delivered');
    assert.equal(r.message.status, 'delivered');
    deliveredSid = r.message.sid;

    const bad = await fails(
      'send_message',
      { to: MAGIC_NUMBERS.undeliveredUnreachable, body: 'nobody home', wait: true },
      /^error: message SM[0-9a-f]{32} to \+15005553003 undelivered.*\(30003, https:\/\/www\.twilio\.com\/docs\/errors\/30003\)\nhint: the handset is unreachable/,
    );
    assert.equal(bad.structuredContent.error.reason, 'twilio_30003');
    assert.equal(bad.structuredContent.message.status, 'undelivered');
    assert.equal(bad.structuredContent.message.error_code, 30003);

    // A refusal at create time: the same line and fix the CLI prints.
    const cli = await runCliChildProcess(['send', '--to', MAGIC_NUMBERS.unsubscribed, '--body', 'x'], { env: f.env });
    const refused = await fails('send_message', { to: MAGIC_NUMBERS.unsubscribed, body: 'x' }, /21610/);
    assert.equal(refused.content[0]!.text + '\n', cli.stderr);
  });

  test("list_messages and get_message: Twilio's log for the number", async () => {
    const r = await ok('list_messages', { direction: 'out', limit: 10 });
    assert.equal(r.config, 'emu');
    const messages = r.untrusted_content.messages;
    assert.equal(r.count, messages.length);
    assert.ok(messages.length >= 3);
    assert.ok(messages.every((m: any) => m.direction === 'out'));
    assert.ok(messages.some((m: any) => m.sid === deliveredSid && m.other_party === TO));
    const got = await ok('get_message', { sid: deliveredSid });
    assert.equal(got.sid, deliveredSid);
    assert.equal(got.media_error, null);
    const one = got.untrusted_content.message;
    assert.equal(one.status, 'delivered');
    assert.equal(one.body, 'wait for me');
    assert.deepEqual(one.media, []);
    // The same object `messages show --json` prints.
    const cli = await runCliChildProcess(['messages', 'show', deliveredSid, '--json'], { env: f.env });
    assert.deepEqual(JSON.parse(cli.stdout), one);
    await fails(
      'get_message',
      { sid: 'SM' + '0'.repeat(32) },
      /^error: no message SM0{32} on the account of config "emu"\nhint: list the recent ones/,
    );
  });

  test('wait_for_message and simulate_inbound without a listener say so and how to start one', async () => {
    const r = await fails('wait_for_message', { timeout_s: 1 }, /no listener is running for config "emu"/);
    assert.match(r.content[0]!.text, /hint: start one with: fruxon-twilio listen --config "emu"/);
    assert.equal(r.structuredContent.error.reason, 'no_listener');
    const cli = await runCliChildProcess(['simulate', '--from', PHONE], { env: f.env });
    const sim = await fails('simulate_inbound', { from: PHONE }, /no listener is running/);
    assert.equal(sim.content[0]!.text + '\n', cli.stderr, 'the same message and fix as simulate');
  });

  const productionUrl = 'http://127.0.0.1:9/ingress/twilio/k3y0secretsecretsecret';
  test('webhook_route with no listener: kind none, nobody holds the number; the production URL only masked', async () => {
    const set = await runCliChildProcess(['configs', 'set', 'emu', '--webhook-url-stdin'], {
      env: f.env,
      input: productionUrl,
    });
    assert.equal(set.code, 0, set.stderr);
    const r = await ok('webhook_route');
    assert.equal(r.production_url_recorded, true);
    assert.ok(!r.production_url.includes('secretsecret'), r.production_url);
    assert.equal(r.config, 'emu');
    assert.equal(r.phone_number, OUR_NUMBER);
    assert.equal(r.kind, 'none');
    assert.equal(r.listener_holds_number, false);
    assert.match(r.verdict, /go nowhere/);
  });

  test('with a running listen: wait_for_message returns the message sent through the emulator, as listen --json printed it', async () => {
    listen = await startListen(f, ['--json']);
    const route = await ok('webhook_route');
    assert.equal(route.kind, 'listener');
    assert.equal(route.listener_holds_number, true);
    assert.equal(route.listener.alive, true);
    assert.equal(
      route.listener.status_callback_url,
      listen.url,
      'where send_message status callbacks reach the listener',
    );
    assert.equal((await ok('list_configs')).configs[0].listener.alive, true);
    assert.equal((await ok('list_configs')).configs[0].listener.status_callback_url, listen.url);

    const waiting = ok('wait_for_message', { from: PHONE, timeout_s: 20 });
    await new Promise((r) => setTimeout(r, 500));
    await f.emulator.deliverInbound({ from: '+14155550999', to: OUR_NUMBER, body: 'not this sender' });
    const d = await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'hello agent' });
    assert.equal(d.outcome, 'delivered');
    const result = await waiting;
    const envelope = result.untrusted_content.envelope;
    assert.match(result.untrusted_content.note, /^untrusted content written by the sender/);
    assert.equal(result.event_id, envelope.event_id);
    assert.equal(envelope.trigger, 'twilio.message.received');
    assert.equal(envelope.payload.text, 'hello agent');
    assert.equal(envelope.payload.from, PHONE);
    await listen.p.waitFor(/hello agent/, { stream: 'stdout' });
    const printed = jsonLines(listen.p.stdout).find((e) => e.event_id === envelope.event_id);
    assert.deepEqual(envelope, printed, 'the envelope listen --json printed');

    // since_event_id: the next message after an id comes back at once when it is already in the log.
    const other = (await ok('list_events', { limit: 5 })).untrusted_content.events.find(
      (e: any) => e.text === 'not this sender',
    );
    const earlier = await ok('wait_for_message', { since_event_id: other.id - 1, timeout_s: 5 });
    assert.equal(earlier.event_id, other.id);
    assert.equal(earlier.untrusted_content.envelope.payload.text, 'not this sender');
    const next = await ok('wait_for_message', { since_event_id: other.id, timeout_s: 5 });
    assert.equal(next.event_id, envelope.event_id);
  });

  test('wait_for_message times out with a result (not an error) that says where to resume', async () => {
    const started = Date.now();
    const r = await ok('wait_for_message', { timeout_s: 0.5 });
    assert.ok(Date.now() - started >= 450);
    assert.equal(r.timed_out, true);
    assert.equal(typeof r.since_event_id, 'number');
    assert.match(r.detail, /no message to \+15005550006 arrived within 0.5s/);
  });

  test('simulate_inbound reaches the running listen; the event is in list_events and get_event', async () => {
    const waiting = ok('wait_for_message', { timeout_s: 20 });
    await new Promise((r) => setTimeout(r, 300));
    const sim = await ok('simulate_inbound', { from: PHONE, body: 'simulated by an agent', channel: 'whatsapp' });
    assert.equal(sim.status, 200);
    assert.equal(sim.ok, true);
    assert.equal(sim.signature, 'valid');
    assert.match(sim.message_sid, /^SM[0-9a-f]{32}$/);
    assert.equal(sim.url, listen!.url);
    const envelope = (await waiting).untrusted_content.envelope;
    assert.equal(envelope.payload.message_sid, sim.message_sid);
    assert.equal(envelope.payload.channel, 'whatsapp');

    const list = (await ok('list_events', { status: 'accepted', limit: 2, since: '1h' })).untrusted_content;
    assert.equal(list.events.length, 2);
    assert.equal(list.events[0].message_sid, sim.message_sid);
    assert.equal(list.events[0].text, 'simulated by an agent');
    const cli = await runCliChildProcess(['events', 'list', '--status', 'accepted', '--limit', '2', '--json'], {
      env: f.env,
    });
    assert.deepEqual(list.events, JSON.parse(cli.stdout), 'the same rows events list --json prints');
    const one = (await ok('get_event', { id: envelope.event_id })).untrusted_content.event;
    assert.equal(one.id, envelope.event_id);
    assert.deepEqual(one.payload, envelope.payload);
    assert.equal(one.raw_form.Body, 'simulated by an agent');
    await fails('get_event', { id: 999_999 }, /^error: no event #999999\nhint: list them with/);
  });

  test('simulate_inbound then wait_for_message: the event id comes back, and the timeout hint does not skip the message', async () => {
    const sim = await ok('simulate_inbound', { from: PHONE, body: 'the wait trap' });
    assert.equal(sim.ok, true);
    assert.equal(typeof sim.event_id, 'number');
    const recorded = (await ok('get_event', { id: sim.event_id })).untrusted_content.event;
    assert.equal(recorded.payload.text, 'the wait trap');
    assert.equal(recorded.message_sid, sim.message_sid);
    // Called after the message was recorded, a wait from "now" does not count it: the result says so, and the
    // since_event_id its hint names returns it (not one that skips it again).
    const r = await ok('wait_for_message', { timeout_s: 0.5 });
    assert.equal(r.timed_out, true);
    assert.equal(r.earlier_event_id, sim.event_id);
    assert.match(r.detail, new RegExp(`event ${sim.event_id} \\(from \\${PHONE}\\) was recorded before this call`));
    const m = /since_event_id (\d+)/.exec(r.hint);
    assert.ok(m, r.hint);
    assert.match(r.hint, new RegExp(`get_event ${sim.event_id}`));
    const again = await ok('wait_for_message', { since_event_id: Number(m[1]), timeout_s: 5 });
    assert.equal(again.event_id, sim.event_id);
    assert.equal(again.untrusted_content.envelope.payload.text, 'the wait trap');
  });

  test('error hints name the MCP tools, not CLI commands', async () => {
    const ev = await fails('get_event', { id: 999_999 }, /^error: no event #999999\nhint: list them with list_events$/);
    assert.doesNotMatch(ev.content[0]!.text, /fruxon-twilio/);
    const msg = await fails(
      'get_message',
      { sid: `SM${'0'.repeat(32)}` },
      /^error: no message SM0{32} on the account of config "emu"\nhint: list the recent ones with list_messages$/,
    );
    assert.doesNotMatch(msg.content[0]!.text, /fruxon-twilio/);
  });

  test('a client that goes away mid-call: the server aborts the wait and exits when its stdin closes', async () => {
    const child = spawn(process.execPath, [binPath, 'mcp'], { env: childEnv(f.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const send = (m: object) => child.stdin.write(JSON.stringify({ jsonrpc: '2.0', ...m }) + '\n');
    send({
      id: 1,
      method: 'initialize',
      params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    while (!out.includes('"id":1')) await new Promise((r) => setTimeout(r, 50));
    send({ method: 'notifications/initialized' });
    send({ id: 2, method: 'tools/call', params: { name: 'wait_for_message', arguments: { timeout_s: 120 } } });
    await new Promise((r) => setTimeout(r, 500));
    child.stdin.end();
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(guard);
    assert.equal(code, 0, `exited ${code} (killed after 20 s means it kept waiting)\n${err}`);
    for (const line of out.trim().split('\n'))
      assert.equal(JSON.parse(line).jsonrpc, '2.0', 'stdout: protocol messages only');
  });

  test('a bad argument for each tool is an error result naming the field; the server keeps serving', async () => {
    await fails('list_configs', { verbose: true }, /verbose/);
    await fails('send_message', { to: 14155550100, body: 'x' }, /E\.164.*\bto\b/);
    await fails('send_message', { to: TO, body: 'x', channel: 'fax' }, /must be "sms" or "whatsapp".*channel/);
    await fails('send_message', { to: TO, body: '' }, /^error: body is empty/);
    await fails('send_message', { to: TO, body: 'x', wait_timeout_s: -1 }, /more than 0 seconds.*wait_timeout_s/);
    await fails(
      'send_message',
      { to: TO, body: 'x', media_urls: ['ftp://example.com/a.png'] },
      /media_urls\[0\] must be an http\(s\) URL/,
    );
    await fails(
      'send_message',
      { to: 'nobody', body: 'x' },
      /^error: to must be an E\.164 number like \+14155238886 or the name of a participant/,
    );
    await fails('list_messages', { limit: 0 }, /whole number from 1 to 1000.*limit/);
    await fails('list_messages', { direction: 'sideways' }, /must be "in" or "out"/);
    await fails('get_message', { sid: 'nope' }, /Message SID.*sid/);
    await fails('wait_for_message', { from: 'nope', timeout_s: 1 }, /^error: from must be an E\.164 phone number/);
    await fails('wait_for_message', { timeout_s: 100_000 }, /at most 600 seconds/);
    await fails('list_events', { status: 'maybe' }, /must be "accepted" or "refused"/);
    await fails('list_events', { since: 'yesterday' }, /^error: since must be a duration like 30s/);
    await fails('get_event', { id: 'seven' }, /event id.*\bid\b/);
    await fails('simulate_inbound', { from: '12345' }, /^error: from must be an E\.164 phone number/);
    await fails('simulate_inbound', {}, /from/);
    const missing = await fails(
      'webhook_route',
      { config: 'missing' },
      /^error: no config named "missing"\nhint: known configs: emu/,
    );
    assert.equal(missing.structuredContent.error.reason, 'not_found');
    // Still serving.
    assert.equal((await ok('list_configs')).configs.length, 1);
  });

  test('a listen that stops during wait_for_message ends the wait with the no-listener error; the route is put back', async () => {
    const waiting = call('wait_for_message', { timeout_s: 60 });
    await new Promise((r) => setTimeout(r, 300));
    listen!.p.kill('SIGINT');
    assert.equal((await listen!.p.exited).code, 0);
    const r = await waiting;
    assert.equal(r.isError, true, r.content[0]?.text);
    assert.match(
      r.content[0]!.text,
      /^error: no listener is running for config "emu": no message can arrive\nhint: start one with: fruxon-twilio listen --config "emu"/,
    );
    const route = await ok('webhook_route');
    assert.equal(route.kind, 'none');
    assert.equal(route.listener_holds_number, false);
  });

  test('the Auth Token and the production webhook URL are in no result and not on stderr; stdout carried only protocol messages', async () => {
    assert.ok(results.length > 30);
    for (const secret of [f.emulator.authToken, productionUrl.slice(-20)]) {
      for (const r of results)
        assert.ok(!JSON.stringify(r).includes(secret), `a result carries a secret: ${JSON.stringify(r).slice(0, 200)}`);
      assert.ok(!stderr.includes(secret), 'stderr carries a secret');
    }
    assert.match(stderr, /fruxon-twilio mcp .*: serving 10 tools on stdio/);
    assert.match(stderr, /send_message error \(twilio_30003\)/);
    assert.deepEqual(clientErrors, [], 'the client parsed every stdout line as a protocol message');
  });
});

test("mcp --config NAME: an unknown config stops the start with the CLI's error; the server exits when stdin closes", async () => {
  const f = await emulatorWithConfig({ keychain: 'os', name: 'other' });
  try {
    const bad = await runCliChildProcess(['mcp', '--config', 'nope'], { env: f.env });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: no config named "nope"\nhint: known configs: other\n$/);
    assert.equal(bad.stdout, '');
    const good = await runCliChildProcess(['mcp', '--config', 'other'], { env: f.env });
    assert.equal(good.code, 0, good.stderr);
    assert.equal(good.stdout, '');
    assert.match(good.stderr, /serving 10 tools on stdio \(config "other"\)/);
  } finally {
    await f.cleanup();
  }
});

test("docs/mcp.md's MCP client snippet, run as written (fruxon-twilio being the built binary), serves the ten tools", async () => {
  const entry = JSON.parse(readmeBlock('mcp-client', 'json', 'docs/mcp.md')).mcpServers['fruxon-twilio'];
  assert.equal(entry.command, 'fruxon-twilio');
  const h = tempHome();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [binPath, ...entry.args],
    env: childEnv(h.env) as Record<string, string>,
    stderr: 'pipe',
  });
  const client = new Client({ name: 'readme', version: '1.0.0' });
  try {
    await client.connect(transport);
    assert.deepEqual((await client.listTools()).tools.map((t) => t.name).sort(), [...TOOLS].sort());
    const r = (await client.callTool({ name: 'list_configs', arguments: {} })) as Result;
    assert.deepEqual(r.structuredContent, { configs: [], default: null, server_default: null });
  } finally {
    await client.close();
    h.cleanup();
  }
});
