import type { Command } from 'commander';
import { ExitCode, usageError } from '../errors.js';
import { safe } from '../output/index.js';
import { channelOf, withoutWhatsAppPrefix } from '../phone.js';
import { DEFAULT_SIMULATED_BODY, MAX_MEDIA_PER_MESSAGE } from '../twilio/inbound-form.js';
import { checkE164, checkHttpUrl } from '../validate.js';
import type { CommandContext } from './context.js';
import { readStdin } from './input.js';

interface Options {
  from?: string;
  body?: string;
  whatsapp?: boolean;
  profileName?: string;
  mediaUrl: string[];
  config?: string;
  url?: string;
  badSignature?: boolean;
  authTokenStdin?: boolean;
  json?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('simulate')
    .description(
      "POST a signed inbound-message webhook, exactly as Twilio sends it, to the config's running listener (or --url)",
    )
    .option('--from <e164>', 'the sender, E.164 (e.g. +14155550123)')
    .option('--body <text>', `message text (default: "${DEFAULT_SIMULATED_BODY}", or empty with --media-url)`)
    .option('--whatsapp', 'a WhatsApp message: whatsapp:-prefixed From/To, ProfileName and WaId')
    .option('--profile-name <name>', "WhatsApp: the sender's profile name (ProfileName)")
    .option(
      '--media-url <url>',
      'attach a media item (MediaUrlN/MediaContentTypeN); repeat for more, up to 10',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--config <name>', 'config whose number receives the message (default: the default config)')
    .option('--url <url>', "post here instead of the config's running listener; the signature covers this exact URL")
    .option('--bad-signature', 'sign with a wrong key, to see the listener refuse the request')
    .option(
      '--auth-token-stdin',
      'API Key configs: read the Auth Token that signs webhooks from standard input (default: $TWILIO_AUTH_TOKEN)',
    )
    .option('--json', 'print {status, url, message_sid, signature} as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ fruxon-twilio simulate --from +14155550123 --body "Hi agent"        # to the running listen of the default config
  $ fruxon-twilio simulate --from +14155550123 --whatsapp --profile-name Dana --media-url https://example.com/cat.jpg
  $ fruxon-twilio simulate --from +14155550123 --bad-signature          # the listener must answer 403
  $ fruxon-twilio simulate --from +14155550123 --url http://127.0.0.1:3000/sms

Without --url the request goes to the URL the config's running listener registered (its lease): the tunnel's
public URL, as Twilio would call it. The X-Twilio-Signature is computed over that exact URL with the
config's Auth Token. Prints the listener's HTTP status.
Exit codes: 0 the listener answered 2xx, 1 any other status (a --bad-signature refused with 403 included) or no answer, 2 usage.`,
    )
    .action((opts: Options) => run(ctx, opts));
}

async function run(ctx: CommandContext, opts: Options): Promise<void> {
  const out = ctx.output({ json: opts.json });
  if (opts.from === undefined) throw usageError('missing --from: the sender in E.164, e.g. --from +14155550123');
  const rawFrom = opts.from.trim();
  const whatsapp = Boolean(opts.whatsapp) || channelOf(rawFrom) === 'whatsapp';
  const from = checkE164('--from', withoutWhatsAppPrefix(rawFrom));
  if (opts.profileName !== undefined && !whatsapp)
    throw usageError("--profile-name is WhatsApp's ProfileName: pass --whatsapp with it");
  if (opts.mediaUrl.length > MAX_MEDIA_PER_MESSAGE)
    throw usageError(
      `--media-url may be given at most ${MAX_MEDIA_PER_MESSAGE} times, as Twilio allows (got ${opts.mediaUrl.length})`,
    );
  const mediaUrls = opts.mediaUrl.map((u) => checkHttpUrl('--media-url', u));
  const url = opts.url !== undefined ? checkHttpUrl('--url', opts.url) : undefined;

  const { simulateInbound } = await import('../operations/simulate.js');
  const { config, outcome, shownUrl, ok } = await simulateInbound(await ctx.coreDeps(), {
    config: opts.config,
    from,
    body: opts.body,
    whatsapp,
    profileName: opts.profileName,
    mediaUrls,
    url,
    badSignature: opts.badSignature,
    readAuthToken: opts.authTokenStdin ? () => readStdin(ctx.io, '--auth-token-stdin') : undefined,
  });
  if (opts.json) {
    out.data({
      status: outcome.status,
      url: shownUrl,
      message_sid: outcome.messageSid,
      signature: outcome.signature,
      ok,
    });
  } else {
    const c = out.color;
    out.line(`${(ok ? c.green : c.red)(`${outcome.status} ${outcome.statusText}`.trim())} from ${shownUrl}`);
  }
  if (!ok) {
    const detail = safe(outcome.body.trim().split('\n')[0]?.slice(0, 200) ?? '');
    out.status(
      opts.badSignature && outcome.status === 403
        ? `the listener refused the forged signature (${outcome.status}), as it should; exit code 1 says it was not accepted`
        : `the target did not accept the message (HTTP ${outcome.status}${detail ? `: ${detail}` : ''})`,
    );
    ctx.exitCode = ExitCode.failure;
  } else if (opts.badSignature) {
    out.warn(
      `the target ACCEPTED a forged X-Twilio-Signature (HTTP ${outcome.status}): is it running with --skip-verify?`,
    );
  } else if (!opts.json) {
    out.status(
      out.errColor.dim(`${whatsapp ? 'WhatsApp' : 'SMS'} ${outcome.messageSid} from ${from} to ${config.fromNumber}`),
    );
  }
}
