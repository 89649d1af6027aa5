import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { CONVERSATIONS_UNKNOWN, conversationsNotes, type Route } from '../../src/twilio/route.js';
import { addConfigArgs } from '../helpers/add-config.js';
import { tempHome } from '../helpers/cli.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { osKeychain } from '../helpers/keychains.js';
import { TmuxPane } from '../helpers/tmux.js';

// The screen runs the built binary in a pane: the config's token is in the (test) OS keychain.
const testKeychain = osKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

const TAKEN = '+15005552911';
const IG = `IG${'2'.repeat(32)}`;

/**
 * Issue 26, item 6: the interactive screen's header names a Conversations address configuration that takes the
 * number's messages (the resolver's finding, as listen's lines and webhook show say it), and "unknown" once.
 */
describe("the interactive screen's header: Conversations", () => {
  let emu: Emulator;
  let h: ReturnType<typeof tempHome>;
  let pane: TmuxPane | null = null;
  before(async () => {
    emu = await startEmulator({
      statusDelayMs: 1,
      retryDelaysMs: [],
      topology: {
        numbers: [{ phone_number: TAKEN, sms_url: 'http://127.0.0.1:9/taken' }],
        conversations: {
          address_configurations: [
            { sid: IG, type: 'sms', address: TAKEN, auto_creation: { enabled: true, type: 'default' } },
          ],
        },
      } as never,
    });
    h = tempHome();
    const r = await runCliInProcess(addConfigArgs('taken', TAKEN, emu, 'stdin'), {
      env: h.env,
      input: emu.authToken,
    });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await pane?.kill();
    await emu.stop();
    h.cleanup();
  });

  test('one header line per address configuration that takes the messages, and the list still fits', async () => {
    pane = TmuxPane.start(['listen', '--config', 'taken', '--port', '0', '--check-missed', '0'], {
      env: h.env,
      cols: 200,
      rows: 20,
    });
    const screen = await pane.waitFor(/waiting for messages/);
    const lines = screen.split('\n');
    const at = lines.findIndex((l) => l.includes(`Conversations address configuration ${IG}`));
    assert.ok(at > 0, screen);
    assert.match(lines[at]!, /has auto-creation on: SMS messages to \+15005552911 create Conversations messages/);
    assert.ok(lines.findIndex((l) => /\/webhooks\/twilio\//.test(l)) < at, `under the webhook line:\n${screen}`);
    assert.equal(lines.filter((l) => l.includes('Conversations address configuration')).length, 1, screen);
    assert.match(screen, /q quit/, 'the key bar still shows');
  });

  test('the notes every face shows: unknown said once, whatever the number of routes', () => {
    const route = (channel: 'sms' | 'whatsapp'): Route =>
      ({ channel, layer: 'number', url: null, conversations: 'unknown' }) as unknown as Route;
    assert.deepEqual(conversationsNotes([route('sms'), route('whatsapp')]), [CONVERSATIONS_UNKNOWN]);
    assert.deepEqual(conversationsNotes([{ ...route('sms'), conversations: null } as Route]), []);
  });
});
