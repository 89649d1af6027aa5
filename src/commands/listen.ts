import type { Command } from 'commander';
import { CliError, ExitCode, usageError } from '../errors.js';
import type { ListenHooks } from '../listener/session.js';
import { stripChannel } from '../phone.js';
import { checkHttpUrl, MAX_TIMER_MS, parseDuration, parsePort, parsePositiveInt } from '../validate.js';
import type { CommandContext } from './context.js';
import { readStdin } from './input.js';

export const DEFAULT_LISTEN_PORT = 7337;

interface Options {
  config?: string;
  host: string;
  port: string;
  tunnel?: string;
  publicUrl?: string;
  ngrokAuthtokenStdin?: boolean;
  authTokenStdin?: boolean;
  register: boolean;
  skipVerify?: boolean;
  forwardTo?: string;
  json?: boolean;
  interactive: boolean;
  once?: boolean;
  max?: string;
  timeout?: string;
  inspect: boolean;
  inspectPort?: string;
  messagingService?: boolean;
  channel?: string;
  statuses?: boolean;
  checkMissed: string;
  catchUp?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('listen')
    .description("Receive the config's inbound SMS/WhatsApp locally as twilio.message.received trigger payloads")
    .option('--config <name>', 'config to listen for (default: the default config)')
    .option('--host <host>', 'address the local listener binds to', '127.0.0.1')
    .option('--port <port>', `local port (0 = any free port)`, String(DEFAULT_LISTEN_PORT))
    .option('--tunnel <kind>', 'ngrok | none (default: ngrok; none when the config points at the emulator)')
    .option(
      '--public-url <url>',
      'use a tunnel you already run (cloudflared, a reverse proxy) that forwards to the local port',
    )
    .option('--ngrok-authtoken-stdin', 'read the ngrok authtoken from standard input (default: $NGROK_AUTHTOKEN)')
    .option(
      '--auth-token-stdin',
      'API Key configs: read the Auth Token that Twilio signs webhooks with from standard input (default: $TWILIO_AUTH_TOKEN)',
    )
    .option('--no-register', "do not touch the number's webhook (point it at the printed URL yourself)")
    .option(
      '--messaging-service',
      "when the number's Messaging Service receives its messages: point the service's inbound URL here (it serves every number in it), put back on stop",
    )
    .option(
      '--statuses',
      'with --json: also print each delivery-status callback as a {"event":"message.status",…} line',
    )
    .option(
      '--check-missed <seconds>',
      'every N seconds, ask Twilio for inbound messages that never reached the listener and warn once about each (0 = off)',
      '15',
    )
    .option('--channel <channel>', 'sms | whatsapp | both (default: every channel the number has)')
    .option('--skip-verify', 'accept requests without a valid X-Twilio-Signature (unsafe)')
    .option('--forward-to <url>', 'also POST each trigger JSON to this URL (your agent or server)')
    .option('--json', 'one JSON object per event on stdout, nothing else')
    .option('--no-interactive', 'print lines as when piped, even on a terminal (no key-driven screen)')
    .option('--once', 'exit 0 after the first event')
    .option('--max <n>', 'exit 0 after N events')
    .option(
      '--timeout <duration>',
      'give up after this long (seconds, or 90s, 2m, 1h): exit 3 unless the requested events arrived',
    )
    .option(
      '--inspect-port <port>',
      'port of the web inspector on 127.0.0.1 (default 7339, another free one if taken; 0 = any free port)',
    )
    .option('--no-inspect', 'do not serve the web inspector')
    .option(
      '--catch-up',
      "first feed the listener what Twilio logged for the number while no listener ran here (since the config's newest recorded event, at most 24 h): signed as Twilio signs, once per MessageSid, marked recovered",
    )
    .addHelpText(
      'after',
      `
Examples:
  $ fruxon-twilio listen                                   # ngrok tunnel (NGROK_AUTHTOKEN), registers the webhook
  $ fruxon-twilio listen --public-url https://my.trycloudflare.com
  $ fruxon-twilio listen --json --once --timeout 60 > event.json   # CI: wait for one message

On SIGINT/SIGTERM/SIGHUP, --once/--max, --timeout or a fatal error, the number's previous webhook is put
back (unless someone changed it meanwhile). After a crash, the next listen (or fruxon-twilio restore) does it.
Exit codes: 0 events arrived or clean stop, 3 timed out, 4 webhook registration/restore failed, 5 another listener holds the number.`,
    )
    .action((opts: Options) => run(ctx, opts));
}

