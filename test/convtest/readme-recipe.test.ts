import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { all, validateJunit } from '../helpers/junit-schema.js';
import { readmeBlock, runRecipe, safeRead } from '../helpers/readme.js';

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

test("docs/conversation-tests.md's conversation-test recipe runs as written, on its own scenario: exit 0 and a JUnit file", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fruxon-twilio-convtest-ci-'));
  try {
    mkdirSync(join(dir, 'scenarios'));
    writeFileSync(
      join(dir, 'scenarios', 'order.yaml'),
      readmeBlock('convtest-scenario', 'yaml', 'docs/conversation-tests.md'),
    );
    writeFileSync(join(dir, 'agent.mjs'), AGENT);
    const { code, output } = await runRecipe(
      dir,
      readmeBlock('convtest-ci', 'sh', 'docs/conversation-tests.md'),
      90_000,
    );
    assert.equal(code, 0, output + '\n' + safeRead(join(dir, 'listen.log')) + safeRead(join(dir, 'agent.log')));
    assert.match(output, /✔ 2\. expect contains "1042" within 30s: "Order #1042 is on its way\."/);
    assert.match(output, /1 scenario in 1 file: 1 passed/);
    const doc = validateJunit(readFileSync(join(dir, 'junit.xml'), 'utf8'));
    assert.deepEqual(
      all(doc, 'testcase').map((c) => c.attrs.name),
      ['order status'],
    );
    assert.equal(all(doc, 'failure').length, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
