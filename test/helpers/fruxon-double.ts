import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Fruxon's public REST API, built from the documented shapes (../shared/fruxon-api.md):
 * Bearer tokens bound to one tenant with scopes; auth/health (401 bad token, 403 another tenant's token);
 * the Twilio integration's metadata; integration configs that start as drafts and get a published revision;
 * a webhook URL shown once (:generateWebhookUrl, 400 when a key is already bound) and /webhook:rotate
 * (400 when none is); errors as problem bodies {type, title, status, detail, instance}.
 */

export interface DoubleToken {
  tenant: string;
  scopes: string[];
  email?: string | null;
  apiKeyName?: string | null;
}

export interface DoubleConfig {
  id: string;
  tenant: string;
  displayName: string;
  parameters: Record<string, unknown>;
  /** What was sent as auth (kept to check it; never returned). */
  auth: { integrationAuthMetadataId: string; level: string; parameters: Record<string, string> };
  publishedRevisionId: string | null;
  revisions: string[];
  webhookKey: string | null;
  revokedKeys: string[];
}

export interface FruxonDouble {
  url: string;
  /** The host minted webhook URLs point at. */
  ingress: string;
  configs: Map<string, DoubleConfig>;
  /** Every request: method, path (with the query), status answered. */
  requests: { method: string; path: string; status: number }[];
  /** Calls per route name (health, metadata, list, get, create, publish, generate, rotate). */
  calls(route: string): number;
  webhookUrl(config: DoubleConfig): string | null;
  close(): Promise<void>;
}

export const TWILIO_METADATA = {
  id: 'twilio',
  displayName: 'Twilio',
  description: 'SMS and WhatsApp through Twilio',
  type: 'SYSTEM',
  configMetadata: {
    parametersMetadata: [
      { name: 'fromNumber', index: 0, type: 'String', displayName: 'From Number', description: 'E.164 sender for every outbound message', required: true, secret: false, defaultValue: null, options: null, uiHint: null, rules: [] },
      { name: 'messagingServiceSid', index: 1, type: 'String', displayName: 'Messaging Service SID', description: 'optional', required: false, secret: false, defaultValue: null, options: null, uiHint: null, rules: [] },
    ],
    authMetadata: [
      {
        id: 'twilio-account-sid-auth-token',
        displayName: 'Account SID + Auth Token',
        type: 'BASIC',
        sensitivity: 'HIGH',
        configTestSupported: false,
        supportedLevels: ['APPLICATION'],
        authMap: { useMap: false },
        authSettings: { parameters: {} },
        parametersMetadata: [
          { name: 'username', index: 0, type: 'String', displayName: 'Account SID', required: true, secret: false },
          { name: 'password', index: 1, type: 'String', displayName: 'Auth Token', required: true, secret: true },
        ],
        availableScopes: [],
      },
    ],
  },
  tags: [],
  isInternal: false,
  createdAt: 0,
  modifiedAt: 0,
};

export async function startFruxonDouble(opts: { tokens: Record<string, DoubleToken>; metadata?: unknown; listAsArray?: boolean }): Promise<FruxonDouble> {
  const ingress = 'https://ingress.fruxon.test';
  const configs = new Map<string, DoubleConfig>();
  const requests: FruxonDouble['requests'] = [];
  const counts = new Map<string, number>();
  const metadata = opts.metadata ?? TWILIO_METADATA;

  const webhookUrl = (c: DoubleConfig) => (c.webhookKey ? `${ingress}/v1/tenants/${c.tenant}/webhooks/twilio/${c.id}/${c.webhookKey}` : null);
  const mint = (c: DoubleConfig) => {
    if (c.webhookKey) c.revokedKeys.push(c.webhookKey);
    c.webhookKey = `whk_${randomBytes(20).toString('hex')}`;
    return { webhookUrl: webhookUrl(c), webhookKeyPrefix: c.webhookKey.slice(0, 8) };
  };
  const view = (c: DoubleConfig) => ({
    id: c.id,
    integrationId: 'twilio',
    displayName: c.displayName,
    parameters: c.parameters,
    hasAuth: true,
    hasAuthMap: false,
    authMethodId: c.auth.integrationAuthMetadataId,
    auth: { level: c.auth.level, integrationAuthMetadataId: c.auth.integrationAuthMetadataId, grantedScopes: [] },
    authMapEntries: [],
    sandboxMode: 'NONE',
    sandboxVariant: null,
    publishedRevisionId: c.publishedRevisionId,
    createdBy: 'double',
    createdAt: 1,
    modifiedAt: 1,
  });

  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://double');
    const path = url.pathname;
    const send = (status: number, body: unknown, type = 'application/json') => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', status });
      res.writeHead(status, { 'content-type': type });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    const problem = (status: number, title: string, detail: string) =>
      send(status, { type: `https://docs.fruxon.com/errors/${status}`, title, status, detail, instance: path }, 'application/problem+json');
    const count = (route: string) => counts.set(route, (counts.get(route) ?? 0) + 1);

    const m = path.match(/^\/v1\/tenants\/([^/]+)(\/.*)$/);
    if (!m) return problem(404, 'Not Found', `no route ${req.method} ${path}`);
    const tenant = decodeURIComponent(m[1]!);
    const rest = m[2]!;
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ? opts.tokens[bearer] : undefined;
    if (!token) return problem(401, 'Unauthorized', 'The credential is missing or invalid.');
    if (token.tenant !== tenant) return problem(403, 'Forbidden', `The credential is not valid for tenant ${tenant}.`);
    const has = (scope: string) => token.scopes.includes(scope) || token.scopes.includes('*');
    let body: Record<string, unknown> = {};
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        return problem(400, 'Bad Request', 'The body is not JSON.');
      }
    }

    if (req.method === 'GET' && rest === '/auth/health') {
      count('health');
      return send(200, {
        authenticationSource: 'API_KEY',
        tenantId: '3f2b9a1e-0000-4000-8000-00000000a11e',
        userId: 'user-1',
        email: token.email ?? null,
        apiKeyName: token.apiKeyName ?? null,
        scopes: token.scopes,
        apiKeyExpiresAt: null,
      });
    }
    if (req.method === 'GET' && rest === '/integrations/twilio') {
      count('metadata');
      if (!has('integrations:read')) return problem(403, 'Forbidden', 'The token lacks the integrations:read scope.');
      return send(200, metadata);
    }
    const cm = rest.match(/^\/integrations\/twilio\/configs(?:\/([^/:]+))?(:publish|:generateWebhookUrl|\/webhook:rotate)?$/);
    if (!cm) return problem(404, 'Not Found', `no route ${req.method} ${path}`);
    const [, id, action] = cm;
    const write = req.method !== 'GET';
    if (!has(write ? 'integrations:write' : 'integrations:read')) {
      return problem(403, 'Forbidden', `The token lacks the integrations:${write ? 'write' : 'read'} scope.`);
    }
    if (!id) {
      if (req.method === 'GET') {
        count('list');
        const items = [...configs.values()].filter((c) => c.tenant === tenant).map(view);
        return send(200, opts.listAsArray ? items : { items, nextPageToken: null, totalCount: items.length });
      }
      if (req.method === 'POST') {
        count('create');
        if (typeof body.displayName !== 'string' || !body.displayName) return problem(400, 'Bad Request', 'displayName is required.');
        const auth = body.auth as DoubleConfig['auth'] | undefined;
        const authMeta = TWILIO_METADATA.configMetadata.authMetadata[0]!;
        if (!auth || auth.integrationAuthMetadataId !== authMeta.id || !auth.parameters?.username || !auth.parameters?.password) {
          return problem(400, 'Bad Request', 'auth must name the Account SID + Auth Token method with both parameters.');
        }
        const params = (body.parameters ?? {}) as Record<string, unknown>;
        if (typeof params.fromNumber !== 'string') return problem(400, 'Bad Request', 'parameters.fromNumber is required.');
        const c: DoubleConfig = {
          id: randomUUID(),
          tenant,
          displayName: body.displayName,
          parameters: params,
          auth,
          publishedRevisionId: null,
          revisions: [],
          webhookKey: null,
          revokedKeys: [],
        };
        configs.set(c.id, c);
        return send(201, view(c));
      }
    }
    const c = id ? configs.get(id) : undefined;
    if (!c || c.tenant !== tenant) return problem(404, 'Not Found', `No configuration ${id} for integration twilio.`);
    if (req.method === 'GET' && !action) {
      count('get');
      return send(200, view(c));
    }
    if (req.method === 'POST' && action === ':publish') {
      count('publish');
      const rev = randomUUID();
      c.revisions.push(rev);
      c.publishedRevisionId = rev;
      return send(200, { id: rev, configId: c.id, note: body.note ?? null, createdAt: 1 });
    }
    if (req.method === 'POST' && action === ':generateWebhookUrl') {
      count('generate');
      if (c.webhookKey) return problem(400, 'Bad Request', 'A webhook key is already bound to this configuration; rotate it instead.');
      return send(200, mint(c));
    }
    if (req.method === 'POST' && action === '/webhook:rotate') {
      count('rotate');
      if (!c.webhookKey) return problem(400, 'Bad Request', 'No webhook key is bound to this configuration yet.');
      return send(200, mint(c));
    }
    return problem(405, 'Method Not Allowed', `${req.method} ${path}`);
  });

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    ingress,
    configs,
    requests,
    calls: (route) => counts.get(route) ?? 0,
    webhookUrl,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
