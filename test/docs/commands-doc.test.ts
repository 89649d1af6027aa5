import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { commandReference, commandsDocPath } from '../../src/docs.js';

test('docs/commands.md is what `npm run docs` generates from the program today', () => {
  const written = readFileSync(commandsDocPath, 'utf8');
  const fresh = commandReference();
  if (written === fresh) return;
  const a = written.split('\n');
  const b = fresh.split('\n');
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  assert.fail(
    `docs/commands.md is stale: run \`npm run docs\` and commit it. First difference at line ${i + 1}:\n` +
      `  written:   ${a[i] ?? '(end of file)'}\n  generated: ${b[i] ?? '(end of file)'}`,
  );
});

test('the command reference names every command and option of the program, with its help text', () => {
  const doc = commandReference();
  for (const heading of [
    '## fruxon-twilio listen',
    '## fruxon-twilio fruxon access-requests approve',
    '## fruxon-twilio test',
  ]) {
    assert.ok(doc.includes(`\n${heading}\n`), heading);
  }
  assert.match(doc, /\| `--port <port>` \| local port \(0 = any free port\) \| `"7337"` \|/);
  assert.match(doc, /Usage: fruxon-twilio send \[options\]/);
  assert.match(doc, /Exit codes: 0 ok, 1 failure, 2 usage error/);
  assert.doesNotMatch(doc, /\d{4}-\d{2}-\d{2}T\d{2}:/, 'no timestamps');
  assert.equal(commandReference(), doc, 'the same text twice');
});
