import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/cli.js';

const pages = [
  'README.md',
  ...readdirSync(join(repoRoot, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** GitHub's anchors of a Markdown file's headings (outside fenced blocks). */
function anchors(file: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of readFileSync(join(repoRoot, file), 'utf8').split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    if (fenced || !/^#+ /.test(line)) continue;
    out.add(
      line
        .replace(/^#+ /, '')
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    );
  }
  return out;
}

test('the README is what a newcomer reads: under 300 lines, and it links every page of docs/', () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const lines = readme.split('\n').length - 1;
  assert.ok(lines < 300, `README.md has ${lines} lines; the reference belongs in docs/`);
  for (const page of pages.filter((p) => p !== 'README.md')) {
    assert.ok(readme.includes(`](${page})`) || readme.includes(`](${page}#`), `README.md links ${page}`);
  }
});

test('every relative link of the README and docs/ reaches a file, and its #anchor a heading there', () => {
  const broken: string[] = [];
  for (const page of pages) {
    const text = readFileSync(join(repoRoot, page), 'utf8');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const [path, anchor] = target!.split('#') as [string, string | undefined];
      const file = path ? normalize(join(dirname(page), path)) : page;
      if (!existsSync(join(repoRoot, file))) broken.push(`${page}: ${target} (no such file)`);
      else if (anchor && file.endsWith('.md') && !anchors(file).has(anchor))
        broken.push(`${page}: ${target} (no such heading)`);
    }
  }
  assert.deepEqual(broken, []);
});
