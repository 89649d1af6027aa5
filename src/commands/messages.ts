import type { Command } from 'commander';
import { CliError, usageError } from '../errors.js';
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
      const limit = parsePositiveInt('--limit', opts.limit, { min: 1, max: 1000 });
      if (opts.direction !== undefined && opts.direction !== 'in' && opts.direction !== 'out') {
        throw usageError(`--direction must be in or out (got ${JSON.stringify(opts.direction)})`);
      }
      const store = await ctx.store();
      const { connectConfig } = await import('../config/connect.js');
      const { keychain } = await import('../secrets/index.js');
      const { config, creds, client } = await connectConfig(store, opts.config, ctx.env, keychain);
      const { listNumberMessages } = await import('../twilio/message-history.js');
      let list;
      try {
        list = await listNumberMessages(client, config.fromNumber, { limit, direction: opts.direction as 'in' | 'out' | undefined });
      } catch (err) {
        const { twilioError } = await import('../twilio/client.js');
        throw twilioError(err, `list the messages of ${config.fromNumber}`, { apiUrl: creds.apiUrl, accountSid: creds.accountSid });
      }
      const { historyMessageJson } = await import('../output/messages.js');
      const { printMessageTable } = await import('../output/message-history.js');
      if (opts.json) return out.data(list.map((m) => historyMessageJson(m)));
      if (list.length === 0) {
        out.status(`No messages${opts.direction ? ` ${opts.direction === 'in' ? 'to' : 'from'}` : ' to or from'} ${config.fromNumber} yet.`);
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
        throw usageError(`SID must be a Twilio Message SID: SM or MM followed by 32 lowercase hex characters (got ${JSON.stringify(sid.length > 40 ? sid.slice(0, 37) + '...' : sid)})`);
      }
      const store = await ctx.store();
      const { connectConfig } = await import('../config/connect.js');
      const { keychain } = await import('../secrets/index.js');
      const { config, creds, client } = await connectConfig(store, opts.config, ctx.env, keychain);
      const { fetchMessage, isNotFound } = await import('../twilio/messages.js');
      const { listMessageMedia } = await import('../twilio/message-history.js');
      const { twilioError } = await import('../twilio/client.js');
      const where = { apiUrl: creds.apiUrl, accountSid: creds.accountSid };
      let message;
      try {
        message = await fetchMessage(client, sid.trim(), where);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        throw new CliError(`no message ${sid.trim()} on the account of config ${JSON.stringify(config.name)}`, {
          reason: 'not_found',
          hint: 'list the recent ones with: fruxon-twilio messages list',
        });
      }
      let media: Awaited<ReturnType<typeof listMessageMedia>> | null = [];
      let mediaError: string | null = null;
      if (message.numMedia > 0) {
        try {
          media = await listMessageMedia(client, message.sid, creds.apiUrl ?? 'https://api.twilio.com');
        } catch (err) {
          media = null;
          mediaError = twilioError(err, `list the media of ${message.sid}`, where).message;
          out.warn((await import('../output/index.js')).safe(mediaError));
        }
      }
      const { historyMessageJson } = await import('../output/messages.js');
      const { printMessageDetail } = await import('../output/message-history.js');
      if (opts.json) return out.data({ ...historyMessageJson(message), media: media?.map((m) => ({ sid: m.sid, content_type: m.contentType, url: m.url })) ?? null });
      printMessageDetail(out, message, media);
    });
}
