import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectationFor, maskNumber } from '../../src/convtest/expectations.js';
import { type RecordedMessage, renderRecording, withinFor, yamlQuote } from '../../src/convtest/recording.js';
import { describeStep, replyMismatch } from '../../src/convtest/runner.js';
import { type ExpectStep, parseScenarioFile, type SendStep } from '../../src/convtest/scenario.js';

/**
 * The recording heuristic, checked the way `test` checks: each recorded reply goes through the file `record`
 * writes, the file through the scenario parser, and each variant through the runner's own reply check.
 */

const header = {
  source: 'twilio' as const,
  config: 'support',
  number: '+15005550006',
  channel: 'sms' as const,
  recordedAt: new Date('2026-12-07T13:00:00Z'),
};

const at = (s: number) => new Date(Date.UTC(2026, 11, 7, 12, 0, s));

/** The expect step `record` writes for one reply (to "hi"), parsed back as `test` reads it. */
async function recordedExpect(body: string, numMedia = 0, channel: 'sms' | 'whatsapp' = 'sms'): Promise<ExpectStep> {
  const messages: RecordedMessage[] = [
    { direction: 'in', body: 'hi', mediaUrls: [], numMedia: 0, channel, at: at(0) },
    { direction: 'out', body, mediaUrls: [], numMedia, channel, at: at(2) },
  ];
  const { yaml } = renderRecording(messages, { ...header, channel });
  const parsed = await parseScenarioFile('recorded.yaml', yaml);
  assert.ok(parsed.ok, `the recorded file parses:\n${yaml}\n${JSON.stringify(!parsed.ok && parsed.problem)}`);
  const step = parsed.scenarios[0]!.steps[1]!;
  assert.equal(step.kind, 'expect');
  return step as ExpectStep;
}

const sms = (body: string) => ({ body, channel: 'sms' as const, numMedia: 0 });

/** The runner's own check of a reply (its `matches` given 5 s off the main thread): "expected …", or null. */
async function check(step: ExpectStep, reply: { body: string; channel: 'sms' | 'whatsapp'; numMedia: number }) {
  const r = await replyMismatch(step, reply, 5000);
  return typeof r === 'string' || r === null ? r : r.failure;
}

interface Row {
  reply: string;
  /** What `contains` must be (the first identifier). */
  contains: string;
  rewordings: [string, string, string];
  /** The same answer with the fact changed: the expectation must fail it. */
  changed: string;
}

