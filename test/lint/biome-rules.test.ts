import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The rules issue 29 names, as `npm run lint` runs them (biome.jsonc and its plugin, copied to a scratch tree):
 * they fail on what they exist to catch and pass the way the code is meant to be written.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const biome = join(root, 'node_modules/@biomejs/biome/bin/biome');
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function lint(files: Record<string, string>): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fruxon-biome-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'lint'));
  mkdirSync(join(dir, 'src'));
  copyFileSync(join(root, 'biome.jsonc'), join(dir, 'biome.jsonc'));
  copyFileSync(join(root, 'lint/private-fields.grit'), join(dir, 'lint/private-fields.grit'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'src', name), text);
  const run = spawnSync(
    process.execPath,
    [biome, 'ci', '--vcs-enabled=false', '--error-on-warnings', '--reporter=github', '--colors=off', 'src'],
    { cwd: dir, encoding: 'utf8' },
  );
  return { status: run.status, out: run.stdout + run.stderr };
}

const hashPrivate = 'export class Counter {\n  #n = 0;\n  next(): number {\n    return ++this.#n;\n  }\n}\n';
const awaited =
  'async function save(): Promise<void> {}\nexport async function run(): Promise<void> {\n  await save();\n  void save();\n}\n';

describe('Biome rules (biome.jsonc, as npm run lint runs them)', () => {
  it('#private fields and handled promises pass', () => {
    const { status, out } = lint({ 'counter.ts': hashPrivate, 'run.ts': awaited });
    assert.equal(status, 0, out);
  });

  it("TypeScript's private keyword fails (field, parameter property, method); a floating promise fails", () => {
    const { status, out } = lint({
      'counter.ts': hashPrivate,
      'repo.ts':
        'export class Repo {\n  private cache = new Map<string, string>();\n  constructor(private readonly db: string) {}\n  private key(): string {\n    return this.db + this.cache.size;\n  }\n  get size(): number {\n    return this.key().length;\n  }\n}\n',
      'run.ts': 'async function save(): Promise<void> {}\nexport function run(): void {\n  save();\n}\n',
    });
    assert.notEqual(status, 0, out);
    const found = (file: string, line: number, rule: string) =>
      new RegExp(`title=${rule.replace(/\//g, '\\/')},file=[^,]*/src/${file.replace('.', '\\.')},line=${line},`).test(
        out,
      );
    assert.ok(found('repo.ts', 2, 'plugin'), out);
    assert.ok(found('repo.ts', 3, 'plugin'), out);
    assert.ok(found('repo.ts', 4, 'plugin'), out);
    assert.ok(found('run.ts', 3, 'lint/nursery/noFloatingPromises'), out);
    assert.doesNotMatch(out, /src\/counter\.ts/);
  });
});
