import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadSecret, twilioCredentials } from '../config/resolve.js';
import { loadProductionWebhookUrl } from '../config/webhook-url.js';
import type { SecretStore } from '../secrets/index.js';
import { type Config, DB_FILE, dataDir, isLeaseAlive, type Store } from '../store/index.js';
import { migrations } from '../store/migrations.js';
import { type AlertScope, concerns, toAlert } from '../twilio/alerts.js';
import {
  callSite,
  createTwilioClient,
  type TwilioCallSite,
  type TwilioClient,
  type TwilioCredentials,
  twilioError,
} from '../twilio/client.js';
import { resolveRoutes } from '../twilio/route.js';
import { displayWebhookUrl } from '../twilio/webhook.js';
import { maskSid } from '../validate.js';
import { type DoctorCheck, type DoctorDeps, doctorPassed, runDoctor } from './doctor.js';

/**
 * `doctor --report`: what a user pastes into a bug report. The doctor's checks plus the tool's, Node's, the
 * OS's and the dependencies' versions, the store's schema, every config (masked) with where its messages go
 * (each channel's winning layer and fallback, URLs masked), the leases, the last 24 h of Twilio alerts that
 * name the number, and the last bugs the tool hit (their files, already redacted). Never a secret: URLs go
 * through displayWebhookUrl, SIDs of accounts through maskSid; the command redacts the whole text once more.
 * Reads only: opens no client of its own (deps.twilio), writes nothing.
 */

export interface ReportDeps extends DoctorDeps {
  /** The clock of "last 24 h" and of the report's time. */
  now: () => Date;
  tool: { version: string; node: string; os: string };
  /** Package name -> installed version (null: not installed). */
  dependencies: Record<string, string | null>;
  /** The newest bug files (store/error-log), already redacted. */
  recentErrors: () => { file: string; text: string }[];
}

export interface ReportRoute {
  channel: string;
  layer: string;
  url: string | null;
  fallback_url: string | null;
}

export interface ReportConfig {
  name: string;
  default: boolean;
  from_number: string;
  account: string;
  auth: string;
  secret_source: string;
  api_url: string | null;
  production_webhook: string | null;
  fruxon_link: { tenant: string; fruxon_config_id: string } | null;
  routes: ReportRoute[];
  /** Why the routes could not be read (no secret, Twilio refused...), else null. */
  routes_error: string | null;
}

export interface ReportAlert {
  date: string;
  error_code: string | null;
  log_level: string | null;
  text: string;
  request_url: string | null;
}

export interface Report {
  generated_at: string;
  tool: { version: string; node: string; os: string };
  dependencies: Record<string, string | null>;
  store: { file: string; exists: boolean; schema_version: number | null; current_version: number };
  configs: ReportConfig[];
  leases: { config: string; phone_number: string; layer: string; pid: number; alive: boolean; started_at: string }[];
  alerts: { config: string | null; number: string | null; since: string; items: ReportAlert[]; error: string | null };
  errors: { file: string; summary: string; text: string }[];
  doctor: { ok: boolean; checks: DoctorCheck[] };
}

const ALERT_WINDOW_MS = 24 * 3600_000;
/** A bug file's text in the report is cut beyond this many characters. */
export const MAX_ERROR_TEXT = 3000;

