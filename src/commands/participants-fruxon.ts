import type { Command } from 'commander';
import { usageError } from '../errors.js';
import type { CommandContext } from './context.js';

interface PushOptions {
  config?: string;
  agent?: string[];
  json?: boolean;
}

const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `participants push` and `participants pull`: the local participants of a linked config and Fruxon's. */
export function registerFruxonSync(participants: Command, ctx: CommandContext): void {
  participants
    .command('push')
    .description(
      'Make sure Fruxon has each local participant of a linked config (a PERSON with a channel at its number on the linked Fruxon config), bound to --agent',
    )
    .argument('[name...]', 'participant names (default: every participant of the config)')
    .option('--config <name>', 'a config linked with fruxon-twilio link (default: the default config)')
    .option('--agent <agentId>', 'bind the participants to this Fruxon agent (repeat for several)', collect)
    .option(
      '--json',
      'print {config, fruxon_config_id, participants: [{name, phone, action, fruxon_participant_id, bound_agents, detail}]}',
    )
    .addHelpText(
      'after',
      `
Each participant is found on Fruxon by its channel (the linked Fruxon config and its number) among
GET /participants, else created (kind PERSON, its name); --agent binds it. A rerun changes nothing.
One line per participant: created, bound, already there, or why not (exit 1 when any failed).

Examples:
  $ fruxon-twilio participants push --config support --agent support-agent
  $ fruxon-twilio participants push alice "Bob Smith" --config support --json`,
    )
    .action((names: string[], opts: PushOptions) => push(ctx, names, opts));

  participants
    .command('pull')
    .description(
      'Import the Fruxon participants that have a channel on the linked Fruxon config as local participants (a local one at the same number is kept; differences are reported)',
    )
    .option('--config <name>', 'a config linked with fruxon-twilio link (default: the default config)')
    .option(
      '--json',
      'print {config, fruxon_config_id, participants: [{name, phone, action, fruxon_participant_id, fruxon_display_name, detail}], conflicts}',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ fruxon-twilio participants pull --config support
  $ fruxon-twilio participants pull --json`,
    )
    .action((opts: { config?: string; json?: boolean }) => pull(ctx, opts));
}

async function push(ctx: CommandContext, names: string[], opts: PushOptions): Promise<void> {
  const out = ctx.output(opts);
  const agents = [...new Set((opts.agent ?? []).map((a) => a.trim()))];
  for (const a of agents)
    if (!AGENT_ID.test(a))
      throw usageError(`--agent must be a Fruxon agent id such as support-agent (got ${JSON.stringify(a)})`);
  const store = await ctx.store();
  const { resolveConfig } = await import('../config/resolve.js');
  const keychain = await ctx.keychain();
  const { connectLinked, pushParticipants } = await import('../fruxon/participants.js');
  const { printPushResult, pushJson } = await import('../output/fruxon-participants.js');
  const config = resolveConfig(store, opts.config);
  const fruxon = connectLinked(store, config, ctx.env, keychain, ctx.fruxon);
  const results = await pushParticipants({
    store,
    config,
    fruxon,
    names,
    agentIds: agents,
    onResult: opts.json ? undefined : (r) => printPushResult(out, r),
  });
  if (results.some((r) => r.action === 'failed')) ctx.exitCode = 1;
  if (opts.json) return out.data(pushJson(config.name, fruxon.link.fruxonConfigId, results));
  if (results.length === 0) {
    out.status(
      `No participants for config ${config.name}. Add one with: fruxon-twilio participants add NAME --phone +14155550123`,
    );
    return;
  }
  const n = (a: string) => results.filter((r) => r.action === a).length;
  out.status(
    `${n('created')} created, ${n('bound')} bound, ${n('unchanged')} already there${n('skipped') ? `, ${n('skipped')} skipped` : ''}${n('failed') ? `, ${n('failed')} failed` : ''}.`,
  );
}

async function pull(ctx: CommandContext, opts: { config?: string; json?: boolean }): Promise<void> {
  const out = ctx.output(opts);
  const store = await ctx.store();
  const { resolveConfig } = await import('../config/resolve.js');
  const keychain = await ctx.keychain();
  const { connectLinked, pullParticipants } = await import('../fruxon/participants.js');
  const { printPullResult, pullJson } = await import('../output/fruxon-participants.js');
  const config = resolveConfig(store, opts.config);
  const fruxon = connectLinked(store, config, ctx.env, keychain, ctx.fruxon);
  const results = await pullParticipants({
    store,
    config,
    fruxon,
    onResult: opts.json ? undefined : (r) => printPullResult(out, r),
  });
  if (opts.json) return out.data(pullJson(config.name, fruxon.link.fruxonConfigId, results));
  if (results.length === 0) {
    out.status(
      `Fruxon has no participants with a channel on config ${config.name}'s Fruxon config (${fruxon.link.fruxonConfigId}).`,
    );
    return;
  }
  const n = (a: string) => results.filter((r) => r.action === a).length;
  out.status(
    `${n('imported')} imported, ${n('unchanged')} already there, ${n('conflict')} conflict(s)${n('skipped') ? `, ${n('skipped')} skipped` : ''}.`,
  );
}
