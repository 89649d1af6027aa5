import { CliError } from '../errors.js';
import { type FruxonClient, FruxonHttpError, fruxonError } from './client.js';

/**
 * The Fruxon endpoints fruxon-twilio uses, with the shapes the public docs give. Where the docs leave a
 * shape open (the config list, the publish answer, the Twilio parameter names), the answer is read at run
 * time and anything else is refused with a message naming what came back: nothing is guessed silently.
 */

export const TWILIO_INTEGRATION = 'twilio';

export interface AuthHealth {
  authenticationSource: string | null;
  tenantId: string | null;
  userId: string | null;
  email: string | null;
  apiKeyName: string | null;
  scopes: string[];
  apiKeyExpiresAt: string | number | null;
}

/** GET /v1/tenants/{tenant}/auth/health: who the token is. 401 and 403 become their own messages. */
export async function authHealth(client: FruxonClient): Promise<AuthHealth> {
  let body: Record<string, unknown>;
  try {
    body = expectObject(
      await client.request('GET', client.tenantPath('/auth/health'), 'check the token'),
      'auth/health',
    );
  } catch (err) {
    if (err instanceof FruxonHttpError && err.status === 401) {
      throw new CliError(
        `Fruxon rejected the token (HTTP 401${err.problem?.detail ? `: ${client.scrub(err.problem.detail)}` : ''})`,
        {
          reason: 'fruxon_auth',
          hint: 'create a token in Fruxon (Settings → Tokens, Builder preset) and log in again: fruxon-twilio fruxon login --tenant SLUG',
          cause: err,
        },
      );
    }
    if (err instanceof FruxonHttpError && err.status === 403) {
      throw new CliError(`the token is valid but not for tenant ${JSON.stringify(client.tenant)} (HTTP 403)`, {
        reason: 'fruxon_wrong_tenant',
        hint: "use the organization slug shown in Fruxon's Settings → General (--tenant or FRUXON_TENANT), or a token of that organization",
        cause: err,
      });
    }
    if (err instanceof FruxonHttpError && err.status === 404) {
      throw fruxonError(
        err,
        `no tenant ${JSON.stringify(client.tenant)} at ${client.origin()}: check --tenant (the organization slug) and --api-url`,
      );
    }
    throw fruxonError(err);
  }
  const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : null);
  if (!Array.isArray(body.scopes)) {
    throw unexpected('auth/health', `no "scopes" list (keys: ${Object.keys(body).join(', ') || 'none'})`);
  }
  return {
    authenticationSource: str('authenticationSource'),
    tenantId: str('tenantId'),
    userId: str('userId'),
    email: str('email'),
    apiKeyName: str('apiKeyName'),
    scopes: body.scopes.filter((s): s is string => typeof s === 'string'),
    apiKeyExpiresAt:
      typeof body.apiKeyExpiresAt === 'string' || typeof body.apiKeyExpiresAt === 'number'
        ? body.apiKeyExpiresAt
        : null,
  };
}

/**
 * Whether the scopes allow writing integration configs: `integrations:write` itself, a wildcard that
 * covers it, or a preset name that includes it (Builder, Admin).
 */
export function canWriteIntegrations(scopes: readonly string[]): boolean {
  return scopes.some((raw) => {
    const s = raw.trim().toLowerCase();
    return ['integrations:write', 'integrations:*', '*', '*:*', '*:write', 'builder', 'admin'].includes(s);
  });
}

// ---- integration metadata ----------------------------------------------------------------------------

interface ParamMeta {
  name: string;
  displayName: string | null;
  type: string | null;
  required: boolean;
  secret: boolean;
}

interface AuthMeta {
  id: string;
  displayName: string | null;
  type: string | null;
  supportedLevels: string[];
  parametersMetadata: ParamMeta[];
}

/** What link needs to know of the Twilio integration: which names Fruxon uses for our values. */
export interface TwilioMapping {
  integrationId: string;
  /** parametersMetadata[].name of the From number. */
  fromParameter: string;
  /** authMetadata[].id of the Account SID + Auth Token method. */
  authMetadataId: string;
  authLevel: string;
  sidParameter: string;
  tokenParameter: string;
  /** For messages: what the names look like in Fruxon's UI. */
  authDisplayName: string;
}

