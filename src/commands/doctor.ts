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
    .option(
      '--report',
      'print a Markdown report to paste into a bug report (versions, store, configs and routes, leases, alerts, last errors, the checks; no secrets); with --json, as JSON',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ fruxon-twilio doctor
  $ fruxon-twilio doctor --config support --json
  $ fruxon-twilio doctor --report > report.md

Exit codes: 0 every check passed (warnings allowed), 1 a check failed (--report: 0 once the report is printed).`,
    )
    .action(async (opts: { config?: string; json?: boolean; report?: boolean }) => {
      const out = ctx.output(opts);
      if (opts.report) return report(ctx, opts);
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
        trace: ctx.trace(),
        fruxon: ctx.fruxon,
        now: () => ctx.now(),
      });
      if (opened) await ctx.reportStoreUpgrade(opened);
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
      const warned = checks.filter((x) => x.ok === 'warn').length;
      const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
      out.status(
        !ok
          ? out.errColor.red(
              `${plural(failed, 'check')} failed${warned ? `, ${plural(warned, 'warning')}` : ''} (see fix: above).`,
            )
          : warned
            ? out.errColor.yellow(`No check failed; ${plural(warned, 'warning')} above (marked !).`)
            : out.errColor.green('All checks passed.'),
      );
    });
}

/** `doctor --report`: the report (src/operations/report.ts), redacted once more with every secret this run read. */
async function report(ctx: CommandContext, opts: { config?: string; json?: boolean }): Promise<void> {
  const out = ctx.output(opts);
  const [{ buildReport }, { reportMarkdown }, { recentErrors }, { version, dependencyVersions }, os] =
    await Promise.all([
      import('../operations/report.js'),
      import('../output/report.js'),
      import('../store/error-log.js'),
      import('../version.js'),
      import('node:os'),
    ]);
  const keychain = await ctx.keychain();
  const openStore = await ctx.storeOpener();
  let opened: import('../store/index.js').Store | undefined;
  try {
    const r = await buildReport({
      env: ctx.env,
      configName: opts.config,
      openStore: () => (opened = openStore(ctx.env, { now: () => ctx.now() })),
      keychain,
      twilio: ctx.twilio,
      trace: ctx.trace(),
      fruxon: ctx.fruxon,
      now: () => ctx.now(),
      tool: {
        version: version(),
        node: process.version,
        os: `${os.type()} ${os.release()} (${process.platform} ${process.arch})`,
      },
      dependencies: dependencyVersions(),
      recentErrors: () => recentErrors(ctx.env, 5),
    });
    if (opened) await ctx.reportStoreUpgrade(opened);
    if (opts.json) out.dataJsonLines([ctx.redactor.redact(JSON.stringify(r))]);
    else out.line(ctx.redactor.redact(reportMarkdown(r)).trimEnd());
  } finally {
    opened?.close();
  }
}
