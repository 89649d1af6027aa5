import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { type ReplyEvent, watchReplies } from '../../src/listener/replies.js';
import { emulatorClient } from '../helpers/emulator-client.js';

const OWN = '+15005551495';
const PHONE = '+14155550195';
const OTHER = '+14155550196';

describe("listen's agent side: the replies the agent sent through the API, under the message they answer", () => {
  let emu: Emulator;
  before(async () => {
    emu = await startEmulator({ numbers: [OWN], statusDelayMs: 30 });
  });
  after(async () => {
    await emu.stop();
  });

  it('idle: no API call; after an inbound message: each reply once, its status changes once, matched to the question; own sends left out', async () => {
    const client = emulatorClient(emu);
    const events: ReplyEvent[] = [];
    const watcher = watchReplies({
      client,
      number: OWN,
      channels: ['sms'],
      intervalMs: 100,
      activeForMs: 1500,
      onReply: (e) => events.push(e),
    });
    try {
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(watcher.requests, 0, 'an idle listener makes no API calls');

      const question = await emu.deliverInbound({ from: PHONE, to: OWN, body: 'when do you open?' });
      const other = await emu.deliverInbound({ from: OTHER, to: OWN, body: 'hello' });
      watcher.noteInbound({ sid: question.messageSid, from: PHONE, at: new Date() });
      watcher.noteInbound({ sid: other.messageSid, from: OTHER, at: new Date() });
      const mine = await client.messages.create({ from: OWN, to: OTHER, body: 'sent by the listener itself' });
      watcher.noteOwn(mine.sid);
      const reply = await client.messages.create({ from: OWN, to: PHONE, body: 'at nine' });
      const deadline = Date.now() + 10_000;
      while (!events.some((e) => e.message.sid === reply.sid && e.message.status === 'delivered')) {
        if (Date.now() > deadline)
          assert.fail(`no delivered reply: ${JSON.stringify(events.map((e) => [e.kind, e.message.status]))}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const mineSeen = events.filter((e) => e.message.sid === mine.sid);
      assert.deepEqual(mineSeen, [], "the listener's own message is not the agent's");
      const ofReply = events.filter((e) => e.message.sid === reply.sid);
      assert.equal(ofReply.filter((e) => e.kind === 'reply').length, 1);
      assert.equal(ofReply[0]!.kind, 'reply');
      for (const e of ofReply) assert.equal(e.inReplyTo, question.messageSid, 'under the message it answers');
      const statuses = ofReply.map((e) => e.message.status);
      assert.equal(new Set(statuses).size, statuses.length, `each status once: ${statuses}`);

      // Quiet again (the window over, every reply final): the watcher stops reading.
      await new Promise((r) => setTimeout(r, 2000));
      const settled = watcher.requests;
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(watcher.requests, settled, 'idle again: no more API calls');
    } finally {
      await watcher.stop();
    }
  });
});
