import type { Command } from 'commander';
import { safe } from '../output/index.js';
import type { CommandContext } from './context.js';

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('doctor')
    .description(
      'Check the setup: Node, data directory, store, keychain, secret, Twilio credentials, From number and its webhook, leases, ngrok',
    )
    .option('--config <name>', 'config to check (default: the default config)')
    .option('--json', 'print {ok, checks: [{name, ok, detail, fix}]}')
    .addHelpText(
      'after',
      `
Examples:
  $ fruxon-twilio doctor
  $ fruxon-twilio doctor --config support --json

Exit codes: 0 every check passed (warnings allowed), 1 a check failed.`,
    )
    .action(async (opts: { config?: string; json?: boolean }) => {
      const out = ctx.output(opts);
      const { runDoctor, doctorPassed } = await import('../operations/doctor.js');
      const keychain = await ctx.keychain();
      const openStore = await ctx.storeOpener();
      let opened: import('../store/index.js').Store | undefined;
      const checks = await runDoctor({
        env: ctx.env,
        configName: opts.config,
        openStore: () => (opened = openStore(ctx.env)),
        keychain,
        twilio: ctx.twilio,
        now: () => ctx.now(),
      });
      opened?.close();
      const ok = doctorPassed(checks);
      if (!ok) ctx.exitCode = 1;
      if (opts.json)
        return out.data({
          ok,
          checks: checks.map((c) => ({
            name: c.name,
            ok: c.ok,
            detail: c.detail,
            fix: c.fix ?? null,
            skipped: c.skipped ?? false,
          })),
        });
      const c = out.color;
      const width = Math.max(...checks.map((x) => x.name.length));
      for (const x of checks) {
        const mark = x.skipped
          ? c.dim('–')
          : x.ok === true
            ? c.green('✔')
            : x.ok === 'warn'
              ? c.yellow('!')
              : c.red('✖');
        // Details quote Twilio (URLs, names): escaped (see output's safe).
        const fix = x.fix && x.ok !== true ? `  ${c.dim('fix:')} ${safe(x.fix)}` : '';
        out.line(`${mark} ${x.name.padEnd(width)}  ${x.skipped ? c.dim(safe(x.detail)) : safe(x.detail)}${fix}`);
      }
      const failed = checks.filter((x) => x.ok === false).length;
      out.status(
        ok
          ? out.errColor.green('All checks passed.')
          : out.errColor.red(`${failed} check${failed > 1 ? 's' : ''} failed.`),
      );
    });
}
