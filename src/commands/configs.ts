import type { Command } from 'commander';
import { CliError } from '../errors.js';
import type { CommandContext } from './context.js';

export function register(program: Command, ctx: CommandContext): void {
  const configs = program
    .command('configs')
    .enablePositionalOptions()
    .description('List, inspect, remove and choose the default of the stored Twilio configs')
    .addHelpText(
      'after',
      `
Examples:
  $ fruxon-twilio configs list
  $ fruxon-twilio configs show support --json
  $ fruxon-twilio configs use support
  $ fruxon-twilio configs remove support`,
    );

  const list = async (opts: { json?: boolean }) => {
      const out = ctx.output(opts);
      const store = await ctx.store();
      const list = store.configs.list();
      const { configJson, printConfigTable } = await import('../output/configs.js');
      if (opts.json) return out.data(list.map(configJson));
      if (list.length === 0) {
        out.status('No configs yet. Add one with: fruxon-twilio add-config (or try: fruxon-twilio demo)');
        return;
      }
      printConfigTable(out, list);
  };
  configs
    .command('list')
    .description('List the configs (* marks the default)')
    .option('--json', 'print a JSON array')
    .action(list);
  // `configs` alone lists; `configs typo` is a usage error, not a silent list.
  configs
    .option('--json', 'with no subcommand: print the list as a JSON array')
    .argument('[subcommand]')
    .action(async (sub: string | undefined, opts: { json?: boolean }) => {
      if (sub !== undefined) throw new CliError(`unknown configs subcommand ${JSON.stringify(sub)}: use list, show, remove or use`, { exitCode: 2, reason: 'invalid_argument' });
      await list(opts);
    });

  configs
    .command('show')
    .description('Show one config (never its secret)')
    .argument('[name]', 'config name (default: the default config)')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, opts: { json?: boolean }) => {
      const out = ctx.output(opts);
      const store = await ctx.store();
      const { resolveConfig } = await import('../config/resolve.js');
      const config = resolveConfig(store, name);
      const lease = store.leases.get(config.id);
      const { isLeaseAlive } = await import('../store/index.js');
      const listener = lease ? { pid: lease.pid, alive: isLeaseAlive(lease), url: lease.ourUrl, since: lease.startedAt } : null;
      const { configJson, printConfigDetail } = await import('../output/configs.js');
      if (opts.json) return out.data({ ...configJson(config), listener });
      printConfigDetail(
        out,
        config,
        listener ? [['listener', `${listener.alive ? 'running' : 'crashed, not restored'} (pid ${listener.pid}) at ${listener.url}`]] : [],
      );
    });

  configs
    .command('remove')
    .alias('rm')
    .description('Remove a config and its keychain entry')
    .argument('<name>', 'config name')
    .option('--force', "also drop a crashed listener's lease without restoring the number's webhook")
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean; force?: boolean }) => {
      const out = ctx.output(opts);
      const store = await ctx.store();
      const { resolveConfig } = await import('../config/resolve.js');
      const { removeConfig } = await import('../config/lifecycle.js');
      const config = resolveConfig(store, name);
      const { keychain } = await import('../secrets/index.js');
      removeConfig(store, config, keychain, { force: opts.force });
      const next = store.configs.defaultConfig();
      if (opts.json) return out.data({ removed: config.name, id: config.id, default: next?.name ?? null });
      out.success(`Removed config ${config.name}${config.secretSource === 'keychain' ? ' and its keychain entry' : ''}.`);
      if (config.isDefault && next) out.status(`The default config is now ${next.name}.`);
    });

  configs
    .command('use')
    .description('Make a config the default')
    .argument('<name>', 'config name')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const out = ctx.output(opts);
      const store = await ctx.store();
      const { resolveConfig } = await import('../config/resolve.js');
      const config = resolveConfig(store, name);
      store.configs.setDefault(config.id);
      if (opts.json) return out.data({ default: config.name, id: config.id });
      out.success(`${config.name} is now the default config.`);
    });
}
