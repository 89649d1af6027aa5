import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The layer rules (.dependency-cruiser.cjs, run by `npm run lint`) fail on what they exist to catch: the project's
 * own config, run on small trees laid out like src/.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const config = join(root, '.dependency-cruiser.cjs');
const depcruise = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function cruise(files: Record<string, string>): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fruxon-layers-'));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const run = spawnSync(process.execPath, [depcruise, 'src', '--config', config], { cwd: dir, encoding: 'utf8' });
  return { status: run.status, out: run.stdout + run.stderr };
}

// A tree that keeps the rules: every layer imports only downwards (a type-only import among them).
const clean = {
  'src/program.ts': "import { list } from './commands/list.js';\nexport const program = list;\n",
  'src/commands/list.ts': "import { render } from '../output/list.js';\nexport const list = render;\n",
  'src/output/list.ts': "import { listThings } from '../operations/list.js';\nexport const render = listThings;\n",
  'src/operations/list.ts':
    "import type { Row } from '../store/rows.js';\nimport { twilioRows } from '../twilio/rows.js';\nexport const listThings = (): Row[] => twilioRows();\n",
  'src/twilio/rows.ts':
    "import type { Row } from '../store/rows.js';\nimport { fail } from '../errors.js';\nexport const twilioRows = (): Row[] => (fail ? [] : []);\n",
  'src/store/rows.ts': 'export interface Row { sid: string }\n',
  'src/errors.ts': 'export const fail = false;\n',
};

describe('layer rules (dependency-cruiser with the project config)', () => {
  it('a tree whose imports all point down passes', () => {
    const { status, out } = cruise(clean);
    assert.equal(status, 0, out);
    assert.match(out, /no dependency violations found \(7 modules/);
  });

  it('an import up the layers, a type-only one, a circle and an unplaced folder each fail, named by their rule', () => {
    const { status, out } = cruise({
      ...clean,
      // operations climbs to output (a value import)
      'src/operations/list.ts':
        "import type { Row } from '../store/rows.js';\nimport { render } from '../output/list.js';\nexport const listThings = (): Row[] => (render ? [] : []);\n",
      // store climbs to twilio with a type-only import
      'src/store/rows.ts':
        "import type { twilioRows } from '../twilio/rows.js';\nexport interface Row { sid: string; from?: typeof twilioRows }\n",
      // a circle inside one layer
      'src/errors.ts': "import { phone } from './phone.js';\nexport const fail = phone;\n",
      'src/phone.ts': "import { fail } from './errors.js';\nexport const phone = !fail;\n",
      // a folder no layer holds
      'src/gadgets/thing.ts': "import { fail } from '../errors.js';\nexport const thing = fail;\n",
    });
    assert.notEqual(status, 0, out);
    assert.match(out, /error layers-operations: src\/operations\/list\.ts → src\/output\/list\.ts/);
    assert.match(out, /error layers-storage: src\/store\/rows\.ts → src\/twilio\/rows\.ts/);
    assert.match(out, /error no-circular: src\/errors\.ts →/);
    assert.match(out, /error layers-unplaced-importer: src\/gadgets\/thing\.ts → src\/errors\.ts/);
  });
});