const TABLE: Row[] = [
  {
    reply: 'Your order #1042 shipped yesterday.',
    contains: '1042',
    rewordings: [
      'Good news: order 1042 left our warehouse yesterday!',
      'Order number 1042 was shipped on Dec 6.',
      'It shipped! (#1042)',
    ],
    changed: 'Your order #1043 shipped yesterday.',
  },
  {
    reply: 'Order ORD-77812 is out for delivery today.',
    contains: 'ORD-77812',
    rewordings: [
      'ORD-77812 will be delivered today.',
      "Your parcel for ORD-77812 is on the truck, you'll have it by tonight",
      'Out for delivery: ORD-77812',
    ],
    changed: 'Order ORD-77813 is out for delivery today.',
  },
  {
    reply: 'Tracking number: 1Z999AA10123456784 (UPS).',
    contains: '1Z999AA10123456784',
    rewordings: [
      'You can track it with UPS using 1Z999AA10123456784',
      'UPS tracking 1Z999AA10123456784, arriving Friday',
      'Here is your tracking code - 1Z999AA10123456784.',
    ],
    changed: 'Tracking number: 1Z999AA10123456785 (UPS).',
  },
  {
    reply: 'Your verification code is 482913. It expires in 10 minutes.',
    contains: '482913',
    rewordings: ['482913 is your code (valid for ten minutes)', 'Use code 482913 to sign in.', 'Code: 482913'],
    changed: 'Your verification code is 482914. It expires in 10 minutes.',
  },
  {
    reply: 'Track it here: https://track.example.com/p/AB12CD.',
    contains: 'https://track.example.com/p/AB12CD',
    rewordings: [
      'See https://track.example.com/p/AB12CD for the live status',
      'Live tracking (https://track.example.com/p/AB12CD)',
      'https://track.example.com/p/AB12CD - that link shows where it is.',
    ],
    changed: 'Track it here: https://track.example.com/p/AB12CE.',
  },
  {
    reply: 'Please write to returns@shop.example.com and we will sort it out.',
    contains: 'returns@shop.example.com',
    rewordings: [
      'Email returns@shop.example.com, they handle this.',
      'Our returns team (returns@shop.example.com) can help',
      'Send the details to returns@shop.example.com.',
    ],
    changed: 'Please write to refunds@shop.example.com and we will sort it out.',
  },
  {
    reply: 'Your refund of $12.50 for order #5531 is on its way.',
    contains: '5531',
    rewordings: [
      'We refunded 12.50 USD for order 5531.',
      'Refund issued for #5531 (USD 12.50)',
      'Order 5531: $12.50 is coming back to your card.',
    ],
    changed: 'Your refund of $12.50 for order #5532 is on its way.',
  },
  {
    reply: 'Booking confirmed: ref K7Q2ZP for 2 guests on Dec 7 at 7pm.',
    contains: 'K7Q2ZP',
    rewordings: [
      'You are booked (K7Q2ZP), 7 December, 19:00, two people.',
      'Confirmed! Reference K7Q2ZP - Saturday 7th of December, 7 pm.',
      'K7Q2ZP: table for 2 on 12/7 at 7:00pm',
    ],
    changed: 'Booking confirmed: ref K7Q2ZQ for 2 guests on Dec 7 at 7pm.',
  },
  {
    reply: 'Ticket 88231 has been opened; an agent will reply within 24 hours.',
    contains: '88231',
    rewordings: [
      'I opened ticket #88231 for you.',
      'Support case 88231 is open, expect an answer in a day.',
      'Your ticket number is 88231.',
    ],
    changed: 'Ticket 88234 has been opened; an agent will reply within 24 hours.',
  },
  {
    reply: 'Use promo code SAVE20 at checkout for 20% off.',
    contains: 'SAVE20',
    rewordings: [
      'SAVE20 gives you twenty percent off',
      'Enter SAVE20 when you pay.',
      'Here is a discount: SAVE20 (20% off your next order)',
    ],
    changed: 'Use promo code SAVE25 at checkout for 20% off.',
  },
  {
    reply: 'Invoice INV-2026-0042 was paid on 2026-12-01.',
    contains: 'INV-2026-0042',
    rewordings: [
      'INV-2026-0042 is settled (paid Dec 1).',
      'We received payment for invoice INV-2026-0042 on 1 December.',
      'Paid: INV-2026-0042',
    ],
    changed: 'Invoice INV-2026-0043 was paid on 2026-12-01.',
  },
  {
    reply: 'Your appointment ID is APT5521. See you Tuesday at 10:30am!',
    contains: 'APT5521',
    rewordings: [
      'APT5521 - Tuesday, 10:30 in the morning.',
      'Booked you in (APT5521) for Tue 10.30',
      'See you on Tuesday! Appointment APT5521.',
    ],
    changed: 'Your appointment ID is APT5522. See you Tuesday at 10:30am!',
  },
  {
    reply: 'The replacement for order #3390 ships with tracking 9400111899223100012345.',
    contains: '3390',
    rewordings: [
      'Order 3390 replacement: tracking 9400111899223100012345',
      '9400111899223100012345 is the tracking number of the new parcel for #3390.',
      'We sent a new one (order 3390), USPS 9400111899223100012345.',
    ],
    changed: 'The replacement for order #3390 ships with tracking 9400111899223100054321.',
  },
  {
    reply: 'Reset your password at https://example.com/reset?token=abc123 (valid 1 hour).',
    contains: 'https://example.com/reset?token=abc123',
    rewordings: [
      'Here is your reset link: https://example.com/reset?token=abc123',
      'Open https://example.com/reset?token=abc123 within the next hour.',
      'https://example.com/reset?token=abc123',
    ],
    changed: 'Reset your password at https://example.com/reset?token=abc124 (valid 1 hour).',
  },
  {
    reply: 'Your account number is 5521 and your plan renews on March 3.',
    contains: '5521',
    rewordings: [
      'Account 5521 renews 3 March.',
      'The plan on account no. 5521 renews on the 3rd of March',
      'For account 5521: renewal 03/03',
    ],
    changed: 'Your account number is 5512 and your plan renews on March 3.',
  },
  {
    reply: 'Flight BA0117 is delayed; the new gate is B32.',
    contains: 'BA0117',
    rewordings: [
      'BA0117 now leaves from gate B32, later than planned.',
      'Delay on BA0117 (gate B32).',
      'BA0117: delayed, gate B32',
    ],
    changed: 'Flight BA0118 is delayed; the new gate is B32.',
  },
  {
    reply: 'Your return label for RMA-55012 is attached. Drop it off by Friday.',
    contains: 'RMA-55012',
    rewordings: [
      'Attached: the label for RMA-55012 (drop off before Friday)',
      'RMA-55012 label attached.',
      'Here is the RMA-55012 return label, please ship it this week.',
    ],
    changed: 'Your return label for RMA-55021 is attached. Drop it off by Friday.',
  },
  {
    reply: 'Contact billing@acme.io about invoice 77120; the amount due is €49.99.',
    contains: 'billing@acme.io',
    rewordings: [
      'For invoice 77120 (49,99 €) write to billing@acme.io',
      'billing@acme.io handles invoice #77120.',
      'Invoice 77120 questions: billing@acme.io. Due: EUR 49.99',
    ],
    changed: 'Contact billing@acme.io about invoice 77121; the amount due is €49.99.',
  },
  {
    reply: 'Your Wi-Fi voucher code is XK4-99Z2; it works for 24h.',
    contains: 'XK4-99Z2',
    rewordings: ['Voucher: XK4-99Z2 (one day)', 'XK4-99Z2 gets you online for a day.', 'Here you go: XK4-99Z2'],
    changed: 'Your Wi-Fi voucher code is XK4-99Z3; it works for 24h.',
  },
  {
    reply: 'Reservation #204 is for 4 people at 8:15pm tonight. Call +1 415 555 0199 to change it.',
    contains: '204',
    rewordings: [
      'Booked: reservation 204, four guests, 20:15. To change it call (415) 555-0199.',
      'Your table (#204) is ready at 8.15 pm.',
      'Reservation number 204 confirmed for tonight.',
    ],
    changed: 'Reservation #205 is for 4 people at 8:15pm tonight. Call +1 415 555 0199 to change it.',
  },
  {
    reply: 'Pickup code 6621 for locker L-14 at the Main St store.',
    contains: '6621',
    rewordings: [
      'Locker L-14, Main St: code 6621.',
      'Your code is 6621 (locker L-14).',
      'Open locker L-14 with 6621 at Main St.',
    ],
    changed: 'Pickup code 6612 for locker L-14 at the Main St store.',
  },
  {
    reply: 'Your order #1042 shipped: https://t.example.com/1042',
    contains: '1042',
    rewordings: [
      'It shipped (order 1042): https://t.example.com/1042 .',
      'https://t.example.com/1042 tracks order 1042',
      'Order 1042 is on its way - https://t.example.com/1042',
    ],
    changed: 'Your order #1042 shipped: https://t.example.com/1043',
  },
];

