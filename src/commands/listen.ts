import type { Command } from 'commander';
import { ExitCode, usageError } from '../errors.js';
import type { ListenScreen } from '../interactive/index.js';
import type { TakeOverQuestion } from '../operations/listen.js';
import { safe } from '../output/index.js';
import { canOpenScreen } from '../output/iostreams.js';
import { checkHttpUrl, MAX_TIMER_MS, parseDuration, parsePort, parsePositiveInt } from '../validate.js';
import type { CommandContext } from './context.js';
import { promptConfirm, readStdin } from './input.js';

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
  fallback: boolean;
  takeOver?: boolean;
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
      '--no-fallback',
      'clear the fallback URL of the layer that receives the messages for the run (default: kept, so what the listener refuses goes there), put back on stop',
    )
    .option(
      '--take-over',
      'take the number even when it points at a production URL (the live agent gets no messages until listen stops); on a terminal listen asks',
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
  const [{ listen }, { caughtUpText, listenLineHooks, listenReport, printListenTimeout, printStopRequest }] =
    await Promise.all([import('../operations/listen.js'), import('../output/listen.js')]);
  const json = Boolean(opts.json);
  // On a terminal: the key-driven screen (src/interactive), loaded only then; piped or --json: the lines.
  const createScreen =
    !json && opts.interactive && canOpenScreen(ctx.io)
      ? (await import('../interactive/index.js')).createListenScreen
      : null;
  // The inspector serves the session's events next to the screen or the lines (src/inspector/listen.ts).
  const inspector = opts.inspect ? await import('../inspector/listen.js') : null;
  let screen: ListenScreen | null = null;
  const report = listenReport(out, { json, register: opts.register });
  const result = await listen(
    {
      store,
      env: ctx.env,
      secrets: () => ctx.secrets(),
      twilio: ctx.twilio,
      fruxon: ctx.fruxon,
      now: () => ctx.now(),
      readStdin: (what) => readStdin(ctx.io, what),
      trace: ctx.trace(),
    },
    {
      ...(opts.config !== undefined && { config: opts.config }),
      host: opts.host,
      port,
      tunnel: opts.tunnel as 'ngrok' | 'none' | undefined,
      publicUrl,
      ngrokAuthtokenStdin: opts.ngrokAuthtokenStdin,
      authTokenStdin: opts.authTokenStdin,
      register: opts.register,
      skipVerify: Boolean(opts.skipVerify),
      forwardTo,
      channels: channels ? [...channels] : undefined,
      allowMessagingService: Boolean(opts.messagingService),
      noFallback: !opts.fallback,
      checkMissedMs,
      catchUp: Boolean(opts.catchUp),
      max,
      timeoutMs,
    },
    {
      report: {
        ...report,
        // While the screen has the terminal, its lines go among the events (stderr would land under it).
        caughtUp: (r) => (screen ? screen.note('info', caughtUpText(r)) : report.caughtUp(r)),
        catchUpFailed: (m) => (screen ? screen.note('warn', `--catch-up failed: ${m}`) : report.catchUpFailed(m)),
      },
      face: (s) => {
        if (!createScreen)
          return {
            senderHints: true,
            hooks: listenLineHooks(out, {
              json,
              statuses: Boolean(opts.statuses),
              configName: s.config.name,
              retentionDays: s.retentionDays,
              path: s.path,
            }),
          };
        screen = createScreen({
          io: ctx.io,
          store: s.store,
          config: s.config,
          secrets: () => s.secrets,
          twilio: ctx.twilio,
          authToken: s.authToken,
          forwardTo,
          trace: ctx.trace(),
          onSent: s.ownSent,
        });
        return { senderHints: false, hooks: screen.hooks, open: (o) => screen?.open(o), close: () => screen?.close() };
      },
      ...(inspector && {
        inspector: (s) =>
          inspector.startListenInspector({
            store: s.store,
            config: s.config,
            env: ctx.env,
            secrets: () => ctx.secrets(),
            twilio: ctx.twilio,
            info: s.info,
            authToken: s.authToken,
            forwardTo,
            trace: ctx.trace(),
            port: inspectPort,
            onSent: s.ownSent,
            now: () => ctx.now(),
          }),
      }),
      // A production URL is taken with consent: --take-over in advance, else a question on a terminal; with
      // nobody to ask it is taken and a warning says so (scripts keep working).
      ...((opts.takeOver || out.interactive) && {
        confirmTakeOver: async (q) => opts.takeOver || (await confirmTakeOver(ctx.io, q)),
      }),
      // SIGINT/SIGTERM/SIGHUP and the context's abort signal; the screen's q asks as Ctrl-C does.
      untilStopped: (info) =>
        ctx.untilStopped({
          onStop: (sig, count) => {
            screen?.close(); // the terminal back first, so the lines below land on it
            printStopRequest(out, sig, count, info);
          },
        }),
    },
  );
  if (result.timedOut) {
    printListenTimeout(out, timeoutMs!, result.accepted, max ?? 1);
    ctx.exitCode = ExitCode.timeout;
  }
}

/** The question before taking a number from a production URL: it names the URL and what taking it means. */
function confirmTakeOver(io: CommandContext['io'], q: TakeOverQuestion): Promise<boolean> {
  return promptConfirm(
    io,
    `${q.phoneNumber}: ${safe(q.layer)} points at ${safe(q.url)}${q.recorded ? ' (the recorded production URL)' : ''}: while listen runs, the live agent gets no messages. Take it?`,
  );
}
