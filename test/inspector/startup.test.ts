import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { binPath, childEnv, tempHome } from '../helpers/cli.js';

// The inspector (pages, server) is ESM: a resolve hook reports every module of src/inspector/ that loads.
const hooks = `
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (/\\/src\\/inspector\\//.test(r.url)) process.stderr.write('INSPECTOR-MODULE ' + r.url + '\\n');
  return r;
}
`;

test('listen --help and inspect --help load no inspector module', () => {
  const h = tempHome();
  try {
    const hooksFile = h.home + '-hooks.mjs';
    writeFileSync(hooksFile, hooks);
    const register = h.home + '-register.mjs';
    writeFileSync(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooksFile).href)});\n`,
    );
    for (const args of [['listen', '--help'], ['inspect', '--help'], ['--help']]) {
      const r = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, binPath, ...args], {
        env: childEnv(h.env),
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /INSPECTOR-MODULE/, `${args.join(' ')} loaded the inspector`);
    }
    // The hook does see the inspector when it loads: the check above can fail.
    const seen = spawnSync(
      process.execPath,
      [
        '--import',
        pathToFileURL(register).href,
        '--input-type=module',
        '-e',
        `await import(${JSON.stringify(pathToFileURL(join(binPath, '../../dist/src/inspector/index.js')).href)})`,
      ],
      { env: childEnv(h.env), encoding: 'utf8' },
    );
    assert.equal(seen.status, 0, seen.stderr);
    assert.match(seen.stderr, /INSPECTOR-MODULE .*\/inspector\/index\.js/);
    const help = spawnSync(process.execPath, [binPath, 'listen', '--help'], { env: childEnv(h.env), encoding: 'utf8' });
    assert.match(help.stdout, /--inspect-port <port>/);
    assert.match(help.stdout, /--no-inspect/);
  } finally {
    h.cleanup();
  }
});
