import type { Command } from 'commander';
import { secretEnvVar } from '../config/resolve.js';
import { CliError, usageError } from '../errors.js';
import { SANDBOX_NUMBER } from '../twilio/route.js';
import { checkAccountSid, checkApiKeySid, checkE164, checkHttpUrl, checkName, maskSid } from '../validate.js';
import type { CommandContext } from './context.js';
import { emulatorPort } from './emulator.js';
import {
  asValidator,
  promptChoice,
  promptConfirm,
  promptSecret,
  promptText,
  readStdin,
  splitTwoLines,
  WEBHOOK_URL_FLAG_WARNING,
} from './input.js';

interface Options {
  name?: string;
  from?: string;
  accountSid?: string;
  authTokenStdin?: boolean;
  apiKeySid?: string;
  apiKeySecretStdin?: boolean;
  tokenFromEnv?: boolean;
  apiUrl?: string;
  region?: string;
  edge?: string;
  webhookUrlStdin?: boolean;
  webhookUrl?: string;
  default?: boolean;
  verify: boolean;
  json?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('add-config')
    .description(
      'Store a Twilio config: display name, From number, Account SID; the Auth Token goes to the OS keychain',
    )
    .option('--name <name>', 'display name, e.g. "Twilio — Support Line"')
    .option('--from <e164>', 'the verified From number (E.164, e.g. +14155238886)')
    .option('--account-sid <sid>', 'Account SID (AC…); default $TWILIO_ACCOUNT_SID')
    .option(
      '--auth-token-stdin',
      'read the Auth Token from standard input (default: $TWILIO_AUTH_TOKEN, else a masked prompt)',
    )
    .option(
      '--api-key-sid <sid>',
      'authenticate with an API Key (SK…) instead of the Auth Token; default $TWILIO_API_KEY',
    )
    .option('--api-key-secret-stdin', 'read the API Key Secret from standard input (default: $TWILIO_API_SECRET)')
    .option(
      '--token-from-env',
      'keep no secret: read $TWILIO_AUTH_TOKEN (or $TWILIO_API_SECRET) at run time, for CI without a keychain',
    )
    .option(
      '--api-url <url>',
      'REST base URL of a local stand-in for Twilio (the emulator), instead of https://api.twilio.com',
    )
    .option('--region <region>', "the account's Twilio region: us1 (default), ie1, au1 (TWILIO_REGION wins)")
    .option('--edge <edge>', 'the Twilio edge location to connect through: dublin, sydney, ashburn… (TWILIO_EDGE wins)')
    .option(
      '--webhook-url-stdin',
      "read the config's production webhook URL (Fruxon's, a secret) from standard input; with --auth-token-stdin: the second line",
    )
    .option(
      '--webhook-url <url>',
      'the production webhook URL on the command line (visible in the process list: prefer --webhook-url-stdin)',
    )
    .option('--default', 'make this the default config')
    .option('--no-verify', 'save without checking the credentials with Twilio')
    .option('--json', 'print the saved config as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ fruxon-twilio add-config                                   # prompts for what is missing
  $ printf %s "$TOKEN" | fruxon-twilio add-config --name support --from +14155238886 \\
      --account-sid ACxxxxxxxx… --auth-token-stdin --json
  $ fruxon-twilio add-config --name ci --from +14155238886 --token-from-env --no-verify   # CI, no keychain`,
    )
    .action((opts: Options) => run(ctx, opts));
}

