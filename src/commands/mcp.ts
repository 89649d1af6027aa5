import type { Command } from 'commander';
import type { CommandContext } from './context.js';

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('mcp')
    .description(
      'Serve the agent tools over MCP on stdio (send, wait for, simulate and inspect messages) for Claude, Cursor, VS Code or any MCP client',
    )
    .option('--config <name>', 'config the tools use when a call names none (default: the default config)')
    .addHelpText(
      'after',
      `
Add it to an MCP client (Claude Desktop, Cursor, VS Code: the "mcpServers" section):
  { "mcpServers": { "fruxon-twilio": { "command": "fruxon-twilio", "args": ["mcp"] } } }

Tools: list_configs, send_message, list_messages, get_message, wait_for_message, list_events, get_event,
simulate_inbound, webhook_route (see README). stdout carries the protocol; one line per tool call goes to stderr.
wait_for_message reads what a running listen records: start one with fruxon-twilio listen.`,
    )
    .action(async (opts: { config?: string }) => {
      const { serveMcp } = await import('../mcp/server.js');
      // SIGINT and SIGTERM close the server (SIGHUP keeps its default, as it always has).
      const stopper = ctx.untilStopped({ signals: ['SIGINT', 'SIGTERM'] });
      try {
        await serveMcp({
          io: ctx.io,
          deps: await ctx.coreDeps({ signal: stopper.signal }),
          defaultConfig: opts.config,
        });
      } finally {
        stopper.dispose();
      }
    });
}
