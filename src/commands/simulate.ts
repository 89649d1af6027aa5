import type { Command } from 'commander';
import { CliError, ExitCode, usageError } from '../errors.js';
import { checkE164, checkHttpUrl } from '../validate.js';
import type { CommandContext } from './context.js';
import { safe } from '../output/index.js';
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

export const DEFAULT_SIMULATED_BODY = 'Hello from fruxon-twilio simulate';

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('simulate')
    .description("POST a signed inbound-message webhook, exactly as Twilio sends it, to the config's running listener (or --url)")
    .option('--from <e164>', 'the sender, E.164 (e.g. +14155550123)')
    .option('--body <text>', `message text (default: "${DEFAULT_SIMULATED_BODY}", or empty with --media-url)`)
    .option('--whatsapp', 'a WhatsApp message: whatsapp:-prefixed From/To, ProfileName and WaId')
    .option('--profile-name <name>', 'WhatsApp: the sender\'s profile name (ProfileName)')
    .option('--media-url <url>', 'attach a media item (MediaUrlN/MediaContentTypeN); repeat for more, up to 10', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--config <name>', 'config whose number receives the message (default: the default config)')
    .option('--url <url>', "post here instead of the config's running listener; the signature covers this exact URL")
    .option('--bad-signature', 'sign with a wrong key, to see the listener refuse the request')
    .option('--auth-token-stdin', 'API Key configs: read the Auth Token that signs webhooks from standard input (default: $TWILIO_AUTH_TOKEN)')
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
  const whatsapp = Boolean(opts.whatsapp) || /^whatsapp:/i.test(rawFrom);
  const from = checkE164('--from', rawFrom.replace(/^whatsapp:/i, ''));
  if (opts.profileName !== undefined && !whatsapp) throw usageError('--profile-name is WhatsApp\'s ProfileName: pass --whatsapp with it');
  if (opts.mediaUrl.length > 10) throw usageError(`--media-url may be given at most 10 times, as Twilio allows (got ${opts.mediaUrl.length})`);
  const mediaUrls = opts.mediaUrl.map((u) => checkHttpUrl('--media-url', u));
  const url = opts.url !== undefined ? checkHttpUrl('--url', opts.url) : undefined;
  const body = opts.body ?? (mediaUrls.length ? '' : DEFAULT_SIMULATED_BODY);

  const store = await ctx.store();
  const { resolveConfig } = await import('../config/resolve.js');
  const config = resolveConfig(store, ...(opts.config !== undefined ? [opts.config] : []));
  const deliver = await import('../listener/deliver.js');

  let target = url;
  if (target === undefined) {
    const found = deliver.runningListenerUrl(store, config.id);
    if (found.url === null) throw noListener(config.name, found.reason, found.lease?.pid);
    target = found.url;
  }
  const authToken = opts.badSignature ? null : await webhookAuthToken(ctx, config, Boolean(opts.authTokenStdin));

  const form = deliver.simulatedForm({ config, from, body, whatsapp, profileName: opts.profileName, mediaUrls });
  const outcome = await deliver.postSignedForm({ url: target, form, authToken, forge: Boolean(opts.badSignature) });
  const { displayWebhookUrl } = await import('../twilio/webhook.js');
  const shownUrl = url !== undefined ? displayWebhookUrl(target)! : target;
  if (outcome.status === null) {
    throw new CliError(`no answer from ${shownUrl}: ${outcome.error}`, {
      reason: 'unreachable',
      hint: url !== undefined ? 'is a server listening there?' : `is the listener still running? Start one with: fruxon-twilio listen --config ${JSON.stringify(config.name)}`,
    });
  }
  const ok = outcome.status >= 200 && outcome.status < 300;
  if (opts.json) {
    out.data({ status: outcome.status, url: shownUrl, message_sid: outcome.messageSid, signature: outcome.signature, ok });
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
    out.warn(`the target ACCEPTED a forged X-Twilio-Signature (HTTP ${outcome.status}): is it running with --skip-verify?`);
  } else if (!opts.json) {
    out.status(out.errColor.dim(`${whatsapp ? 'WhatsApp' : 'SMS'} ${outcome.messageSid} from ${from} to ${config.fromNumber}`));
  }
}

function noListener(configName: string, reason: 'no_lease' | 'stale_lease', pid?: number): CliError {
  return new CliError(
    reason === 'stale_lease'
      ? `the listener of config ${JSON.stringify(configName)} (pid ${pid}) is no longer running, and --url was not given`
      : `no listener is running for config ${JSON.stringify(configName)}, and --url was not given`,
    {
      reason: 'no_listener',
      hint: `start one with: fruxon-twilio listen --config ${JSON.stringify(configName)} (or pass --url http://127.0.0.1:PORT/PATH)`,
    },
  );
}

/** The key Twilio signs webhooks with: the Auth Token (for API Key configs, from TWILIO_AUTH_TOKEN or stdin). */
export async function webhookAuthToken(ctx: CommandContext, config: import('../store/index.js').Config, fromStdin: boolean): Promise<string> {
  if (config.authMethod === 'auth-token') {
    const { loadSecret } = await import('../config/resolve.js');
    const secrets = await ctx.secrets();
    return loadSecret(config, ctx.env, () => secrets);
  }
  if (fromStdin) return readStdin(ctx.io, '--auth-token-stdin');
  if (ctx.env.TWILIO_AUTH_TOKEN) return ctx.env.TWILIO_AUTH_TOKEN;
  throw usageError(
    `config ${JSON.stringify(config.name)} uses an API Key, but Twilio signs webhooks with the account's Auth Token: set TWILIO_AUTH_TOKEN or pass --auth-token-stdin`,
    'or send a forged signature with --bad-signature',
  );
}
