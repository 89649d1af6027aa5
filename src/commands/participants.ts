import type { Command } from 'commander';
import { CliError, usageError } from '../errors.js';
import { withoutWhatsAppPrefix } from '../phone.js';
import { checkE164, checkName, E164 } from '../validate.js';
import type { CommandContext } from './context.js';
import { registerFruxonSync } from './participants-fruxon.js';

export function register(program: Command, ctx: CommandContext): void {
  const participants = program
    .command('participants')
    .enablePositionalOptions()
    .description(
      'Local participants (contacts bound to a channel by phone number): listen names senders with them, send --to NAME uses them',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ fruxon-twilio participants add alice --phone +14155550123
  $ fruxon-twilio participants add "Bob Smith" --phone +447700900123 --whatsapp --config support
  $ fruxon-twilio participants list --json
  $ fruxon-twilio participants remove alice
  $ fruxon-twilio participants push --config support --agent support-agent   # to Fruxon (a linked config)
  $ fruxon-twilio participants pull --config support                          # from Fruxon`,
    );

  const list = async (opts: { config?: string; json?: boolean }) => {
    const out = ctx.output(opts);
    const store = await ctx.store();
    let configId: string | undefined;
    if (opts.config !== undefined) {
      const { resolveConfig } = await import('../config/resolve.js');
      configId = resolveConfig(store, opts.config).id;
    }
    const rows = store.participants.list({ configId });
    const names = new Map(store.configs.list().map((c) => [c.id, c.name]));
    const { participantJson } = await import('../output/messages.js');
    if (opts.json)
      return out.data(rows.map((p) => participantJson(p, p.configId ? (names.get(p.configId) ?? null) : null)));
    if (rows.length === 0) {
      out.status('No participants yet. Add one with: fruxon-twilio participants add NAME --phone +14155550123');
      return;
    }
    out.table(
      ['NAME', 'PHONE', 'CHANNEL', 'CONFIG'],
      rows.map((p) => [
        p.name,
        p.phone,
        p.whatsapp ? 'whatsapp' : 'sms',
        p.configId ? (names.get(p.configId) ?? '?') : out.color.dim('(any)'),
      ]),
    );
  };

  participants
    .command('add')
    .description('Add a participant')
    .argument('<name>', 'display name (unique, case-insensitive); used as send --to NAME and as from_name in listen')
    .option('--phone <e164>', 'phone number in E.164, e.g. +14155550123')
    .option('--whatsapp', 'the participant is reached on WhatsApp (send --to NAME then uses the WhatsApp channel)')
    .option('--config <name>', 'bind to one config (default: every config)')
    .option('--json', 'print the participant as JSON')
    .action(async (rawName: string, opts: { phone?: string; whatsapp?: boolean; config?: string; json?: boolean }) => {
      const out = ctx.output(opts);
      const name = checkName('NAME', rawName);
      if (E164.test(name))
        throw usageError(
          `NAME must not be a phone number (got ${JSON.stringify(name)}): send --to would read it as one`,
        );
      if (opts.phone === undefined) throw usageError('missing --phone: the E.164 number, e.g. +14155550123');
      const phone = checkE164('--phone', withoutWhatsAppPrefix(opts.phone));
      const store = await ctx.store();
      let config: import('../store/index.js').Config | undefined;
      if (opts.config !== undefined) {
        const { resolveConfig } = await import('../config/resolve.js');
        config = resolveConfig(store, opts.config);
      }
      const p = store.participants.add({ name, phone, whatsapp: opts.whatsapp, configId: config?.id ?? null });
      if (!p) {
        throw new CliError(`a participant named ${JSON.stringify(name)} already exists`, {
          reason: 'duplicate_name',
          hint: `pick another name, or remove it first: fruxon-twilio participants remove ${JSON.stringify(name)}`,
        });
      }
      const { participantJson } = await import('../output/messages.js');
      if (opts.json) return out.data(participantJson(p, config?.name ?? null));
      out.success(
        `Added participant ${out.errColor.bold(p.name)}: ${p.phone} on ${p.whatsapp ? 'WhatsApp' : 'SMS'}${config ? `, config ${config.name}` : ', any config'}.`,
      );
    });

  participants
    .command('list')
    .alias('ls')
    .description('List the participants')
    .option('--config <name>', 'only those bound to this config, and the global ones')
    .option('--json', 'print a JSON array')
    .action(list);

  participants
    .command('remove')
    .alias('rm')
    .description('Remove a participant')
    .argument('<name>', 'participant name')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const out = ctx.output(opts);
      const store = await ctx.store();
      const p = store.participants.byName(name);
      if (!p || !store.participants.remove(p.name)) {
        throw new CliError(`no participant named ${JSON.stringify(name)}`, {
          reason: 'not_found',
          hint: 'see them: fruxon-twilio participants list',
        });
      }
      if (opts.json) return out.data({ removed: p.name, id: p.id });
      out.success(`Removed participant ${p.name}.`);
    });

  registerFruxonSync(participants, ctx);

  // `participants` alone lists; `participants typo` is a usage error.
  participants
    .option('--config <name>', 'with no subcommand: list those of this config')
    .option('--json', 'with no subcommand: print the list as a JSON array')
    .argument('[subcommand]')
    .action(async (sub: string | undefined, opts: { config?: string; json?: boolean }) => {
      if (sub !== undefined)
        throw usageError(`unknown participants subcommand ${JSON.stringify(sub)}: use add, list, remove, push or pull`);
      await list(opts);
    });
}
