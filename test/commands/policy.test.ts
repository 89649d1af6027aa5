import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { type ToolDeps, tools } from '../../src/mcp/tools.js';
import { openStore } from '../../src/store/index.js';
import { createTwilioClient } from '../../src/twilio/client.js';
import { errorLine } from '../helpers/checks.js';
import { tempHome } from '../helpers/cli.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';

const FROM = '+15005551701';
const PHONE = '+14155550191';
const APPROVED = `HX${'7'.repeat(32)}`;
const PENDING = `HX${'8'.repeat(32)}`;
// The config reads its token from the environment: no keychain is asked, and no child process runs.
const { runCliInProcess: runCli } = inProcessCliWith(memoryKeychain());

/** The tool on top of the emulator's message policy: templates, the window's 63016, a STOP's 21610. */
describe('send, templates list and MCP send_message with Twilio message policy, against the emulator', () => {
  let emu: Emulator;
  let h: ReturnType<typeof tempHome>;
  let env: NodeJS.ProcessEnv;
  const cli = (args: string[]) => runCli(args, { env, timeoutMs: 30_000 });

  before(async () => {
    emu = await startEmulator({
      statusDelayMs: 5,
      topology: {
        numbers: [FROM],
        content: [
          {
            sid: APPROVED,
            friendly_name: 'order_ready',
            body: 'Hi {{1}}, order {{2}} is ready.',
            whatsapp: { status: 'approved' },
          },
          { sid: PENDING, friendly_name: 'promo', body: 'Sale, {{1}}!', whatsapp: { status: 'pending' } },
        ],
      },
    });
    h = tempHome();
    env = { ...h.env, TWILIO_AUTH_TOKEN: emu.authToken };
    const add = await cli([
      'add-config',
      '--name',
      'emu',
      '--from',
      FROM,
      '--account-sid',
      emu.accountSid,
      '--api-url',
      emu.url,
      '--token-from-env',
      '--json',
    ]);
    assert.equal(add.code, 0, add.stderr);
  });
  after(async () => {
    await emu.stop();
    h.cleanup();
  });

  test('templates list: the account templates with their WhatsApp approval, human and --json', async () => {
    const json = await cli(['templates', 'list', '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(
      JSON.parse(json.stdout).map((t: Record<string, unknown>) => [
        t.sid,
        t.friendly_name,
        t.whatsapp_approval,
        t.body,
      ]),
      [
        [APPROVED, 'order_ready', 'approved', 'Hi {{1}}, order {{2}} is ready.'],
        [PENDING, 'promo', 'pending', 'Sale, {{1}}!'],
      ],
    );
    const human = await cli(['templates', 'list', '--config', 'emu']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`${APPROVED} +order_ready +en +approved +Hi \\{\\{1\\}\\}, order`));
  });

  test('WhatsApp outside the window: free-form fails 63016 with a fix naming --content-sid and templates list; an approved template goes out', async () => {
    const free = await cli(['send', '--to', PHONE, '--whatsapp', '--body', 'hello', '--wait', '--json']);
    assert.equal(free.code, 1);
    assert.match(errorLine(free), /failed: .*\(63016, /);
    assert.match(free.stderr, /hint: .*send --content-sid HX…; see fruxon-twilio templates list/);
    const noWait = await cli(['send', '--to', PHONE, '--whatsapp', '--body', 'hello again']);
    assert.equal(noWait.code, 0, noWait.stderr);
    assert.match(noWait.stderr, /WhatsApp's 24-hour window may still refuse it \(63016/);
    const template = await cli([
      'send',
      '--to',
      PHONE,
      '--whatsapp',
      '--content-sid',
      APPROVED,
      '--content-variables',
      '{"1":"Ann","2":"#1042"}',
      '--wait',
      '--json',
    ]);
    assert.equal(template.code, 0, template.stderr);
    const m = JSON.parse(template.stdout);
    assert.ok(['delivered', 'read'].includes(m.status), m.status);
    assert.equal(emu.getMessage(m.sid)!.body, 'Hi Ann, order #1042 is ready.');
  });

  test('bad template flags: one error line naming the field, exit 2, nothing sent', async () => {
    const before = emu.messages().length;
    for (const [args, pattern] of [
      [['--content-sid', 'HX123'], /--content-sid must be HX followed by 32 hex digits/],
      [['--content-sid', APPROVED, '--content-variables', '{1:'], /--content-variables must be a JSON object/],
      [['--content-sid', APPROVED, '--content-variables', '["a"]'], /--content-variables must be a JSON object/],
      [['--body', 'x', '--content-variables', '{"1":"a"}'], /--content-variables needs --content-sid/],
      [['--content-sid', APPROVED, '--body', 'x'], /--content-sid sends the template as it is/],
    ] as const) {
      const r = await cli(['send', '--to', PHONE, '--whatsapp', ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(errorLine(r), pattern);
    }
    const unknown = await cli(['send', '--to', PHONE, '--whatsapp', '--content-sid', `HX${'9'.repeat(32)}`]);
    assert.equal(unknown.code, 1);
    assert.match(errorLine(unknown), /The ContentSid is Invalid.*\(21655, /);
    assert.equal(emu.messages().length, before);
  });

  test('21610 after a STOP: the error says when the recipient opted out (from the log) and that only they can undo it', async () => {
    await emu.deliverInbound({ from: PHONE, to: FROM, body: 'STOP' });
    await emu.idle();
    const r = await cli(['send', '--to', PHONE, '--body', 'are you there?']);
    assert.equal(r.code, 1);
    assert.match(errorLine(r), /Attempt to send to unsubscribed recipient \(21610, /);
    assert.match(
      r.stderr,
      new RegExp(
        `hint: the recipient replied STOP: \\${PHONE} texted "STOP" to \\${FROM} on \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\(SM[0-9a-f]{32}\\); .*only they can undo it`,
      ),
    );
    await emu.deliverInbound({ from: PHONE, to: FROM, body: 'START' });
    assert.equal((await cli(['send', '--to', PHONE, '--body', 'welcome back'])).code, 0);
  });

  test('MCP send_message: content_sid and content_variables send a template; bad input names the field', async () => {
    const send = tools.find((t) => t.name === 'send_message')!;
    const store = openStore(h.env);
    const deps: ToolDeps = {
      store,
      secrets: () => assert.fail('the secret store was asked (the config reads its token from the environment)'),
      env,
      twilio: createTwilioClient,
      fruxon: () => assert.fail('no Fruxon client was expected'),
      now: () => new Date(),
      signal: new AbortController().signal,
    };
    const ctx = { signal: new AbortController().signal };
    try {
      const args = send.input.parse({
        to: PHONE,
        body: '',
        channel: 'whatsapp',
        content_sid: APPROVED,
        content_variables: { 1: 'Bo', 2: 7 },
        wait: true,
      });
      const r = await send.run(args, deps, ctx);
      assert.ok(['delivered', 'read'].includes(r.outcome as string), JSON.stringify(r));
      assert.equal(emu.getMessage((r.message as { sid: string }).sid)!.body, 'Hi Bo, order 7 is ready.');
      const bad = send.input.safeParse({ to: PHONE, body: '', content_sid: 'HX1' });
      assert.equal(bad.success, false);
      assert.match(JSON.stringify(bad.error!.issues), /content_sid.*HX followed by 32 hex digits/);
      await assert.rejects(
        send.run(send.input.parse({ to: PHONE, body: '', content_variables: { 1: 'x' } }), deps, ctx),
        /content_variables needs content_sid/,
      );
    } finally {
      store.close();
    }
  });
});
