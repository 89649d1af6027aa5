import type { Command } from 'commander';
import type { CommandContext } from './context.js';

export function register(program: Command, ctx: CommandContext): void {
  const templates = program
    .command('templates')
    .description("The account's Content API templates (WhatsApp's approved message templates) and their approval")
    .addHelpText(
      'after',
      `
Examples:
  $ fruxon-twilio templates list
  $ fruxon-twilio templates list --config support --json
  $ fruxon-twilio send --to +14155550123 --whatsapp --content-sid HX… --content-variables '{"1":"Ann"}'`,
    );

  templates
    .command('list')
    .description(
      'Every template: SID, name, language, WhatsApp approval, body. Outside the 24-hour window WhatsApp takes only approved ones',
    )
    .option('--config <name>', 'config name (default: the default config)')
    .option('--json', 'print a JSON array')
    .action(async (opts: { config?: string; json?: boolean }) => {
      const out = ctx.output(opts);
      const { listConfigTemplates } = await import('../operations/templates.js');
      const { config, templates: list } = await listConfigTemplates(await ctx.coreDeps(), { config: opts.config });
      if (opts.json)
        return out.data(
          list.map((t) => ({
            sid: t.sid,
            friendly_name: t.friendlyName,
            language: t.language,
            whatsapp_approval: t.whatsappStatus,
            whatsapp_category: t.whatsappCategory,
            body: t.body,
            variables: t.variables,
            date_created: t.dateCreated?.toISOString() ?? null,
          })),
        );
      if (list.length === 0) {
        out.status(
          `No Content API templates on account ${config.accountSid} yet (Console: Messaging > Content Template Builder).`,
        );
        return;
      }
      const { safe } = await import('../output/index.js');
      const clip = (s: string) => (s.length > 60 ? `${s.slice(0, 59)}…` : s);
      out.table(
        ['SID', 'NAME', 'LANG', 'WHATSAPP', 'BODY'],
        list.map((t) => [
          t.sid,
          safe(t.friendlyName),
          safe(t.language),
          t.whatsappStatus === 'approved' ? out.color.green('approved') : safe(t.whatsappStatus ?? '-'),
          safe(clip(t.body ?? '')),
        ]),
      );
    });
}
