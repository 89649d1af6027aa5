import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { addConfigArgs } from '../helpers/add-config.js';
import { tempHome } from '../helpers/cli.js';
import { emulatorControl } from '../helpers/emulator-client.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';
import { get, inspectorUrl, login } from '../inspector/helpers.js';

// The keychain this file's in-process runs are handed (in memory: no child process reads it).
const testKeychain = memoryKeychain();
const { runCliInProcess, startCliInProcess } = inProcessCliWith(testKeychain);

const TAKEN = '+15005552901';
const OFF = '+15005552902';
const PHONE = '+14155550142';
const IG = `IG${'1'.repeat(32)}`;

/**
 * Issue 26, item 6: Conversations address configurations. One with auto-creation on takes the number's messages
 * (the emulator's reading, next to routeInbound); the resolver asks once, and listen, webhook show and doctor name it.
 */
describe('Conversations address configurations', () => {
  let emu: Emulator;
  let h: ReturnType<typeof tempHome>;
  const cli = (args: string[], input?: string) => runCliInProcess(args, { env: h.env, input });
  const auth = () => `Basic ${Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64')}`;

  before(async () => {
    emu = await startEmulator({
      statusDelayMs: 1,
      retryDelaysMs: [],
      topology: {
        numbers: [
          { phone_number: TAKEN, sms_url: 'http://127.0.0.1:9/taken' },
          { phone_number: OFF, sms_url: 'http://127.0.0.1:9/off' },
        ],
        conversations: {
          address_configurations: [
            {
              sid: IG,
              type: 'sms',
              address: TAKEN,
              friendly_name: 'Support inbox',
              auto_creation: {
                enabled: true,
                type: 'webhook',
                webhook_url: 'http://127.0.0.1:9/conv',
                webhook_method: 'POST',
              },
            },
            { type: 'sms', address: OFF, auto_creation: { enabled: false } },
          ],
        },
      } as never,
    });
    h = tempHome();
    for (const [name, from] of [
      ['taken', TAKEN],
      ['off', OFF],
    ] as const) {
      const r = await cli(addConfigArgs(name, from, emu, 'stdin'), emu.authToken);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(async () => {
    await emu.stop();
    h.cleanup();
  });

  test('the emulator: the wire format of /v1/Configuration/Addresses, and an enabled one takes the message', async () => {
    const list = await (
      await fetch(`${emu.url}/v1/Configuration/Addresses?Type=sms`, { headers: { authorization: auth() } })
    ).json();
    assert.equal(list.address_configurations.length, 2);
    const c = list.address_configurations.find((x: { sid: string }) => x.sid === IG);
    assert.deepEqual(Object.keys(c).sort(), [
      'account_sid',
      'address',
      'address_country',
      'auto_creation',
      'date_created',
      'date_updated',
      'friendly_name',
      'sid',
      'type',
      'url',
    ]);
    assert.equal(c.auto_creation.enabled, true);
    assert.equal(c.auto_creation.webhook_url, 'http://127.0.0.1:9/conv');
    assert.equal(list.meta.key, 'address_configurations');
    const one = await fetch(`${emu.url}/v1/Configuration/Addresses/${IG}`, { headers: { authorization: auth() } });
    assert.equal(one.status, 200);

    const inbound = async (to: string) => {
      const res = await emulatorControl<{ layer: string; outcome: string }>(emu, 'POST', 'inbound', {
        from: PHONE,
        to,
        body: 'hi',
      });
      assert.equal(res.status, 202);
      return res.json;
    };
    const taken = await inbound(TAKEN);
    assert.equal(taken.layer, 'conversations');
    assert.equal(taken.outcome, 'no-webhook', 'no messaging webhook is called');
    assert.equal((await inbound(OFF)).layer, 'number', 'a disabled one changes nothing');
  });

  test('webhook show, doctor and listen name it', async () => {
    const shown = await cli(['webhook', 'show', '--config', 'taken', '--json']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(JSON.parse(shown.stdout).route.conversations, {
      sid: IG,
      address: TAKEN,
      auto_creation: true,
      type: 'webhook',
    });
    const human = await cli(['webhook', 'show', '--config', 'taken']);
    assert.match(
      human.stderr,
      new RegExp(
        `Conversations address configuration ${IG} \\(\\${TAKEN}\\) has auto-creation on: SMS messages to \\${TAKEN} create Conversations messages \\(its auto-creation webhook\\) instead of reaching`,
      ),
    );
    const off = JSON.parse((await cli(['webhook', 'show', '--config', 'off', '--json'])).stdout);
    assert.equal(off.route.conversations.auto_creation, false);

    const doctor = JSON.parse((await cli(['doctor', '--config', 'taken', '--json'])).stdout);
    const route = doctor.checks.find((c: { name: string }) => c.name === 'route');
    assert.equal(route.ok, false);
    assert.match(route.detail, /Conversations address configuration IG1+ .*has auto-creation on/);
    assert.match(route.fix, /Conversations → Addresses/);

    const p = startCliInProcess(
      ['listen', '--config', 'taken', '--port', '0', '--check-missed', '0', '--inspect-port', '0'],
      {
        env: h.env,
      },
    );
    await p.waitFor(/Ready!/);
    await p.waitFor(/this listener does not get them while it is on/);
    // The inspector's route panel names it too (the page renders route.conversations under the route line).
    const ins = await inspectorUrl(p);
    const answer = await get(ins.port, '/api/state', { token: ins.token, cookie: await login(ins) });
    p.kill('SIGINT');
    assert.equal((await p.exited).code, 0, p.stderr);
    const state = JSON.parse(answer.body);
    assert.equal(state.route.conversations.length, 1, JSON.stringify(state.route));
    assert.match(
      state.route.conversations[0],
      new RegExp(`^Conversations address configuration ${IG} .*has auto-creation on`),
    );
    const quiet = startCliInProcess(
      ['listen', '--config', 'off', '--port', '0', '--check-missed', '0', '--inspect-port', '0'],
      {
        env: h.env,
      },
    );
    await quiet.waitFor(/Press Ctrl-C|Ready!/);
    quiet.kill('SIGINT');
    assert.equal((await quiet.exited).code, 0, quiet.stderr);
    assert.doesNotMatch(quiet.stderr, /Conversations/);
  });
});
