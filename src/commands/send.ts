import type { Command } from 'commander';
import { CliError, ExitCode, usageError } from '../errors.js';
import { checkHttpUrl, MAX_TIMER_MS, parseDuration } from '../validate.js';
import type { CommandContext, Stopper } from './context.js';
import { readStdin } from './input.js';

interface Options {
  to?: string;
  body?: string;
  config?: string;
  whatsapp?: boolean;
  sms?: boolean;
  mediaUrl: string[];
  statusCallback?: string;
  wait?: boolean;
  waitTimeout?: string;
  json?: boolean;
  contentSid?: string;
  contentVariables?: string;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('send')
    .description(
      "Send an SMS or WhatsApp message from the config's verified From number, optionally waiting for delivery",
    )
    .option(
      '--to <number|participant>',
      'recipient: an E.164 number (+14155550123) or a participant name (fruxon-twilio participants list)',
    )
    .option('--body <text>', 'message text; "-" reads it from standard input')
    .option('--config <name>', "config to send with (default: the participant's config, else the default config)")
    .option('--whatsapp', 'send on the WhatsApp channel (whatsapp: on both To and From)')
    .option('--sms', 'send as SMS even to a participant marked --whatsapp')
    .option(
      '--media-url <url>',
      'attach media from a public URL (repeat for several)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--status-callback <url>', 'URL Twilio posts status changes of this message to')
    .option(
      '--content-sid <HX…>',
      'send a Content API template instead of --body (WhatsApp outside the 24-hour window: an approved one; see templates list)',
    )
    .option('--content-variables <json>', 'with --content-sid: the template\'s variables, e.g. \'{"1":"Ann"}\'')
    .option(
      '--wait',
      'poll until a final status (delivered, read, undelivered, failed); exit 0 only when delivered or read',
    )
    .option('--wait-timeout <seconds>', 'with --wait: give up after this long, exit 3 (default 60; also 90s, 2m)')
    .option('--json', 'print the message resource as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ fruxon-twilio send --to +14155550123 --body "hello from the terminal"
  $ fruxon-twilio send --to alice --body "your order shipped" --wait
  $ fruxon-twilio send --to +14155550123 --whatsapp --body hi --media-url https://example.com/cat.jpg
  $ echo "report ready" | fruxon-twilio send --to +14155550123 --body - --wait --wait-timeout 30 --json

Exit codes: 0 sent (with --wait: delivered or read), 1 Twilio refused it or it ended undelivered/failed,
2 bad flags, 3 --wait timed out before a final status.`,
    )
    .action((opts: Options) => run(ctx, opts));
}

async function run(ctx: CommandContext, opts: Options): Promise<void> {
  const out = ctx.output({ json: opts.json });

  // Everything that can be checked without the store or the network, first.
  if (opts.to === undefined || opts.to.trim() === '')
    throw usageError('missing --to: an E.164 number like +14155238886, or a participant name');
  if (opts.whatsapp && opts.sms) throw usageError('--whatsapp and --sms contradict each other: pass one');
  const mediaUrls = opts.mediaUrl.map((u) => checkHttpUrl('--media-url', u));
  const statusCallback =
    opts.statusCallback !== undefined ? checkHttpUrl('--status-callback', opts.statusCallback) : null;
  const wait = Boolean(opts.wait || opts.waitTimeout !== undefined);
  const waitMs =
    opts.waitTimeout !== undefined ? parseDuration('--wait-timeout', opts.waitTimeout, { max: MAX_TIMER_MS }) : 60_000;
  if (waitMs <= 0) throw usageError(`--wait-timeout must be more than zero (got ${JSON.stringify(opts.waitTimeout)})`);
  const { contentSid, contentVariables } = checkContent(opts);
  if (opts.body === undefined && mediaUrls.length === 0 && !contentSid) {
    throw usageError('missing --body: the message text, or "-" to read it from standard input (or attach --media-url)');
  }
  const body = opts.body === '-' ? await readStdin(ctx.io, '--body -') : (opts.body ?? '');
  if (opts.body !== undefined && opts.body !== '-' && body.trim() === '' && mediaUrls.length === 0) {
    throw usageError('--body is empty: give the message text, or "-" to read it from standard input');
  }
  const { checkBodyLength, checkMediaCount } = await import('../twilio/send-rules.js');
  checkMediaCount('--media-url', mediaUrls.length);
  checkBodyLength('--body', body);

  const deps = await ctx.coreDeps();
  const { sendFromConfig, sendOutcomeError } = await import('../operations/send.js');
  const { messageJson, Progress } = await import('../output/messages.js');
  const input = {
    to: opts.to,
    body,
    mediaUrls,
    statusCallback,
    config: opts.config,
    channel: opts.whatsapp ? ('whatsapp' as const) : opts.sms ? ('sms' as const) : undefined,
    contentSid,
    contentVariables,
  };

  if (!wait) {
    const r = await sendFromConfig(deps, input);
    const sent = r.message;
    if (opts.json)
      return out.data(messageJson(sent, { config: r.config.name, participant: r.participant?.name ?? null }));
    out.line(
      `${out.color.green('✔')} ${r.whatsapp ? 'WhatsApp message' : 'SMS'} ${sent.sid} to ${r.recipient} from ${r.config.fromNumber}: ${sent.status}`,
    );
    if (r.whatsapp)
      out.status(
        "note: WhatsApp's 24-hour window may still refuse it (63016, after it was queued); --wait shows how it ends",
      );
    return;
  }

  const progress = new Progress(out);
  let started = Date.now();
  const abort = new AbortController();
  // From the create on, Ctrl-C (or the context's abort) ends the wait once; a second Ctrl-C kills (the handler is gone).
  let stopper: Stopper | undefined;
  // The status Twilio answered the create with comes first; each change after it gets one line.
  let shown = '';
  let recipient = '';
  const show = (m: { sid: string; status: string }) => {
    if (m.status === shown) return;
    shown = m.status;
    progress.update(`${m.sid} to ${recipient}: ${m.status} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  };
  let r: Awaited<ReturnType<typeof sendFromConfig>>;
  try {
    r = await sendFromConfig(deps, {
      ...input,
      wait: {
        timeoutMs: waitMs,
        signal: abort.signal,
        onSent: (sent, to) => {
          started = Date.now();
          stopper = ctx.untilStopped({
            signals: ['SIGINT'],
            onStop: () => {
              abort.abort();
              stopper?.dispose();
            },
          });
          recipient = to;
          show(sent);
        },
        onStatus: show,
      },
    });
  } finally {
    progress.stop();
    stopper?.dispose();
  }
  const m = r.message;
  if (opts.json) out.data(messageJson(m, { config: r.config.name, participant: r.participant?.name ?? null }));
  const failure = sendOutcomeError(r.waited!, waitMs, { cancelled: abort.signal.aborted });
  if (!failure) {
    if (!opts.json)
      out.line(
        `${out.color.green('✔')} ${r.whatsapp ? 'WhatsApp message' : 'SMS'} ${m.sid} to ${r.recipient}: ${m.status} after ${((Date.now() - started) / 1000).toFixed(1)}s`,
      );
    return;
  }
  if (abort.signal.aborted) {
    throw new CliError(
      `interrupted after ${((Date.now() - started) / 1000).toFixed(1)}s; the message keeps going (sid ${m.sid}, ${m.status})`,
      {
        exitCode: ExitCode.interrupted,
        reason: 'interrupted',
        hint: `look later with: fruxon-twilio messages show ${m.sid}`,
      },
    );
  }
  throw failure;
}

