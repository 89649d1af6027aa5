import { webhookPath } from '../store/configs.js';
import type { Config, Lease } from '../store/index.js';
import { type Output, safe } from './index.js';

/**
 * The listen that holds a config's number, as scripts see it (configs show, webhook show, MCP tools). A running
 * one also receives delivery-status callbacks at its URL (`send --status-callback`); a crashed one receives nothing.
 */
export function listenerJson(
  lease: Lease,
  alive: boolean,
): { pid: number; alive: boolean; url: string; status_callback_url: string | null; since: string } {
  return {
    pid: lease.pid,
    alive,
    url: lease.ourUrl,
    status_callback_url: alive ? lease.ourUrl : null,
    since: lease.startedAt,
  };
}

/** A config as scripts see it (--json). Never carries a secret. */
export function configJson(c: Config): Record<string, unknown> {
  return {
    id: c.id,
    name: c.name,
    from_number: c.fromNumber,
    account_sid: c.accountSid,
    auth_method: c.authMethod,
    api_key_sid: c.apiKeySid,
    secret_source: c.secretSource,
    api_url: c.apiUrl,
    region: c.region ?? null,
    edge: c.edge ?? null,
    default: c.isDefault,
    webhook_path: webhookPath(c),
    webhook_url_hint: c.webhookUrlHint,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  };
}

export function secretSourceText(c: Config): string {
  const what = c.authMethod === 'api-key' ? 'API Key Secret' : 'Auth Token';
  return c.secretSource === 'env'
    ? `${what} from $${c.authMethod === 'api-key' ? 'TWILIO_API_SECRET' : 'TWILIO_AUTH_TOKEN'}`
    : `${what} in the OS keychain`;
}

export function printConfigTable(out: Output, configs: Config[]): void {
  const c = out.color;
  out.table(
    ['', 'NAME', 'FROM', 'ACCOUNT', 'AUTH', 'SECRET', 'API'],
    configs.map((x) => [
      x.isDefault ? c.green('*') : ' ',
      safe(x.name),
      x.fromNumber,
      x.accountSid,
      x.authMethod === 'api-key' ? `api-key ${x.apiKeySid}` : 'auth-token',
      x.secretSource,
      safe(x.apiUrl ?? 'twilio'),
    ]),
  );
}

export function printConfigDetail(out: Output, x: Config, extra: [string, string][] = []): void {
  const c = out.color;
  const rows: [string, string][] = [
    ['name', safe(x.name) + (x.isDefault ? c.green(' (default)') : '')],
    ['id', x.id],
    ['from number', x.fromNumber],
    ['account sid', x.accountSid],
    ['auth', x.authMethod === 'api-key' ? `API Key ${x.apiKeySid}` : 'Account SID + Auth Token'],
    ['secret', secretSourceText(x)],
    ['api url', safe(x.apiUrl ?? 'https://api.twilio.com (real Twilio)')],
    ['webhook path', webhookPath(x)],
    [
      'production url',
      x.webhookUrlHint
        ? `${x.webhookUrlHint} (in the OS keychain)`
        : x.secretSource === 'env'
          ? 'from $FRUXON_TWILIO_WEBHOOK_URL at run time'
          : 'not recorded (fruxon-twilio configs set NAME --webhook-url-stdin)',
    ],
    ['created', x.createdAt],
    ['updated', x.updatedAt],
    ...extra,
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) out.line(`${c.dim(k.padEnd(w))}  ${v}`);
}