async function run(ctx: CommandContext, opts: Options): Promise<void> {
  const out = ctx.output({ json: opts.json });
  const io = ctx.io;
  const env = ctx.env;
  const ask = out.interactive;

  if (opts.apiKeySecretStdin && !opts.apiKeySid && !env.TWILIO_API_KEY) {
    throw usageError('--api-key-secret-stdin needs --api-key-sid SK… (or $TWILIO_API_KEY)');
  }
  if (opts.authTokenStdin && opts.apiKeySecretStdin) {
    throw usageError('--auth-token-stdin and --api-key-secret-stdin read the same standard input: pass one of them');
  }
  if (opts.webhookUrlStdin && opts.webhookUrl !== undefined) {
    throw usageError('--webhook-url-stdin and --webhook-url both give the production webhook URL: pass one of them');
  }
  if (opts.tokenFromEnv && (opts.webhookUrlStdin || opts.webhookUrl !== undefined)) {
    throw usageError(
      `${opts.webhookUrlStdin ? '--webhook-url-stdin' : '--webhook-url'} with --token-from-env: a config that keeps no secret keeps no webhook URL either`,
      'set FRUXON_TWILIO_WEBHOOK_URL in its environment instead',
    );
  }
  if (opts.webhookUrl !== undefined) out.warn(WEBHOOK_URL_FLAG_WARNING);
  const apiKeySidRaw = opts.apiKeySid ?? (opts.authTokenStdin ? undefined : env.TWILIO_API_KEY);
  const authMethod = apiKeySidRaw ? 'api-key' : 'auth-token';

  // On a terminal the keychain is tried before the first question: an unreachable one would otherwise be said
  // only after everything was typed (and lost).
  if (ask && !opts.tokenFromEnv) (await ctx.secrets()).get('fruxon-twilio-add-config-probe');

  // Where the config talks to: --api-url, else on a terminal (when anything else is asked too: every flag given
  // means the user knows) a running emulator is offered, or a URL asked for.
  let apiUrl = opts.apiUrl ? checkHttpUrl('--api-url', opts.apiUrl).replace(/\/+$/, '') : null;
  const region = opts.region !== undefined ? checkLocation('--region', opts.region) : null;
  const edge = opts.edge !== undefined ? checkLocation('--edge', opts.edge) : null;
  const secretGiven =
    opts.tokenFromEnv || opts.authTokenStdin || opts.apiKeySecretStdin || Boolean(env[secretEnvVar({ authMethod })]);
  const asking = !opts.name || !opts.from || !(opts.accountSid ?? env.TWILIO_ACCOUNT_SID) || !secretGiven;
  if (ask && asking && !opts.apiUrl && !env.FRUXON_TWILIO_API_URL) apiUrl = await askApiUrl(ctx, io);

  // On a terminal a taken name is said at the name prompt, before the other questions (the store is opened
  // for it only then: bad flags still leave nothing behind).
  const promptStore = ask && (opts.name === undefined || opts.name === '') ? await ctx.store() : null;
  const freeName = (v: string) => {
    const n = checkName('name', v);
    if (promptStore?.configs.byName(n))
      throw usageError(`a config named ${JSON.stringify(n)} already exists: pick another name`);
  };
  const name = checkName(
    '--name',
    await need(
      opts.name,
      '--name',
      'the display name, e.g. "Twilio — Support Line"',
      ask && (() => promptText(io, 'Display name', asValidator(freeName))),
    ),
  );
  const fromNumber = checkE164(
    '--from',
    await need(
      opts.from,
      '--from',
      'the E.164 From number, e.g. +14155238886',
      ask &&
        (() =>
          promptText(
            io,
            'From number (E.164)',
            asValidator((v) => checkE164('From number', v)),
          )),
    ),
  );
  const accountSid = checkAccountSid(
    '--account-sid',
    await need(
      opts.accountSid ?? env.TWILIO_ACCOUNT_SID,
      '--account-sid',
      'the Account SID (AC…), or set TWILIO_ACCOUNT_SID',
      ask &&
        (() =>
          promptText(
            io,
            'Account SID',
            asValidator((v) => checkAccountSid('Account SID', v)),
          )),
    ),
  );
  const apiKeySid = apiKeySidRaw ? checkApiKeySid('--api-key-sid', apiKeySidRaw) : null;

  const store = await ctx.store();
  if (store.configs.byName(name)) {
    throw new CliError(`a config named ${JSON.stringify(name)} already exists`, {
      reason: 'duplicate_name',
      hint: `pick another --name, or remove it first: fruxon-twilio configs remove ${JSON.stringify(name)}`,
    });
  }

  let webhookUrlRaw: string | undefined = opts.webhookUrl;
  const secretName = authMethod === 'api-key' ? 'API Key Secret' : 'Auth Token';
  const envVar = secretEnvVar({ authMethod });
  let secret: string | undefined;
  if (opts.tokenFromEnv) {
    secret = env[envVar] || undefined;
    if (!secret && opts.verify) {
      throw usageError(
        `--token-from-env: ${envVar} is not set, so the credentials cannot be checked`,
        `export ${envVar}=…, or pass --no-verify`,
      );
    }
  } else if (opts.authTokenStdin || opts.apiKeySecretStdin) {
    const flag = opts.authTokenStdin ? '--auth-token-stdin' : '--api-key-secret-stdin';
    secret = await readStdin(io, flag);
    if (opts.webhookUrlStdin) [secret, webhookUrlRaw] = splitTwoLines(secret, flag, '--webhook-url-stdin');
  } else if (env[envVar]) {
    secret = env[envVar];
  } else if (ask) {
    secret = await promptSecret(io, `${secretName} (input hidden)`);
  } else {
    throw usageError(
      `missing the ${secretName}: pass ${authMethod === 'api-key' ? '--api-key-secret-stdin' : '--auth-token-stdin'} and pipe it in, set ${envVar}, or use --token-from-env`,
    );
  }
  if (secret !== undefined) secret = checkSecret(secretName, secret);
  if (opts.webhookUrlStdin && webhookUrlRaw === undefined) webhookUrlRaw = await readStdin(io, '--webhook-url-stdin');
  let webhookUrl: string | null = null;
  if (webhookUrlRaw !== undefined) {
    const { checkWebhookUrl } = await import('../config/webhook-url.js');
    const field = opts.webhookUrlStdin ? 'the webhook URL from --webhook-url-stdin' : '--webhook-url';
    webhookUrl = checkWebhookUrl(field, webhookUrlRaw, { localStandIn: Boolean(env.FRUXON_TWILIO_API_URL || apiUrl) });
  }

  let verification: { accountName: string; numberOwned: boolean } | null = null;
  let verify = opts.verify;
  while (verify) {
    const { verifyCredentials } = await import('../operations/configs.js');
    if (!opts.json) out.status(out.errColor.dim(`Checking the credentials with ${apiUrl ?? 'Twilio'}…`));
    try {
      verification = await verifyCredentials(
        {
          accountSid,
          authMethod,
          apiKeySid,
          secret: secret!,
          apiUrl: env.FRUXON_TWILIO_API_URL || apiUrl,
          region: env.TWILIO_REGION || region,
          edge: env.TWILIO_EDGE || edge,
        },
        fromNumber,
        ctx.twilio,
      );
      break;
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      // Nothing was saved: the hint says what to fix, and the two ways round it (the emulator, or no check).
      const failed =
        err.reason === 'twilio_auth'
          ? new CliError(`${err.message}; nothing was saved`, {
              reason: err.reason,
              hint: 'check the Auth Token (or API Key) in the Twilio Console, then run add-config again (--api-url URL for a local emulator, --no-verify to save it unchecked)',
              cause: err,
            })
          : new CliError(`${err.message}; nothing was saved`, {
              exitCode: err.exitCode,
              reason: err.reason,
              hint: `${err.hint ? `${err.hint}; ` : ''}or run add-config again with --api-url URL (a local emulator) or --no-verify (save it unchecked)`,
              cause: err,
            });
      if (!ask) throw failed;
      // On a terminal nothing typed is lost: try again, change what was wrong, or save it unchecked.
      out.error(err.message);
      const next = await promptChoice(io, 'The check failed. What now?', [
        ...(opts.tokenFromEnv ? [] : [{ value: 'secret' as const, name: `Type the ${secretName} again` }]),
        { value: 'url' as const, name: `Change the API URL (now ${apiUrl ?? 'https://api.twilio.com'})` },
        { value: 'retry' as const, name: 'Check again' },
        { value: 'save' as const, name: 'Save it without the check (as --no-verify)' },
        { value: 'cancel' as const, name: 'Cancel: save nothing' },
      ]);
      if (next === 'cancel') throw failed;
      if (next === 'save') verify = false;
      if (next === 'secret') secret = checkSecret(secretName, await promptSecret(io, `${secretName} (input hidden)`));
      if (next === 'url') apiUrl = await askApiUrl(ctx, io, { offerEmulator: false });
    }
  }
  if (verification) {
    if (!verification.numberOwned && fromNumber === SANDBOX_NUMBER) {
      if (!opts.json)
        out.status(
          out.errColor.dim(
            `${fromNumber} is the WhatsApp Sandbox: WhatsApp is its channel; its "When a message comes in" URL is set in the Twilio Console`,
          ),
        );
    } else if (!verification.numberOwned) {
      out.warn(
        `${fromNumber} is not a phone number of account ${maskSid(accountSid)}: Twilio will refuse to send from it (21606) and listen cannot register its webhook`,
      );
      if (ask && !(await promptConfirm(io, `Save ${fromNumber} anyway?`))) {
        throw new CliError(`not saved: ${fromNumber} is not a phone number of account ${maskSid(accountSid)}`, {
          reason: 'number_not_owned',
          hint: 'run add-config again with a From number the account owns (Twilio Console → Phone Numbers)',
        });
      }
    }
  }

  const { saveConfig } = await import('../operations/configs.js');
  const keychain = opts.tokenFromEnv ? null : { value: secret!, keychain: await ctx.secrets(), webhookUrl };
  const config = saveConfig(
    store,
    {
      name,
      fromNumber,
      accountSid,
      authMethod,
      apiKeySid,
      secretSource: opts.tokenFromEnv ? 'env' : 'keychain',
      apiUrl,
      region,
      edge,
      isDefault: opts.default,
    },
    keychain,
  );

  const { configJson, secretSourceText } = await import('../output/configs.js');
  if (opts.json) {
    out.data({
      ...configJson(config),
      verified: verification !== null,
      number_owned: verification?.numberOwned ?? null,
    });
    return;
  }
  out.success(
    `Saved config ${out.errColor.bold(config.name)}${config.isDefault ? ' (default)' : ''}: ${config.fromNumber} on ${maskSid(config.accountSid)}, ${secretSourceText(config)}${verification ? `, verified with account "${verification.accountName}"` : ', not verified'}.`,
  );
  if (config.webhookUrlHint) out.status(`Production webhook URL recorded in the OS keychain: ${config.webhookUrlHint}`);
  out.status(`Next: fruxon-twilio listen${config.isDefault ? '' : ` --config ${JSON.stringify(config.name)}`}`);
}

