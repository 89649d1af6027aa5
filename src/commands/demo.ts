import type { Command } from 'commander';
import { CliError } from '../errors.js';
import type { CommandContext } from './context.js';

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('demo')
    .description(
      'See the whole loop offline: the built-in Twilio emulator, listen, two inbound messages and a test send',
    )
    .option('--json', 'print the trigger envelopes (as listen --json) and the sent message as JSON lines')
    .addHelpText(
      'after',
      `
Needs no Twilio account, no keychain and no internet: everything runs on 127.0.0.1 in a throwaway data
directory that is removed afterwards.

Examples:
  $ fruxon-twilio demo
  $ fruxon-twilio demo --json | jq .payload`,
    )
    .action((opts: { json?: boolean }) => run(ctx, opts));
}

async function run(ctx: CommandContext, opts: { json?: boolean }): Promise<void> {
  const out = ctx.output(opts);
  const c = out.color;
  const e = out.errColor;
  const started = performance.now();
  const { runDemo } = await import('../operations/demo.js');
  const { printEvent } = await import('../output/events.js');
  const { messageJson } = await import('../output/messages.js');
  const say = (n: number, text: string) =>
    opts.json ? out.status(`${e.dim(`${n}.`)} ${text}`) : out.line(`${c.bold(`${n}.`)} ${text}`);
  let lastStatus = '';
  const statuses: string[] = [];

  if (!opts.json)
    out.line(
      c.bold('fruxon-twilio demo') +
        c.dim(': the whole loop on the built-in Twilio emulator (no account, no internet)\n'),
    );
  const result = await runDemo(
    (s) => {
      switch (s.step) {
        case 'emulator':
          return say(
            1,
            `Started the Twilio emulator at ${s.url} (account ${s.accountSid.slice(0, 6)}…, number ${s.number}).`,
          );
        case 'config':
          return say(2, `Saved a throwaway config "${s.name}" and a participant "${s.participant}" in ${s.home}.`);
        case 'listen':
          return say(3, `listen: registered ${s.webhookUrl} as the Messaging webhook of ${s.number}.`);
        case 'inbound': {
          const n = s.channel === 'sms' ? 4 : 5;
          if (opts.json) {
            out.data(s.envelope);
            return say(n, `${s.description}: event #${s.envelope.event_id}`);
          }
          say(n, `${s.description}. listen prints:`);
          out.line('');
          printEvent(out, s.envelope);
          out.line('');
          out.line(c.dim(`   and your agent's ${c.reset('twilio.message.received')} trigger gets this payload:`));
          out.line(indent(JSON.stringify(s.envelope.payload, null, 2), '   '));
          out.line('');
          return;
        }
        case 'send-status':
          if (s.message.status !== lastStatus) statuses.push((lastStatus = s.message.status));
          return;
        case 'sent':
          if (opts.json) out.data({ sent: messageJson(s.message) });
          return say(6, `send: a reply to ${s.message.to} went ${statuses.join(' → ')}.`);
        case 'opt-out': {
          const text = `Then Dana texts STOP: Twilio opts her out and confirms; the trigger's message_attributes.opt_out_type is ${JSON.stringify(s.envelope.payload.message_attributes.opt_out_type)}, and a reply now is refused (${s.refused.code}: only Dana can undo it, by texting START).`;
          return opts.json ? out.status(`   ${text}`) : out.line(`   ${text}`);
        }
        case 'stopped':
          return say(
            7,
            `Stopped listening: restored the webhook of ${s.restore?.phoneNumber ?? 'the number'} to ${s.restore?.restoredUrl || '(none)'}; removed the throwaway config.`,
          );
      }
    },
    { openStore: await ctx.storeOpener(), twilio: ctx.twilio, now: () => ctx.now() },
  );
  if (result.events !== 3 || result.sent.status !== 'delivered') {
    throw new CliError(
      `the demo did not complete: ${result.events} of 3 messages arrived, the test send ended ${result.sent.status}`,
    );
  }
  const took = ((performance.now() - started) / 1000).toFixed(1);
  if (opts.json) out.status(e.dim(`Done in ${took} s.`));
  else {
    out.line('');
    out.line(`${c.green('Done')} in ${took} s. Next, with your Twilio account:`);
    out.line(`  fruxon-twilio add-config      ${c.dim('# the Auth Token goes to your OS keychain')}`);
    out.line(`  fruxon-twilio listen          ${c.dim('# needs NGROK_AUTHTOKEN, or --public-url of your own tunnel')}`);
  }
}

function indent(text: string, pad: string): string {
  return text
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}
