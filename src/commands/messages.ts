import type { Command } from 'commander';
import { usageError } from '../errors.js';
import type { CommandContext } from './context.js';

interface ListOptions {
  config?: string;
  limit: string;
  direction?: string;
  json?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  const messages = program
    .command('messages')
    .description("Recent messages to and from the config's number (SMS and WhatsApp), from Twilio's Messages list")
    .addHelpText(
      'after',
      `
Examples:
  $ fruxon-twilio messages list                       # the 20 newest, both directions
  $ fruxon-twilio messages list --direction in --limit 50 --json
  $ fruxon-twilio messages show SM0123456789abcdef0123456789abcdef`,
    );

  messages
    .command('list')
    .description('Recent messages, newest first: time, direction, channel, other party, status, body, error code')
    .option('--config <name>', 'config name (default: the default config)')
    .option('--limit <n>', 'how many messages (1 to 1000)', '20')
    .option('--direction <in|out>', 'only messages that arrived (in) or were sent (out)')
    .option('--json', 'print a JSON array (bodies in full)')
    .action(async (opts: ListOptions) => {
      const out = ctx.output(opts);
      const { parsePositiveInt } = await import('../validate.js');
      const { listConfigMessages, MAX_MESSAGES_LIMIT } = await import('../operations/messages.js');
      const limit = parsePositiveInt('--limit', opts.limit, { min: 1, max: MAX_MESSAGES_LIMIT });
      if (opts.direction !== undefined && opts.direction !== 'in' && opts.direction !== 'out') {
        throw usageError(`--direction must be in or out (got ${JSON.stringify(opts.direction)})`);
      }
      const { config, messages: list } = await listConfigMessages(await ctx.coreDeps(), {
        config: opts.config,
        limit,
        direction: opts.direction as 'in' | 'out' | undefined,
      });
      const { historyMessageJson } = await import('../output/messages.js');
      const { printMessageTable } = await import('../output/message-history.js');
      if (opts.json) return out.data(list.map((m) => historyMessageJson(m)));
      if (list.length === 0) {
        out.status(
          `No messages${opts.direction ? ` ${opts.direction === 'in' ? 'to' : 'from'}` : ' to or from'} ${config.fromNumber} yet.`,
        );
        return;
      }
      printMessageTable(out, list);
    });

  messages
    .command('show')
    .description('One message in full, with its media URLs')
    .argument('<sid>', 'the Message SID (SM… or MM…)')
    .option('--config <name>', 'config name (default: the default config)')
    .option('--json', 'print JSON')
    .action(async (sid: string, opts: { config?: string; json?: boolean }) => {
      const out = ctx.output(opts);
      const { MESSAGE_SID } = await import('../validate.js');
      if (!MESSAGE_SID.test(sid.trim())) {
        throw usageError(
          `SID must be a Twilio Message SID: SM or MM followed by 32 lowercase hex characters (got ${JSON.stringify(sid.length > 40 ? sid.slice(0, 37) + '...' : sid)})`,
        );
      }
      const { getConfigMessage } = await import('../operations/messages.js');
      const { message, media, mediaError } = await getConfigMessage(await ctx.coreDeps(), {
        config: opts.config,
        sid: sid.trim(),
      });
      if (mediaError) out.warn((await import('../output/index.js')).safe(mediaError));
      const { messageDetailJson } = await import('../output/messages.js');
      const { printMessageDetail } = await import('../output/message-history.js');
      if (opts.json) return out.data(messageDetailJson(message, media));
      printMessageDetail(out, message, media);
    });
}