/** GET /v1/tenants/{tenant}/integrations/twilio, read into a TwilioMapping. */
export async function readTwilioMapping(client: FruxonClient): Promise<TwilioMapping> {
  let meta: unknown;
  try {
    meta = await client.request(
      'GET',
      client.tenantPath(`/integrations/${TWILIO_INTEGRATION}`),
      'read the Twilio integration',
    );
  } catch (err) {
    if (err instanceof FruxonHttpError && err.status === 404) {
      throw fruxonError(
        err,
        `this tenant has no integration with id "${TWILIO_INTEGRATION}": check that the Twilio integration is available in Fruxon (Integrations)`,
      );
    }
    throw fruxonError(err);
  }
  const obj = expectObject(meta, `integrations/${TWILIO_INTEGRATION}`);
  let settings: Record<string, unknown> | null = null;
  const auth = authCandidate(obj);
  if (auth && paramsOf(auth).length === 0) {
    // The method's own parametersMetadata is empty: the per-auth-type metadata may name the parameters.
    try {
      settings = expectObject(
        await client.request('GET', '/v1/authMetadata:settings', 'read the auth method settings'),
        'authMetadata:settings',
      );
    } catch (err) {
      throw fruxonError(err);
    }
  }
  return twilioMapping(obj, settings);
}

/**
 * Pure: finds, in the integration's configMetadata, the String parameter for the From number and the
 * Account SID + Auth Token auth method with its two parameters. Throws a CliError naming what was found
 * when any of them is absent or ambiguous.
 */
export function twilioMapping(meta: unknown, authSettings: Record<string, unknown> | null = null): TwilioMapping {
  const obj = expectObject(meta, `integrations/${TWILIO_INTEGRATION}`);
  const cm = obj.configMetadata;
  if (!cm || typeof cm !== 'object') throw unexpected(`integrations/${TWILIO_INTEGRATION}`, 'no configMetadata');
  const params = readParams((cm as Record<string, unknown>).parametersMetadata, 'configMetadata.parametersMetadata');
  const integrationId = typeof obj.id === 'string' && obj.id ? obj.id : TWILIO_INTEGRATION;

  // The From number: a String parameter whose name or display name says "from".
  const strings = params.filter((p) => (p.type ?? 'string').toLowerCase() === 'string');
  const label = (p: ParamMeta) => `${p.name}${p.displayName ? ` ("${p.displayName}")` : ''}`;
  let from = strings.filter((p) => /from/i.test(p.name) || /from/i.test(p.displayName ?? ''));
  if (from.length > 1) {
    const narrowed = from.filter((p) => /from.?(number|phone)|sender/i.test(`${p.name} ${p.displayName ?? ''}`));
    if (narrowed.length === 1) from = narrowed;
  }
  if (from.length !== 1) {
    throw new CliError(
      from.length === 0
        ? `Fruxon's Twilio integration has no String parameter for the From number (parameters: ${params.map(label).join(', ') || 'none'})`
        : `Fruxon's Twilio integration has several parameters that could be the From number: ${from.map(label).join(', ')}`,
      {
        reason: 'fruxon_unexpected',
        hint: 'create the config in the Fruxon UI instead, then record its webhook URL: fruxon-twilio configs set NAME --webhook-url-stdin',
      },
    );
  }

  // The auth method: Account SID + Auth Token (HTTP Basic).
  const methods = readAuth(cm as Record<string, unknown>);
  const auth = pickAuth(methods);
  let authParams = auth.parametersMetadata;
  if (authParams.length === 0 && authSettings) {
    const entry = auth.type ? (authSettings[auth.type] ?? authSettings[auth.type.toUpperCase()]) : undefined;
    const list = Array.isArray(entry)
      ? entry
      : entry && typeof entry === 'object'
        ? (entry as Record<string, unknown>).parametersMetadata
        : undefined;
    if (list !== undefined) authParams = readParams(list, `authMetadata:settings.${auth.type}`);
  }
  const pickOne = (what: string, re: RegExp, not?: string) => {
    const found = authParams
      .filter((p) => re.test(p.name) || re.test(p.displayName ?? ''))
      .filter((p) => p.name !== not);
    if (found.length !== 1) {
      throw new CliError(
        `Fruxon's auth method ${JSON.stringify(auth.displayName ?? auth.id)} has ${found.length === 0 ? 'no' : 'more than one'} parameter for the ${what} (parameters: ${authParams.map(label).join(', ') || 'none'})`,
        {
          reason: 'fruxon_unexpected',
          hint: 'create the config in the Fruxon UI instead, then record its webhook URL: fruxon-twilio configs set NAME --webhook-url-stdin',
        },
      );
    }
    return found[0]!.name;
  };
  const sidParameter = pickOne('Account SID', /sid|user/i);
  const tokenParameter = pickOne('Auth Token', /token|password|secret/i, sidParameter);
  const level = auth.supportedLevels.includes('APPLICATION')
    ? 'APPLICATION'
    : (auth.supportedLevels[0] ?? 'APPLICATION');
  return {
    integrationId,
    fromParameter: from[0]!.name,
    authMetadataId: auth.id,
    authLevel: level,
    sidParameter,
    tokenParameter,
    authDisplayName: auth.displayName ?? auth.id,
  };
}