describe('the recording heuristic: a table of replies, each reworded three ways and changed once', () => {
  test(`the table has at least 20 replies (${TABLE.length})`, () => {
    assert.ok(TABLE.length >= 20);
  });
  for (const row of TABLE) {
    test(row.reply, async () => {
      const step = await recordedExpect(row.reply);
      assert.equal(step.contains, row.contains, `contains of ${JSON.stringify(row.reply)}`);
      assert.equal(step.any, false);
      assert.equal(step.channel, 'sms');
      assert.equal(await check(step, sms(row.reply)), null, 'the recorded reply itself passes');
      for (const r of row.rewordings) assert.equal(await check(step, sms(r)), null, `passes ${JSON.stringify(r)}`);
      assert.match((await check(step, sms(row.changed))) ?? '', /^expected a reply (containing|matching)/);
    });
  }
});

describe('what the heuristic does not check', () => {
  test('amounts and dates are notes, not checks: the reworded and the changed amount both pass (any: true)', async () => {
    const e = expectationFor(sms('Your total is $12.50, due Dec 7.'));
    assert.deepEqual(e.identifiers, []);
    assert.equal(e.any, true);
    assert.deepEqual(e.notes, [
      { kind: 'amount', text: '$12.50' },
      { kind: 'date', text: 'Dec 7' },
    ]);
    const step = await recordedExpect('Your total is $12.50, due Dec 7.');
    assert.equal(step.any, true);
    assert.equal(step.contains, null);
    assert.equal(step.matches, null);
    for (const r of ['12.50 USD by 7 December', 'You owe USD 12.50 (due 12/7)', 'Total: $13.00'])
      assert.equal(await check(step, sms(r)), null, r);
  });

  test('a reply with nothing identifying is any: true, and the channel still counts', async () => {
    for (const body of [
      "You're welcome!",
      'Happy to help, have a great day',
      'We are open 9am to 5pm, Monday to Friday.',
    ]) {
      const e = expectationFor(sms(body));
      assert.deepEqual(e.identifiers, [], body);
      assert.equal(e.any, true, body);
    }
    const step = await recordedExpect('Anytime!', 0, 'whatsapp');
    assert.equal(step.any, true);
    assert.equal(step.channel, 'whatsapp');
    assert.equal(await check(step, { body: 'no problem', channel: 'whatsapp', numMedia: 0 }), null);
    assert.equal(await check(step, sms('no problem')), 'expected a reply on whatsapp');
  });

  test('quantities, years, ordinals, times and phone numbers are no identifiers', () => {
    const e = expectationFor(
      sms(
        'In 2026 we ship 3 items in 24h, the 2nd-day option costs 5 dollars; call +1 (415) 555-0100 at 10am or 4:30pm.',
      ),
    );
    assert.deepEqual(e.identifiers, []);
    assert.deepEqual(
      e.notes.map((n) => n.kind),
      ['amount', 'phone', 'time', 'time'],
    );
  });

  test('several identifiers: the first in contains, the others all required by matches, in any order', async () => {
    const step = await recordedExpect('Order #55120 ships to ana@example.com; see https://x.example/a?b=1.');
    assert.equal(step.contains, '55120');
    assert.equal(step.matches!.source, '(?=[\\s\\S]*ana@example\\.com)(?=[\\s\\S]*https://x\\.example/a\\?b=1)');
    assert.equal(await check(step, sms('https://x.example/a?b=1 and ana@example.com, order 55120')), null);
    assert.match(
      (await check(step, sms('order 55120, mail ana@example.com'))) ?? '',
      /^expected a reply matching /,
      'a missing URL fails',
    );
  });

  test('media: the recorded count is the least; the text comment says it', async () => {
    const step = await recordedExpect('Here is your receipt', 2);
    assert.equal(step.media, 2);
    assert.equal(await check(step, { body: 'receipt attached', channel: 'sms', numMedia: 2 }), null);
    assert.equal(
      await check(step, { body: 'receipt attached', channel: 'sms', numMedia: 1 }),
      'expected at least 2 media',
    );
  });
});