/** A value from a flag, else from a prompt on a terminal; without a terminal a missing flag is a usage error, never a hang. */
async function need(
  value: string | undefined,
  flag: string,
  what: string,
  prompt: false | (() => Promise<string>),
): Promise<string> {
  if (value !== undefined && value !== '') return value;
  if (prompt) return prompt();
  throw usageError(`missing ${flag}: ${what}`);
}

function checkSecret(what: string, value: string): string {
  const v = value.trim();
  if (!v || /[\s\u0000-\u001f]/.test(v)) throw usageError(`the ${what} must be one word of printable characters`);
  return v;
}

/** A region or edge name as Twilio spells them (ie1, dublin): lowercase letters and digits. */
function checkLocation(flag: string, value: string): string {
  const v = value.trim().toLowerCase();
  if (!/^[a-z][a-z0-9-]{1,30}$/.test(v))
    throw usageError(
      `${flag} must be a Twilio ${flag.slice(2)} name such as ${flag === '--region' ? 'ie1' : 'dublin'} (got ${JSON.stringify(value)})`,
    );
  return v;
}

/**
 * On a terminal, where the config talks to: a fruxon-twilio emulator running on its default port (7338, or
 * $FRUXON_TWILIO_EMULATOR_PORT) is offered
 * first (enter takes it); else a URL is asked for, enter meaning the real Twilio (null).
 */
async function askApiUrl(
  ctx: CommandContext,
  io: CommandContext['io'],
  opts: { offerEmulator?: boolean } = {},
): Promise<string | null> {
  if (opts.offerEmulator !== false) {
    let port: number | null = null;
    try {
      port = emulatorPort(ctx.env);
    } catch {
      // a malformed $FRUXON_TWILIO_EMULATOR_PORT: no emulator to look for (emulator itself says what is wrong)
    }
    const local = `http://127.0.0.1:${port}`;
    const { emulatorAnswers } = await import('../operations/configs.js');
    if (port !== null && (await emulatorAnswers(local))) {
      ctx
        .output()
        .status(
          `A Twilio emulator is running at ${local} (its account SID, number and Auth Token are on its first lines).`,
        );
      if (await promptConfirm(io, `Add the config for the emulator at ${local}?`, true)) return local;
    }
  }
  const answer = await promptText(
    io,
    'Twilio API URL (enter for the real Twilio; an emulator: http://127.0.0.1:PORT)',
    asValidator((v) => (v.trim() === '' ? true : checkHttpUrl('Twilio API URL', v.trim()))),
  );
  return answer.trim() === '' ? null : checkHttpUrl('Twilio API URL', answer.trim()).replace(/\/+$/, '');
}
