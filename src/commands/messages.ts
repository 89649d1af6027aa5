import type { Command } from 'commander';
import { usageError } from '../errors.js';
import type { CommandContext } from './context.js';

interface ListOptions {
  config?: string;
  limit: string;
  direction?: string;
  json?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  const messages = program
    .command('messages')
    .description("Recent messages to and from the config's number (SMS and WhatsApp), from Twilio's Messages list")
    .addHelpText(
      'after',
      `
Examples:
  $ fruxon-twilio messages list                       # the 20 newest, both directions
  $ fruxon-twilio messages list --direction in --limit 50 --json
  $ fruxon-twilio messages show SM0123456789abcdef0123456789abcdef
  $ fruxon-twilio messages tail --since 10m              # both sides, live; Ctrl-C ends it`,
    );

  messages
    .command('list')
    .description('Recent messages, newest first: time, direction, channel, other party, status, body, error code')
    .option('--config <name>', 'config name (default: the default config)')
    .option('--limit <n>', 'how many messages (1 to 1000)', '20')
    .option('--direction <in|out>', 'only messages that arrived (in) or were sent (out)')
    .option('--json', 'print a JSON array (bodies in full)')
    .action(async (opts: ListOptions) => {
      const out = ctx.output(opts);
      const { parsePositiveInt } = await import('../validate.js');
      const { listConfigMessages, MAX_MESSAGES_LIMIT } = await import('../operations/messages.js');
      const limit = parsePositiveInt('--limit', opts.limit, { min: 1, max: MAX_MESSAGES_LIMIT });
      if (opts.direction !== undefined && opts.direction !== 'in' && opts.direction !== 'out') {
        throw usageError(`--direction must be in or out (got ${JSON.stringify(opts.direction)})`);
      }
      const { config, messages: list } = await listConfigMessages(await ctx.coreDeps(), {
        config: opts.config,
        limit,
        direction: opts.direction as 'in' | 'out' | undefined,
      });
      const { historyMessageJson } = await import('../output/messages.js');
      const { printMessageTable } = await import('../output/message-history.js');
      if (opts.json) return out.data(list.map((m) => historyMessageJson(m)));
      if (list.length === 0) {
        out.status(
          `No messages${opts.direction ? ` ${opts.direction === 'in' ? 'to' : 'from'}` : ' to or from'} ${config.fromNumber} yet.`,
        );
        return;
      }
      printMessageTable(out, list);
    });

  messages
    .command('show')
    .description('One message in full, with its media URLs')
    .argument('<sid>', 'the Message SID (SM… or MM…)')
    .option('--config <name>', 'config name (default: the default config)')
    .option('--json', 'print JSON')
    .action(async (sid: string, opts: { config?: string; json?: boolean }) => {
      const out = ctx.output(opts);
      const { MESSAGE_SID } = await import('../validate.js');
      if (!MESSAGE_SID.test(sid.trim())) {
        throw usageError(
          `SID must be a Twilio Message SID: SM or MM followed by 32 lowercase hex characters (got ${JSON.stringify(sid.length > 40 ? sid.slice(0, 37) + '...' : sid)})`,
        );
      }
      const { getConfigMessage } = await import('../operations/messages.js');
      const { message, media, mediaError } = await getConfigMessage(await ctx.coreDeps(), {
        config: opts.config,
        sid: sid.trim(),
      });
      if (mediaError) out.warn((await import('../output/index.js')).safe(mediaError));
      const { messageDetailJson } = await import('../output/messages.js');
      const { printMessageDetail } = await import('../output/message-history.js');
      if (opts.json) return out.data(messageDetailJson(message, media));
      printMessageDetail(out, message, media);
    });

  messages
    .command('tail')
    .description(
      "Follow the number's traffic live from Twilio's Messages list: inbound, outbound (this tool's, the agent's through the API), each status change, webhook alerts. Never changes a webhook",
    )
    .option('--config <name>', 'config name (default: the default config)')
    .option('--since <duration>', 'show what happened in this window before the start too (e.g. 10m)')
    .option('--channel <sms|whatsapp>', 'one channel only (default: both)')
    .option('--timeout <duration>', 'end after this long (exit 0)')
    .option('--json', 'one JSON object per line: {"kind": "message"|"status"|"alert"|"fruxon", ...}')
    .addHelpText(
      'after',
      `
At most two list requests per second while traffic flows, backing off to one pair of lists every 10 s when
idle; a 429 waits its Retry-After. Ctrl-C (or --timeout) ends it with exit code 0.`,
    )
    .action(async (opts: TailCommandOptions) => {
      const out = ctx.output(opts);
      const { MAX_TIMER_MS, parseDuration } = await import('../validate.js');
      if (opts.channel !== undefined && opts.channel !== 'sms' && opts.channel !== 'whatsapp') {
        throw usageError(`--channel must be sms or whatsapp (got ${JSON.stringify(opts.channel)})`);
      }
      const sinceMs = opts.since !== undefined ? parseDuration('--since', opts.since) : undefined;
      const timeoutMs =
        opts.timeout !== undefined ? parseDuration('--timeout', opts.timeout, { max: MAX_TIMER_MS }) : undefined;
      const { tailMessages } = await import('../operations/tail.js');
      const { printTailEvent, tailEventJson } = await import('../output/tail.js');
      const { safe } = await import('../output/index.js');
      const stopper = ctx.untilStopped();
      try {
        const summary = await tailMessages(await ctx.coreDeps({ signal: stopper.signal }), {
          config: opts.config,
          sinceMs,
          channel: opts.channel as 'sms' | 'whatsapp' | undefined,
          timeoutMs,
          onStart: (s) =>
            out.status(
              `Following ${safe(s.number)} (${s.channels.join(' and ')}) of config ${safe(s.config.name)} since ${s.since.toISOString()}; Ctrl-C to stop`,
            ),
          onEvent: (e) => (opts.json ? out.data(tailEventJson(e)) : printTailEvent(out, e)),
          onWarning: (text) => out.warn(safe(text)),
        });
        const { message, status, alert, fruxon } = summary.events;
        out.status(
          `Stopped${summary.endedBy === 'timeout' ? ' (--timeout)' : ''}: ${message} message(s), ${status} status change(s), ${alert} alert(s)${fruxon ? `, ${fruxon} Fruxon line(s)` : ''}, ${summary.requests} list request(s).`,
        );
      } finally {
        stopper.dispose();
      }
    });

