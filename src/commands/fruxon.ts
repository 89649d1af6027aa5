import type { Command } from 'commander';
import { CliError, usageError } from '../errors.js';
import { safe } from '../output/index.js';
import { shellQuote } from '../shell.js';
import { registerAccessRequests } from './access-requests.js';
import type { CommandContext } from './context.js';

interface LoginOptions {
  tenant?: string;
  tokenStdin?: boolean;
  apiUrl?: string;
  json?: boolean;
}

interface StatusOptions {
  config?: string;
  apiUrl?: string;
  json?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  const fruxon = program
    .command('fruxon')
    .description(
      'Your Fruxon account: log in with a token (kept in the OS keychain), and see the Fruxon side of a config',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ fruxon-twilio fruxon login --tenant acme-corp              # masked prompt for the token on a terminal
  $ printf %s "$FRUXON_TOKEN" | fruxon-twilio fruxon login --tenant acme-corp --token-stdin
  $ fruxon-twilio fruxon status --config support
  $ fruxon-twilio fruxon logout
  $ fruxon-twilio fruxon access-requests --config support   # new senders Fruxon holds until approved

CI: set FRUXON_TOKEN and FRUXON_TENANT (and FRUXON_API_URL for a local stand-in); no keychain needed.`,
    );

  fruxon
    .command('login')
    .description(
      'Store a Fruxon token (fx_pat_… or fx_sat_…, Builder preset or integrations:write) in the keychain after checking it',
    )
    .option(
      '--tenant <slug>',
      'organization slug (Settings → General in Fruxon); default $FRUXON_TENANT, else the last one logged in',
    )
    .option(
      '--token-stdin',
      'read the token from standard input (default: $FRUXON_TOKEN, else a masked prompt on a terminal)',
    )
    .option(
      '--api-url <url>',
      'Fruxon API base of a local stand-in (default $FRUXON_API_URL, else https://api.fruxon.com)',
    )
    .option('--json', 'print who the token is as JSON')
    .action((opts: LoginOptions) => login(ctx, opts));

  fruxon
    .command('status')
    .description(
      'The Fruxon side of a config: its Fruxon config id, published or draft, webhook key prefix, and whether the number points at it',
    )
    .option('--config <name>', 'config name (default: the default config)')
    .option('--api-url <url>', 'Fruxon API base of a local stand-in')
    .option('--json', 'print JSON')
    .action((opts: StatusOptions) => status(ctx, opts));

  fruxon
    .command('logout')
    .description("Forget a tenant's Fruxon token (keychain) and its record")
    .option('--tenant <slug>', 'tenant (default: the last one logged in)')
    .option('--json', 'print JSON')
    .action((opts: { tenant?: string; json?: boolean }) => logout(ctx, opts));

  registerAccessRequests(fruxon, ctx);
}

async function login(ctx: CommandContext, opts: LoginOptions): Promise<void> {
  const out = ctx.output(opts);
  const { resolveTarget, checkTenant, FRUXON_TOKEN_ENV } = await import('../fruxon/account.js');
  const store = await ctx.store();
  let target = resolveTarget(store, ctx.env, opts);
  if (!target) {
    if (!out.interactive)
      throw usageError(
        '--tenant is required (or set FRUXON_TENANT): the organization slug shown in Fruxon under Settings → General',
      );
    const { promptText, asValidator } = await import('./input.js');
    const tenant = await promptText(
      ctx.io,
      'Fruxon organization slug (Settings → General)',
      asValidator((v) => checkTenant('tenant', v)),
    );
    target = resolveTarget(store, ctx.env, { ...opts, tenant })!;
  }

  let token: string;
  let tokenSource: 'stdin' | 'env' | 'prompt';
  if (opts.tokenStdin) {
    const { readStdin } = await import('./input.js');
    token = (await readStdin(ctx.io, '--token-stdin')).trim();
    tokenSource = 'stdin';
  } else if (ctx.env[FRUXON_TOKEN_ENV]?.trim()) {
    token = ctx.env[FRUXON_TOKEN_ENV]!.trim();
    tokenSource = 'env';
  } else if (out.interactive) {
    const { promptSecret } = await import('./input.js');
    token = (await promptSecret(ctx.io, `Fruxon token for ${target.tenant} (fx_pat_… or fx_sat_…)`)).trim();
    tokenSource = 'prompt';
  } else {
    throw usageError(
      'no Fruxon token: pass --token-stdin and pipe it in, or set FRUXON_TOKEN',
      'printf %s "$TOKEN" | fruxon-twilio fruxon login --tenant SLUG --token-stdin',
    );
  }
  if (/\s/.test(token)) throw usageError('the Fruxon token must be one word without spaces (fx_pat_… or fx_sat_…)');
  if (!/^fx_(pat|sat)_/.test(token)) {
    out.warn(
      "the token does not look like a Fruxon token (fx_pat_… or fx_sat_…); older fx_live_ API keys are sent in X-API-KEY, which Fruxon's token guide says is no longer accepted",
    );
  }

  const { authHealth, canWriteIntegrations } = await import('../fruxon/api.js');
  const client = ctx.fruxon({ apiUrl: target.apiUrl, tenant: target.tenant, token });
  const health = await authHealth(client);

  const keep = tokenSource !== 'env';
  const { fruxonTokenAccount } = await import('../secrets/index.js');
  const keychain = await ctx.keychain();
  const subject = health.email ?? health.apiKeyName ?? health.userId;
  store.fruxon.saveAccount(
    {
      tenant: target.tenant,
      apiUrl: target.apiUrlSource === 'default' ? null : target.apiUrl,
      subject,
      scopes: health.scopes,
    },
    keep ? () => keychain().set(fruxonTokenAccount(target.tenant), token) : undefined,
  );
  const writable = canWriteIntegrations(health.scopes);
  if (!writable) {
    out.warn(
      `the token has no integrations:write scope (scopes: ${health.scopes.join(', ') || 'none'}): link cannot create or publish configs; create a token with the Builder preset`,
    );
  }
  if (opts.json) {
    return out.data({
      tenant: target.tenant,
      tenant_id: health.tenantId,
      api_url: target.apiUrl,
      authentication_source: health.authenticationSource,
      user_id: health.userId,
      email: health.email,
      api_key_name: health.apiKeyName,
      scopes: health.scopes,
      api_key_expires_at: health.apiKeyExpiresAt,
      integrations_write: writable,
      token_stored: keep ? 'keychain' : 'env',
    });
  }
  out.success(
    `Logged in to Fruxon tenant ${target.tenant}${health.tenantId ? ` (${health.tenantId})` : ''} as ${who(health)}.`,
  );
  out.line(`tenant      ${target.tenant}${health.tenantId ? `  ${health.tenantId}` : ''}`);
  out.line(`who         ${safe(who(health))}`);
  out.line(`scopes      ${safe(health.scopes.join(', ') || '(none)')}`);
  if (health.apiKeyExpiresAt !== null) out.line(`expires     ${health.apiKeyExpiresAt}`);
  out.line(`api         ${target.apiUrl}`);
  out.line(`token       ${keep ? 'in the OS keychain' : 'from FRUXON_TOKEN (not stored)'}`);
}

function who(h: {
  email: string | null;
  apiKeyName: string | null;
  userId: string | null;
  authenticationSource: string | null;
}): string {
  const parts = [h.email, h.apiKeyName && `token ${JSON.stringify(h.apiKeyName)}`].filter(Boolean);
  const base = parts.length ? parts.join(', ') : (h.userId ?? 'an unnamed identity');
  return h.authenticationSource ? `${base} (${h.authenticationSource})` : base;
}

async function logout(ctx: CommandContext, opts: { tenant?: string; json?: boolean }): Promise<void> {
  const out = ctx.output(opts);
  const store = await ctx.store();
  const { resolveTarget } = await import('../fruxon/account.js');
  const target = resolveTarget(store, {}, opts);
  if (!target) throw new CliError('not logged in to any Fruxon tenant', { reason: 'not_found' });
  const { fruxonTokenAccount } = await import('../secrets/index.js');
  const keychain = await ctx.keychain();
  let hadToken = false;
  const hadRecord = store.fruxon.removeAccount(
    target.tenant,
    () => (hadToken = keychain().delete(fruxonTokenAccount(target.tenant))),
  );
  if (opts.json) return out.data({ tenant: target.tenant, removed: hadRecord || hadToken });
  if (hadRecord || hadToken) out.success(`Forgot the Fruxon token of tenant ${target.tenant}.`);
  else out.status(`Nothing to forget for tenant ${target.tenant}.`);
}

async function status(ctx: CommandContext, opts: StatusOptions): Promise<void> {
  const out = ctx.output(opts);
  const store = await ctx.store();
  const { fruxonStatus } = await import('../operations/fruxon-status.js');
  const s = await fruxonStatus(
    { config: opts.config, apiUrl: opts.apiUrl },
    { store, env: ctx.env, secrets: () => ctx.secrets(), twilio: ctx.twilio, fruxon: ctx.fruxon },
  );
  const { config } = s;
  if (!s.linked) {
    if (opts.json) return out.data({ config: config.name, linked: false });
    out.line(`${config.name} is not linked to a Fruxon config.`);
    out.status(
      `To create (or find) it on Fruxon and point the number at it: fruxon-twilio link --config ${shellQuote(config.name)}`,
    );
    return;
  }
  const { link, fx, state, number, numberError } = s;
  if (!fx) ctx.exitCode = 1;

  if (opts.json) {
    return out.data({
      config: config.name,
      linked: true,
      tenant: link.tenant,
      fruxon_config_id: link.fruxonConfigId,
      display_name: fx?.displayName ?? null,
      state,
      published_revision_id: fx?.publishedRevisionId ?? null,
      webhook_key_prefix: link.webhookKeyPrefix,
      webhook_url: config.webhookUrlHint,
      webhook_url_stored: s.webhookUrlStored,
      number: number && {
        phone_number: number.phoneNumber,
        kind: number.kind,
        points_at_fruxon: number.pointsAtFruxon,
        sms_url: number.smsUrl,
      },
      number_error: numberError,
    });
  }
  out.line(`config        ${config.name}`);
  out.line(`tenant        ${link.tenant}`);
  out.line(`fruxon id     ${link.fruxonConfigId}${fx ? `  "${safe(fx.displayName)}"` : ''}`);
  out.line(
    `state         ${state === 'missing' ? 'missing: Fruxon has no such config any more' : state === 'published' ? `published (revision ${fx!.publishedRevisionId})` : 'draft (not published)'}`,
  );
  out.line(`webhook key   ${link.webhookKeyPrefix ? `${link.webhookKeyPrefix}…` : '(none minted by link)'}`);
  out.line(
    `webhook url   ${config.webhookUrlHint ?? (s.webhookUrlStored ? '(from FRUXON_TWILIO_WEBHOOK_URL)' : '(none stored)')}`,
  );
  if (number) {
    out.line(
      `number        ${number.phoneNumber} ${number.pointsAtFruxon ? 'points at it' : `does not point at it (${number.kind}${number.smsUrl ? `: ${number.smsUrl}` : ''})`}`,
    );
  } else {
    out.line(`number        unknown (${safe(String(numberError))})`);
  }
  const name = shellQuote(config.name);
  if (!fx)
    out.status(
      `The link is stale: fruxon-twilio link --config ${name} --relink creates (or finds) a new Fruxon config.`,
    );
  else if (state === 'draft' || (number && !number.pointsAtFruxon && number.kind !== 'listener'))
    out.status(`To finish: fruxon-twilio link --config ${name}`);
}