describe("the customer's number", () => {
  const CUSTOMER = '+15551230000';

  test('masked wherever an answer writes it: no fact, no note; other numbers untouched', () => {
    for (const written of [
      '+15551230000',
      '+1 (555) 123-0000',
      '(555) 123-0000',
      '555.123.0000',
      '5551230000',
      '1-555-123-0000',
    ])
      assert.equal(maskNumber(`we text ${written}.`, CUSTOMER), "we text (the customer's number).", written);
    assert.equal(maskNumber('order 155512300001 and 5551230001', CUSTOMER), 'order 155512300001 and 5551230001');
    assert.equal(
      maskNumber('ring 07911 123456 or +44 7911 123456', '+447911123456'),
      "ring (the customer's number) or (the customer's number)",
    );
    const e = expectationFor(sms('We will text 5551230000 when order #4411 ships'), { customer: CUSTOMER });
    assert.deepEqual(e.identifiers, ['4411'], "the customer's number is no identifier (the tester's is on playback)");
    assert.deepEqual(expectationFor(sms('Saved 5551230000 for you'), { customer: CUSTOMER }).any, true);
  });

  test('never in the recorded file: not in from, not in the reply comments, not in an expectation', () => {
    const { yaml } = renderRecording(
      [
        { direction: 'in', body: 'text me', mediaUrls: [], numMedia: 0, channel: 'sms', at: at(0) },
        {
          direction: 'out',
          body: 'Texting +1 555 123 0000 about order #4411',
          mediaUrls: [],
          numMedia: 0,
          channel: 'sms',
          at: at(1),
        },
      ],
      { ...header, customer: CUSTOMER },
    );
    assert.ok(!/555\D?123\D?0000/.test(yaml), yaml);
    assert.match(yaml, /# reply: "Texting \(the customer's number\) about order #4411"/);
    assert.match(yaml, /- expect: \{ contains: "4411", channel: sms, within: 10s \}/);
  });
});

describe('the recorded file', () => {
  test('within: three times the observed answer time, at least 10 s, rounded up', () => {
    assert.equal(withinFor(0), 10_000);
    assert.equal(withinFor(2_000), 10_000);
    assert.equal(withinFor(4_100), 13_000);
    assert.equal(withinFor(30_000), 90_000);
    assert.equal(withinFor(21_000), 63_000 + 7_000, 'past a minute: to 10 s');
    assert.equal(withinFor(null), 30_000, 'unknown: the default');
    assert.equal(withinFor(5 * 3_600_000), 3_600_000, 'at most the format’s 1 h');
  });

  test('outside text parses back exactly: quotes, backslashes, line breaks, controls, U+2028, emoji, YAML syntax', async () => {
    const hostile = [
      'plain',
      'quote " and \\ backslash',
      'two\nlines\r\nand a tab\t',
      '# not a comment',
      '- send: "injected"\n  - expect: { none: true }',
      'x: y',
      '*alias &anchor !tag %directive @at `tick`',
      'NEL\u0085 LS\u2028 PS\u2029 BOM\ufeff NUL\u0000 BEL\u0007 DEL\u007f',
      'émoji 😀 👩\u200d💻 and 中文',
      'RLO\u202e zero-width\u200b lone\ud800 private\ue000 nonchar\uffff',
      "'single' and {flow: [x]}",
      '   spaces around   ',
      'yes',
      '1042',
      '',
    ];
    const messages: RecordedMessage[] = hostile.flatMap((body, i) => [
      {
        direction: 'in' as const,
        body: body || 'x',
        mediaUrls: [],
        numMedia: 0,
        channel: 'sms' as const,
        at: at(i * 2),
      },
      { direction: 'out' as const, body, mediaUrls: [], numMedia: 0, channel: 'sms' as const, at: at(i * 2 + 1) },
    ]);
    messages[0]!.mediaUrls = ['https://example.com/a%20b.jpg?q=1&r=%22x%22'];
    const { yaml, sends, expects } = renderRecording(messages, { ...header, config: 'we"ird\nname' });
    assert.equal(sends, hostile.length);
    assert.equal(expects, hostile.length);
    const parsed = await parseScenarioFile('hostile.yaml', yaml);
    assert.ok(parsed.ok, `parses:\n${yaml}\n${JSON.stringify(!parsed.ok && parsed.problem)}`);
    const steps = parsed.scenarios[0]!.steps;
    assert.equal(steps.length, hostile.length * 2, 'no text added or removed a step');
    const sent = steps.filter((s): s is SendStep => s.kind === 'send');
    assert.deepEqual(
      sent.map((s) => s.body),
      hostile.map((b) => b || 'x'),
    );
    assert.deepEqual(sent[0]!.mediaUrls, ['https://example.com/a%20b.jpg?q=1&r=%22x%22']);
    // Each comment is one line: the YAML parser sees every recorded reply quoted in full on its comment line.
    const comments = yaml.split('\n').filter((l) => l.startsWith('  # reply: '));
    assert.equal(comments.length, hostile.length);
    const Y = await import('yaml');
    assert.deepEqual(
      comments.map((l) => Y.parse(l.slice('  # reply: '.length))),
      hostile,
    );
    assert.equal(parsed.scenarios[0]!.from, null, "no from: the customer's number is not in the file");
    assert.match(yaml, /^# This file contains recorded customer messages/m);
  });

  test('yamlQuote escapes every line break and control, and nothing printable', () => {
    assert.equal(yamlQuote('a\nb\u2028c\u0085'), '"a\\nb\\u2028c\\u0085"');
    assert.equal(yamlQuote('😀 é'), '"😀 é"');
    assert.equal(yamlQuote('a\u202eb\u200bc'), '"a\\u202eb\\u200bc"', 'a bidirectional override is shown, not obeyed');
  });

  test('answers before the first customer message are left out, and said so in the header', async () => {
    const { yaml, sends, expects, skipped } = renderRecording(
      [
        { direction: 'out', body: 'Welcome!', mediaUrls: [], numMedia: 0, channel: 'sms', at: at(0) },
        { direction: 'in', body: 'order #12345?', mediaUrls: [], numMedia: 0, channel: 'sms', at: at(5) },
        { direction: 'out', body: 'Order 12345 shipped', mediaUrls: [], numMedia: 0, channel: 'sms', at: at(9) },
      ],
      header,
    );
    assert.equal(sends, 1);
    assert.equal(expects, 1);
    assert.deepEqual(skipped, ["an answer before the customer's first message"]);
    assert.match(yaml, /^# Left out: an answer before the customer's first message\.$/m);
    assert.match(yaml, /- expect: \{ contains: "12345", channel: sms, within: 12s \}/);
  });

  test('a message longer than Twilio sends is left out with its answers: the file still parses', async () => {
    const long = 'x'.repeat(1601);
    const { yaml, sends, expects, skipped } = renderRecording(
      [
        { direction: 'in', body: long, mediaUrls: [], numMedia: 0, channel: 'whatsapp', at: at(0) },
        { direction: 'out', body: 'That is long', mediaUrls: [], numMedia: 0, channel: 'whatsapp', at: at(1) },
        { direction: 'in', body: 'order #77777', mediaUrls: [], numMedia: 0, channel: 'whatsapp', at: at(5) },
        { direction: 'out', body: '77777 shipped', mediaUrls: [], numMedia: 0, channel: 'whatsapp', at: at(6) },
      ],
      { ...header, channel: 'whatsapp' },
    );
    assert.equal(sends, 1);
    assert.equal(expects, 1);
    assert.deepEqual(skipped, [
      'a message of 1601 characters, more than the 1600 Twilio sends in one, and the answers to it',
    ]);
    assert.ok(!yaml.includes(long));
    const parsed = await parseScenarioFile('long.yaml', yaml);
    assert.ok(parsed.ok);
    assert.equal(parsed.scenarios[0]!.steps.length, 2);
  });
});

describe('expect: { any: true }', () => {
  const parse = (expect: string) =>
    parseScenarioFile('any.yaml', `name: any\nsteps:\n  - send: hi\n  - expect: ${expect}\n`);

  test('parses, with channel and media; the step reads "expect any reply"; any text passes', async () => {
    const r = await parse('{ any: true, channel: whatsapp, media: 1, within: 12s }');
    assert.ok(r.ok);
    const step = r.scenarios[0]!.steps[1] as ExpectStep;
    assert.equal(step.any, true);
    assert.equal(describeStep(step), 'expect any reply on whatsapp, media >= 1 within 12s');
    assert.equal(await check(step, { body: 'whatever', channel: 'whatsapp', numMedia: 1 }), null);
    assert.equal(
      await check(step, { body: 'whatever', channel: 'whatsapp', numMedia: 0 }),
      'expected at least 1 media',
    );
    const bare = await parse('{ any: true }');
    assert.ok(bare.ok);
    assert.equal(describeStep(bare.scenarios[0]!.steps[1]!), 'expect any reply within 30s');
    const off = await parse('{ any: false, contains: "x" }');
    assert.ok(off.ok, 'any: false says nothing');
    assert.equal((off.scenarios[0]!.steps[1] as ExpectStep).any, false);
  });

  test('contradictions and bad values are named with their field and line', async () => {
    for (const [expect, field, message] of [
      ['{ any: true, contains: "1042" }', 'steps[1].expect.contains', /cannot be checked with any: true/],
      ['{ any: true, matches: "x" }', 'steps[1].expect.matches', /cannot be checked with any: true/],
      ['{ any: true, none: true }', 'steps[1].expect.none', /cannot be checked with any: true/],
      ['{ any: "yes" }', 'steps[1].expect.any', /^must be true or false \(got "yes"\)$/],
    ] as const) {
      const r = await parse(expect);
      assert.equal(r.ok, false, expect);
      const p = (r as Extract<typeof r, { ok: false }>).problem;
      assert.equal(p.field, field, expect);
      assert.equal(p.line, 4);
      assert.match(p.message, message);
    }
  });
});