/** --content-sid HX… and --content-variables '{"1":"Ann"}', checked before anything is sent. */
function checkContent(opts: Options): { contentSid?: string; contentVariables?: Record<string, string> } {
  if (opts.contentVariables !== undefined && opts.contentSid === undefined)
    throw usageError('--content-variables needs --content-sid (the template they fill in)');
  if (opts.contentSid === undefined) return {};
  if (!/^HX[0-9a-fA-F]{32}$/.test(opts.contentSid))
    throw usageError(
      `--content-sid must be HX followed by 32 hex digits (got ${JSON.stringify(opts.contentSid)})`,
      'see the templates: fruxon-twilio templates list',
    );
  if (opts.body !== undefined || opts.mediaUrl.length > 0)
    throw usageError('--content-sid sends the template as it is: drop --body and --media-url');
  if (opts.contentVariables === undefined) return { contentSid: opts.contentSid };
  let parsed: unknown;
  try {
    parsed = JSON.parse(opts.contentVariables);
  } catch {
    parsed = undefined;
  }
  const ok =
    typeof parsed === 'object' &&
    parsed !== null &&
    !Array.isArray(parsed) &&
    Object.values(parsed).every((v) => (typeof v === 'string' && v !== '') || typeof v === 'number');
  if (!ok)
    throw usageError(
      `--content-variables must be a JSON object of non-empty values, like '{"1":"Ann","2":"#1042"}' (got ${JSON.stringify(opts.contentVariables)})`,
    );
  const contentVariables = Object.fromEntries(
    Object.entries(parsed as Record<string, string | number>).map(([k, v]) => [k, String(v)]),
  );
  return { contentSid: opts.contentSid, contentVariables };
}
