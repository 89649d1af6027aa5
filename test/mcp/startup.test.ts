import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/cli.js';

/**
 * The MCP SDK (and zod) must cost the CLI's start-up nothing: no module that a plain run loads statically
 * may import them. Both are ES modules, which the CommonJS tracer of test/commands/startup.test.ts does not
 * see, so this walks the static import graph of the built files instead (dynamic import() is not followed).
 */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/^\s*(?:import|export)\s(?:[^'"]*?\sfrom\s*)?['"]([^'"]+)['"]/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) todo.push(resolve(dirname(file), spec));
      else packages.add(spec);
    }
  }
  return { files, packages };
}

test("the CLI's static imports reach neither the MCP SDK, zod, nor src/mcp: only the mcp command loads them", () => {
  const { files, packages } = staticGraph(join(repoRoot, 'bin', 'fruxon-twilio.js'));
  const commands = staticGraph(join(repoRoot, 'dist', 'src', 'commands', 'index.js'));
  assert.ok(commands.files.has(join(repoRoot, 'dist', 'src', 'commands', 'mcp.js')), 'the mcp command is registered');
  for (const g of [{ files, packages }, commands]) {
    assert.deepEqual(
      [...g.packages].filter((p) => /^@modelcontextprotocol\/|^zod(\/|$)/.test(p)),
      [],
    );
    assert.deepEqual(
      [...g.files].filter((f) => f.includes(`${join('dist', 'src', 'mcp')}`)),
      [],
    );
  }
  // The walk does see them from the server module: the check above can fail.
  const server = staticGraph(join(repoRoot, 'dist', 'src', 'mcp', 'server.js'));
  assert.ok([...server.packages].some((p) => p.startsWith('@modelcontextprotocol/sdk/')));
  assert.ok(server.packages.has('zod'));
});
