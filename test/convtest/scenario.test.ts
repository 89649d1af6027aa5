import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRegex, type ExpectStep, parseScenarioFile, type SendStep } from '../../src/convtest/scenario.js';

const problemOf = async (text: string, file = 'x.yaml') => {
  const r = await parseScenarioFile(file, text);
  assert.equal(r.ok, false, `expected a problem for:\n${text}`);
  return (r as Extract<typeof r, { ok: false }>).problem;
};

test("the issue's example parses: steps, media_urls, within, (?i), defaults", async () => {
  const r = await parseScenarioFile(
    'order.yaml',
    `name: order status
config: support            # optional
from: "+15005550007"
steps:
  - send: "Hi, where is my order #1042?"
  - expect: { contains: "1042", within: 30s }
  - send: "thanks"
    media_urls: ["https://example.com/receipt.jpg"]
  - expect: { matches: "(?i)you're welcome|anytime", within: 20s }
  - expect: { none: true, within: 5 }
  - expect: {}
`,
  );
  assert.ok(r.ok);
  const [s] = r.scenarios;
  assert.equal(s!.name, 'order status');
  assert.equal(s!.config, 'support');
  assert.equal(s!.from, '+15005550007');
  assert.equal(s!.fromLine, 3);
  assert.deepEqual(
    s!.steps.map((x) => [x.kind, x.line]),
    [
      ['send', 5],
      ['expect', 6],
      ['send', 7],
      ['expect', 9],
      ['expect', 10],
      ['expect', 11],
    ],
  );
  assert.deepEqual((s!.steps[2] as SendStep).mediaUrls, ['https://example.com/receipt.jpg']);
  const e = s!.steps[3] as ExpectStep;
  assert.equal(e.withinMs, 20_000);
  assert.ok(e.matches!.regex.test("YOU'RE WELCOME"));
  assert.equal((s!.steps[4] as ExpectStep).withinMs, 5000, 'a bare number is seconds');
  assert.equal((s!.steps[5] as ExpectStep).withinMs, 30_000, 'within defaults to 30 s');
});

test('JSON is YAML: a list under scenarios, with lines; unique names', async () => {
  const json = JSON.stringify(
    {
      scenarios: [
        { name: 'a', from: 'whatsapp:+15005550007', steps: [{ send: 'x' }] },
        { name: 'b', steps: [{ expect: { media: 2 } }] },
      ],
    },
    null,
    2,
  );
  const r = await parseScenarioFile('s.json', json);
  assert.ok(r.ok);
  assert.deepEqual(
    r.scenarios.map((s) => [s.name, s.from, s.position]),
    [
      ['a', 'whatsapp:+15005550007', 0],
      ['b', null, 1],
    ],
  );
  // The scenario's line is its opening brace: the line above its "name" (0-based index = 1-based line - 1).
  const nameLine = json.split('\n').findIndex((l) => l.includes('"name": "b"')) + 1;
  assert.equal(r.scenarios[1]!.line, nameLine - 1);
  const dup = await problemOf('scenarios:\n  - name: a\n    steps: [{send: x}]\n  - name: A\n    steps: [{send: y}]\n');
  assert.deepEqual([dup.line, dup.field], [4, 'scenarios[1].name']);
});

test('each malformed field is named with its line', async () => {
  const cases: [string, number, string, RegExp][] = [
    ['', 1, '(file)', /empty/],
    ['- a\n- b\n', 1, '(file)', /must be a scenario/],
    ['name: x\n', 1, 'steps', /missing/],
    ['steps: []\n', 1, 'steps', /non-empty list/],
    ['steps:\n  - send: hi\n    expect: {}\n', 2, 'steps[0]', /both send and expect/],
    ['steps:\n  - hello\n', 2, 'steps[0]', /must be a step/],
    [
      'steps:\n  - send: hi\n  - expect: { none: true, contains: x }\n',
      3,
      'steps[1].expect.contains',
      /cannot be checked with none/,
    ],
    ['steps:\n  - send: hi\n  - expect: { channel: fax }\n', 3, 'steps[1].expect.channel', /sms or whatsapp/],
    ['steps:\n  - send: hi\n  - expect: { media: -1 }\n', 3, 'steps[1].expect.media', /whole number/],
    ['steps:\n  - send: hi\n  - expect: { none: yes please }\n', 3, 'steps[1].expect.none', /true or false/],
    ['steps:\n  - send: hi\n  - expect: { within: 0s }\n', 3, 'steps[1].expect.within', /more than 0/],
    ['steps:\n  - send: hi\n  - expect: "1042"\n', 3, 'steps[1].expect', /must be a mapping/],
    ['steps:\n  - expect: {}\n    media_urls: [x]\n', 3, 'steps[0].media_urls', /belongs to a send/],
    ['steps:\n  - send: hi\n    media_urls:\n      - ftp://x\n', 4, 'steps[0].media_urls[0]', /http\(s\) URL/],
    ['steps:\n  - send: ""\n', 2, 'steps[0].send', /empty/],
    [`steps:\n  - send: "${'x'.repeat(1601)}"\n`, 2, 'steps[0].send', /at most 1600 characters/],
    ['from: "+1 415"\nsteps:\n  - send: hi\n', 1, 'from', /E\.164/],
    ['name: a\nname: b\nsteps: []\n', 2, '(file)', /a key appears twice/],
    ['scenarios: [{steps: [{send: x}]}]\nfrom: "+15005550007"\n', 2, 'from', /inside each scenario/],
    ['steps:\n  - send: hi\nstep: 1\n', 3, 'step', /not a known field/],
  ];
  for (const [text, line, field, message] of cases) {
    const p = await problemOf(text);
    assert.deepEqual([p.line, p.field], [line, field], text);
    assert.match(p.message, message, text);
  }
});

test('regular expressions: (?i), (?is), JavaScript syntax otherwise; invalid ones named', () => {
  assert.ok(compileRegex('m', '(?i)anytime').test('ANYTIME'));
  assert.ok(compileRegex('m', '(?is)a.b').test('A\nb'));
  assert.equal(compileRegex('m', 'anytime').test('ANYTIME'), false, 'case-sensitive without (?i)');
  assert.throws(
    () => compileRegex('steps[1].expect.matches', '(unclosed'),
    /^Error: steps\[1\]\.expect\.matches is not a valid regular expression/,
  );
});
