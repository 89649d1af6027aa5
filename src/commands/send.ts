import type { Command } from 'commander';
import { CliError, ExitCode, usageError } from '../errors.js';
import { checkHttpUrl, MAX_TIMER_MS, parseDuration } from '../validate.js';
import type { CommandContext } from './context.js';
import { readStdin } from './input.js';

interface Options {
  to?: string;
  body?: string;
  config?: string;
  whatsapp?: boolean;
  sms?: boolean;
  mediaUrl?: string[];
  statusCallback?: string;
  wait?: boolean;
  waitTimeout?: string;
  json?: boolean;
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
      (v: string, acc: string[] | undefined) => [...(acc ?? []), v],
    )
    .option('--status-callback <url>', 'URL Twilio posts status changes of this message to')
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
  const mediaUrls = (opts.mediaUrl ?? []).map((u) => checkHttpUrl('--media-url', u));
  const statusCallback =
    opts.statusCallback !== undefined ? checkHttpUrl('--status-callback', opts.statusCallback) : null;
  const wait = Boolean(opts.wait || opts.waitTimeout !== undefined);
  const waitMs =
    opts.waitTimeout !== undefined ? parseDuration('--wait-timeout', opts.waitTimeout, { max: MAX_TIMER_MS }) : 60_000;
  if (waitMs <= 0) throw usageError(`--wait-timeout must be more than zero (got ${JSON.stringify(opts.waitTimeout)})`);
  if (opts.body === undefined && mediaUrls.length === 0) {
    throw usageError('missing --body: the message text, or "-" to read it from standard input (or attach --media-url)');
  }
  const body = opts.body === '-' ? await readStdin(ctx.io, '--body -') : (opts.body ?? '');
  if (opts.body !== undefined && opts.body !== '-' && body.trim() === '' && mediaUrls.length === 0) {
    throw usageError('--body is empty: give the message text, or "-" to read it from standard input');
  }
  const { checkBodyLength, checkMediaCount } = await import('../twilio/send-rules.js');
  checkMediaCount('--media-url', mediaUrls.length);
  checkBodyLength('--body', body);

  const store = await ctx.store();
  const secrets = await ctx.secrets();
  const { sendFromConfig, sendOutcomeError } = await import('../operations/send.js');
  const { messageJson, Progress } = await import('../output/messages.js');
  const input = {
    to: opts.to,
    body,
    mediaUrls,
    statusCallback,
    config: opts.config,
    channel: opts.whatsapp ? ('whatsapp' as const) : opts.sms ? ('sms' as const) : undefined,
  };
  const deps = { store, env: ctx.env, secrets: () => secrets, twilio: ctx.twilio };

  if (!wait) {
    const r = await sendFromConfig(deps, input);
    const sent = r.message;
    if (opts.json)
      return out.data(messageJson(sent, { config: r.config.name, participant: r.participant?.name ?? null }));
    out.line(
      `${out.color.green('✔')} ${r.whatsapp ? 'WhatsApp message' : 'SMS'} ${sent.sid} to ${r.recipient} from ${r.config.fromNumber}: ${sent.status}`,
    );
    return;
  }

  const progress = new Progress(out);
  let started = Date.now();
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  // The status Twilio answered the create with comes first; each change after it gets one line.
  let shown = '';
  let recipient = '';
  const show = (m: { sid: string; status: string }) => {
    if (m.status === shown) return;
    shown = m.status;
    progress.update(`${m.sid} to ${recipient}: ${m.status} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  };
  let r;
  try {
    r = await sendFromConfig(deps, {
      ...input,
      wait: {
        timeoutMs: waitMs,
        signal: abort.signal,
        onSent: (sent, to) => {
          started = Date.now();
          process.once('SIGINT', onSigint);
          recipient = to;
          show(sent);
        },
        onStatus: show,
      },
    });
  } finally {
    progress.stop();
    process.removeListener('SIGINT', onSigint);
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
