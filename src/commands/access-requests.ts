import type { Command } from 'commander';
import { usageError } from '../errors.js';
import { shellQuote } from '../shell.js';
import type { CommandContext } from './context.js';

interface ListOptions {
  config?: string;
  status?: string;
  json?: boolean;
}

interface ApproveOptions {
  mode?: string;
  name?: string;
  participant?: string;
  note?: string;
  json?: boolean;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

function checkId(value: string): string {
  const v = value.trim();
  if (!ID.test(v))
    throw usageError(
      `ID must be an access request id as fruxon-twilio fruxon access-requests lists it (got ${JSON.stringify(value)})`,
    );
  return v;
}

/** `fruxon access-requests [list|approve|reject]`: the senders Fruxon holds until someone lets them in. */
export function registerAccessRequests(fruxon: Command, ctx: CommandContext): void {
  const requests = fruxon
    .command('access-requests')
    .enablePositionalOptions()
    .description('Participant access requests (a new sender Fruxon holds until approved): list, approve, reject')
    .addHelpText(
      'after',
      `
Examples:
  $ fruxon-twilio fruxon access-requests --config support             # the pending ones of the linked config
  $ fruxon-twilio fruxon access-requests list --status APPROVED --json
  $ fruxon-twilio fruxon access-requests approve 7d0c… --name "Dana"  # a new participant (CREATE_NEW)
  $ fruxon-twilio fruxon access-requests approve 7d0c… --mode ADD_TO_EXISTING --participant P_ID
  $ fruxon-twilio fruxon access-requests reject 7d0c… --note "spam"

An already approved or rejected request is one error line, exit 1.`,
    );

  const listCmd = (cmd: Command) =>
    cmd
      .option('--config <name>', 'a config linked with fruxon-twilio link (default: the default config)')
      .option('--status <status>', 'PENDING, APPROVED or REJECTED', 'PENDING')
      .option('--json', 'print a JSON array');

  listCmd(
    requests
      .command('list')
      .alias('ls')
      .description("The access requests of the linked config's Fruxon config (default: pending)"),
  ).action((opts: ListOptions) => list(ctx, opts));

  requests
    .command('approve')
    .description(
      'Approve an access request: a new participant (CREATE_NEW), a channel of an existing one (ADD_TO_EXISTING), or a binding of the one it matched (BIND_ONLY)',
    )
    .argument('<id>', 'access request id')
    .option(
      '--mode <mode>',
      'CREATE_NEW (default; asked for explicitly when the request matched a participant), ADD_TO_EXISTING or BIND_ONLY',
    )
    .option(
      '--name <displayName>',
      "CREATE_NEW: the participant's name (default: the local participant with that number, else the name Fruxon saw)",
    )
    .option(
      '--participant <id>',
      'ADD_TO_EXISTING, BIND_ONLY: the Fruxon participant (default: the one the request matched)',
    )
    .option('--note <text>', 'a note kept with the decision')
    .option('--json', 'print the processed request as JSON')
    .action((id: string, opts: ApproveOptions) => processRequest(ctx, 'approve', id, opts));

  requests
    .command('reject')
    .description('Reject an access request')
    .argument('<id>', 'access request id')
    .option('--note <text>', 'a note kept with the decision')
    .option('--json', 'print the processed request as JSON')
    .action((id: string, opts: ApproveOptions) => processRequest(ctx, 'reject', id, opts));

  // `access-requests` alone lists; `access-requests typo` is a usage error.
  listCmd(requests)
    .argument('[subcommand]')
    .action(async (sub: string | undefined, opts: ListOptions) => {
      if (sub !== undefined)
        throw usageError(`unknown access-requests subcommand ${JSON.stringify(sub)}: use list, approve or reject`);
      await list(ctx, opts);
    });
}

async function list(ctx: CommandContext, opts: ListOptions): Promise<void> {
  const out = ctx.output(opts);
  const { checkStatus, configAccessRequests, localNameFor } = await import('../fruxon/access-requests.js');
  const status = checkStatus('--status', opts.status ?? 'PENDING');
  const store = await ctx.store();
  const { resolveConfig } = await import('../config/resolve.js');
  const keychain = await ctx.keychain();
  const { connectLinked } = await import('../fruxon/participants.js');
  const config = resolveConfig(store, opts.config);
  const { client, link } = connectLinked(store, config, ctx.env, keychain, ctx.fruxon);
  const rows = (await configAccessRequests(client, link.fruxonConfigId, status)).map((request) => ({
    request,
    local: localNameFor(store, client.tenant, request),
  }));
  const { accessRequestJson, accessRequestTable } = await import('../output/fruxon-participants.js');
  if (opts.json) return out.data(rows.map((r) => accessRequestJson(r.request, r.local)));
  if (rows.length === 0) {
    out.status(
      `No ${status.toLowerCase()} access requests for config ${config.name} (Fruxon config ${link.fruxonConfigId}).`,
    );
    return;
  }
  accessRequestTable(out, rows);
  if (status === 'PENDING')
    out.status(
      `Approve one: fruxon-twilio fruxon access-requests approve ID [--name NAME]; reject: fruxon-twilio fruxon access-requests reject ID (config ${shellQuote(config.name)})`,
    );
}

async function processRequest(
  ctx: CommandContext,
  action: 'approve' | 'reject',
  rawId: string,
  opts: ApproveOptions,
): Promise<void> {
  const out = ctx.output(opts);
  const id = checkId(rawId);
  const { approveAccessRequest, checkMode, localNameFor, rejectAccessRequest } = await import(
    '../fruxon/access-requests.js'
  );
  if (action === 'reject' && (opts.mode !== undefined || opts.name !== undefined || opts.participant !== undefined))
    throw usageError('reject takes only ID and --note');
  const mode = opts.mode !== undefined ? checkMode('--mode', opts.mode) : undefined;
  const { checkName } = await import('../validate.js');
  const name = opts.name !== undefined ? checkName('--name', opts.name) : undefined;
  if (opts.participant !== undefined && !ID.test(opts.participant.trim()))
    throw usageError(`--participant must be a Fruxon participant id (got ${JSON.stringify(opts.participant)})`);
  const store = await ctx.store();
  const keychain = await ctx.keychain();
  const { connectFruxon } = await import('../fruxon/account.js');
  const { client } = connectFruxon(store, ctx.env, keychain, { fruxon: ctx.fruxon });
  const result =
    action === 'approve'
      ? await approveAccessRequest({
          store,
          client,
          id,
          mode,
          name,
          participantId: opts.participant?.trim(),
          note: opts.note,
        })
      : await rejectAccessRequest({ client, id, note: opts.note });
  const { processedJson, processedLine } = await import('../output/fruxon-participants.js');
  if (opts.json) return out.data(processedJson(result, localNameFor(store, client.tenant, result.request)));
  out.success(processedLine(result));
}
