import type { Command } from 'commander';
import { CliError, ExitCode, usageError } from '../errors.js';
import { checkHttpUrl, parseDuration, parsePositiveInt } from '../validate.js';
import type { CommandContext } from './context.js';

export const DEFAULT_EVENTS_LIMIT = 20;
const MAX_EVENTS_LIMIT = 10_000;

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

  events
    .command('list')
    .alias('ls')
    .description('Recorded events, newest first, one line each')
    .option('--config <name>', "only this config's events")
    .option('--status <status>', 'accepted | refused (default: both)')
    .option('--limit <n>', `at most N events`, String(DEFAULT_EVENTS_LIMIT))
    .option('--since <duration>', 'only events received within this long, e.g. 30m, 2h, 7d')
    .option('--json', 'print a JSON array of events (each with its trigger payload, null when refused)')
    .action(async (opts: { config?: string; status?: string; limit: string; since?: string; json?: boolean }) => {
      const out = ctx.output(opts);
      if (opts.status !== undefined && opts.status !== 'accepted' && opts.status !== 'refused') {
        throw usageError(`--status must be accepted or refused (got ${JSON.stringify(opts.status)})`);
      }
      const limit = parsePositiveInt('--limit', opts.limit, { max: MAX_EVENTS_LIMIT });
      const since = opts.since !== undefined ? new Date(Date.now() - parseDuration('--since', opts.since)).toISOString() : undefined;
      const store = await ctx.store();
      let configId: string | undefined;
      if (opts.config !== undefined) {
        const { resolveConfig } = await import('../config/resolve.js');
        configId = resolveConfig(store, opts.config).id;
      }
      const rows = store.events.list({ configId, status: opts.status as 'accepted' | 'refused' | undefined, since, limit });
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
      if (rows.length === limit) out.status(out.errColor.dim(`showing the newest ${limit}; see more with --limit N or narrow with --since/--config/--status`));
    });

  events
    .command('show')
    .description('One event in full: trigger payload, raw form, signature check, forward outcome')
    .argument('<id>', 'event id (from events list)')
    .option('--json', 'print the whole stored event as JSON, with raw_form and headers')
    .action(async (rawId: string, opts: { json?: boolean }) => {
      const out = ctx.output(opts);
      const event = await findEvent(ctx, rawId);
      const { eventDetailJson, printEventDetail } = await import('../output/events.js');
      if (opts.json) return out.data(eventDetailJson(event));
      printEventDetail(out, event);
    });

  events
    .command('replay')
    .description('Deliver a stored event again: its trigger JSON to a URL, or its form to the running listener')
    .argument('<id>', 'event id (from events list)')
    .option('--forward-to <url>', 'POST the trigger envelope JSON {trigger, config, event_id, received_at, payload} here')
    .option('--to-listener', "re-send the stored form to the config's running listener, freshly signed as Twilio would")
    .option('--new-sid', '--to-listener: give the message a fresh MessageSid, so the listener takes it as a new message')
    .option('--auth-token-stdin', '--to-listener with an API Key config: read the Auth Token from standard input (default: $TWILIO_AUTH_TOKEN)')
    .option('--json', 'print the outcome as JSON')
    .addHelpText(
      'after',
      `
The listener records one event per MessageSid: a --to-listener replay of an accepted event is answered 200
and reported as a duplicate (no new trigger) unless --new-sid is given.
Exit codes: 0 the target answered 2xx, 1 another status or no answer, 2 usage.`,
    )
    .action(async (rawId: string, opts: { forwardTo?: string; toListener?: boolean; newSid?: boolean; authTokenStdin?: boolean; json?: boolean }) => {
      const out = ctx.output(opts);
      if (Boolean(opts.forwardTo) === Boolean(opts.toListener)) {
        throw usageError('pass exactly one of --forward-to URL (the trigger JSON) or --to-listener (the Twilio form, signed)');
      }
      if (opts.newSid && !opts.toListener) throw usageError('--new-sid goes with --to-listener');
      const forwardTo = opts.forwardTo !== undefined ? checkHttpUrl('--forward-to', opts.forwardTo) : undefined;
      const event = await findEvent(ctx, rawId);
      if (forwardTo !== undefined) return replayForward(ctx, out, event, forwardTo, opts.json);
      return replayToListener(ctx, out, event, { newSid: Boolean(opts.newSid), authTokenStdin: Boolean(opts.authTokenStdin), json: opts.json });
    });

  events
    .command('prune')
    .description('Delete events older than a duration')
    .option('--older-than <duration>', 'e.g. 7d, 12h, 30m (0 deletes every event)')
    .option('--json', 'print {deleted, before} as JSON')
    .action(async (opts: { olderThan?: string; json?: boolean }) => {
      const out = ctx.output(opts);
      if (opts.olderThan === undefined) throw usageError('missing --older-than: a duration like 7d, 12h or 30m');
      const before = new Date(Date.now() - parseDuration('--older-than', opts.olderThan)).toISOString();
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
  const event = store.events.byId(id);
  if (!event) throw new CliError(`no event #${id}`, { reason: 'not_found', hint: 'list them with: fruxon-twilio events list' });
  return event;
}

async function replayForward(ctx: CommandContext, out: Out, event: Event, url: string, json?: boolean): Promise<void> {
  const { replayForward: replay } = await import('../listener/replay.js');
  const r = await replay(event, url);
  if (json) out.data({ event_id: r.event_id, target: r.target, url: r.url, status: r.status, ms: r.ms, ok: r.ok });
  else out.line(`${(r.ok ? out.color.green : out.color.red)(String(r.status))} from ${url} ${out.color.dim(`(${r.ms} ms, event #${event.id})`)}`);
  if (!r.ok) {
    out.status(`the target did not accept the trigger (HTTP ${r.status})`);
    ctx.exitCode = ExitCode.failure;
  }
}

async function replayToListener(ctx: CommandContext, out: Out, event: Event, opts: { newSid: boolean; authTokenStdin: boolean; json?: boolean }): Promise<void> {
  const store = await ctx.store();
  const { replayToListener: replay } = await import('../listener/replay.js');
  const { webhookAuthToken } = await import('./simulate.js');
  const r = await replay({ store, event, newSid: opts.newSid, authToken: (config) => webhookAuthToken(ctx, config, opts.authTokenStdin) });
  if (opts.json) {
    out.data({ event_id: r.event_id, target: r.target, url: r.url, status: r.status, message_sid: r.message_sid, new_sid: r.new_sid, ok: r.ok });
  } else {
    out.line(`${(r.ok ? out.color.green : out.color.red)(`${r.status} ${r.status_text}`.trim())} from ${r.url} ${out.color.dim(`(event #${event.id}, ${r.message_sid ?? 'no MessageSid'})`)}`);
  }
  if (!r.ok) {
    out.status(`the listener did not accept the replay (HTTP ${r.status}${r.detail ? `: ${r.detail}` : ''})`);
    ctx.exitCode = ExitCode.failure;
  } else if (r.duplicate_expected) {
    out.status(out.errColor.dim(`the listener already has ${event.messageSid}: it records it once (a duplicate, no new trigger); pass --new-sid to replay it as a new message`));
  }
}
