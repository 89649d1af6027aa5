import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { runCliChildProcess, tempHome } from '../helpers/cli.js';

/** [args, exit code, the exact error line]. Each runs on an empty data directory, with nothing on stdin. */
const TABLE: [string[], number, RegExp][] = [
  [['nosuchcmd'], 2, /^error: unknown command 'nosuchcmd'$/],
  [['listen', '--bogus'], 2, /^error: unknown option '--bogus'$/],
  [['listen', '--port', '99999'], 2, /^error: --port must be a whole number from 0 to 65535 \(got "99999"\)$/],
  [['listen', '--port', 'abc'], 2, /^error: --port must be a whole number from 0 to 65535 \(got "abc"\)$/],
  [['listen', '--max', '0'], 2, /^error: --max must be a whole number of at least 1 \(got "0"\)$/],
  [['listen', '--timeout', '-1'], 2, /^error: --timeout must be a duration like 30s, 15m, 2h or 7d \(got "-1"\)$/],
  [['listen', '--once', '--max', '2'], 2, /^error: --once and --max N say the same thing: pass one of them$/],
  [['listen', '--tunnel', 'foo'], 2, /^error: --tunnel must be ngrok or none \(got "foo"\)$/],
  [['send', '--body', 'hi'], 2, /^error: missing --to: an E\.164 number like \+14155238886, or a participant name$/],
  [
    ['send', '--to', '123', '--body', 'hi'],
    2,
    /^error: --to must be an E\.164 number like \+14155238886 or the name of a participant \(got "123", which is neither\)$/,
  ],
  [
    ['add-config', '--name', 'x', '--from', '12', '--account-sid', 'AC1', '--token-from-env'],
    2,
    /^error: --from must be an E\.164 phone number like \+14155238886 \(got "12"\)$/,
  ],
  [
    ['participants', 'add', 'bob', '--phone', '555'],
    2,
    /^error: --phone must be an E\.164 phone number like \+14155238886 \(got "555"\)$/,
  ],
  [['messages', 'list', '--limit', '0'], 2, /^error: --limit must be a whole number from 1 to 1000 \(got "0"\)$/],
  [['configs', 'typo'], 2, /^error: unknown configs subcommand "typo": use list, show, set, remove or use$/],
  [['configs', 'show', 'nope'], 1, /^error: no config named "nope"$/],
];

describe('bad CLI input: one exact error line and the exit code', () => {
  const h = tempHome();
  after(() => h.cleanup());

  for (const [args, code, line] of TABLE) {
    test(`fruxon-twilio ${args.join(' ')} -> exit ${code}`, async () => {
      const r = await runCliChildProcess(args, { env: h.env });
      assert.equal(r.code, code, r.stderr);
      assert.equal(r.stdout, '', 'nothing on stdout');
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
      assert.equal(errors.length, 1, r.stderr);
      assert.match(errors[0]!, line);
      assert.doesNotMatch(r.stderr, /\n\s+at .*\.js:\d+/, 'no stack trace');
    });
  }
});