function authCandidate(obj: Record<string, unknown>): AuthMeta | null {
  try {
    const cm = obj.configMetadata as Record<string, unknown> | undefined;
    return cm ? pickAuth(readAuth(cm)) : null;
  } catch {
    return null; // twilioMapping reports it
  }
}

function paramsOf(a: AuthMeta): ParamMeta[] {
  return a.parametersMetadata;
}

function readAuth(cm: Record<string, unknown>): AuthMeta[] {
  const raw = cm.authMetadata;
  if (!Array.isArray(raw))
    throw unexpected(`integrations/${TWILIO_INTEGRATION}`, 'configMetadata.authMetadata is not a list');
  return raw.map((a, i) => {
    if (!a || typeof a !== 'object' || typeof (a as Record<string, unknown>).id !== 'string') {
      throw unexpected(`integrations/${TWILIO_INTEGRATION}`, `authMetadata[${i}] has no id`);
    }
    const o = a as Record<string, unknown>;
    return {
      id: o.id as string,
      displayName: typeof o.displayName === 'string' ? o.displayName : null,
      type: typeof o.type === 'string' ? o.type : null,
      supportedLevels: Array.isArray(o.supportedLevels)
        ? o.supportedLevels.filter((s): s is string => typeof s === 'string')
        : [],
      parametersMetadata:
        o.parametersMetadata === undefined || o.parametersMetadata === null
          ? []
          : readParams(o.parametersMetadata, `authMetadata[${i}].parametersMetadata`),
    };
  });
}

function pickAuth(methods: AuthMeta[]): AuthMeta {
  const text = (a: AuthMeta) => `${a.id} ${a.displayName ?? ''} ${a.type ?? ''}`;
  let found = methods.filter((a) => /sid|token|basic/i.test(text(a)));
  if (found.length > 1) {
    const both = found.filter((a) => /sid/i.test(text(a)) && /token/i.test(text(a)));
    if (both.length === 1) found = both;
  }
  if (found.length !== 1) {
    const names = methods.map((a) => `${a.id}${a.displayName ? ` ("${a.displayName}")` : ''}`).join(', ') || 'none';
    throw new CliError(
      found.length === 0
        ? `Fruxon's Twilio integration offers no Account SID + Auth Token auth method (auth methods: ${names})`
        : `Fruxon's Twilio integration has several auth methods that could be Account SID + Auth Token: ${names}`,
      {
        reason: 'fruxon_unexpected',
        hint: 'create the config in the Fruxon UI instead, then record its webhook URL: fruxon-twilio configs set NAME --webhook-url-stdin',
      },
    );
  }
  return found[0]!;
}

