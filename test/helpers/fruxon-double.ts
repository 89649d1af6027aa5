import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Fruxon's public REST API, built from the documented shapes (../shared/fruxon-api.md):
 * Bearer tokens bound to one tenant with scopes; auth/health (401 bad token, 403 another tenant's token);
 * the Twilio integration's metadata; integration configs that start as drafts and get a published revision;
 * a webhook URL shown once (:generateWebhookUrl, 400 when a key is already bound) and /webhook:rotate
 * (400 when none is); errors as problem bodies {type, title, status, detail, instance}. Participants
 * (POST /participants with channels and agentIds, GET /participants[?agentId=], PUT …/bindings/{agentId})
 * and participant access requests (list with Status/AgentId, get, :approve in its three modes, :reject;
 * 409 once processed), seeded with `addAccessRequest` and `addParticipant`. Recorded messages (GET /messages with
 * `integrationConfigId`, `{items, nextPageToken, totalCount}`), seeded with `addMessage`.
 */

export interface DoubleToken {
  tenant: string;
  scopes: string[];
  email?: string | null;
  apiKeyName?: string | null;
}

/** A builder's token for `tenant`: the scopes `fruxon-twilio link` needs, the builder's email, an API key named 'laptop'. */
export function builderToken(tenant: string, email: string): DoubleToken {
  return {
    tenant,
    scopes: ['agents:read', 'agents:write', 'integrations:read', 'integrations:write'],
    email,
    apiKeyName: 'laptop',
  };
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

export interface DoubleChannel {
  integrationConfigId: string;
  address: string;
  priority: number;
  label: string | null;
  disabled: boolean;
}

export interface DoubleParticipant {
  id: string;
  tenant: string;
  kind: string;
  displayName: string;
  agentIds: string[];
  channels: DoubleChannel[];
}

export interface DoubleAccessRequest {
  id: string;
  tenant: string;
  integrationConfigId: string;
  provider: string;
  address: string;
  agentId: string;
  matchedParticipantId: string | null;
  displayName: string | null;
  conversationName: string | null;
  status: 'PENDING' | 'APPROVED' | 'REJECTED';
  processedBy: string | null;
  processedAt: number | null;
  processingNote: string | null;
  approvedParticipantId: string | null;
  createdAt: number;
  modifiedAt: number;
  /** The body :approve was called with (kept to check it). */
  approveBody?: Record<string, unknown>;
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
  participants: Map<string, DoubleParticipant>;
  accessRequests: Map<string, DoubleAccessRequest>;
  addParticipant(
    p: Omit<DoubleParticipant, 'id' | 'tenant' | 'kind' | 'channels'> & {
      tenant?: string;
      kind?: string;
      channels: Pick<DoubleChannel, 'integrationConfigId' | 'address'>[];
    },
  ): DoubleParticipant;
  addAccessRequest(
    r: Pick<DoubleAccessRequest, 'integrationConfigId' | 'address' | 'agentId'> & Partial<DoubleAccessRequest>,
  ): DoubleAccessRequest;
  /** Messages Fruxon recorded (GET /messages, newest first; `integrationConfigId` filters), as its docs shape them. */
  messages: DoubleMessage[];
  /** Records a message (what Fruxon's ingress does with a webhook it accepted); `createdAt` defaults to now (ms). */
  addMessage(
    m: Pick<DoubleMessage, 'integrationConfigId' | 'from' | 'message'> & Partial<DoubleMessage>,
  ): DoubleMessage;
  close(): Promise<void>;
}

export interface DoubleMessage {
  id: string;
  tenant: string;
  conversationId: string;
  integrationConfigId: string;
  integrationId: string;
  agentId: string | null;
  from: string;
  conversationName: string | null;
  message: string;
  attachments: unknown[];
  createdAt: number;
  executionRecordId: string | null;
}

export const TWILIO_METADATA = {
  id: 'twilio',
  displayName: 'Twilio',
  description: 'SMS and WhatsApp through Twilio',
  type: 'SYSTEM',
  configMetadata: {
    parametersMetadata: [
      {
        name: 'fromNumber',
        index: 0,
        type: 'String',
        displayName: 'From Number',
        description: 'E.164 sender for every outbound message',
        required: true,
        secret: false,
        defaultValue: null,
        options: null,
        uiHint: null,
        rules: [],
      },
      {
        name: 'messagingServiceSid',
        index: 1,
        type: 'String',
        displayName: 'Messaging Service SID',
        description: 'optional',
        required: false,
        secret: false,
        defaultValue: null,
        options: null,
        uiHint: null,
        rules: [],
      },
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

export async function startFruxonDouble(opts: {
  tokens: Record<string, DoubleToken>;
  metadata?: unknown;
  listAsArray?: boolean;
}): Promise<FruxonDouble> {
  const ingress = 'https://ingress.fruxon.test';
  const configs = new Map<string, DoubleConfig>();
  const requests: FruxonDouble['requests'] = [];
  const counts = new Map<string, number>();
  const metadata = opts.metadata ?? TWILIO_METADATA;
  const participants = new Map<string, DoubleParticipant>();
  // What addParticipant and addAccessRequest create belongs to the tenant of the first token (test files that
  // share the test keychain log in to different tenants, so that none replaces another's token).
  const defaultTenant = Object.values(opts.tokens)[0]?.tenant ?? 'acme';
  const accessRequests = new Map<string, DoubleAccessRequest>();
  const messages: DoubleMessage[] = [];
  let clock = 1_764_000_000_000;
  const participantView = (p: DoubleParticipant) => ({
    id: p.id,
    kind: p.kind,
    displayName: p.displayName,
    email: null,
    relatedAgentId: null,
    avatarFileId: null,
    agentIds: [...p.agentIds],
    disabledAt: null,
    channels: p.channels.map((c) => ({ ...c })),
    health: {
      reachable: true,
      channels: p.channels.map((c) => ({
        address: c.address,
        reason: null,
        keyStatus: null,
        keyPrefix: null,
        lastMessageAt: null,
      })),
      reason: null,
    },
    channelActivations: [],
  });
  const requestView = (r: DoubleAccessRequest) => {
    const { tenant: _t, approveBody: _b, ...rest } = r;
    return rest;
  };
  const newParticipant = (
    tenant: string,
    displayName: string,
    channels: DoubleChannel[],
    agentIds: string[],
    kind = 'PERSON',
  ): DoubleParticipant => {
    const p: DoubleParticipant = {
      id: randomUUID(),
      tenant,
      kind,
      displayName,
      agentIds: [...new Set(agentIds)],
      channels,
    };
    participants.set(p.id, p);
    return p;
  };
  const channel = (c: {
    integrationConfigId: string;
    address: string;
    priority?: number;
    label?: string | null;
    disabled?: boolean;
  }): DoubleChannel => ({
    integrationConfigId: c.integrationConfigId,
    address: c.address,
    priority: c.priority ?? 0,
    label: c.label ?? null,
    disabled: c.disabled ?? false,
  });

  const webhookUrl = (c: DoubleConfig) =>
    c.webhookKey ? `${ingress}/v1/tenants/${c.tenant}/webhooks/twilio/${c.id}/${c.webhookKey}` : null;
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
      send(
        status,
        { type: `https://docs.fruxon.com/errors/${status}`, title, status, detail, instance: path },
        'application/problem+json',
      );
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
    // ---- participants ----
    const pm = rest.match(/^\/participants(?:\/([^/]+)(?:\/bindings\/([^/]+))?)?$/);
    if (pm) {
      const [, pid, agentId] = pm;
      if (!pid && req.method === 'GET') {
        count('participants-list');
        const agent = url.searchParams.get('agentId');
        return send(
          200,
          [...participants.values()]
            .filter((p) => p.tenant === tenant && (!agent || p.agentIds.includes(agent)))
            .map(participantView),
        );
      }
      if (!pid && req.method === 'POST') {
        count('participants-create');
        if (!['PERSON', 'GROUP', 'AI_AGENT'].includes(body.kind as string))
          return problem(400, 'Bad Request', 'kind must be PERSON, GROUP or AI_AGENT.');
        const name = body.displayName;
        if (typeof name !== 'string' || name.length < 1 || name.length > 150)
          return problem(400, 'Bad Request', 'displayName must be 1 to 150 characters.');
        const chans = Array.isArray(body.channels) ? (body.channels as Record<string, unknown>[]) : [];
        for (const c of chans) {
          if (typeof c.integrationConfigId !== 'string' || typeof c.address !== 'string')
            return problem(400, 'Bad Request', 'each channel needs integrationConfigId and address.');
        }
        const agents = Array.isArray(body.agentIds) ? (body.agentIds as string[]) : [];
        const p = newParticipant(
          tenant,
          name,
          chans.map((c) => channel(c as { integrationConfigId: string; address: string })),
          agents,
          body.kind as string,
        );
        return send(201, participantView(p));
      }
      const p = pid ? participants.get(pid) : undefined;
      if (!p || p.tenant !== tenant) return problem(404, 'Not Found', `No participant ${pid}.`);
      if (!agentId && req.method === 'GET') {
        count('participants-get');
        return send(200, participantView(p));
      }
      if (agentId && req.method === 'PUT') {
        count('bind');
        if (!p.agentIds.includes(agentId)) p.agentIds.push(agentId);
        return send(200, { participantId: p.id, agentId });
      }
      return problem(405, 'Method Not Allowed', `${req.method} ${path}`);
    }

    // ---- recorded messages ----
    if (rest === '/messages' && req.method === 'GET') {
      count('messages-list');
      const cfg = url.searchParams.get('integrationConfigId');
      const items = messages
        .filter((m) => m.tenant === tenant && (!cfg || m.integrationConfigId === cfg))
        .sort((a, b) => b.createdAt - a.createdAt)
        .slice(0, Number(url.searchParams.get('PageSize') ?? 50))
        .map(({ tenant: _t, ...m }) => m);
      return send(200, { items, nextPageToken: null, totalCount: items.length });
    }

    // ---- participant access requests ----
    const am = rest.match(/^\/participantAccessRequests(?:\/([^/:]+)(:approve|:reject)?)?$/);
    if (am) {
      const [, rid, verb] = am;
      if (!rid && req.method === 'GET') {
        count('requests-list');
        const status = url.searchParams.get('Status');
        const agent = url.searchParams.get('AgentId');
        const participant = url.searchParams.get('ParticipantId');
        return send(
          200,
          [...accessRequests.values()]
            .filter(
              (r) =>
                r.tenant === tenant &&
                (!status || r.status === status) &&
                (!agent || r.agentId === agent) &&
                (!participant || r.matchedParticipantId === participant),
            )
            .map(requestView),
        );
      }
      const r = rid ? accessRequests.get(rid) : undefined;
      if (!r || r.tenant !== tenant) return problem(404, 'Not Found', `No participant access request ${rid}.`);
      if (!verb && req.method === 'GET') {
        count('request-get');
        return send(200, requestView(r));
      }
      if (verb && req.method === 'POST') {
        count(verb.slice(1));
        if (r.status !== 'PENDING')
          return problem(409, 'Conflict', `The access request was already ${r.status.toLowerCase()}.`);
        const done = (status: 'APPROVED' | 'REJECTED', participantId: string | null) => {
          r.status = status;
          r.processedBy = token.email ?? token.apiKeyName ?? 'user-1';
          r.processedAt = ++clock;
          r.modifiedAt = clock;
          r.processingNote = typeof body.note === 'string' ? body.note : null;
          r.approvedParticipantId = participantId;
          return send(200, requestView(r));
        };
        if (verb === ':reject') return done('REJECTED', null);
        r.approveBody = body;
        const mode = body.mode;
        if (mode === 'CREATE_NEW') {
          const name =
            typeof body.displayName === 'string' && body.displayName ? body.displayName : (r.displayName ?? r.address);
          const p = newParticipant(
            tenant,
            name,
            [channel({ integrationConfigId: r.integrationConfigId, address: r.address })],
            [r.agentId],
          );
          return done('APPROVED', p.id);
        }
        if (mode === 'ADD_TO_EXISTING' || mode === 'BIND_ONLY') {
          const id = typeof body.participantId === 'string' ? body.participantId : r.matchedParticipantId;
          const p = id ? participants.get(id) : undefined;
          if (!p || p.tenant !== tenant)
            return problem(400, 'Bad Request', `participantId ${id ?? '(none)'} is not a participant of this tenant.`);
          if (
            mode === 'ADD_TO_EXISTING' &&
            !p.channels.some((c) => c.integrationConfigId === r.integrationConfigId && c.address === r.address)
          ) {
            p.channels.push(
              channel({ integrationConfigId: r.integrationConfigId, address: r.address, priority: p.channels.length }),
            );
          }
          if (!p.agentIds.includes(r.agentId)) p.agentIds.push(r.agentId);
          return done('APPROVED', p.id);
        }
        return problem(400, 'Bad Request', 'mode must be CREATE_NEW, ADD_TO_EXISTING or BIND_ONLY.');
      }
      return problem(405, 'Method Not Allowed', `${req.method} ${path}`);
    }

    const cm = rest.match(
      /^\/integrations\/twilio\/configs(?:\/([^/:]+))?(:publish|:generateWebhookUrl|\/webhook:rotate)?$/,
    );
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
        if (typeof body.displayName !== 'string' || !body.displayName)
          return problem(400, 'Bad Request', 'displayName is required.');
        const auth = body.auth as DoubleConfig['auth'] | undefined;
        const authMeta = TWILIO_METADATA.configMetadata.authMetadata[0]!;
        if (
          !auth ||
          auth.integrationAuthMetadataId !== authMeta.id ||
          !auth.parameters?.username ||
          !auth.parameters?.password
        ) {
          return problem(
            400,
            'Bad Request',
            'auth must name the Account SID + Auth Token method with both parameters.',
          );
        }
        const params = (body.parameters ?? {}) as Record<string, unknown>;
        if (typeof params.fromNumber !== 'string')
          return problem(400, 'Bad Request', 'parameters.fromNumber is required.');
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
      if (c.webhookKey)
        return problem(400, 'Bad Request', 'A webhook key is already bound to this configuration; rotate it instead.');
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
    participants,
    accessRequests,
    addParticipant: (p) =>
      newParticipant(
        p.tenant ?? defaultTenant,
        p.displayName,
        p.channels.map((c) => channel(c)),
        p.agentIds,
        p.kind,
      ),
    addAccessRequest: (r) => {
      const created = ++clock;
      const a: DoubleAccessRequest = {
        id: randomUUID(),
        tenant: defaultTenant,
        provider: 'twilio',
        matchedParticipantId: null,
        displayName: null,
        conversationName: null,
        status: 'PENDING',
        processedBy: null,
        processedAt: null,
        processingNote: null,
        approvedParticipantId: null,
        createdAt: created,
        modifiedAt: created,
        ...r,
      };
      accessRequests.set(a.id, a);
      return a;
    },
    messages,
    addMessage: (m) => {
      const record: DoubleMessage = {
        id: randomUUID(),
        tenant: defaultTenant,
        conversationId: randomUUID(),
        integrationId: 'twilio',
        agentId: 'support-agent',
        conversationName: null,
        attachments: [],
        createdAt: Date.now(),
        executionRecordId: null,
        ...m,
      };
      messages.push(record);
      return record;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
