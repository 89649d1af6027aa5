import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { defaultMessagingServiceSid } from '../../src/emulator/routing.js';
import { addConfigArgs } from '../helpers/add-config.js';
import { tempHome } from '../helpers/cli.js';
import { emulatorControl } from '../helpers/emulator-client.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';
import { jsonLines } from '../helpers/listen.js';

// The keychain this file's in-process runs are handed (in memory: no child process reads it).
const testKeychain = memoryKeychain();
const { runCliInProcess, startCliInProcess } = inProcessCliWith(testKeychain);

const PLAIN = '+15005552701';
const IN_SERVICE = '+15005552702';
const PHONE = '+14155550142';

/**
 * Issue 26, item 4: a message the listener never turned into an event is told apart: the listener refused it
 * (its reason and event), another layer took it, or unknown; and the account's default Messaging Service (every
 * message of a number in no service carries one on Twilio) is never named as a service someone made.
 */
describe('missed messages: refused, another layer, unknown; the default Messaging Service', () => {
  let emu: Emulator;
  let h: ReturnType<typeof tempHome>;
  const auth = () => `Basic ${Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64')}`;
  const inbound = async (to: string, body: string) => {
    const res = await emulatorControl(emu, 'POST', 'inbound', { from: PHONE, to, body });
    assert.equal(res.status, 202);
    return emu.messages().find((m) => m.body === body)!.sid;
  };

  before(async () => {
    emu = await startEmulator({
      statusDelayMs: 1,
      retryDelaysMs: [],
      topology: {
        numbers: [{ phone_number: PLAIN, sms_url: 'http://127.0.0.1:9/plain' }, IN_SERVICE],
        services: [{ friendly_name: 'Made', phone_numbers: [IN_SERVICE], use_inbound_webhook_on_number: true }],
      } as never,
    });
    h = tempHome();
    const r = await runCliInProcess(addConfigArgs('plain', PLAIN, emu, 'stdin'), { env: h.env, input: emu.authToken });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await emu.stop();
    h.cleanup();
  });

  test("the emulator: a number in no service has the account's stable default messaging_service_sid, never listed; the payload carries it", async () => {
    const mg = defaultMessagingServiceSid(emu.accountSid);
    assert.match(mg, /^MG[0-9a-f]{32}$/);
    const p = startCliInProcess(['listen', '--config', 'plain', '--port', '0', '--json', '--check-missed', '0'], {
      env: h.env,
    });
    await p.waitFor(/Ready!/);
    const sid = await inbound(PLAIN, 'which service?');
    await p.waitFor(/which service\?/, { stream: 'stdout' });
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
    assert.equal(jsonLines(p.stdout)[0].payload.message_attributes.messaging_service_sid, mg);
    const fetched = await (
      await fetch(`${emu.url}/2010-04-01/Accounts/${emu.accountSid}/Messages/${sid}.json`, {
        headers: { authorization: auth() },
      })
    ).json();
    assert.equal(fetched.messaging_service_sid, mg);
    const services = await (await fetch(`${emu.url}/v1/Services`, { headers: { authorization: auth() } })).json();
    assert.ok(!JSON.stringify(services).includes(mg), 'the default service is never listed');
    assert.equal(emu.getMessage(await inbound(PLAIN, 'again'))!.messagingServiceSid, mg, 'stable');
    // A number in a service that defers to the number's own webhook still reports that service.
    const svc = emu.services()[0]!;
    assert.equal(emu.getMessage(await inbound(IN_SERVICE, 'in the service'))!.messagingServiceSid, svc.sid);
  });

  test('--check-missed: "this listener refused it (reason, event #)" vs unknown (no default service named)', async () => {
    const p = startCliInProcess(['listen', '--config', 'plain', '--port', '0', '--check-missed', '1'], { env: h.env });
    const url = (await p.waitFor(/Ready! Listening for messages to \S+ at (\S+)/))[1]!;

    // Twilio's request reached the listener, which refused it (here: no signature).
    emu.setSmsUrl(PLAIN, 'http://127.0.0.1:9/elsewhere');
    const refusedSid = await inbound(PLAIN, 'refused one');
    const unknownSid = await inbound(PLAIN, 'unknown one');
    emu.setSmsUrl(PLAIN, url); // back: the layer that wins is this listener again
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ MessageSid: refusedSid, From: PHONE, To: PLAIN, Body: 'refused one' }).toString(),
    });
    assert.equal(res.status, 403);
    const refusedLine = await p.waitFor(
      new RegExp(
        `inbound message ${refusedSid} to \\${PLAIN} at \\S+; this listener refused it \\(missing_signature, event #(\\d+)\\), so it fired no trigger; see fruxon-twilio events show \\d+`,
      ),
      { timeoutMs: 20_000 },
    );
    assert.ok(Number(refusedLine[1]) > 0);
    await p.waitFor(
      new RegExp(
        `inbound message ${unknownSid} to \\${PLAIN} at \\S+ that never reached this listener; took it: unknown: not a layer this tool models \\(Conversations, Studio\\?\\); run`,
      ),
      { timeoutMs: 20_000 },
    );
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
    assert.doesNotMatch(p.stderr, /Twilio reports Messaging Service/, 'the default service is no service anyone made');
  });
});
