import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * routes.ts and messaging-routes.ts used to import each other: a process whose first import was
 * messaging-routes.js met routes.js half-initialised and threw a ReferenceError. Each module here is imported
 * first in a fresh process, so that the module cache of this test cannot hide the order.
 */
const emulatorModule = (name: string) => fileURLToPath(new URL(`../../src/emulator/${name}`, import.meta.url));

function importFirst(name: string, probe: string): string {
  const script = `const m = await import(${JSON.stringify(emulatorModule(name))});\n${probe}`;
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
}

describe('emulator modules: any of them can be imported first', () => {
  it('messaging-routes.js first: loads, and its routes are the messaging APIs', () => {
    const out = importFirst(
      'messaging-routes.js',
      'console.log(JSON.stringify(m.messagingRoutes.map((r) => r.path)));',
    );
    const paths = JSON.parse(out) as string[];
    assert.ok(paths.length > 0);
    assert.ok(
      paths.every((p) => p.startsWith('/v1/') || p.startsWith('/v2/')),
      paths.join(' '),
    );
  });

  it('routes.js first: loads, and serves the messaging routes too', () => {
    const out = importFirst(
      'routes.js',
      "console.log(JSON.stringify(m.emulatorRoutes.filter((r) => r.path.startsWith('/v1/Services')).length));",
    );
    assert.ok(Number(out) > 0, out);
  });

  it('index.js first: loads', () => {
    const out = importFirst('index.js', 'console.log(typeof m.startEmulator);');
    assert.equal(out.trim(), 'function');
  });
});
