import type { Command } from 'commander';
import { safe } from '../output/index.js';
import { shellQuote } from '../shell.js';
import type { CommandContext } from './context.js';

interface Options {
  config?: string;
  rotate?: boolean;
  register: boolean;
  messagingService?: boolean;
  relink?: boolean;
  tenant?: string;
  apiUrl?: string;
  json?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('link')
    .description(
      'Set up the config on Fruxon and point the number at it: create (or find) and publish the Fruxon config, mint its webhook URL, keep it in the keychain, register it on the number',
    )
    .option('--config <name>', 'config name (default: the default config)')
    .option('--rotate', 'mint a new webhook key (the previous URL stops working at once) and re-register')
    .option('--no-register', 'leave the number as it is (steps 1-3 only)')
    .option(
      '--messaging-service',
      "when the number's Messaging Service receives its messages: point the service's inbound URL at Fruxon (every number in it follows)",
    )
    .option('--relink', 'forget which Fruxon config this one was linked to, and find or create it again')
    .option('--tenant <slug>', 'Fruxon tenant (default: $FRUXON_TENANT, else the one logged in)')
    .option(
      '--api-url <url>',
      'Fruxon API base of a local stand-in (default: $FRUXON_API_URL, else the one logged in with)',
    )
    .option('--json', 'print {config, fruxon_config_id, created, published, webhook, registered, steps}')
    .addHelpText(
      'after',
      `
Steps (each idempotent; a rerun does nothing new):
  1. find the Fruxon Twilio config with this config's display name, or create it (From number, Account
     SID + Auth Token from the keychain), and publish it
  2. mint its webhook URL (:generateWebhookUrl), or rotate it (--rotate, or when a key is bound but its
     URL is not stored here); a URL already stored is reused
  3. keep the URL in the OS keychain as the config's production webhook URL (only ever printed masked)
  4. point the number's "A MESSAGE COMES IN" at it, unless --no-register or a listen holds the number

Examples:
  $ fruxon-twilio fruxon login --tenant acme-corp
  $ fruxon-twilio link --config support
  $ fruxon-twilio link --config support --rotate --json

Exit codes: 0 done, 1 Fruxon or the keychain failed, 2 usage, 4 the number could not be updated (steps 1-3 done).`,
    )
    .action((opts: Options) => run(ctx, opts));
}

async function run(ctx: CommandContext, opts: Options): Promise<void> {
  const out = ctx.output(opts);
  const store = await ctx.store();
  const { resolveConfig, loadSecret } = await import('../config/resolve.js');
  const keychain = await ctx.keychain();
  const { connectFruxon } = await import('../fruxon/account.js');
  const { linkConfig, unlinkConfig } = await import('../operations/link.js');

  const config = resolveConfig(store, opts.config);
  const { client } = connectFruxon(store, ctx.env, keychain, {
    tenant: opts.tenant ?? store.fruxon.link(config.id)?.tenant,
    apiUrl: opts.apiUrl,
    fruxon: ctx.fruxon,
  });
  if (opts.relink && unlinkConfig(store, config) && !opts.json)
    out.status(`Forgot the previous link of ${config.name}.`);

  const c = out.errColor;
  const mark: Record<string, string> = { failed: c.red('✖'), deferred: c.yellow('!'), skipped: c.dim('–') };
  const result = await linkConfig({
    store,
    config,
    fruxon: client,
    env: ctx.env,
    keychain,
    authToken: () => loadSecret(config, ctx.env, keychain),
    twilio: async () => {
      const { connectConfig } = await import('../config/connect.js');
      const { client: twilio, creds } = await connectConfig(store, config.name, ctx.env, keychain, ctx.twilio);
      return { client: twilio, creds };
    },
    rotate: Boolean(opts.rotate),
    register: opts.register,
    messagingService: opts.messagingService,
    signal: ctx.signal,
    onRestoreWait: (w) =>
      out.status(
        `${c.yellow('!')} register waiting: ${w.phoneNumber} is being put back by pid ${w.pid} (a stopping listen); link points it at Fruxon once that is done (at most ${w.waitMs / 1000} s)`,
      ),
    onStep: opts.json
      ? undefined
      : (s) => out.status(`${mark[s.action] ?? c.green('✔')} ${s.step.padEnd(8)} ${s.action}: ${safe(s.detail)}`),
  });

  if (opts.json) {
    out.data({
      config: result.config,
      tenant: result.tenant,
      fruxon_config_id: result.fruxonConfigId,
      created: result.created,
      published: result.published,
      webhook: {
        masked_url: result.webhook.maskedUrl,
        key_prefix: result.webhook.keyPrefix,
        minted: result.webhook.action === 'minted',
        rotated: result.webhook.action === 'rotated',
        reused: result.webhook.action === 'reused',
        action: result.webhook.action,
      },
      registered: result.registered,
      steps: result.steps,
    });
  }
  if (result.error) {
    out.error(result.error.message, result.error.hint);
    ctx.exitCode = result.error.exitCode;
    return;
  }
  if (!opts.json) {
    const name = shellQuote(result.config);
    if (result.registered === true)
      out.success(`${result.config} is live on Fruxon: inbound messages go to Fruxon config ${result.fruxonConfigId}.`);
    else
      out.status(
        `${result.config} is set up on Fruxon; the number is not pointed at it yet (fruxon-twilio fruxon status --config ${name}).`,
      );
  }
}
