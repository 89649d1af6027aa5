import type { Command } from 'commander';
import { CliError, usageError } from '../errors.js';
import { safe } from '../output/index.js';
import { shellQuote } from '../shell.js';
import type { CommandContext } from './context.js';

interface ShowOptions {
  config?: string;
  json?: boolean;
}

interface SetOptions {
  config?: string;
  url?: string;
  yes?: boolean;
  json?: boolean;
  messagingService?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  const webhook = program
    .command('webhook')
    .description('See and set what the config\'s number points at: its Messaging "A MESSAGE COMES IN" webhook')
    .addHelpText(
      'after',
      `
Examples:
  $ fruxon-twilio webhook show                  # production (Fruxon), a running listen, something else, or none
  $ fruxon-twilio webhook set                   # point the number at the recorded production URL (asks first)
  $ fruxon-twilio webhook set --config ci --yes # in a script`,
    );

  webhook
    .command('show')
    .description("The number's current SmsUrl/SmsMethod and fallback, and what it is")
    .option('--config <name>', 'config name (default: the default config)')
    .option('--json', 'print JSON')
    .action((opts: ShowOptions) => show(ctx, opts));

  webhook
    .command('set')
    .description('Point the number at the recorded production webhook URL (or --url), method POST')
    .option('--config <name>', 'config name (default: the default config)')
    .option('--url <url>', 'another URL than the recorded production one')
    .option('--yes', 'change it without asking (needed without a terminal)')
    .option(
      '--messaging-service',
      "when the number's Messaging Service receives its messages: point the service's inbound URL (every number in it follows)",
    )
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
Record the production URL first (Fruxon shows it once, when the config is created):
  $ printf %s "$FRUXON_WEBHOOK_URL" | fruxon-twilio configs set support --webhook-url-stdin
  $ fruxon-twilio webhook set --config support

Refuses (exit 5) while a listen holds the number.`,
    )
    .action((opts: SetOptions) => set(ctx, opts));
}

async function show(ctx: CommandContext, opts: ShowOptions): Promise<void> {
  const out = ctx.output(opts);
  const { inspectWebhook } = await import('../operations/webhook-show.js');
  const view = await inspectWebhook(await ctx.coreDeps(), opts.config);
  const { webhookShowJson, printWebhookShow } = await import('../output/webhook.js');
  if (opts.json) return out.data(webhookShowJson(view));
  printWebhookShow(out, view);
}

async function set(ctx: CommandContext, opts: SetOptions): Promise<void> {
  const out = ctx.output(opts);
  const store = await ctx.store();
  const { connectConfig } = await import('../config/connect.js');
  const keychain = await ctx.keychain();
  const { checkWebhookUrl, loadProductionWebhookUrl, usesLocalStandIn } = await import('../config/webhook-url.js');
  const { resolveConfig } = await import('../config/resolve.js');
  const { displayWebhookUrl, sameWebhookUrl } = await import('../twilio/webhook.js');
  const { applySmsUrl, lookUpRoutes, pointNumberAt, pointsAt, refuseUnderLease, routePointsAt } = await import(
    '../twilio/register-webhook.js'
  );

  // Cheap refusals first: no keychain, no network.
  const target = resolveConfig(store, opts.config);
  refuseUnderLease(store, target);
  const url =
    opts.url !== undefined
      ? checkWebhookUrl('--url', opts.url, { localStandIn: usesLocalStandIn(target, ctx.env) })
      : null;
  const productionUrl = loadProductionWebhookUrl(target, ctx.env, keychain);
  const newUrl = url ?? productionUrl;
  if (!newUrl) {
    throw usageError(
      `no production webhook URL is recorded for config ${JSON.stringify(target.name)}, and no --url was given`,
      target.secretSource === 'env'
        ? 'set FRUXON_TWILIO_WEBHOOK_URL to the webhook URL Fruxon shows for the config, or pass --url'
        : `record the webhook URL Fruxon shows for the config: printf %s "$URL" | fruxon-twilio configs set ${shellQuote(target.name)} --webhook-url-stdin (or pass --url)`,
    );
  }
  if (!opts.yes && !out.interactive) {
    throw usageError(
      "webhook set changes the number's webhook and needs a confirmation: pass --yes to change it without asking",
    );
  }

  const { config, creds, client } = await connectConfig(store, opts.config, ctx.env, keychain, ctx.twilio);
  const routes = await lookUpRoutes(client, config, creds);
  const shown = (u: string | null) => safe(displayWebhookUrl(u, productionUrl) ?? '(none)');
  if (routes.some((r) => r.layer !== 'number')) {
    // Another layer than the number's SmsUrl receives the messages: that layer is what is pointed.
    const { routeLabel } = await import('../output/webhook.js');
    const todo = routes.filter((r) => !routePointsAt(r, newUrl));
    if (todo.length && (!opts.json || !opts.yes)) {
      for (const r of todo) out.status(`${routeLabel(r)}: now ${shown(r.url)}, new ${shown(newUrl)} (POST)`);
    }
    if (todo.length && !opts.yes) {
      const { confirm } = await import('@inquirer/prompts');
      const ok = await confirm(
        { message: 'Point it at the new URL?', default: false },
        { input: ctx.io.stdin, output: ctx.io.stderr },
      );
      if (!ok) throw new CliError('cancelled: the webhook was not changed', { reason: 'cancelled' });
    }
    const r = await pointNumberAt({
      store,
      config,
      client,
      creds,
      url: newUrl,
      allowMessagingService: opts.messagingService,
    });
    if (opts.json) {
      return out.data({
        config: config.name,
        phone_number: config.fromNumber,
        changed: r.changed,
        routes: r.routes.map((x) => ({
          layer: x.layer,
          sid: x.sid,
          channel: x.channel,
          previous_url: shown(x.url),
          url: shown(newUrl),
        })),
      });
    }
    for (const x of r.routes)
      out.success(
        `${routeLabel(x)} ${routePointsAt(x, newUrl) ? 'already points' : 'now points'} at ${shown(newUrl)} (POST).`,
      );
    return;
  }
  const number = routes[0]!.number!;
  const oldValue = { url: number.smsUrl, method: number.smsMethod };
  const what = url && !sameWebhookUrl(url, productionUrl) ? 'the given URL' : 'the recorded production URL';

  if (pointsAt(number, newUrl)) {
    if (opts.json)
      return out.data(
        setJson(config.name, number, { url: shown(oldValue.url), method: oldValue.method }, shown(newUrl), false),
      );
    out.success(`${number.phoneNumber} already points at ${what} ${shown(newUrl)} (POST); nothing changed.`);
    return;
  }

  if (!opts.json || !opts.yes) {
    out.status(`${number.phoneNumber} "A MESSAGE COMES IN":`);
    out.status(`  now  ${shown(oldValue.url)}${oldValue.url ? ` (${oldValue.method ?? 'POST'})` : ''}`);
    out.status(`  new  ${shown(newUrl)} (POST), ${what}`);
  }
  if (!opts.yes) {
    const { confirm } = await import('@inquirer/prompts');
    const ok = await confirm(
      { message: `Point ${number.phoneNumber} at it?`, default: false },
      { input: ctx.io.stdin, output: ctx.io.stderr },
    );
    if (!ok) throw new CliError("cancelled: the number's webhook was not changed", { reason: 'cancelled' });
  }

  // Again after the prompt: a listen may have started meanwhile. (No lease of our own is written for this
  // short change: its row would hold the previous URL, which may be a secret, in SQLite.)
  refuseUnderLease(store, config);
  const updated = await applySmsUrl(client, creds, number, newUrl);
  if (opts.json)
    return out.data(
      setJson(config.name, updated, { url: shown(oldValue.url), method: oldValue.method }, shown(updated.smsUrl), true),
    );
  out.success(
    `${updated.phoneNumber} now points at ${what} ${shown(updated.smsUrl)} (${updated.smsMethod ?? 'POST'}).`,
  );
}

function setJson(
  configName: string,
  number: { sid: string; phoneNumber: string; smsMethod: string | null },
  old: { url: string; method: string | null },
  shownNew: string,
  changed: boolean,
): Record<string, unknown> {
  return {
    config: configName,
    phone_number: number.phoneNumber,
    number_sid: number.sid,
    changed,
    previous_sms_url: old.url,
    previous_sms_method: old.method,
    sms_url: shownNew,
    sms_method: number.smsMethod ?? 'POST',
  };
}
