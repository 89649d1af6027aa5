import type { Command } from 'commander';
import { CliError, ExitCode, leaseHeldError } from '../errors.js';
import { safe } from '../output/index.js';
import type { CommandContext } from './context.js';

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('restore')
    .description("Put a number's previous webhook back after a listener crashed (what listen does when it stops)")
    .option('--config <name>', 'only this config (default: every lease whose listener is gone)')
    .option('--json', 'print the outcomes as a JSON array')
    .addHelpText(
      'after',
      `
Examples:
  $ fruxon-twilio restore                 # every number a crashed listener left pointing at itself
  $ fruxon-twilio restore --config support

A number that was changed since the listener took it is left alone (only the lease is dropped).`,
    )
    .action((opts: { config?: string; json?: boolean }) => run(ctx, opts));
}

async function run(ctx: CommandContext, opts: { config?: string; json?: boolean }): Promise<void> {
  const out = ctx.output(opts);
  const store = await ctx.store();
  const { resolveConfig, loadSecret, twilioCredentials, effectiveApiUrl } = await import('../config/resolve.js');
  const { isLeaseAlive } = await import('../store/index.js');

  let leases = store.leases.list();
  if (opts.config !== undefined) {
    const config = resolveConfig(store, opts.config);
    leases = leases.filter((l) => l.configId === config.id);
    const live = leases.find(isLeaseAlive);
    if (live) {
      throw leaseHeldError(
        `a listener (pid ${live.pid}) is running for config ${JSON.stringify(config.name)}; it restores the webhook when it stops`,
        live.pid,
        {
          hint: `stop it with: kill -INT ${live.pid}`,
        },
      );
    }
  } else {
    leases = leases.filter((l) => !isLeaseAlive(l));
  }

  const { restoreWebhook } = await import('../listener/registration.js');
  const secrets = await ctx.secrets();
  const results: Record<string, unknown>[] = [];
  let failed: CliError | null = null;
  for (const lease of leases) {
    const config = store.configs.byId(lease.configId)!;
    try {
      const secret = loadSecret(config, ctx.env, () => secrets);
      const client = await ctx.twilio(twilioCredentials(config, secret, ctx.env));
      const { loadProductionWebhookUrl } = await import('../config/webhook-url.js');
      const productionUrl = () => loadProductionWebhookUrl(config, ctx.env, () => secrets);
      const r = await restoreWebhook({
        store,
        client,
        lease,
        apiUrl: effectiveApiUrl(config, ctx.env),
        config,
        productionUrl,
      });
      results.push({
        config: config.name,
        phone_number: r.phoneNumber,
        action: r.action,
        restored_url: r.restoredUrl,
        current_url: r.currentUrl,
        note: r.note,
      });
      if (r.note) out.warn(safe(r.note));
      if (!opts.json) {
        if (r.action === 'restored')
          out.success(`${config.name}: restored the webhook of ${r.phoneNumber} to ${safe(r.restoredUrl || '(none)')}`);
        else
          out.warn(
            `${config.name}: ${r.phoneNumber} had been changed since (now ${safe(r.currentUrl || 'none')}): left as is, lease dropped`,
          );
      }
    } catch (err) {
      const e = err instanceof CliError ? err : new CliError(String((err as Error)?.message ?? err));
      results.push({ config: config.name, phone_number: lease.phoneNumber, action: 'failed', error: e.message });
      if (!opts.json) out.error(`${config.name}: ${e.message}`, e.hint);
      failed = e;
    }
  }
  if (opts.json) out.data(results);
  else if (leases.length === 0) out.status('Nothing to restore: no listener left a number pointing at itself.');
  if (failed) ctx.exitCode = ExitCode.registration;
}
