import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEmulator } from '../../src/emulator/index.js';
import { CliChildProcess, runCliChildProcess, tempHome } from '../helpers/cli.js';
import { emulatorClient } from '../helpers/emulator-client.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const MG = 'MG' + 'a1'.repeat(16);

describe('emulator --topology: start as a real account looks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fruxon-topology-'));
  const h = tempHome();
  let hooks: WebhookReceiver;
  let file = '';
  before(async () => {
    hooks = await WebhookReceiver.start();
    file = join(dir, 'account.json');
    writeFileSync(
      file,
      JSON.stringify({
        numbers: [{ phone_number: '+15005551601', sms_url: `${hooks.url}/own` }],
        services: [
          {
            sid: MG,
            friendly_name: 'Support',
            inbound_request_url: `${hooks.url}/service`,
            phone_numbers: ['+15005551601', '+15005551602'],
          },
          { friendly_name: 'Silent', inbound_request_url: null, phone_numbers: ['+15005551603'] },
        ],
        applications: [{ friendly_name: 'Bot', sms_url: `${hooks.url}/app`, phone_numbers: ['+15005551604'] }],
        senders: [
          {
            sender_id: 'whatsapp:+15005551605',
            webhook: { callback_url: `${hooks.url}/wa` },
            profile: { name: 'Acme' },
          },
        ],
        sandbox: { inbound_url: `${hooks.url}/sandbox`, participants: ['+14155550145'] },
      }),
    );
  });
  after(async () => {
    await hooks.stop();
    rmSync(dir, { recursive: true, force: true });
    h.cleanup();
  });

  it("--json's first line lists numbers, services, applications, senders and the Sandbox; each layer routes", async () => {
    const p = new CliChildProcess(['emulator', '--json', '--port', '0', '--topology', file], { env: h.env });
    try {
      await p.waitFor(/\n/, { stream: 'stdout' });
      const first = JSON.parse(p.stdout.split('\n')[0]!);
      assert.deepEqual(first.numbers.map((n: { phone_number: string }) => n.phone_number).sort(), [
        '+15005551601',
        '+15005551602',
        '+15005551603',
        '+15005551604',
        '+15005551605',
      ]);
      assert.equal(first.services.length, 2);
      assert.equal(first.services[0].sid, MG);
      assert.equal(first.services[0].friendly_name, 'Support');
      assert.deepEqual(first.services[0].phone_numbers, ['+15005551601', '+15005551602']);
      assert.equal(first.services[1].inbound_request_url, null);
      assert.equal(first.applications[0].friendly_name, 'Bot');
      assert.deepEqual(first.applications[0].phone_numbers, ['+15005551604']);
      assert.equal(first.senders[0].sender_id, 'whatsapp:+15005551605');
      assert.equal(first.senders[0].webhook.callback_url, `${hooks.url}/wa`);
      assert.equal(first.sandbox.phone_number, '+14155238886');
      assert.equal(first.sandbox.inbound_url, `${hooks.url}/sandbox`);

      const cases: [string, string, string | null][] = [
        ['+15005551601', 'messaging_service', `${hooks.url}/service`],
        ['+15005551603', 'dropped', null],
        ['+15005551604', 'application', `${hooks.url}/app`],
        ['whatsapp:+15005551605', 'whatsapp_sender', `${hooks.url}/wa`],
        ['whatsapp:+14155238886', 'sandbox', `${hooks.url}/sandbox`],
      ];
      for (const [to, layer, url] of cases) {
        const res = await fetch(`${first.url}/_emulator/inbound`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ from: '+14155550145', to, body: 'hi' }),
        });
        assert.equal(res.status, 202);
        const answer = await res.json();
        assert.equal(answer.layer, layer, to);
        assert.equal(answer.delivered_to, url, to);
      }
      const client = emulatorClient({ url: first.url, accountSid: first.account_sid, authToken: first.auth_token });
      const services = await client.messaging.v1.services.list();
      assert.deepEqual(
        services.map((s) => s.friendlyName),
        ['Support', 'Silent'],
      );
      const topology = await (await fetch(`${first.url}/_emulator/topology`)).json();
      assert.deepEqual(
        topology.services.map((s: { sid: string }) => s.sid),
        first.services.map((s: { sid: string }) => s.sid),
      );
    } finally {
      p.kill('SIGINT');
      assert.equal((await p.exited).code, 0);
    }
  });

  it('the human output names each layer', async () => {
    const p = new CliChildProcess(['emulator', '--port', '0', '--topology', file], { env: h.env });
    try {
      await p.waitFor(/control API/, { stream: 'stdout' });
      assert.match(
        p.stdout,
        new RegExp(`service +${MG} "Support" inbound ${hooks.url}/service numbers \\+15005551601, \\+15005551602`),
      );
      assert.match(p.stdout, /service +MG[0-9a-f]{32} "Silent" inbound \(none: drops messages\)/);
      assert.match(p.stdout, /twiml app +AP[0-9a-f]{32} "Bot"/);
      assert.match(p.stdout, /wa sender +XE[0-9a-f]{32} whatsapp:\+15005551605/);
      assert.match(p.stdout, /sandbox +\+14155238886 inbound/);
    } finally {
      p.kill('SIGINT');
      await p.exited;
    }
  });

  it('a topology that does not fit is one line naming the field, exit 2', async () => {
    const cases: [unknown, RegExp][] = [
      [
        { services: [{ inbound_request_url: 'ftp://x' }] },
        /services\[0\]\.inbound_request_url must be an http\(s\) URL, got "ftp:\/\/x"/,
      ],
      [{ senders: [{ sender_id: '+15005550006' }] }, /senders\[0\]\.sender_id must be whatsapp:\+E164/],
      [
        { senders: [{ sender_id: 'whatsapp:+15005550006', webhook: { callback_method: 'GET' } }] },
        /senders\[0\]\.webhook\.callback_method must be POST or PUT, got "GET"/,
      ],
      [{ services: [{ phone_numbers: ['555'] }] }, /services\[0\]\.phone_numbers\[0\] must be an E\.164 number/],
      [{ service: [] }, /the topology has an unknown field "service"/],
    ];
    for (const [content, pattern] of cases) {
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify(content));
      const r = await runCliChildProcess(['emulator', '--port', '0', '--topology', bad], { env: h.env });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    writeFileSync(join(dir, 'broken.json'), '{');
    const broken = await runCliChildProcess(['emulator', '--topology', join(dir, 'broken.json')], { env: h.env });
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /is not valid JSON/);
    const missing = await runCliChildProcess(['emulator', '--topology', join(dir, 'nope.json')], { env: h.env });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*nope\.json \(ENOENT\)/);
  });

  it("--sandbox-url sets the Sandbox's inbound URL", async () => {
    const p = new CliChildProcess(['emulator', '--json', '--port', '0', '--sandbox-url', `${hooks.url}/sb`], {
      env: h.env,
    });
    try {
      await p.waitFor(/\n/, { stream: 'stdout' });
      const first = JSON.parse(p.stdout.split('\n')[0]!);
      assert.equal(first.sandbox.inbound_url, `${hooks.url}/sb`);
      assert.deepEqual(first.services, []);
    } finally {
      p.kill('SIGINT');
      await p.exited;
    }
  });

  it('--enforce-media-auth turns on "Enforce HTTP Auth on Media URLs": shown in the first --json line and the human output; media answers 401 without Basic auth', async () => {
    const media = async (first: {
      url: string;
      account_sid: string;
      auth_token: string;
      numbers: { phone_number: string }[];
    }) => {
      const sent = await fetch(`${first.url}/_emulator/inbound`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          from: '+14155550100',
          to: first.numbers[0]!.phone_number,
          body: 'a picture',
          media_urls: ['data:image/png;base64,iVBORw0KGgo='],
        }),
      });
      assert.equal(sent.status, 202);
      const { message_sid: sid } = (await sent.json()) as { message_sid: string };
      const basic = {
        Authorization: 'Basic ' + Buffer.from(`${first.account_sid}:${first.auth_token}`).toString('base64'),
      };
      const list = (await (
        await fetch(`${first.url}/2010-04-01/Accounts/${first.account_sid}/Messages/${sid}/Media.json`, {
          headers: basic,
        })
      ).json()) as { media_list: { uri: string }[] };
      const url = first.url + list.media_list[0]!.uri.replace(/\.json$/, '');
      return { anonymous: (await fetch(url)).status, withAuth: (await fetch(url, { headers: basic })).status };
    };
    const on = new CliChildProcess(['emulator', '--json', '--port', '0', '--enforce-media-auth'], { env: h.env });
    try {
      await on.waitFor(/\n/, { stream: 'stdout' });
      const first = JSON.parse(on.stdout.split('\n')[0]!);
      assert.deepEqual(first.account, { enforce_media_auth: true });
      assert.deepEqual(await media(first), { anonymous: 401, withAuth: 200 });
      const topology = await (await fetch(`${first.url}/_emulator/topology`)).json();
      assert.deepEqual(topology.account, { enforce_media_auth: true });
    } finally {
      on.kill('SIGINT');
      assert.equal((await on.exited).code, 0);
    }
    const off = new CliChildProcess(['emulator', '--json', '--port', '0'], { env: h.env });
    try {
      await off.waitFor(/\n/, { stream: 'stdout' });
      const first = JSON.parse(off.stdout.split('\n')[0]!);
      assert.deepEqual(first.account, { enforce_media_auth: false });
      assert.deepEqual(await media(first), { anonymous: 200, withAuth: 200 });
    } finally {
      off.kill('SIGINT');
      assert.equal((await off.exited).code, 0);
    }
    const human = new CliChildProcess(['emulator', '--port', '0', '--enforce-media-auth'], { env: h.env });
    try {
      await human.waitFor(/control API/, { stream: 'stdout' });
      assert.match(human.stdout, /\n {2}media auth {3}enforced: media URLs answer 401 without Basic auth\n/);
    } finally {
      human.kill('SIGINT');
      await human.exited;
    }
    const plain = new CliChildProcess(['emulator', '--port', '0'], { env: h.env });
    try {
      await plain.waitFor(/control API/, { stream: 'stdout' });
      assert.doesNotMatch(plain.stdout, /media auth/);
    } finally {
      plain.kill('SIGINT');
      await plain.exited;
    }
  });

  it('services, apps, senders and the Sandbox survive a restart with a state file; the same topology again changes nothing', async () => {
    const statePath = join(dir, 'state.sqlite');
    const topology = JSON.parse((await import('node:fs')).readFileSync(file, 'utf8'));
    const a = await startEmulator({ statePath, topology });
    const accountSid = a.accountSid;
    const senderSid = a.senders()[0]!.sid;
    await a.stop();
    const b = await startEmulator({ statePath, topology });
    try {
      assert.equal(b.accountSid, accountSid);
      assert.deepEqual(
        b.services().map((s) => s.friendlyName),
        ['Support', 'Silent'],
        'the topology applied again adds no copies',
      );
      assert.equal(b.services()[1]!.phoneNumberSids.length, 1);
      assert.equal(b.applications().length, 1);
      assert.deepEqual(
        b.senders().map((x) => x.sid),
        [senderSid],
      );
      assert.equal(b.applications()[0]!.friendlyName, 'Bot');
      assert.equal(b.senders()[0]!.senderId, 'whatsapp:+15005551605');
      assert.equal(b.topology().sandbox.inbound_url, `${hooks.url}/sandbox`);
      assert.equal(b.getNumber('+15005551604')!.smsApplicationSid, b.applications()[0]!.sid);
    } finally {
      await b.stop();
    }
  });
});
