import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { errorLine, storeBytes } from '../helpers/checks.js';
import { runCliChildProcess, tempHome } from '../helpers/cli.js';
import { inProcessCliWith } from '../helpers/inproc.js';
import { memoryKeychain } from '../helpers/keychains.js';
import { startTwilioDouble, type TwilioDouble } from '../helpers/twilio-double.js';

// The keychain this file's in-process runs are handed (in memory: no child process reads it).
const testKeychain = memoryKeychain();
const { runCliInProcess } = inProcessCliWith(testKeychain);

const hex = (n: number) => randomBytes(n).toString('hex');

describe('add-config and configs', () => {
  const accountSid = `AC${hex(16)}`;
  const authToken = hex(16);
  const from = '+14155238886';
  let twilio: TwilioDouble;
  let h: ReturnType<typeof tempHome>;
  const cli = (args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) =>
    runCliInProcess(args, { input: opts.input, env: { ...h.env, ...opts.env } });
  // The built binary against the real keychain: for what only a real process shows (a keychain that is not running).
  const bin = (args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) =>
    runCliChildProcess(args, { input: opts.input, env: { ...h.env, ...opts.env } });
  const outputs: string[] = [];
  const recordedBin = async (args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) => {
    const r = await bin(args, opts);
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const recorded = async (args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) => {
    const r = await cli(args, opts);
    outputs.push(r.stdout, r.stderr);
    return r;
  };

  before(async () => {
    twilio = await startTwilioDouble({ accountSid, authToken, numbers: [from] });
    h = tempHome();
  });
  after(async () => {
    await twilio.close();
    h.cleanup();
  });

  test('round trip: add (verified, token in the keychain), list, show, use, remove', async () => {
    const add = await recorded(
      [
        'add-config',
        '--name',
        'Support Line',
        '--from',
        from,
        '--account-sid',
        accountSid,
        '--auth-token-stdin',
        '--api-url',
        twilio.url,
        '--json',
      ],
      { input: authToken + '\n' },
    );
    assert.equal(add.code, 0, add.stderr);
    const saved = JSON.parse(add.stdout);
    assert.equal(saved.name, 'Support Line');
    assert.equal(saved.from_number, from);
    assert.equal(saved.secret_source, 'keychain');
    assert.equal(saved.verified, true);
    assert.equal(saved.number_owned, true);
    assert.equal(saved.default, true, 'the first config becomes the default');
    assert.equal(saved.webhook_path, `/webhooks/twilio/${saved.id}`);
    assert.equal(testKeychain.get(saved.id), authToken, 'the token is in the keychain under the config id');
    assert.ok(
      twilio.requests.some((r) => r.path === `/2010-04-01/Accounts/${accountSid}.json`),
      'the account was fetched',
    );

    const second = await recorded(
      [
        'add-config',
        '--name',
        'backup',
        '--from',
        '+14155550100',
        '--account-sid',
        accountSid,
        '--api-url',
        twilio.url,
        '--json',
      ],
      { env: { TWILIO_AUTH_TOKEN: authToken } },
    );
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /warning: \+14155550100 is not a phone number of account/);
    assert.equal(JSON.parse(second.stdout).number_owned, false);

    const list = await recorded(['configs', 'list', '--json']);
    assert.equal(list.code, 0);
    const rows = JSON.parse(list.stdout) as { name: string; default: boolean }[];
    assert.deepEqual(
      rows.map((r) => [r.name, r.default]),
      [
        ['backup', false],
        ['Support Line', true],
      ],
    );

    const human = await recorded(['configs', 'list']);
    assert.match(human.stdout, /\*\s+Support Line\s+\+14155238886/);

    const show = await recorded(['configs', 'show', 'Support Line', '--json']);
    assert.equal(JSON.parse(show.stdout).id, saved.id);
    const showHuman = await recorded(['configs', 'show', 'support line']);
    assert.match(
      showHuman.stdout,
      /Auth Token in the OS keychain/,
      'names are case-insensitive; show says where the secret is',
    );

    const use = await recorded(['configs', 'use', 'backup', '--json']);
    assert.deepEqual(JSON.parse(use.stdout).default, 'backup');
    assert.equal(JSON.parse((await cli(['configs', 'show', '--json'])).stdout).name, 'backup');

    const rm = await recorded(['configs', 'remove', 'backup', '--json']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(JSON.parse(rm.stdout).default, 'Support Line', 'the default moves to the remaining config');
    const rm2 = await recorded(['configs', 'remove', 'Support Line']);
    assert.equal(rm2.code, 0, rm2.stderr);
    assert.equal(testKeychain.get(saved.id), null, 'remove deletes the keychain entry');
    assert.deepEqual(JSON.parse((await cli(['configs', 'list', '--json'])).stdout), []);
  });

  test('the secret is absent from the database files and from every output', async () => {
    const r = await recorded(
      [
        'add-config',
        '--name',
        'leakcheck',
        '--from',
        from,
        '--account-sid',
        accountSid,
        '--auth-token-stdin',
        '--api-url',
        twilio.url,
      ],
      { input: authToken },
    );
    assert.equal(r.code, 0, r.stderr);
    await recorded(['configs', 'show', 'leakcheck']);
    await recorded(['configs', 'show', 'leakcheck', '--json']);
    const bytes = storeBytes(h.home);
    assert.ok(bytes.length > 0);
    assert.equal(bytes.includes(Buffer.from(authToken)), false, 'token bytes found in the store');
    for (const o of outputs) assert.equal(o.includes(authToken), false, `token printed: ${o}`);
    assert.equal(statSync(h.home).mode & 0o777, 0o700);
    assert.equal(statSync(join(h.home, 'fruxon-twilio.db')).mode & 0o777, 0o600);
    assert.equal((await cli(['configs', 'remove', 'leakcheck'])).code, 0);
  });

  test('a wrong token is reported as one clean line, and nothing is saved', async () => {
    const wrong = hex(16);
    const r = await cli(
      [
        'add-config',
        '--name',
        'wrong',
        '--from',
        from,
        '--account-sid',
        accountSid,
        '--auth-token-stdin',
        '--api-url',
        twilio.url,
      ],
      {
        input: wrong,
      },
    );
    assert.equal(r.code, 1);
    assert.match(errorLine(r), /^error: Twilio rejected the Account SID \/ Auth Token pair for AC…\w{4} \(20003\)/);
    assert.equal(r.stderr.includes(wrong), false);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
    assert.deepEqual(JSON.parse((await cli(['configs', 'list', '--json'])).stdout), []);
  });

  test('an unreachable API is one clean line naming the URL', async () => {
    const r = await cli(
      [
        'add-config',
        '--name',
        'down',
        '--from',
        from,
        '--account-sid',
        accountSid,
        '--auth-token-stdin',
        '--api-url',
        'http://127.0.0.1:9',
      ],
      {
        input: authToken,
      },
    );
    assert.equal(r.code, 1);
    assert.match(errorLine(r), /could not reach Twilio at http:\/\/127\.0\.0\.1:9 .*ECONNREFUSED/);
  });

  test('without a TTY a missing flag is a usage error naming it, not a hang', async () => {
    const cases: [string[], RegExp][] = [
      [['add-config'], /missing --name/],
      [['add-config', '--name', 'x'], /missing --from/],
      [['add-config', '--name', 'x', '--from', from], /missing --account-sid/],
      [
        ['add-config', '--name', 'x', '--from', from, '--account-sid', accountSid],
        /missing the Auth Token: pass --auth-token-stdin/,
      ],
    ];
    for (const [args, pattern] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(errorLine(r), pattern);
    }
  });

  test('bad input: one line naming the field and the expected form, exit non-zero', async () => {
    const base = ['add-config', '--name', 'bad', '--no-verify', '--auth-token-stdin'];
    const cases: [string[], number, RegExp][] = [
      [
        [...base, '--from', '4155238886', '--account-sid', accountSid],
        2,
        /--from must be an E\.164 phone number like \+14155238886/,
      ],
      [[...base, '--from', '+0123', '--account-sid', accountSid], 2, /--from must be an E\.164/],
      [
        [...base, '--from', from, '--account-sid', 'AC123'],
        2,
        /--account-sid must be a Twilio Account SID: AC followed by 32 lowercase hex/,
      ],
      [
        [...base, '--from', from, '--account-sid', accountSid, '--api-key-sid', 'SKnope'],
        2,
        /--api-key-sid must be a Twilio API Key SID/,
      ],
      [
        [...base, '--from', from, '--account-sid', accountSid, '--api-url', 'ftp://x'],
        2,
        /--api-url must be an http\(s\) URL/,
      ],
      [['configs', 'show', 'nobody'], 1, /no config named "nobody"/],
      [['configs', 'remove', 'nobody'], 1, /no config named "nobody"/],
      [['configs', 'frobnicate'], 2, /unknown configs subcommand "frobnicate"/],
    ];
    for (const [args, code, pattern] of cases) {
      const r = await cli(args, { input: authToken });
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(errorLine(r), pattern);
    }
    const unknownFlag = await cli(['add-config', '--nmae', 'x']);
    assert.equal(unknownFlag.code, 2);
    assert.match(unknownFlag.stderr, /unknown option '--nmae'/);
  });

  test('a duplicate name is refused and the first config is untouched', async () => {
    const add = (input: string) =>
      cli(
        [
          'add-config',
          '--name',
          'dup',
          '--from',
          from,
          '--account-sid',
          accountSid,
          '--auth-token-stdin',
          '--no-verify',
          '--json',
        ],
        { input },
      );
    const first = await add(authToken);
    assert.equal(first.code, 0, first.stderr);
    const id = JSON.parse(first.stdout).id;
    const second = await add(hex(16));
    assert.equal(second.code, 1);
    assert.match(errorLine(second), /a config named "dup" already exists/);
    assert.equal(testKeychain.get(id), authToken);
    assert.equal(JSON.parse((await cli(['configs', 'list', '--json'])).stdout).length, 1);
    assert.equal((await cli(['configs', 'remove', 'dup'])).code, 0);
  });

  test('--token-from-env works with no keychain running; a keychain config then fails cleanly and saves nothing', async () => {
    const noKeychain = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus', TWILIO_AUTH_TOKEN: authToken };
    const r = await recordedBin(
      [
        'add-config',
        '--name',
        'ci',
        '--from',
        from,
        '--account-sid',
        accountSid,
        '--token-from-env',
        '--api-url',
        twilio.url,
        '--json',
      ],
      {
        env: noKeychain,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).secret_source, 'env');
    assert.equal(JSON.parse(r.stdout).verified, true);
    const show = await bin(['configs', 'show', 'ci'], { env: noKeychain });
    assert.match(show.stdout, /Auth Token from \$TWILIO_AUTH_TOKEN/);

    const kc = await bin(
      [
        'add-config',
        '--name',
        'needs-keychain',
        '--from',
        from,
        '--account-sid',
        accountSid,
        '--auth-token-stdin',
        '--no-verify',
      ],
      {
        env: noKeychain,
        input: authToken,
      },
    );
    assert.equal(kc.code, 1);
    assert.match(errorLine(kc), /the OS keychain is not reachable/);
    assert.match(kc.stderr, /hint: .*--token-from-env/);
    const names = (JSON.parse((await cli(['configs', 'list', '--json'])).stdout) as { name: string }[]).map(
      (c) => c.name,
    );
    assert.deepEqual(names, ['ci'], 'no row without its secret');
    assert.equal((await bin(['configs', 'remove', 'ci'], { env: noKeychain })).code, 0);
    assert.equal(bytesInclude(h.home, authToken), false);
  });

  test('API Key auth: SK… + secret from stdin', async () => {
    const r = await cli(
      [
        'add-config',
        '--name',
        'apikey',
        '--from',
        from,
        '--account-sid',
        accountSid,
        '--api-key-sid',
        `SK${hex(16)}`,
        '--api-key-secret-stdin',
        '--no-verify',
        '--json',
      ],
      { input: 'key-secret-value' },
    );
    assert.equal(r.code, 0, r.stderr);
    const saved = JSON.parse(r.stdout);
    assert.equal(saved.auth_method, 'api-key');
    assert.equal(testKeychain.get(saved.id), 'key-secret-value');
    assert.equal((await cli(['configs', 'remove', 'apikey'])).code, 0);
    assert.equal(testKeychain.get(saved.id), null);
  });
});

function bytesInclude(home: string, secret: string): boolean {
  return existsSync(home) && storeBytes(home).includes(Buffer.from(secret));
}
