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
  $ printf %s "$FRUXON_WEBHOOK_URL" | fruxon-twilio configs set support --webhook-url-stdin
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
      if (sub !== undefined)
        throw new CliError(`unknown configs subcommand ${JSON.stringify(sub)}: use list, show, set, remove or use`, {
          exitCode: 2,
          reason: 'invalid_argument',
        });
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
      const { configJson, listenerJson, printConfigDetail } = await import('../output/configs.js');
      const listener = lease ? listenerJson(lease, isLeaseAlive(lease)) : null;
      if (opts.json) return out.data({ ...configJson(config), listener });
      printConfigDetail(
        out,
        config,
        listener
          ? [
              [
                'listener',
                `${listener.alive ? 'running' : 'crashed, not restored'} (pid ${listener.pid}) at ${listener.url}`,
              ],
            ]
          : [],
      );
    });

  // --api-url URL and --no-api-url set the same option, the last one winning: given together, say so instead.
  const apiUrlFlags = new Set<string>();
  configs
    .command('set')
    .description('Change a config: its production webhook URL (kept in the OS keychain), name, From number or API URL')
    .argument('<name>', 'config name')
    .option(
      '--webhook-url-stdin',
      "read the production webhook URL (Fruxon's URL for this config, a secret) from standard input",
    )
    .option(
      '--webhook-url <url>',
      'the production webhook URL on the command line (visible in the process list: prefer --webhook-url-stdin)',
    )
    .option('--clear-webhook-url', 'forget the recorded production webhook URL')
    .option('--name <name>', 'a new display name')
    .option('--from <e164>', 'a new From number (E.164)')
    .option('--api-url <url>', 'REST base URL of a local stand-in for Twilio')
    .option('--no-api-url', 'talk to real Twilio again')
    .option('--json', 'print the saved config as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ printf %s "$FRUXON_WEBHOOK_URL" | fruxon-twilio configs set support --webhook-url-stdin
  $ fruxon-twilio configs set support --name "Support Line" --from +14155238886`,
    )
    .on('option:api-url', () => apiUrlFlags.add('--api-url'))
    .on('option:no-api-url', () => apiUrlFlags.add('--no-api-url'))
    .action(async (name: string, opts: SetOptions) => {
      const out = ctx.output(opts);
      const { usageError } = await import('../errors.js');
      if (apiUrlFlags.size > 1)
        throw usageError('--api-url URL and --no-api-url contradict each other: pass one of them');
      const given = [opts.webhookUrlStdin, opts.webhookUrl !== undefined, opts.clearWebhookUrl].filter(Boolean).length;
      if (given > 1)
        throw usageError(
          '--webhook-url-stdin, --webhook-url and --clear-webhook-url each set the webhook URL: pass one of them',
        );
      if (given === 0 && opts.name === undefined && opts.from === undefined && opts.apiUrl === undefined) {
        throw usageError(
          'configs set: nothing to change',
          'pass --webhook-url-stdin, --name, --from or --api-url (see: fruxon-twilio configs set --help)',
        );
      }
      if (opts.webhookUrl !== undefined) {
        const { WEBHOOK_URL_FLAG_WARNING } = await import('./input.js');
        out.warn(WEBHOOK_URL_FLAG_WARNING);
      }
      const store = await ctx.store();
      const { resolveConfig } = await import('../config/resolve.js');
      const { checkE164, checkHttpUrl, checkName } = await import('../validate.js');
      let config = resolveConfig(store, name);
      const changes: import('../store/index.js').ConfigChanges = {};
      if (opts.name !== undefined) changes.name = checkName('--name', opts.name);
      if (opts.from !== undefined) changes.fromNumber = checkE164('--from', opts.from);
      if (opts.apiUrl !== undefined)
        changes.apiUrl = opts.apiUrl === false ? null : checkHttpUrl('--api-url', opts.apiUrl).replace(/\/+$/, '');
      if (
        changes.name &&
        changes.name.toLowerCase() !== config.name.toLowerCase() &&
        store.configs.byName(changes.name)
      ) {
        throw new CliError(`a config named ${JSON.stringify(changes.name)} already exists`, {
          reason: 'duplicate_name',
          hint: 'pick another --name',
        });
      }
      if (changes.fromNumber !== undefined || changes.apiUrl !== undefined) {
        const { refuseWhileListening } = await import('../operations/configs.js');
        refuseWhileListening(store, config, 'its number and API URL cannot change now');
      }
      let webhookUrl: string | null | undefined;
      if (opts.clearWebhookUrl) webhookUrl = null;
      else if (opts.webhookUrlStdin || opts.webhookUrl !== undefined) {
        const { readStdin } = await import('./input.js');
        const raw = opts.webhookUrlStdin ? await readStdin(ctx.io, '--webhook-url-stdin') : opts.webhookUrl!;
        const { checkWebhookUrl, usesLocalStandIn } = await import('../config/webhook-url.js');
        const apiUrl = changes.apiUrl !== undefined ? changes.apiUrl : config.apiUrl;
        webhookUrl = checkWebhookUrl(
          opts.webhookUrlStdin ? 'the webhook URL from --webhook-url-stdin' : '--webhook-url',
          raw,
          {
            localStandIn: usesLocalStandIn({ apiUrl }, ctx.env),
          },
        );
      }
      if (webhookUrl !== undefined) {
        const { saveProductionWebhookUrl } = await import('../config/webhook-url.js');
        const kc = config.secretSource === 'keychain' ? await ctx.secrets() : null;
        config = saveProductionWebhookUrl(store, config, webhookUrl, () => kc!);
      }
      if (Object.keys(changes).length > 0) config = store.configs.update(config.id, changes);
      const { configJson } = await import('../output/configs.js');
      if (opts.json) return out.data(configJson(config));
      const what = [
        changes.name !== undefined && `name ${config.name}`,
        changes.fromNumber !== undefined && `From number ${config.fromNumber}`,
        changes.apiUrl !== undefined && `API ${config.apiUrl ?? 'real Twilio'}`,
        webhookUrl === null && 'production webhook URL forgotten',
        webhookUrl && `production webhook URL ${config.webhookUrlHint} (in the OS keychain)`,
      ].filter(Boolean);
      out.success(`Updated config ${config.name}: ${what.join(', ')}.`);
      if (webhookUrl)
        out.status(`Point the number at it with: fruxon-twilio webhook set --config ${JSON.stringify(config.name)}`);
    });

  configs
    .command('remove')
    .alias('rm')
    .description('Remove a config and its keychain entry')
    .argument('<name>', 'config name')
    .option('--force', "also drop a crashed listener's lease without restoring the number's webhook")
    .option('-y, --yes', 'on a terminal: remove without asking (without a terminal it never asks)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean; force?: boolean; yes?: boolean }) => {
      const out = ctx.output(opts);
      const store = await ctx.store();
      const { resolveConfig } = await import('../config/resolve.js');
      const { removeConfig } = await import('../operations/configs.js');
      const config = resolveConfig(store, name);
      // A person at a terminal is asked first, and told what goes with the config (its participants cascade).
      const { canPrompt } = await import('../output/iostreams.js');
      if (!opts.yes && canPrompt(ctx.io)) {
        const bound = store.participants.list({ configId: config.id }).filter((p) => p.configId === config.id);
        const { promptConfirm } = await import('./input.js');
        const { safe } = await import('../output/index.js');
        const what = [
          config.secretSource === 'keychain' ? 'its keychain entry' : null,
          bound.length
            ? `${bound.length} participant${bound.length === 1 ? '' : 's'} bound to it (${bound
                .slice(0, 3)
                .map((p) => safe(p.name))
                .join(', ')}${bound.length > 3 ? ', …' : ''})`
            : null,
        ].filter(Boolean);
        const ok = await promptConfirm(
          ctx.io,
          `Remove config ${safe(config.name)}${what.length ? ` with ${what.join(' and ')}` : ''}?`,
        );
        if (!ok) {
          out.status('Nothing removed.');
          return;
        }
      }
      const keychain = await ctx.keychain();
      removeConfig(store, config, keychain, { force: opts.force });
      const next = store.configs.defaultConfig();
      if (opts.json) return out.data({ removed: config.name, id: config.id, default: next?.name ?? null });
      out.success(
        `Removed config ${config.name}${config.secretSource === 'keychain' ? ' and its keychain entry' : ''}.`,
      );
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

interface SetOptions {
  webhookUrlStdin?: boolean;
  webhookUrl?: string;
  clearWebhookUrl?: boolean;
  name?: string;
  from?: string;
  apiUrl?: string | false;
  json?: boolean;
}
