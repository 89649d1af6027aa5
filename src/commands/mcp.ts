import type { Command } from 'commander';
import { usageError } from '../errors.js';
import type { CommandContext } from './context.js';

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('mcp')
    .description(
      'Serve the agent tools over MCP on stdio (send, wait for, simulate and inspect messages) for Claude, Cursor, VS Code or any MCP client',
    )
    .option('--config <name>', 'config the tools use when a call names none (default: the default config)')
    .option(
      '--allow-to <prefix>',
      'send_message may also send to numbers starting with this E.164 prefix (repeatable; names premium-rate prefixes too)',
      (v: string, acc: string[] | undefined) => [...(acc ?? []), v],
    )
    .option('--max-sends <n>', 'the most messages send_message sends per server run', '20')
    .addHelpText(
      'after',
      `
Add it to an MCP client (Claude Desktop, Cursor, VS Code: the "mcpServers" section):
  { "mcpServers": { "fruxon-twilio": { "command": "fruxon-twilio", "args": ["mcp"] } } }

Tools: list_configs, send_message, list_messages, get_message, wait_for_message, list_events, get_event,
simulate_inbound, webhook_route (see README). stdout carries the protocol; one line per tool call goes to stderr.
wait_for_message reads what a running listen records: start one with fruxon-twilio listen.
send_message sends only to numbers that wrote to the config's number, its participants and --allow-to prefixes,
at most --max-sends (20) per run; premium-rate and shared-cost prefixes (+1900, +882, …) only when --allow-to
names them. Text from outside comes back under untrusted_content.`,
    )
    .action(async (opts: { config?: string; allowTo?: string[]; maxSends: string }) => {
      const { serveMcp } = await import('../mcp/server.js');
      const { checkAllowTo } = await import('../mcp/guard.js');
      const allowTo = (opts.allowTo ?? []).map(checkAllowTo);
      const maxSends = Number(opts.maxSends);
      if (!/^\d+$/.test(opts.maxSends.trim()) || maxSends > 100_000)
        throw usageError(`--max-sends must be a whole number from 0 to 100000 (got ${JSON.stringify(opts.maxSends)})`);
      // SIGINT and SIGTERM close the server (SIGHUP keeps its default, as it always has).
      const stopper = ctx.untilStopped({ signals: ['SIGINT', 'SIGTERM'] });
      try {
        await serveMcp({
          io: ctx.io,
          deps: await ctx.coreDeps({ signal: stopper.signal }),
          defaultConfig: opts.config,
          allowTo,
          maxSends,
        });
      } finally {
        stopper.dispose();
      }
    });
}
