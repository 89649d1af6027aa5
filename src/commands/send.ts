import type { Command } from 'commander';
import { CliError, ExitCode, usageError } from '../errors.js';
import { E164, checkE164, checkHttpUrl, parseDuration } from '../validate.js';
import type { CommandContext } from './context.js';
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
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('send')
    .description("Send an SMS or WhatsApp message from the config's verified From number, optionally waiting for delivery")
    .option('--to <number|participant>', 'recipient: an E.164 number (+14155550123) or a participant name (fruxon-twilio participants list)')
    .option('--body <text>', 'message text; "-" reads it from standard input')
    .option('--config <name>', 'config to send with (default: the participant\'s config, else the default config)')
    .option('--whatsapp', 'send on the WhatsApp channel (whatsapp: on both To and From)')
    .option('--sms', 'send as SMS even to a participant marked --whatsapp')
    .option('--media-url <url>', 'attach media from a public URL (repeat for several)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--status-callback <url>', 'URL Twilio posts status changes of this message to')
    .option('--wait', 'poll until a final status (delivered, read, undelivered, failed); exit 0 only when delivered or read')
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
  if (opts.to === undefined || opts.to.trim() === '') throw usageError('missing --to: an E.164 number like +14155238886, or a participant name');
  if (opts.whatsapp && opts.sms) throw usageError('--whatsapp and --sms contradict each other: pass one');
  const mediaUrls = opts.mediaUrl.map((u) => checkHttpUrl('--media-url', u));
  const statusCallback = opts.statusCallback !== undefined ? checkHttpUrl('--status-callback', opts.statusCallback) : null;
  const wait = Boolean(opts.wait || opts.waitTimeout !== undefined);
  const waitMs = opts.waitTimeout !== undefined ? parseDuration('--wait-timeout', opts.waitTimeout) : 60_000;
  if (waitMs <= 0) throw usageError(`--wait-timeout must be more than zero (got ${JSON.stringify(opts.waitTimeout)})`);
  if (opts.body === undefined && mediaUrls.length === 0) {
    throw usageError('missing --body: the message text, or "-" to read it from standard input (or attach --media-url)');
  }
  let body = opts.body === '-' ? await readStdin(ctx.io, '--body -') : (opts.body ?? '');
  if (opts.body !== undefined && opts.body !== '-' && body.trim() === '' && mediaUrls.length === 0) {
    throw usageError('--body is empty: give the message text, or "-" to read it from standard input');
  }
  const { checkBody, sendFromConfig } = await import('../config/send.js');
  checkBody(body);

  const store = await ctx.store();
  const { resolveConfig, shellQuote } = await import('../config/resolve.js');

  // --to: a number, else a participant.
  const toRaw = opts.to.trim();
  let to: string;
  let participant: import('../store/index.js').Participant | undefined;
  if (E164.test(toRaw.replace(/^whatsapp:/i, ''))) {
    to = checkE164('--to', toRaw.replace(/^whatsapp:/i, ''));
  } else {
    participant = store.participants.byName(toRaw);
    if (!participant) {
      throw usageError(
        `--to must be an E.164 number like +14155238886 or the name of a participant (got ${JSON.stringify(toRaw)}, which is neither)`,
        store.participants.list().length ? 'see the participants: fruxon-twilio participants list' : `add one: fruxon-twilio participants add ${shellQuote(toRaw)} --phone +1…`,
      );
    }
    to = participant.phone;
  }

  let configName = opts.config;
  if (participant?.configId) {
    const bound = store.configs.byId(participant.configId);
    if (bound && configName !== undefined && bound.name.toLowerCase() !== configName.toLowerCase()) {
      throw usageError(
        `participant ${JSON.stringify(participant.name)} is bound to config ${JSON.stringify(bound.name)}, not ${JSON.stringify(configName)}`,
        `drop --config, or pass --config ${shellQuote(bound.name)}`,
      );
    }
    if (bound) configName = bound.name;
  }
  const config = resolveConfig(store, configName);
  const whatsapp = opts.whatsapp ? true : opts.sms ? false : Boolean(participant?.whatsapp);

  const keychain = config.secretSource === 'keychain' ? await ctx.secrets() : undefined;
  const { waitForFinalStatus, deliveryFailure } = await import('../twilio/messages.js');
  const { messageJson, Progress } = await import('../output/messages.js');
  const recipient = participant ? `${participant.name} (${to})` : to;

  const { message: sent, client, callCtx } = await sendFromConfig({ config, env: ctx.env, secrets: () => keychain!, to, body, mediaUrls, statusCallback, whatsapp });
  const extra = { config: config.name, participant: participant?.name ?? null };

  if (!wait) {
    if (opts.json) return out.data(messageJson(sent, extra));
    out.line(`${out.color.green('✔')} ${whatsapp ? 'WhatsApp message' : 'SMS'} ${sent.sid} to ${recipient} from ${config.fromNumber}: ${sent.status}`);
    return;
  }

  const progress = new Progress(out);
  const started = Date.now();
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  // The status Twilio answered the create with comes first; each change after it gets one line.
  let shown = '';
  const show = (m: { sid: string; status: string }) => {
    if (m.status === shown) return;
    shown = m.status;
    progress.update(`${m.sid} to ${recipient}: ${m.status} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  };
  show(sent);
  let result;
  try {
    result = await waitForFinalStatus(client, sent.sid, { timeoutMs: waitMs, signal: abort.signal, ctx: callCtx, onStatus: show });
  } finally {
    progress.stop();
    process.removeListener('SIGINT', onSigint);
  }
  const m = result.message;
  if (opts.json) out.data(messageJson(m, extra));
  if (result.succeeded) {
    if (!opts.json) out.line(`${out.color.green('✔')} ${whatsapp ? 'WhatsApp message' : 'SMS'} ${m.sid} to ${recipient}: ${m.status} after ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return;
  }
  if (result.timedOut) {
    throw new CliError(`message ${m.sid} to ${m.to} is still ${m.status} after ${(waitMs / 1000).toFixed(waitMs % 1000 ? 1 : 0)}s: no final status yet`, {
      exitCode: abort.signal.aborted ? ExitCode.failure : ExitCode.timeout,
      reason: 'timeout',
      hint: `wait longer with --wait-timeout, or look later: the message keeps going (sid ${m.sid})`,
    });
  }
  throw deliveryFailure(m);
}