export async function buildReport(deps: ReportDeps): Promise<Report> {
  let opened: Store | undefined;
  let openError: unknown;
  const openStore = () => {
    if (opened) return opened;
    if (openError) throw openError;
    try {
      opened = deps.openStore();
      return opened;
    } catch (err) {
      openError = err;
      throw err;
    }
  };
  const checks = await runDoctor({ ...deps, openStore });
  const now = deps.now();
  const file = join(dataDir(deps.env), DB_FILE);
  const exists = existsSync(file);
  let store: Store | undefined;
  if (exists) {
    try {
      store = openStore();
    } catch {
      // the doctor's schema check says why
    }
  }

  const twilio = deps.twilio ?? createTwilioClient;
  const keychain = (): SecretStore => deps.keychain();
  const configs: ReportConfig[] = [];
  const clients = new Map<string, TwilioClient>();
  /** Each config's webhook URLs as Twilio has them (unmasked): what its alerts name. */
  const webhookUrls = new Map<string, (string | null)[]>();
  const sites = new Map<string, TwilioCallSite>();
  for (const c of store?.configs.list() ?? []) {
    const production = productionOf(c, deps.env, keychain);
    const link = store!.fruxon.link(c.id);
    const entry: ReportConfig = {
      name: c.name,
      default: c.isDefault,
      from_number: c.fromNumber,
      account: maskSid(c.accountSid),
      auth: c.authMethod,
      secret_source: c.secretSource,
      api_url: c.apiUrl,
      production_webhook: production ? displayWebhookUrl(production, production) : (c.webhookUrlHint ?? null),
      fruxon_link: link ? { tenant: link.tenant, fruxon_config_id: link.fruxonConfigId } : null,
      routes: [],
      routes_error: null,
    };
    try {
      const creds: TwilioCredentials = twilioCredentials(c, loadSecret(c, deps.env, keychain), deps.env);
      const client = await twilio(creds, { timeoutMs: deps.timeoutMs ?? 10_000 });
      clients.set(c.id, client);
      sites.set(c.id, callSite(creds));
      try {
        const routes = await resolveRoutes(client, c.fromNumber);
        webhookUrls.set(
          c.id,
          routes.flatMap((r) => [r.url, r.fallbackUrl]),
        );
        entry.routes = routes.map((r) => ({
          channel: r.channel,
          layer: r.layer,
          url: displayWebhookUrl(r.url, production),
          fallback_url: displayWebhookUrl(r.fallbackUrl, production),
        }));
        if (routes.length === 0) entry.routes_error = `${c.fromNumber} is not a number of ${maskSid(c.accountSid)}`;
      } catch (err) {
        entry.routes_error = twilioError(err, `look up where messages to ${c.fromNumber} go`, callSite(creds)).message;
      }
    } catch (err) {
      entry.routes_error = (err as Error)?.message ?? String(err);
    }
    configs.push(entry);
  }

  const names = new Map((store?.configs.list() ?? []).map((c) => [c.id, c.name]));
  const leases = (store?.leases.list() ?? []).map((l) => ({
    config: names.get(l.configId) ?? l.configId,
    phone_number: l.phoneNumber,
    layer: l.layer ?? 'number',
    pid: l.pid,
    alive: isLeaseAlive(l),
    started_at: l.startedAt,
  }));

  // The alerts of the config the doctor checked (--config, else the default one).
  const since = new Date(now.getTime() - ALERT_WINDOW_MS);
  const target = store ? pickConfig(store, deps.configName) : undefined;
  const alerts: Report['alerts'] = {
    config: target?.name ?? null,
    number: target?.fromNumber ?? null,
    since: since.toISOString(),
    items: [],
    error: target ? null : 'no config',
  };
  const client = target ? clients.get(target.id) : undefined;
  if (target && !client) alerts.error = 'no Twilio client for this config (see its routes)';
  if (target && client) {
    try {
      const production = productionOf(target, deps.env, keychain);
      alerts.items = await alertsFor(client, target, since, production, {
        // The number's webhooks now, its production URL, and the listeners that held it (their URLs are in the
        // leases); a message the store recorded is the number's.
        urls: [
          ...(webhookUrls.get(target.id) ?? []),
          production,
          ...(store?.leases.list() ?? [])
            .filter((l) => l.configId === target.id)
            .flatMap((l) => [l.ourUrl, l.previousSmsUrl]),
        ],
        isOwnMessage: (sid) => store?.events.hasMessage(target.id, sid) ?? false,
      });
    } catch (err) {
      alerts.error = twilioError(
        err,
        'list the Twilio alerts of the last 24 h',
        sites.get(target.id) ?? { apiUrl: target.apiUrl, accountSid: target.accountSid },
      ).message;
    }
  }

  const errors = deps.recentErrors().map((e) => {
    const lines = e.text.split('\n');
    const summary = lines.find((l) => /^\w*Error\b|^thrown:/.test(l)) ?? lines[0] ?? '';
    return {
      file: e.file,
      summary,
      text: e.text.length > MAX_ERROR_TEXT ? `${e.text.slice(0, MAX_ERROR_TEXT)}…` : e.text,
    };
  });

  return {
    generated_at: now.toISOString(),
    tool: deps.tool,
    dependencies: deps.dependencies,
    store: {
      file,
      exists,
      schema_version: store ? store.schemaVersion() : null,
      current_version: migrations.length,
    },
    configs,
    leases,
    alerts,
    errors,
    doctor: { ok: doctorPassed(checks), checks },
  };
}

function pickConfig(store: Store, name: string | undefined): Config | undefined {
  const all = store.configs.list();
  if (name !== undefined) return all.find((c) => c.name.toLowerCase() === name.toLowerCase());
  return all.find((c) => c.isDefault) ?? (all.length === 1 ? all[0] : undefined);
}

function productionOf(config: Config, env: NodeJS.ProcessEnv, keychain: () => SecretStore): string | null {
  try {
    return loadProductionWebhookUrl(config, env, keychain);
  } catch {
    return null;
  }
}

/**
 * Twilio's Monitor alerts since `since` about the config's number: those `concerns()` finds (the failed request
 * went to one of its webhook URLs, or was about one of its messages: the emulator's alerts, like Twilio's,
 * carry the URL and the message SID, not the number), and those whose text names the number (plain or
 * URL-encoded).
 */
async function alertsFor(
  client: TwilioClient,
  config: Config,
  since: Date,
  productionUrl: string | null,
  scope: AlertScope,
): Promise<ReportAlert[]> {
  const list = await client.monitor.v1.alerts.list({ startDate: since, limit: 200 });
  const marks = [config.fromNumber, encodeURIComponent(config.fromNumber)];
  return list
    .filter(
      (a) =>
        concerns(toAlert(a), scope) ||
        marks.some((m) => `${a.alertText ?? ''} ${a.requestUrl ?? ''} ${a.resourceSid ?? ''}`.includes(m)),
    )
    .slice(0, 20)
    .map((a) => ({
      date: a.dateCreated instanceof Date ? a.dateCreated.toISOString() : String(a.dateCreated),
      error_code: a.errorCode ?? null,
      log_level: a.logLevel ?? null,
      // The alert's text quotes the request Twilio made (its URL, parameters): URLs masked, the rest redacted by the command.
      text: maskUrls(a.alertText ?? '', productionUrl),
      request_url: displayWebhookUrl(a.requestUrl, productionUrl),
    }));
}

function maskUrls(text: string, productionUrl: string | null): string {
  let decoded = text;
  try {
    decoded = decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    // kept as sent
  }
  return decoded.replace(/https?:\/\/[^\s&"'<>]+/g, (u) => displayWebhookUrl(u, productionUrl) ?? u);
}
