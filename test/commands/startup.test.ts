import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { binPath, childEnv, tempHome } from '../helpers/cli.js';

// Start-up stays fast because --help and --version load none of the heavy modules. This records every
// CommonJS module compiled in the child (the heavy ones are all CommonJS) and reports the heavy ones.
const tracer = `
const M = require('module');
const seen = [];
const orig = M.prototype._compile;
M.prototype._compile = function (c, f) { seen.push(f); return orig.call(this, c, f); };
process.on('exit', () => process.stderr.write('HEAVY:' + JSON.stringify(seen.filter((f) => /node_modules[\\\\/](twilio|better-sqlite3(?:-node20)?|@napi-rs|@inquirer|@ngrok|yaml)[\\\\/]/.test(f))) + '\\n'));
`;

test('--version, --help and a command help load neither twilio, SQLite, the keyring, ngrok, the prompts nor the YAML parser', () => {
  const h = tempHome();
  try {
    const file = join(h.home + '-tracer.cjs');
    writeFileSync(file, tracer);
    for (const args of [
      ['--version'],
      ['--help'],
      ['add-config', '--help'],
      ['configs', '--help'],
      ['test', '--help'],
    ]) {
      const r = spawnSync(process.execPath, ['--require', file, binPath, ...args], {
        env: childEnv(h.env),
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      const heavy = JSON.parse(/HEAVY:(.*)/.exec(r.stderr)![1]!) as string[];
      assert.deepEqual(heavy, [], `${args.join(' ')} loaded ${heavy.join(', ')}`);
    }
    // The same tracer does see them when a command needs the store: the check above can fail.
    const list = spawnSync(process.execPath, ['--require', file, binPath, 'configs', 'list'], {
      env: childEnv(h.env),
      encoding: 'utf8',
    });
    assert.match(/HEAVY:(.*)/.exec(list.stderr)![1]!, /better-sqlite3/);
    // ... and the YAML parser once `test` reads a scenario file.
    writeFileSync(join(h.home + '-scenario.yaml'), 'steps: nope\n');
    const scenario = spawnSync(
      process.execPath,
      ['--require', file, binPath, 'test', join(h.home + '-scenario.yaml')],
      { env: childEnv(h.env), encoding: 'utf8' },
    );
    assert.equal(scenario.status, 2, scenario.stderr);
    assert.match(/HEAVY:(.*)/.exec(scenario.stderr)![1]!, /node_modules\/yaml\//);
  } finally {
    h.cleanup();
  }
});

test('--version answers before commander and the commands load', () => {
  const h = tempHome();
  try {
    const file = join(h.home + '-tracer-all.cjs');
    writeFileSync(
      file,
      tracer.replace(
        /\(twilio\|better-sqlite3\(\?:-node20\)\?\|@napi-rs\|@inquirer\|@ngrok\|yaml\)/,
        '(commander|chalk|twilio|better-sqlite3(?:-node20)?|@napi-rs|@inquirer|@ngrok|yaml)',
      ),
    );
    const r = spawnSync(process.execPath, ['--require', file, binPath, '--version'], {
      env: childEnv(h.env),
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(/HEAVY:(.*)/.exec(r.stderr)![1]!), []);
    const help = spawnSync(process.execPath, ['--require', file, binPath, '--help'], {
      env: childEnv(h.env),
      encoding: 'utf8',
    });
    assert.match(/HEAVY:(.*)/.exec(help.stderr)![1]!, /commander/, 'the tracer does see commander when it loads');
  } finally {
    h.cleanup();
  }
});

test('--version prints the package version; --help lists commands with examples', () => {
  const v = spawnSync(process.execPath, [binPath, '--version'], { env: childEnv(), encoding: 'utf8' });
  assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
  const help = spawnSync(process.execPath, [binPath, 'add-config', '--help'], { env: childEnv(), encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--auth-token-stdin/);
  assert.match(help.stdout, /Examples:/);
});

test('an unsupported Node.js gets one line naming the versions that work, and exit 1 (never a native crash)', () => {
  const h = tempHome();
  try {
    for (const version of ['18.20.4', '21.7.3']) {
      const fake = join(h.home + `-node-${version}.cjs`);
      writeFileSync(fake, `Object.defineProperty(process.versions, 'node', { value: ${JSON.stringify(version)} });`);
      const r = spawnSync(process.execPath, ['--require', fake, binPath, 'demo'], {
        env: childEnv(h.env),
        encoding: 'utf8',
      });
      assert.equal(r.status, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `fruxon-twilio: Node.js ${version} is not supported; use Node.js 20, 22, 24 or 26\n`);
    }
  } finally {
    h.cleanup();
  }
});