function readParams(raw: unknown, where: string): ParamMeta[] {
  if (!Array.isArray(raw)) throw unexpected(`integrations/${TWILIO_INTEGRATION}`, `${where} is not a list`);
  return raw.map((p, i) => {
    if (!p || typeof p !== 'object' || typeof (p as Record<string, unknown>).name !== 'string')
      throw unexpected(`integrations/${TWILIO_INTEGRATION}`, `${where}[${i}] has no name`);
    const o = p as Record<string, unknown>;
    return {
      name: o.name as string,
      displayName: typeof o.displayName === 'string' ? o.displayName : null,
      type: typeof o.type === 'string' ? o.type : null,
      required: o.required === true,
      secret: o.secret === true,
    };
  });
}

// ---- configs --------------------------------------------------------------------------------------

/** An integration config as Fruxon returns it (the draft). */
export interface FruxonConfig {
  id: string;
  displayName: string;
  parameters: Record<string, unknown>;
  hasAuth: boolean;
  publishedRevisionId: string | null;
}

const configsPath = (client: FruxonClient, rest = '') =>
  client.tenantPath(`/integrations/${TWILIO_INTEGRATION}/configs${rest}`);

function readConfig(v: unknown, where: string): FruxonConfig {
  const o = expectObject(v, where);
  if (typeof o.id !== 'string' || !o.id) throw unexpected(where, 'a config without an id');
  return {
    id: o.id,
    displayName: typeof o.displayName === 'string' ? o.displayName : '',
    parameters:
      o.parameters && typeof o.parameters === 'object' && !Array.isArray(o.parameters)
        ? (o.parameters as Record<string, unknown>)
        : {},
    hasAuth: o.hasAuth === true,
    publishedRevisionId:
      typeof o.publishedRevisionId === 'string' && o.publishedRevisionId ? o.publishedRevisionId : null,
  };
}

/** GET …/configs/{id}; null when Fruxon says 404. */
export async function getConfig(client: FruxonClient, id: string): Promise<FruxonConfig | null> {
  try {
    return readConfig(
      await client.request('GET', configsPath(client, `/${encodeURIComponent(id)}`), `read config ${id}`),
      'configs/{config}',
    );
  } catch (err) {
    if (err instanceof FruxonHttpError && err.status === 404) return null;
    throw fruxonError(err);
  }
}

/**
 * GET …/configs. Its shape is not documented: a bare array and a page ({items, nextPageToken}) are
 * both read (following nextPageToken); anything else is refused.
 */
export async function listConfigs(client: FruxonClient): Promise<FruxonConfig[]> {
  const all: FruxonConfig[] = [];
  let token: string | null = null;
  for (let page = 0; page < 50; page++) {
    const query: string = token ? `?PageToken.Cursor=${encodeURIComponent(token)}` : '';
    let body: unknown;
    try {
      body = await client.request('GET', configsPath(client) + query, 'list the Twilio configs');
    } catch (err) {
      throw fruxonError(err);
    }
    let items: unknown[];
    if (Array.isArray(body)) {
      items = body;
      token = null;
    } else if (body && typeof body === 'object' && Array.isArray((body as Record<string, unknown>).items)) {
      items = (body as { items: unknown[] }).items;
      const next = (body as Record<string, unknown>).nextPageToken;
      token = typeof next === 'string' && next ? next : null;
    } else {
      throw unexpected('configs', `neither a list nor {items: [...]} (got ${describeShape(body)})`);
    }
    all.push(...items.map((i) => readConfig(i, 'configs[]')));
    if (!token) return all;
  }
  return all;
}

/** POST …/configs: a new draft with the display name, From number and Account SID + Auth Token. */
export async function createConfig(
  client: FruxonClient,
  mapping: TwilioMapping,
  v: { displayName: string; fromNumber: string; accountSid: string; authToken: string },
): Promise<FruxonConfig> {
  const body = {
    displayName: v.displayName,
    integrationId: mapping.integrationId,
    parameters: { [mapping.fromParameter]: v.fromNumber },
    auth: {
      integrationAuthMetadataId: mapping.authMetadataId,
      level: mapping.authLevel,
      parameters: { [mapping.sidParameter]: v.accountSid, [mapping.tokenParameter]: v.authToken },
    },
  };
  try {
    return readConfig(
      await client.request(
        'POST',
        configsPath(client),
        `create the Twilio config ${JSON.stringify(v.displayName)}`,
        body,
      ),
      'POST configs',
    );
  } catch (err) {
    throw fruxonError(err);
  }
}