async function run(ctx: CommandContext, opts: Options): Promise<void> {
  const out = ctx.output({ json: opts.json });
  const env = ctx.env;
  const c = out.errColor;

  const port = parsePort('--port', opts.port);
  const inspectPort = opts.inspectPort !== undefined ? parsePort('--inspect-port', opts.inspectPort) : undefined;
  if (!opts.inspect && inspectPort !== undefined)
    throw usageError('--inspect-port and --no-inspect contradict each other: pass one');
  const max = opts.max !== undefined ? parsePositiveInt('--max', opts.max) : opts.once ? 1 : undefined;
  if (opts.once && opts.max !== undefined) throw usageError('--once and --max N say the same thing: pass one of them');
  const timeoutMs =
    opts.timeout !== undefined ? parseDuration('--timeout', opts.timeout, { max: MAX_TIMER_MS }) : undefined;
  if (timeoutMs !== undefined && timeoutMs <= 0)
    throw usageError(`--timeout must be more than zero (got ${JSON.stringify(opts.timeout)})`);
  if (opts.tunnel !== undefined && !['ngrok', 'none'].includes(opts.tunnel))
    throw usageError(`--tunnel must be ngrok or none (got ${JSON.stringify(opts.tunnel)})`);
  if (opts.tunnel && opts.publicUrl) throw usageError('--public-url replaces the tunnel: do not pass --tunnel with it');
  const publicUrl = opts.publicUrl ? checkHttpUrl('--public-url', opts.publicUrl).replace(/\/+$/, '') : undefined;
  const forwardTo = opts.forwardTo ? checkHttpUrl('--forward-to', opts.forwardTo) : undefined;
  if (opts.channel !== undefined && !['sms', 'whatsapp', 'both'].includes(opts.channel))
    throw usageError(`--channel must be sms, whatsapp or both (got ${JSON.stringify(opts.channel)})`);
  const channels =
    opts.channel === undefined
      ? undefined
      : opts.channel === 'both'
        ? (['sms', 'whatsapp'] as const)
        : ([opts.channel] as ['sms' | 'whatsapp']);
  if (!/^\d+$/.test(opts.checkMissed))
    throw usageError(
      `--check-missed must be a whole number of seconds, 0 to turn it off (got ${JSON.stringify(opts.checkMissed)})`,
    );
  const checkMissedMs = Math.min(Number(opts.checkMissed) * 1000, MAX_TIMER_MS);
  if (opts.ngrokAuthtokenStdin && opts.authTokenStdin)
    throw usageError('--ngrok-authtoken-stdin and --auth-token-stdin read the same standard input: pass one of them');

  const store = await ctx.store();
  const { applyRetention, retentionDays } = await import('../store/events.js');
  const { REFUSED_DETAILS_PER_MINUTE: REFUSED_PER_MINUTE } = await import('../listener/refusals.js');
  const pruned = applyRetention(store.events, env, ctx.now().getTime()); // the default retention: the event log never grows without bound
  if (pruned > 0)
    out.status(c.dim(`pruned ${pruned} event(s) older than ${retentionDays(env)} days (FRUXON_TWILIO_RETENTION_DAYS)`));
  const { resolveConfig } = await import('../config/resolve.js');
  const config = resolveConfig(store, ...(opts.config !== undefined ? [opts.config] : []));
  const secrets = await ctx.secrets();
  const { planListen } = await import('../listener/plan.js');
  const plan = await planListen(
    {
      tunnel: opts.tunnel as 'ngrok' | 'none' | undefined,
      publicUrl,
      ngrokAuthtokenStdin: opts.ngrokAuthtokenStdin,
      authTokenStdin: opts.authTokenStdin,
      register: opts.register,
      skipVerify: Boolean(opts.skipVerify),
    },
    config,
    { store, env, secrets: () => secrets, readStdin: (what) => readStdin(ctx.io, what) },
  );
  const { authToken } = plan;
  for (const w of plan.warnings) out.warn(c.bold(w.message));

  const twilio = plan.credentials ? await ctx.twilio(plan.credentials) : null;
  const { ListenSession, teeHooks } = await import('../listener/session.js');
  const { tookMissed } = await import('../listener/missed.js');
  const { printEvent, statusEventJson } = await import('../output/events.js');
  const { safe } = await import('../output/index.js');

  let finish: (reason: 'done' | 'signal' | 'timeout') => void = () => {};
  const finished = new Promise<'done' | 'signal' | 'timeout'>((r) => (finish = r));

  // A linked config: say once per number when a sender is no participant on Fruxon (looked up off the hot path).
  const link = store.fruxon.link(config.id);
  let hints: import('../fruxon/sender-hint.js').SenderHints | null = null;
  if (link) {
    const [{ senderHints }, { connectFruxon }, { senderHintLine }] = await Promise.all([
      import('../fruxon/sender-hint.js'),
      import('../fruxon/account.js'),
      import('../output/fruxon-participants.js'),
    ]);
    const localName = store.participants.contactBook(config.id).nameFor;
    hints = senderHints({
      connect: () => connectFruxon(store, env, () => secrets, { tenant: link.tenant, timeoutMs: 5000 }).client,
      fruxonConfigId: link.fruxonConfigId,
      onHint: (h) => out.status(c.yellow(senderHintLine(h, config.name, localName(h.number)))),
      onError: (m) =>
        out.status(
          c.dim(`Fruxon participants not checked (${m}); senders are not looked up on Fruxon for the rest of this run`),
        ),
    });
  }

  // On a terminal: the key-driven screen (src/interactive), loaded only then; piped or --json: the lines below.
  const screen =
    !opts.json && opts.interactive && ctx.io.stdin.isTTY && ctx.io.stdout.isTTY
      ? (await import('../interactive/index.js')).createListenScreen({
          io: ctx.io,
          store,
          config,
          secrets: () => secrets,
          twilio: ctx.twilio,
          authToken,
          forwardTo,
          afterEvent: () => void (max !== undefined && session.accepted >= max && finish('done')),
        })
      : null;
  let jsonLines: string[] = [];
  // The inspector consumes the session through its hooks, next to ours (src/inspector/listen.ts).
  const inspector = opts.inspect ? await import('../inspector/listen.js') : null;
  let inspectorHooks: ListenHooks | undefined;
  // The lines of a plain (piped or --json) listen; on a terminal the screen's hooks take their place.
  const lineHooks: ListenHooks = {
    onEvent(envelope, duplicate, json) {
      if (duplicate) {
        out.status(
          c.dim(
            `duplicate delivery of ${safe(envelope.payload.message_sid ?? '?')} (event #${envelope.event_id}): recorded once`,
          ),
        );
        return;
      }
      hints?.observe(envelope.payload.from);
      if (opts.json)
        jsonLines.push(json); // = JSON.stringify(envelope); written by onEventsEnd, before the 200s
      else printEvent(out, envelope);
      if (max !== undefined && session.accepted >= max) finish('done');
    },
    onEventsEnd() {
      if (jsonLines.length === 0) return;
      const lines = jsonLines;
      jsonLines = [];
      out.dataJsonLines(lines);
    },
    onRefused(info) {
      out.status(
        `${c.red('refused')} ${info.reason}${info.from ? ` from ${safe(info.from)}` : ''}: ${safe(info.detail)}${info.eventId ? c.dim(` (#${info.eventId})`) : ''}`,
      );
    },
    onRefusalsDropped(info) {
      if (info.firstDrop) {
        out.warn(
          `more than ${REFUSED_PER_MINUTE} refused requests this minute: the rest are answered and counted, not recorded or printed`,
        );
      }
      if (info.minute) {
        out.status(
          `${c.red('refused')} ${info.minute.refused} request(s) in the minute from ${info.minute.start.slice(11, 16)} UTC (${info.minute.kept} recorded)`,
        );
      }
    },
    onStatus: (s) =>
      opts.json && opts.statuses
        ? out.dataJsonLines([JSON.stringify(statusEventJson(config.name, s))])
        : out.status(
            c.dim(
              `status callback: ${safe(s.messageSid ?? '?')} ${safe(s.status)}${s.errorCode ? ` (error ${s.errorCode})` : ''}: not a message, no trigger${s.to ? ` (to ${safe(stripChannel(s.to))})` : ''}`,
            ),
          ),
    onMissed(m) {
      const took = tookMissed(m, session.path);
      out.warn(
        `Twilio logged an inbound message ${safe(m.messageSid)} to ${safe(m.to)} at ${m.dateSent} that never reached this listener; took it: ${safe(took)}; run fruxon-twilio webhook show`,
      );
    },
    onPruned(n) {
      out.status(c.dim(`pruned ${n} event(s) older than ${retentionDays(env)} days (FRUXON_TWILIO_RETENTION_DAYS)`));
    },
    onForward(info) {
      const ms = `${info.ms.toFixed(0)} ms`;
      if (info.error)
        out.status(
          `${c.yellow('forward')} #${info.eventId} -> ${safe(info.url)} failed: ${safe(info.error)} (${ms}); the event is kept`,
        );
      else
        out.status(
          `${c.dim('forward')} #${info.eventId} -> ${safe(info.url)} ${c.green(String(info.status))} ${c.dim(ms)}`,
        );
    },
    onWarning: (m) => out.warn(safe(m)),
    onInternalError: (err) => out.error(`listener: ${(err as Error)?.message ?? String(err)}`),
  };
  // Where --catch-up starts: the newest event recorded before this listener records any.
  const catchUpSince = opts.catchUp
    ? (await import('../operations/redeliver.js')).missedSinceDefault(store, config.id, ctx.now())
    : null;
  const session = new ListenSession({
    store,
    config,
    authToken,
    skipVerify: Boolean(opts.skipVerify),
    host: opts.host,
    port,
    tunnel: plan.tunnel,
    twilio,
    apiUrl: plan.apiUrl,
    productionUrl: plan.productionUrl,
    channels: channels ? [...channels] : undefined,
    allowMessagingService: Boolean(opts.messagingService),
    checkMissedMs,
    forwardTo,
    contactName: store.participants.contactBook(config.id).nameFor,
    retention: () => applyRetention(store.events, env, ctx.now().getTime()),
    hooks: teeHooks(
      () => screen?.hooks ?? lineHooks,
      () => inspectorHooks,
    ),
  });

  const info = await session.start();
  let web: Awaited<ReturnType<NonNullable<typeof inspector>['startListenInspector']>> | null = null;
  try {
    web =
      inspector &&
      (await inspector.startListenInspector({
        store,
        config,
        env,
        secrets: () => ctx.secrets(),
        info,
        authToken,
        forwardTo,
        port: inspectPort,
      }));
  } catch (err) {
    await session.stop().catch(() => undefined);
    throw err;
  }
  inspectorHooks = web?.hooks;
  if (info.staleRestored) {
    const s = info.staleRestored;
    if (s.note) out.warn(safe(s.note));
    out.warn(
      s.action === 'restored'
        ? `a crashed listener had left ${s.phoneNumber} pointing at it: restored its previous webhook (${safe(s.restoredUrl || 'none')})`
        : `a crashed listener's lease on ${s.phoneNumber} was dropped: the number had been changed since (now ${safe(s.currentUrl || 'none')}), left as is`,
    );
  }

  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    screen?.close(); // the terminal back first, so the lines below land on it
    signals++;
    if (signals === 1) {
      out.status(c.dim(`${sig}: stopping${info.lease ? `, restoring the webhook of ${info.lease.phoneNumber}` : ''}…`));
      finish('signal');
    } else if (info.lease) {
      out.status(
        c.yellow(
          `still restoring the webhook of ${info.lease.phoneNumber}; this finishes in a moment (kill -9 leaves it to: fruxon-twilio restore)`,
        ),
      );
    }
  };
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of sigs) process.on(s, onSignal);
  // The context's abort signal (an in-process caller) stops the listener as SIGTERM does, or as the signal
  // the caller names as the abort reason ('SIGINT', 'SIGHUP').
  const onAbort = () =>
    onSignal(
      typeof ctx.signal.reason === 'string' && (sigs as string[]).includes(ctx.signal.reason)
        ? (ctx.signal.reason as NodeJS.Signals)
        : 'SIGTERM',
    );
  if (ctx.signal.aborted) queueMicrotask(onAbort);
  else ctx.signal.addEventListener('abort', onAbort, { once: true });
  const timer = timeoutMs !== undefined ? setTimeout(() => finish('timeout'), timeoutMs) : undefined;

  out.status(
    `${c.green('Ready!')} Listening for messages to ${c.bold(config.fromNumber)} at ${c.bold(safe(info.webhookUrl))}` +
      ` (config ${safe(JSON.stringify(config.name))}, ${info.lease ? 'webhook registered' : 'webhook not registered'}, tunnel ${info.tunnel})` +
      (info.statusCallbackUrl ? `; status callbacks: send --status-callback ${safe(info.statusCallbackUrl)}` : ''),
  );
  if (info.tunnel !== 'none') out.status(c.dim(`Local listener: ${info.localUrl}`));
  const sandbox = info.routes.some((r) => r.layer === 'sandbox');
  const service =
    info.lease?.layer === 'messaging_service'
      ? info.routes.find((r) => r.layer === 'messaging_service' || r.layer === 'none')
      : undefined;
  if (service) {
    out.status(
      `Messaging Service ${safe(service.friendlyName ? `'${service.friendlyName}' ` : '')}(${service.sid}) now points here: messages to ${info.accepts.join(', ')} are accepted; its inbound URL is put back on stop.`,
    );
  }
  if (sandbox) {
    out.status(
      `The WhatsApp Sandbox is set only in the Twilio Console: Messaging → Try it out → WhatsApp sandbox settings → "When a message comes in": ${info.webhookUrl} (HTTP POST).`,
    );
  }
  if (!opts.register)
    out.status(c.dim(`Point the number's "A MESSAGE COMES IN" webhook at ${info.webhookUrl} (HTTP POST) yourself.`));
  if (web) out.status(`Inspector: ${web.url}`);
  if (!opts.json) out.status(c.dim('Press Ctrl-C to stop.'));
  screen?.open({ info, quit: () => onSignal('SIGINT') });
  if (catchUpSince)
    void catchUpInto(ctx, out, { config: config.name, since: catchUpSince, url: info.webhookUrl, authToken });

  const reason = await finished;
  screen?.close();
  clearTimeout(timer);
  await web?.close();
  let outcome;
  try {
    outcome = await session.stop();
  } catch (err) {
    if (err instanceof CliError) {
      throw new CliError(`${err.message}; the lease is kept`, {
        exitCode: ExitCode.registration,
        reason: err.reason,
        hint: `finish it later with: fruxon-twilio restore --config ${JSON.stringify(config.name)}`,
        cause: err,
      });
    }
    throw err;
  } finally {
    hints?.close();
    for (const s of sigs) process.off(s, onSignal);
    ctx.signal.removeEventListener('abort', onAbort);
  }
  if (sandbox)
    out.warn(
      'put the WhatsApp Sandbox\'s "When a message comes in" URL back to its previous value in the Twilio Console (Messaging → Try it out → WhatsApp sandbox settings)',
    );
  if (outcome?.note) out.warn(safe(outcome.note));
  if (outcome?.action === 'restored')
    out.status(
      `${c.green('✔')} Restored the webhook of ${outcome.phoneNumber} to ${safe(outcome.restoredUrl || '(none)')}.`,
    );
  if (outcome?.action === 'left') {
    out.warn(
      `${outcome.phoneNumber} no longer pointed at this listener (now ${safe(outcome.currentUrl || 'none')}): left it as is`,
    );
  }
  if (reason === 'timeout' && session.accepted < (max ?? 1)) {
    out.status(`timed out after ${timeoutMs! / 1000} s with ${session.accepted} of ${max ?? 1} event(s)`);
    ctx.exitCode = ExitCode.timeout;
  }
}

