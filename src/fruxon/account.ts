import { CliError, usageError } from '../errors.js';
import { fruxonTokenAccount, type SecretStore } from '../secrets/index.js';
import type { Store } from '../store/index.js';
import { FRUXON_DEFAULT_API_URL, type FruxonClient, type FruxonFactory, normalizeApiUrl } from './client.js';

/**
 * Which Fruxon tenant, API base and token a command uses. Flags win, then the environment
 * (FRUXON_TENANT, FRUXON_API_URL, FRUXON_TOKEN: the CI path, no keychain needed), then what `fruxon login`
 * recorded (the tenant and API base in SQLite, the token in the keychain under `fruxon:<tenant>`).
 */

export const FRUXON_TOKEN_ENV = 'FRUXON_TOKEN';
export const FRUXON_TENANT_ENV = 'FRUXON_TENANT';
export const FRUXON_API_URL_ENV = 'FRUXON_API_URL';

export type ValueSource = 'flag' | 'env' | 'store' | 'keychain' | 'default';

export interface FruxonTarget {
  tenant: string;
  tenantSource: ValueSource;
  apiUrl: string;
  apiUrlSource: ValueSource;
}

const TENANT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function checkTenant(field: string, value: string): string {
  const v = value.trim();
  if (!TENANT.test(v))
    throw usageError(
      `${field} must be the organization slug shown in Fruxon's Settings → General, such as acme-corp (got ${JSON.stringify(value)})`,
    );
  return v;
}

export function checkApiUrl(field: string, value: string): string {
  let u: URL;
  try {
    u = new URL(value.trim());
  } catch {
    throw usageError(
      `${field} must be an http(s) URL such as ${FRUXON_DEFAULT_API_URL} (got something that is not a URL)`,
    );
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw usageError(`${field} must be an http(s) URL (got ${JSON.stringify(u.protocol.replace(/:$/, ''))})`);
  return normalizeApiUrl(value);
}

/** The tenant and API base, without the token. `store` may be null (no data directory yet). */
export function resolveTarget(
  store: Store | null,
  env: NodeJS.ProcessEnv,
  flags: { tenant?: string; apiUrl?: string },
): FruxonTarget | null {
  let tenant: string | undefined;
  let tenantSource: ValueSource = 'flag';
  if (flags.tenant !== undefined) tenant = checkTenant('--tenant', flags.tenant);
  else if (env[FRUXON_TENANT_ENV]) {
    tenant = checkTenant(FRUXON_TENANT_ENV, env[FRUXON_TENANT_ENV]!);
    tenantSource = 'env';
  } else {
    tenant = store?.fruxon.defaultAccount()?.tenant;
    tenantSource = 'store';
  }
  if (!tenant) return null;
  const stored = store?.fruxon.account(tenant);
  if (flags.apiUrl !== undefined)
    return { tenant, tenantSource, apiUrl: checkApiUrl('--api-url', flags.apiUrl), apiUrlSource: 'flag' };
  if (env[FRUXON_API_URL_ENV])
    return {
      tenant,
      tenantSource,
      apiUrl: checkApiUrl(FRUXON_API_URL_ENV, env[FRUXON_API_URL_ENV]!),
      apiUrlSource: 'env',
    };
  if (stored?.apiUrl) return { tenant, tenantSource, apiUrl: stored.apiUrl, apiUrlSource: 'store' };
  return { tenant, tenantSource, apiUrl: FRUXON_DEFAULT_API_URL, apiUrlSource: 'default' };
}

/** A client for the tenant, with the token from FRUXON_TOKEN or the keychain; clear errors when either is missing. */
export function connectFruxon(
  store: Store | null,
  env: NodeJS.ProcessEnv,
  keychain: () => SecretStore,
  flags: {
    tenant?: string;
    apiUrl?: string;
    timeoutMs?: number;
    /** The command context's Fruxon client factory. */
    fruxon: FruxonFactory;
  },
): { client: FruxonClient; target: FruxonTarget; tokenSource: 'env' | 'keychain' } {
  const target = resolveTarget(store, env, flags);
  if (!target) {
    throw new CliError('no Fruxon tenant: not logged in, and neither --tenant nor FRUXON_TENANT is given', {
      reason: 'fruxon_not_logged_in',
      hint: 'log in first: fruxon-twilio fruxon login --tenant SLUG (in CI: set FRUXON_TOKEN and FRUXON_TENANT)',
    });
  }
  const fromEnv = env[FRUXON_TOKEN_ENV]?.trim();
  const token = fromEnv || keychain().get(fruxonTokenAccount(target.tenant));
  if (!token) {
    throw new CliError(
      `no Fruxon token for tenant ${JSON.stringify(target.tenant)}: the keychain has none and FRUXON_TOKEN is not set`,
      {
        reason: 'fruxon_not_logged_in',
        hint: `log in: fruxon-twilio fruxon login --tenant ${target.tenant} (in CI: set FRUXON_TOKEN)`,
      },
    );
  }
  return {
    client: flags.fruxon({
      apiUrl: target.apiUrl,
      tenant: target.tenant,
      token,
      timeoutMs: flags.timeoutMs,
    }),
    target,
    tokenSource: fromEnv ? 'env' : 'keychain',
  };
}
