import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { binPath, childEnv, closedPort } from '../helpers/cli.js';
import { emulatorClient } from '../helpers/emulator-client.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER, PHONE } from '../helpers/fixtures.js';

interface Result {
  isError?: boolean;
  content: { type: string; text: string }[];
  structuredContent?: any;
}

describe('mcp wait_for_reply: the agent answers through the API (the official twilio client), no listen running', () => {
  let f: EmulatorFixture;
  let client: Client;
  const call = async (args: Record<string, unknown>): Promise<Result> =>
    (await client.callTool({ name: 'wait_for_reply', arguments: args }, undefined, { timeout: 30_000 })) as Result;

  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [binPath, 'mcp'],
      env: childEnv(f.env) as Record<string, string>,
      stderr: 'pipe',
    });
    client = new Client({ name: 'fruxon-twilio-test', version: '1.0.0' });
    await client.connect(transport);
  });
  after(async () => {
    await client?.close();
    await f?.cleanup();
  });

  test('returns the first message the number sent to `to` since the call, whoever sent it', async () => {
    const agent = emulatorClient(f.emulator);
    await agent.messages.create({ from: OUR_NUMBER, to: PHONE, body: 'an older answer' });
    await new Promise((r) => setTimeout(r, 1100)); // Twilio's dates are to the second
    const since = new Date().toISOString();
    const waiting = call({ to: PHONE, since, timeout_s: 15 });
    await new Promise((r) => setTimeout(r, 700));
    await f.emulator.deliverInbound({ from: PHONE, to: OUR_NUMBER, body: 'where is my order?' });
    const reply = await agent.messages.create({ from: OUR_NUMBER, to: PHONE, body: 'on its way' });
    const r = await waiting;
    assert.notEqual(r.isError, true, r.content[0]?.text);
    assert.equal(r.structuredContent.outcome, 'reply');
    assert.equal(r.structuredContent.sid, reply.sid);
    // The answer is outside text: under untrusted_content (with its note), never in the tool's own fields.
    assert.equal(r.structuredContent.reply, undefined);
    assert.equal(r.structuredContent.untrusted_content.reply.sid, reply.sid);
    assert.equal(r.structuredContent.untrusted_content.reply.body, 'on its way');
    assert.match(r.structuredContent.untrusted_content.note, /./);
    assert.equal(r.structuredContent.config, 'emu');
  });

  test('since: a reply already in the log comes back at once', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const since = new Date().toISOString();
    const sent = await emulatorClient(f.emulator).messages.create({ from: OUR_NUMBER, to: PHONE, body: 'logged' });
    const r = await call({ to: PHONE, since, timeout_s: 5 });
    assert.equal(r.structuredContent.outcome, 'reply');
    assert.equal(r.structuredContent.untrusted_content.reply.sid, sent.sid);
  });

  test("no reply, a webhook on a closed port: a timeout result with Twilio's alert and its fix", async () => {
    f.emulator.setSmsUrl(OUR_NUMBER, `http://127.0.0.1:${await closedPort()}/webhooks/twilio`);
    const since = new Date().toISOString();
    const lost = await f.emulator.deliverInbound({ from: '+14155550177', to: OUR_NUMBER, body: 'hello?' });
    const r = await call({ to: '+14155550177', since, timeout_s: 1.5 });
    assert.notEqual(r.isError, true, r.content[0]?.text);
    const v = r.structuredContent;
    assert.equal(v.outcome, 'timeout');
    assert.equal(v.timed_out, true);
    assert.equal(v.alerts.length, 1);
    assert.equal(v.alerts[0].message_sid, lost.messageSid);
    assert.equal(v.alerts[0].error_code, 11205);
    assert.match(v.detail, /Twilio logged 1 webhook alert\(s\), the latest: Twilio could not deliver SM/);
    assert.match(v.hint, /redeliver/);
  });

  test('refuses a `to` that is not a phone number, and a `since` that is not a date-time', async () => {
    const bad = await call({ to: 'alice', timeout_s: 1 });
    assert.equal(bad.isError, true);
    assert.match(bad.content[0]!.text, /to must be an E\.164 phone number/);
    const when = await call({ to: PHONE, since: 'yesterday', timeout_s: 1 });
    assert.equal(when.isError, true);
    assert.match(when.content[0]!.text, /since must be an ISO 8601 date-time/);
  });
});
