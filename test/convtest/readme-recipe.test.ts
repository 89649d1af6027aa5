import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { binPath, childEnv, repoRoot } from '../helpers/cli.js';
import { all, validateJunit } from '../helpers/junit-schema.js';

function readmeBlock(marker: string, lang: string): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const m = new RegExp(`<!-- ${marker}:start -->\\n\`\`\`${lang}\\n([\\s\\S]*?)\`\`\`\\n<!-- ${marker}:end -->`).exec(readme);
  assert.ok(m, `the README has a ${marker} block`);
  return m[1]!;
}

/**
 * The "your agent" of the recipe: prints its URL, and answers each trigger listen forwards through the
 * emulator's Messages API (read from emulator.jsonl), from the number written to, to the sender, on its channel.
 */
const AGENT = `
import http from 'node:http';
import { readFileSync } from 'node:fs';
const emu = JSON.parse(readFileSync('emulator.jsonl', 'utf8').split('\\n')[0]);
const auth = 'Basic ' + Buffer.from(emu.account_sid + ':' + emu.auth_token).toString('base64');
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', async () => {
    res.end('{}');
    const p = JSON.parse(body).payload;
    const text = p.text ?? '';
    const order = /#(\\d+)/.exec(text);
    const reply = order ? 'Order #' + order[1] + ' is on its way.' : /thank/i.test(text) ? "You're welcome!" : null;
    if (!reply) return;
    const prefix = p.channel === 'whatsapp' ? 'whatsapp:' : '';
    const form = new URLSearchParams({ From: prefix + p.message_attributes.to, To: prefix + p.from, Body: reply });
    const r = await fetch(emu.url + '/2010-04-01/Accounts/' + emu.account_sid + '/Messages.json', { method: 'POST', headers: { authorization: auth }, body: form });
    console.error('replied', r.status);
  });
});
server.listen(0, '127.0.0.1', () => console.log('http://127.0.0.1:' + server.address().port + '/twilio'));
`;

test("the README's conversation-test recipe runs as written, on its own scenario: exit 0 and a JUnit file", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fruxon-twilio-convtest-ci-'));
  try {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(binPath, join(bin, 'fruxon-twilio'));
    mkdirSync(join(dir, 'scenarios'));
    writeFileSync(join(dir, 'scenarios', 'order.yaml'), readmeBlock('convtest-scenario', 'yaml'));
    writeFileSync(join(dir, 'agent.mjs'), AGENT);
    writeFileSync(join(dir, 'recipe.sh'), readmeBlock('convtest-ci', 'sh'));
    const env = childEnv({ PATH: `${bin}:${process.env.PATH}`, CI: 'true' });
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn('bash', ['recipe.sh'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve({ code: c, output });
      });
    });
    assert.equal(code, 0, output + '\n' + safeRead(join(dir, 'listen.log')) + safeRead(join(dir, 'agent.log')));
    assert.match(output, /✔ 2\. expect contains "1042" within 30s: "Order #1042 is on its way\."/);
    assert.match(output, /1 scenario in 1 file: 1 passed/);
    const doc = validateJunit(readFileSync(join(dir, 'junit.xml'), 'utf8'));
    assert.deepEqual(all(doc, 'testcase').map((c) => c.attrs.name), ['order status']);
    assert.equal(all(doc, 'failure').length, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
