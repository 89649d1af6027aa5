import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { keyBar } from '../../src/interactive/index.js';
import { type EmulatorFixture, emulatorWithConfig, OUR_NUMBER, PHONE } from '../helpers/fixtures.js';
import { TmuxPane } from '../helpers/tmux.js';

const LONG_NAME = 'Dana Lee-Kowalski of the Very Long WhatsApp Profile Name Society, Springfield Chapter';

/** The interactive screen as a newcomer met it (issue 30, items 1 and 4), at 80x24 and 120x40. */
describe('the interactive listen screen: inspector URL, q in details, replies, narrow terminals, notices', () => {
  let f: EmulatorFixture;
  const panes: TmuxPane[] = [];
  before(async () => {
    f = await emulatorWithConfig({ keychain: 'os' });
  });
  beforeEach(async () => {
    for (const p of panes.splice(0)) await p.kill();
  });
  after(async () => {
    for (const p of panes) await p.kill();
    await f.cleanup();
  });

  test('the key bar gives way from its least needed key: q quit always stays', () => {
    assert.match(keyBar(200), /^ ↑↓ select · d details · r reply · p replay · n new sid · i inspector · q quit$/);
    // 80 columns (79 drawn): every key fits.
    assert.match(keyBar(79), /p replay · n new sid · i inspector · q quit$/);
    for (const cols of [79, 60, 40, 20]) {
      const bar = keyBar(cols);
      assert.ok([...bar].length <= cols, `${cols}: ${bar}`);
      assert.match(bar, /q quit$/, `${cols}: ${bar}`);
    }
  });

  for (const [cols, rows] of [
    [80, 24],
    [120, 40],
  ] as const) {
    test(`${cols}x${rows}: the inspector URL in the status area and on i; q in details goes back; a long profile name keeps the text and #id; a reply under its message`, async () => {
      const pane = TmuxPane.start(['listen', '--port', '0'], { env: f.env, cols, rows });
      panes.push(pane);
      let screen = await pane.waitFor(/waiting for messages/);
      const url = /inspector (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(screen)?.[1];
      assert.ok(url, `the inspector's URL is in the status area:\n${screen}`);
      assert.match(screen, /q quit\s*$/m, 'the key bar keeps q quit');
      for (const line of screen.split('\n'))
        assert.ok([...line.trimEnd()].length < cols, `wider than the pane: ${line}`);

      // i: the URL again, whole, in the notice line.
      pane.keys('i');
      screen = await pane.waitFor(/^ inspector: http:\/\/127\.0\.0\.1:\d+\/\?token=\S+\s*$/m);
      assert.ok(screen.includes(` inspector: ${url}`), screen);

      // A WhatsApp sender with a very long profile name: the text and the #id still show.
      await f.emulator.deliverInbound({
        from: PHONE,
        to: OUR_NUMBER,
        whatsapp: true,
        profileName: LONG_NAME,
        body: 'where is my order',
      });
      screen = await pane.waitFor(/where is my order {2}#\d+/);
      const id = Number(/where is my order {2}#(\d+)/.exec(screen)![1]);
      assert.match(screen, /\(Dana Lee-Kowalski[^)]*…\)/, 'the name is cut, not the message');
      // A notice lasts until the next key, not until the next event.
      assert.match(screen, /inspector: http/);

      // A second message, then a reply to the first: it is listed under the first, not at the bottom.
      await f.emulator.deliverInbound({ from: '+14155550999', to: OUR_NUMBER, body: 'second sender' });
      await pane.waitFor(/› .*second sender/);
      pane.keys('Up');
      await pane.waitFor(/› .*where is my order/);
      assert.doesNotMatch(pane.screen(), /inspector: http/, 'a notice lasts until the next key');
      pane.keys('r');
      await pane.waitFor(/reply to \+14155550123 \(whatsapp\) from \+15005550006: /);
      pane.type('On its way, arriving Tuesday');
      pane.keys('Enter');
      screen = await pane.waitFor(/↳ reply to \+14155550123 \(whatsapp\): "On its way[^\n]*read/);
      const lines = screen.split('\n');
      const first = lines.findIndex((l) => l.includes(`#${id}`));
      const reply = lines.findIndex((l) => l.includes('↳ reply to +14155550123'));
      const second = lines.findIndex((l) => l.includes('second sender'));
      assert.ok(first < reply && reply < second, `the reply sits under its message:\n${screen}`);
      // The text goes before the SID: whole at 120 columns, cut only when even alone it does not fit.
      if (cols >= 120) assert.match(lines[reply]!, /"On its way, arriving Tuesday"/);
      else assert.doesNotMatch(lines[reply]!, /SM[0-9a-f]{32}/, 'no SID while the text is cut');
      assert.doesNotMatch(lines[reply]!, /"On its…"/);

      // d then q: back to the list, the listener still running.
      pane.keys('d');
      await pane.waitFor(new RegExp(`Event #${id} · .*esc/q back`));
      pane.keys('q');
      screen = await pane.waitFor(/fruxon-twilio listen · config/);
      assert.match(screen, /second sender/);
      assert.equal(f.emulator.getNumber(OUR_NUMBER)!.smsUrl?.includes('/webhooks/twilio/'), true, 'still listening');

      // p without --forward-to: a notice, gone at the next key.
      pane.keys('p');
      await pane.waitFor(/p replays the selected event to --forward-to URL/);
      pane.keys('Down');
      await pane.waitFor(/› .*second sender/);
      assert.doesNotMatch(pane.screen(), /p replays the selected event/);

      pane.keys('q');
      assert.equal(await pane.exitStatus(), 0);
    });
  }
});
