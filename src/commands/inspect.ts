import type { Command } from 'commander';
import { checkHttpUrl, parsePort } from '../validate.js';
import type { CommandContext } from './context.js';

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('inspect')
    .description('Serve the web inspector over the stored event log, without a running listener')
    .option('--config <name>', 'the config whose events to show (default: the default config)')
    .option('--port <port>', 'port on 127.0.0.1 (default 7339, another free one if taken; 0 = any free port)')
    .option('--forward-to <url>', "offer replaying an event's trigger JSON to this URL")
    .addHelpText(
      'after',
      `
Examples:
  $ fruxon-twilio inspect
  $ fruxon-twilio inspect --config "Support Line" --forward-to http://localhost:3000/trigger

Prints "Inspector: http://127.0.0.1:PORT/?token=…" on stderr; open it (the token is this run's key).
Replies need a running listen (fruxon-twilio listen serves the same pages); replays to the listener go to the
config's running listener, if there is one. Stops on Ctrl-C.`,
    )
    .action((opts: { config?: string; port?: string; forwardTo?: string }) => run(ctx, opts));
}

async function run(ctx: CommandContext, opts: { config?: string; port?: string; forwardTo?: string }): Promise<void> {
  const out = ctx.output();
  const port = opts.port !== undefined ? parsePort('--port', opts.port) : undefined;
  const forwardTo = opts.forwardTo !== undefined ? checkHttpUrl('--forward-to', opts.forwardTo) : null;
  const store = await ctx.store();
  const { resolveConfig } = await import('../config/resolve.js');
  const config = resolveConfig(store, ...(opts.config !== undefined ? [opts.config] : []));
  const { Inspector, DEFAULT_INSPECT_PORT } = await import('../inspector/index.js');
  const { inspectorActions } = await import('../inspector/actions.js');
  const { webhookSigningToken } = await import('../config/resolve.js');
  const inspector = new Inspector({
    store,
    config,
    mode: 'inspect',
    route: null,
    forwardTo,
    actions: inspectorActions({
      store,
      config,
      env: ctx.env,
      secrets: () => ctx.secrets(),
      twilio: ctx.twilio,
      statusCallbackUrl: null,
      authToken: async (c) => {
        const secrets = c.secretSource === 'keychain' ? await ctx.secrets() : undefined;
        return webhookSigningToken(c, ctx.env, () => secrets!);
      },
      forwardTo,
    }),
  });
  await inspector.start(port ?? DEFAULT_INSPECT_PORT, port !== undefined, '--port');
  // Listening for a stop before saying "Press Ctrl-C": a Ctrl-C right after the line stops it cleanly.
  const stopper = ctx.untilStopped();
  try {
    out.status(`Inspector: ${inspector.url}`);
    out.status(
      out.errColor.dim(`Showing the event log of config ${JSON.stringify(config.name)}. Press Ctrl-C to stop.`),
    );
    await stopper.stopped;
  } finally {
    stopper.dispose();
  }
  await inspector.close();
}
