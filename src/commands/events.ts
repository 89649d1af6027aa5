import type { Command } from 'commander';
import { CliError, ExitCode, usageError } from '../errors.js';
import { DEFAULT_EVENTS_LIMIT, MAX_EVENTS_LIMIT } from '../store/events.js';
import { checkHttpUrl, durationBefore, parsePositiveInt } from '../validate.js';
import type { CommandContext } from './context.js';
import { readStdin } from './input.js';

export function register(program: Command, ctx: CommandContext): void {
  const events = program
    .command('events')
    .enablePositionalOptions()
    .description('What listen recorded (accepted and refused requests): list, show, replay, prune')
    .addHelpText(
      'after',
      `
Examples:
  $ fruxon-twilio events list --since 2h
  $ fruxon-twilio events show 42 --json
  $ fruxon-twilio events replay 42 --forward-to http://localhost:3000/trigger
  $ fruxon-twilio events replay 42 --to-listener --new-sid
  $ fruxon-twilio events prune --older-than 7d

Events live in the local SQLite store. listen deletes those older than 30 days when it starts
(FRUXON_TWILIO_RETENTION_DAYS=N to change it, 0 to keep every event).`,
    );

  const list = async (opts: {
    config?: string;
    status?: string;
    kind?: string;
    limit: string;
    since?: string;
    json?: boolean;
  }) => {
    const out = ctx.output(opts);
    if (opts.kind !== undefined && opts.kind !== 'message' && opts.kind !== 'status') {
      throw usageError(`--kind must be message or status (got ${JSON.stringify(opts.kind)})`);
    }
    if (opts.kind === 'status') {
      if (opts.status !== undefined)
        throw usageError('--status (accepted | refused) is for messages: do not pass it with --kind status');
      const limit = parsePositiveInt('--limit', opts.limit, { max: MAX_EVENTS_LIMIT });
      const since = opts.since !== undefined ? durationBefore('--since', opts.since, ctx.now()) : undefined;
      const store = await ctx.store();
      const { resolveConfig } = await import('../config/resolve.js');
      const configId = opts.config !== undefined ? resolveConfig(store, opts.config).id : undefined;
      const rows = store.events.listStatuses({ configId, since, limit });
      const { statusEventJson, printStatusList } = await import('../output/events.js');
      if (opts.json) return out.data(rows.map((r) => statusEventJson(r.configName, r)));
      if (rows.length === 0) return out.status('No status events match.');
      printStatusList(out, rows);
      out.status(out.errColor.dim('status events have their own ids: events show ID --kind status'));
      return;
    }
    if (opts.status !== undefined && opts.status !== 'accepted' && opts.status !== 'refused') {
      throw usageError(`--status must be accepted or refused (got ${JSON.stringify(opts.status)})`);
    }
    const limit = parsePositiveInt('--limit', opts.limit, { max: MAX_EVENTS_LIMIT });
    const since = opts.since !== undefined ? durationBefore('--since', opts.since, ctx.now()) : undefined;
    const store = await ctx.store();
    const { listEvents } = await import('../operations/events.js');
    const rows = listEvents(store, {
      config: opts.config,
      status: opts.status as 'accepted' | 'refused' | undefined,
      since,
      limit,
    });
    const { eventJson, printEventList } = await import('../output/events.js');
    if (opts.json) return out.data(rows.map(eventJson));
    if (rows.length === 0) {
      out.status(
        opts.config !== undefined || opts.status !== undefined || opts.since !== undefined
          ? 'No events match.'
          : 'No events yet. Run fruxon-twilio listen, then text the number (or: fruxon-twilio simulate --from +14155550123).',
      );
      return;
    }
    printEventList(out, rows);
    if (rows.length === limit)
      out.status(
        out.errColor.dim(
          `showing the newest ${limit}; see more with --limit N or narrow with --since/--config/--status`,
        ),
      );
  };
  events
    .command('list')
    .alias('ls')
    .description('Recorded events, newest first, one line each')
    .option('--config <name>', "only this config's events")
    .option('--status <status>', 'accepted | refused (default: both)')
    .option(
      '--kind <kind>',
      'message | status: inbound messages, or the delivery-status callbacks listen received (default: message)',
    )
    .option('--limit <n>', `at most N events (1 to ${MAX_EVENTS_LIMIT})`, String(DEFAULT_EVENTS_LIMIT))
    .option('--since <duration>', 'only events received within this long, e.g. 30m, 2h, 7d')
    .option('--json', 'print a JSON array of events (each with its trigger payload, null when refused)')
    .action(list);

  // `events` alone lists (as `configs` does); `events typo` is a usage error, not a silent list.
  events
    .option('--config <name>', "with no subcommand: only this config's events")
    .option('--status <status>', 'with no subcommand: accepted | refused')
    .option('--kind <kind>', 'with no subcommand: message | status')
    .option(
      '--limit <n>',
      `with no subcommand: at most N events (1 to ${MAX_EVENTS_LIMIT})`,
      String(DEFAULT_EVENTS_LIMIT),
    )
    .option('--since <duration>', 'with no subcommand: only events received within this long')
    .option('--json', 'with no subcommand: print the list as a JSON array')
    .argument('[subcommand]')
    .action(async (sub: string | undefined, opts: Parameters<typeof list>[0]) => {
      if (sub !== undefined)
        throw new CliError(`unknown events subcommand ${JSON.stringify(sub)}: use list, show, replay or prune`, {
          exitCode: 2,
          reason: 'invalid_argument',
        });
      await list(opts);
    });

  events
    .command('show')
    .description('One event in full: trigger payload, raw form, signature check, forward outcome')
    .argument('<id>', 'event id (from events list)')
    .option(
      '--kind <kind>',
      'message | status: a message event, or a delivery-status event (their ids are separate; default: message)',
    )
    .option('--json', 'print the whole stored event as JSON, with raw_form and headers')
    .action(async (rawId: string, opts: { kind?: string; json?: boolean }) => {
      const out = ctx.output(opts);
      if (opts.kind !== undefined && opts.kind !== 'message' && opts.kind !== 'status') {
        throw usageError(`--kind must be message or status (got ${JSON.stringify(opts.kind)})`);
      }
      const view = await import('../output/events.js');
      if (opts.kind === 'status') {
        const id = parsePositiveInt('ID', rawId.replace(/^#/, ''));
        const { getStatusEvent } = await import('../operations/events.js');
        const s = getStatusEvent(await ctx.store(), id);
        if (opts.json) return out.data(view.statusEventJson(s.configName, s));
        view.printStatusDetail(out, s);
        return;
      }
      const event = await findEvent(ctx, rawId);
      if (opts.json) return out.data(view.eventDetailJson(event));
      view.printEventDetail(out, event);
    });

  events
    .command('replay')
    .description('Deliver a stored event again: its trigger JSON to a URL, or its form to the running listener')
    .argument('<id>', 'event id (from events list)')
    .option(
      '--forward-to <url>',
      'POST the trigger envelope JSON {trigger, config, event_id, received_at, payload} here',
    )
    .option('--to-listener', "re-send the stored form to the config's running listener, freshly signed as Twilio would")
    .option(
      '--new-sid',
      '--to-listener: give the message a fresh MessageSid, so the listener takes it as a new message',
    )
    .option(
      '--auth-token-stdin',
      '--to-listener with an API Key config: read the Auth Token from standard input (default: $TWILIO_AUTH_TOKEN)',
    )
    .option('--json', 'print the outcome as JSON')
    .addHelpText(
      'after',
      `
The listener records one event per MessageSid: a --to-listener replay of an accepted event is answered 200
and reported as a duplicate (no new trigger) unless --new-sid is given.
Exit codes: 0 the target answered 2xx, 1 another status or no answer, 2 usage.`,
    )
    .action(
      async (
        rawId: string,
        opts: { forwardTo?: string; toListener?: boolean; newSid?: boolean; authTokenStdin?: boolean; json?: boolean },
      ) => {
        const out = ctx.output(opts);
        if (Boolean(opts.forwardTo) === Boolean(opts.toListener)) {
          throw usageError(
            'pass exactly one of --forward-to URL (the trigger JSON) or --to-listener (the Twilio form, signed)',
          );
        }
        if (opts.newSid && !opts.toListener) throw usageError('--new-sid goes with --to-listener');
        const forwardTo = opts.forwardTo !== undefined ? checkHttpUrl('--forward-to', opts.forwardTo) : undefined;
        const event = await findEvent(ctx, rawId);
        if (forwardTo !== undefined) return replayForward(ctx, out, event, forwardTo, opts.json);
        return replayToListener(ctx, out, event, {
          newSid: Boolean(opts.newSid),
          authTokenStdin: Boolean(opts.authTokenStdin),
          json: opts.json,
        });
      },
    );

  events
    .command('prune')
    .description('Delete events older than a duration')
    .option('--older-than <duration>', 'e.g. 7d, 12h, 30m (0 deletes every event)')
    .option('--json', 'print {deleted, before} as JSON')
    .action(async (opts: { olderThan?: string; json?: boolean }) => {
      const out = ctx.output(opts);
      if (opts.olderThan === undefined) throw usageError('missing --older-than: a duration like 7d, 12h or 30m');
      const before = durationBefore('--older-than', opts.olderThan, ctx.now());
      const store = await ctx.store();
      const deleted = store.events.pruneBefore(before);
      if (opts.json) return out.data({ deleted, before });
      out.success(`Deleted ${deleted} event${deleted === 1 ? '' : 's'} received before ${before}.`);
    });
}

type Out = ReturnType<CommandContext['output']>;
type Event = import('../store/index.js').StoredEvent;

async function findEvent(ctx: CommandContext, rawId: string): Promise<Event> {
  const id = parsePositiveInt('ID', rawId.replace(/^#/, ''));
  const store = await ctx.store();
  const { getEvent } = await import('../operations/events.js');
  return getEvent(store, id);
}

async function replayForward(ctx: CommandContext, out: Out, event: Event, url: string, json?: boolean): Promise<void> {
  const replay = await import('../operations/replay.js');
  const r = await replay.replayForward(event, url, ctx.trace());
  const ok = r.ok;
  if (json) out.data({ event_id: event.id, target: 'forward', url, status: r.status, ms: Math.round(r.ms), ok });
  else
    out.line(
      `${(ok ? out.color.green : out.color.red)(String(r.status))} from ${url} ${out.color.dim(`(${Math.round(r.ms)} ms, event #${event.id})`)}`,
    );
  if (!ok) {
    out.status(`the target did not accept the trigger (HTTP ${r.status})`);
    ctx.exitCode = ExitCode.failure;
  }
}

async function replayToListener(
  ctx: CommandContext,
  out: Out,
  event: Event,
  opts: { newSid: boolean; authTokenStdin: boolean; json?: boolean },
): Promise<void> {
  const store = await ctx.store();
  const replay = await import('../operations/replay.js');
  const { webhookSigningToken } = await import('../config/resolve.js');
  const secrets = await ctx.secrets();
  const r = await replay.replayToListener({
    store,
    event,
    newSid: opts.newSid,
    trace: ctx.trace(),
    authToken: (config) =>
      webhookSigningToken(
        config,
        ctx.env,
        () => secrets,
        opts.authTokenStdin ? () => readStdin(ctx.io, '--auth-token-stdin') : undefined,
      ),
  });
  const ok = r.ok;
  if (opts.json) {
    out.data({
      event_id: event.id,
      target: 'listener',
      url: r.url,
      status: r.status,
      message_sid: r.messageSid,
      new_sid: opts.newSid,
      ok,
    });
  } else {
    out.line(
      `${(ok ? out.color.green : out.color.red)(`${r.status} ${r.statusText}`.trim())} from ${r.url} ${out.color.dim(`(event #${event.id}, ${r.messageSid ?? 'no MessageSid'})`)}`,
    );
  }
  if (!ok) {
    out.status(
      `the listener did not accept the replay (HTTP ${r.status}${r.body.trim() ? `: ${r.body.trim().split('\n')[0]!.slice(0, 200)}` : ''})`,
    );
    ctx.exitCode = ExitCode.failure;
  } else if (!opts.newSid && event.status === 'accepted') {
    out.status(
      out.errColor.dim(
        `the listener already has ${event.messageSid}: it records it once (a duplicate, no new trigger); pass --new-sid to replay it as a new message`,
      ),
    );
  }
}