/** POST …/configs/{id}:publish. Any 2xx is a publish; the answer's shape is not relied on. */
export async function publishConfig(client: FruxonClient, id: string, note: string): Promise<void> {
  try {
    await client.request('POST', configsPath(client, `/${encodeURIComponent(id)}:publish`), `publish config ${id}`, {
      note,
    });
  } catch (err) {
    throw fruxonError(err);
  }
}

// ---- webhook URL --------------------------------------------------------------------------------

export interface MintedWebhook {
  /** The full URL, with its key: a secret, shown once by Fruxon. */
  webhookUrl: string;
  webhookKeyPrefix: string | null;
}

function readMinted(v: unknown, where: string): MintedWebhook {
  const o = expectObject(v, where);
  if (typeof o.webhookUrl !== 'string' || !o.webhookUrl) throw unexpected(where, 'no webhookUrl');
  try {
    new URL(o.webhookUrl);
  } catch {
    throw unexpected(where, 'a webhookUrl that is not a URL');
  }
  return {
    webhookUrl: o.webhookUrl,
    webhookKeyPrefix: typeof o.webhookKeyPrefix === 'string' ? o.webhookKeyPrefix : null,
  };
}

/**
 * POST …/configs/{id}:generateWebhookUrl. Returns null when Fruxon answers 400 (a key is already bound, or
 * the integration mints per binding): the caller decides whether to rotate.
 */
export async function generateWebhookUrl(
  client: FruxonClient,
  id: string,
): Promise<{ minted: MintedWebhook } | { refused: string }> {
  try {
    return {
      minted: readMinted(
        await client.request(
          'POST',
          configsPath(client, `/${encodeURIComponent(id)}:generateWebhookUrl`),
          'mint the webhook URL',
          {},
        ),
        ':generateWebhookUrl',
      ),
    };
  } catch (err) {
    if (err instanceof FruxonHttpError && err.status === 400) return { refused: err.message };
    throw fruxonError(err);
  }
}

/** POST …/configs/{id}/webhook:rotate: a new key, the old URL stops working at once. 400 (no key yet) comes back as `refused`. */
export async function rotateWebhook(
  client: FruxonClient,
  id: string,
): Promise<{ minted: MintedWebhook } | { refused: string }> {
  try {
    return {
      minted: readMinted(
        await client.request(
          'POST',
          configsPath(client, `/${encodeURIComponent(id)}/webhook:rotate`),
          'rotate the webhook key',
          {},
        ),
        'webhook:rotate',
      ),
    };
  } catch (err) {
    if (err instanceof FruxonHttpError && err.status === 400) return { refused: err.message };
    throw fruxonError(err);
  }
}

// ---- helpers ------------------------------------------------------------------------------------

export function expectObject(v: unknown, where: string, hint?: string): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw unexpected(where, `not a JSON object (got ${describeShape(v)})`, hint);
  return v as Record<string, unknown>;
}

export function describeShape(v: unknown): string {
  if (v === undefined) return 'an empty body';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return `an object with keys ${Object.keys(v).slice(0, 8).join(', ') || '(none)'}`;
  return typeof v;
}

/** An answer this tool cannot read: stop, naming what came back (`hint` overrides the config one). */
export function unexpected(where: string, what: string, hint?: string): CliError {
  return new CliError(`Fruxon answered something unexpected from ${where}: ${what}`, {
    reason: 'fruxon_unexpected',
    hint:
      hint ??
      'this version of fruxon-twilio may not match the Fruxon API; create the config in the Fruxon UI and record its webhook URL with: fruxon-twilio configs set NAME --webhook-url-stdin',
  });
}