  messages
    .command('redeliver')
    .description(
      "POST inbound messages again as Twilio would have (the form rebuilt from Twilio's log, signed): by default to the webhook of the layer that routes them now",
    )
    .argument('[sid...]', 'Message SIDs (SM… or MM…) of inbound messages to the number')
    .option(
      '--missed',
      "instead of SIDs: every inbound message Twilio logged since --since that this machine's store has no event for",
    )
    .option(
      '--since <duration>',
      "with --missed: how far back (default: since the config's newest recorded event, at most 24h)",
    )
    .option('--config <name>', 'config name (default: the default config)')
    .option('--to <url>', "post to this URL instead of the layer's current webhook")
    .option('--to-listener', "post to the config's running listener")
    .option('--auth-token-stdin', "an API Key config: read the account's Auth Token (which signs) from standard input")
    .option('--json', 'one JSON object per message')
    .addHelpText(
      'after',
      `
Examples:
  $ fruxon-twilio messages tail                       # an alert: Twilio could not deliver SM… (11200)
  $ fruxon-twilio messages redeliver SM0123456789abcdef0123456789abcdef
  $ fruxon-twilio messages redeliver SM… SM… --to-listener
  $ fruxon-twilio messages redeliver --missed --to-listener   # a laptop that slept: what the listener missed

Exit 0 when every message was answered 2xx; 1 when one was refused (outbound, another number's, unknown) or
was not answered 2xx.`,
    )
    .action(async (sids: string[], opts: RedeliverCommandOptions) => {
      const out = ctx.output(opts);
      const { MESSAGE_SID, checkHttpUrl } = await import('../validate.js');
      for (const sid of sids) {
        if (!MESSAGE_SID.test(sid.trim()))
          throw usageError(
            `SID must be a Twilio Message SID: SM or MM followed by 32 lowercase hex characters (got ${JSON.stringify(sid.length > 40 ? sid.slice(0, 37) + '...' : sid)})`,
          );
      }
      if (opts.to !== undefined && opts.toListener) throw usageError('--to and --to-listener exclude each other');
      if (opts.missed && sids.length > 0)
        throw usageError('--missed finds the SIDs itself: give SIDs or --missed, not both');
      if (!opts.missed && sids.length === 0)
        throw usageError('give the SIDs of the messages to redeliver (or --missed)');
      if (opts.since !== undefined && !opts.missed) throw usageError('--since goes with --missed');
      const url = opts.to !== undefined ? checkHttpUrl('--to', opts.to) : undefined;
      const deps = await ctx.coreDeps();
      const { store } = deps;
      const { redeliverMessages, missedSinceDefault } = await import('../operations/redeliver.js');
      const { parseDuration } = await import('../validate.js');
      let missedSince: Date | undefined;
      if (opts.missed) {
        const { resolveConfig } = await import('../config/resolve.js');
        const config = resolveConfig(store, ...(opts.config !== undefined ? [opts.config] : []));
        missedSince =
          opts.since !== undefined
            ? new Date(ctx.now().getTime() - parseDuration('--since', opts.since))
            : missedSinceDefault(store, config.id, ctx.now());
      }
      const { readStdin } = await import('./input.js');
      const { config, results } = await redeliverMessages(deps, {
        config: opts.config,
        sids: [...new Set(sids.map((s) => s.trim()))],
        url,
        toListener: Boolean(opts.toListener),
        missedSince,
        readAuthToken: opts.authTokenStdin ? () => readStdin(ctx.io, '--auth-token-stdin') : undefined,
      });
      const { printRedeliverResult, redeliverJson } = await import('../output/redeliver.js');
      for (const r of results) {
        if (opts.json) out.data({ ...redeliverJson(r), config: config.name });
        else printRedeliverResult(out, r);
      }
      if (opts.missed && results.length === 0 && !opts.json)
        out.status(`Nothing missed: every inbound message since ${missedSince!.toISOString()} is recorded here.`);
      if (results.some((r) => !r.ok)) ctx.exitCode = 1;
    });
}

interface RedeliverCommandOptions {
  config?: string;
  missed?: boolean;
  since?: string;
  to?: string;
  toListener?: boolean;
  authTokenStdin?: boolean;
  json?: boolean;
}

interface TailCommandOptions {
  config?: string;
  since?: string;
  channel?: string;
  timeout?: string;
  json?: boolean;
}