/**
 * `listen --catch-up`: the inbound messages Twilio logged since `since` that no event here records, posted to
 * this listener as Twilio would have (`messages redeliver --missed`), marked recovered. Never fails the listen.
 */
async function catchUpInto(
  ctx: CommandContext,
  out: ReturnType<CommandContext['output']>,
  o: { config: string; since: Date; url: string; authToken: string | null },
): Promise<void> {
  const { safe } = await import('../output/index.js');
  try {
    const { redeliverMessages } = await import('../operations/redeliver.js');
    const { results } = await redeliverMessages(
      { store: await ctx.store(), env: ctx.env, secrets: await ctx.keychain(), twilio: ctx.twilio },
      {
        config: o.config,
        sids: [],
        missedSince: o.since,
        url: o.url,
        recovered: true,
        ...(o.authToken !== null && { readAuthToken: async () => o.authToken! }),
      },
    );
    const failed = results.filter((r) => !r.ok);
    out.status(
      `Caught up: ${results.length - failed.length} message(s) Twilio logged since ${o.since.toISOString()} while no listener ran here${failed.length ? `; ${failed.length} not accepted: ${failed.map((r) => `${r.sid} (${r.status ?? r.error ?? r.refused?.reason})`).join(', ')}` : ''}.`,
    );
  } catch (err) {
    out.warn(`--catch-up failed: ${safe((err as Error).message)}`);
  }
}
