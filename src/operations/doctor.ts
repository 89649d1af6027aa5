import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { effectiveApiUrl, loadSecret, resolveConfig, secretEnvVar, twilioCredentials } from '../config/resolve.js';
import { loadProductionWebhookUrl } from '../config/webhook-url.js';
import { CliError } from '../errors.js';
import { findInbound, findingText, linkedFruxon } from '../fruxon/inbound-records.js';
import { UNSUPPORTED_ADDRESS } from '../listener/refusals.js';
import type { SecretStore } from '../secrets/index.js';
import { shellQuote } from '../shell.js';
import { type Config, DB_FILE, dataDir, isLeaseAlive, type Lease, type Store } from '../store/index.js';
import { migrations } from '../store/migrations.js';
import { type AlertSummary, alertFix, describeAlert, summarizeWebhookAlerts } from '../twilio/alerts.js';
import { callSite, type TwilioClient, twilioError } from '../twilio/client.js';
import { listNumberMessages } from '../twilio/message-history.js';
import { fetchAccount, findNumber } from '../twilio/numbers.js';
import {
  CONVERSATIONS_UNKNOWN,
  conversationsSentence,
  conversationsUnknown,
  type Route,
  resolveRoutes,
  routeName,
  SANDBOX_NUMBER,
} from '../twilio/route.js';
import { sandboxJoinCode, sandboxJoinStep } from '../twilio/sandbox.js';
import { classifyWebhookUrl, displayWebhookUrl, listenerState, type WebhookClass } from '../twilio/webhook.js';
import { maskSid } from '../validate.js';
import type { CoreDeps } from './deps.js';

/** One line of the report. `ok: 'warn'` is worth knowing but does not fail the doctor. */
export interface DoctorCheck {
  name: string;
  ok: boolean | 'warn';
  detail: string;
  fix?: string;
  /** Not run because an earlier check failed (reported as a warning). */
  skipped?: boolean;
}

/** Doctor opens its own store (a failed open is one of its checks): the rest is the operations' deps. */
export interface DoctorDeps extends Pick<CoreDeps, 'env' | 'twilio' | 'fruxon' | 'trace'> {
  /** --config; default: the default config. */
  configName?: string;
  /** Opens the store; may throw (it is one of the checks). */
  openStore: () => Store;
  keychain: () => SecretStore;
  nodeVersion?: string;
  /** Per Twilio call. */
  timeoutMs?: number;
  /** The clock of the alerts window (the last 24 h); without it, Twilio's alerts are not read. */
  now?: () => Date;
}

export const MIN_NODE_MAJOR = 20;
const PROBE_ACCOUNT = 'fruxon-twilio-doctor-probe';

/** Runs every check in order; a failing check never stops the ones that do not depend on it. */
export async function runDoctor(deps: DoctorDeps): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const add = (c: DoctorCheck) => checks.push(c);
  const skip = (name: string, why: string) => add({ name, ok: 'warn', detail: `not checked: ${why}`, skipped: true });

  add(checkNode(deps.nodeVersion ?? process.versions.node));
  add(checkDataDir(dataDir(deps.env)));

  let store: Store | undefined;
  const storeFile = join(dataDir(deps.env), DB_FILE);
  // No store yet: report it instead of creating one (doctor changes nothing).
  if (!existsSync(storeFile)) {
    add({ name: 'schema', ok: 'warn', detail: `no store yet at ${storeFile} (add-config creates it)` });
    add({
      name: 'config',
      ok: false,
      detail: 'no configs stored',
      fix: 'fruxon-twilio add-config (or try everything offline: fruxon-twilio demo)',
    });
  } else
    try {
      store = deps.openStore();
      const version = store.schemaVersion();
      const quick = store.db.pragma('quick_check', { simple: true }) as string;
      add(
        quick === 'ok'
          ? {
              name: 'schema',
              ok: true,
              detail: `SQLite schema version ${version} of ${migrations.length} (current), quick_check ok`,
            }
          : {
              name: 'schema',
              ok: false,
              detail: `SQLite quick_check failed: ${quick}`,
              fix: `move ${store.file} aside and add the configs again`,
            },
      );
    } catch (err) {
      add({
        name: 'schema',
        ok: false,
        detail: messageOf(err),
        fix: hintOf(err) ?? 'check the data directory, or set FRUXON_TWILIO_HOME to another folder',
      });
    }

  let config: Config | undefined;
  if (!existsSync(storeFile)) {
    /* reported above */
  } else if (!store) skip('config', 'the store did not open');
  else if (store.configs.count() === 0) {
    add({
      name: 'config',
      ok: false,
      detail: 'no configs stored',
      fix: 'fruxon-twilio add-config (or try everything offline: fruxon-twilio demo)',
    });
  } else {
    try {
      config = resolveConfig(store, deps.configName);
      add({
        name: 'config',
        ok: true,
        detail: `${config.name}: ${config.fromNumber} on ${maskSid(config.accountSid)}${config.apiUrl ? ` via ${config.apiUrl}` : ''}`,
      });
    } catch (err) {
      add({ name: 'config', ok: false, detail: messageOf(err), fix: hintOf(err) });
    }
  }

  // The keychain: required for keychain-backed configs; only a warning when the config reads its secret from the environment.
  let keychain: SecretStore | undefined;
  try {
    const kc = deps.keychain();
    kc.get(PROBE_ACCOUNT);
    keychain = kc;
    add({ name: 'keychain', ok: true, detail: 'the OS keychain answers (service fruxon-twilio)' });
  } catch (err) {
    const needed = config ? config.secretSource === 'keychain' : true;
    add({ name: 'keychain', ok: needed ? false : 'warn', detail: messageOf(err), fix: hintOf(err) });
  }

  let secret: string | undefined;
  if (!config) skip('secret', 'no config');
  else if (config.secretSource === 'keychain' && !keychain) skip('secret', 'the keychain is not reachable');
  else {
    try {
      secret = loadSecret(config, deps.env, () => keychain!);
      const what = config.authMethod === 'api-key' ? 'API Key Secret' : 'Auth Token';
      add({
        name: 'secret',
        ok: true,
        detail: config.secretSource === 'env' ? `${what} from $${secretEnvVar(config)}` : `${what} in the OS keychain`,
      });
    } catch (err) {
      add({ name: 'secret', ok: false, detail: messageOf(err), fix: hintOf(err) });
    }
  }

  let number: Awaited<ReturnType<typeof findNumber>> | undefined;
  if (!config || secret === undefined) {
    skip('credentials', 'no secret');
    skip('from_number', 'no secret');
    skip('sms_url', 'no secret');
    skip('route', 'no secret');
  } else {
    const creds = twilioCredentials(config, secret, deps.env);
    const ctx = callSite(creds);
    const region = `region ${creds.region || (creds.edge ? 'us1' : 'us1 (the default)')}${creds.edge ? `, edge ${creds.edge}` : ''}`;
    const client = await deps.twilio(creds, { timeoutMs: deps.timeoutMs ?? 10_000 });
    let accepted = false;
    try {
      const account = await fetchAccount(client, config.accountSid);
      accepted = true;
      add({
        name: 'credentials',
        ok: true,
        detail: `accepted by ${creds.apiUrl ?? 'Twilio'} (${region}): account "${account.friendlyName}" (${account.status})`,
      });
    } catch (err) {
      const e = twilioError(err, `fetch account ${maskSid(config.accountSid)}`, ctx);
      add({ name: 'credentials', ok: false, detail: e.message, fix: e.hint });
    }
    if (!accepted) {
      skip('from_number', 'the credentials were not accepted');
      skip('sms_url', 'the credentials were not accepted');
      skip('route', 'the credentials were not accepted');
    } else {
      try {
        number = await findNumber(client, config.fromNumber);
        const joinCode =
          !number && config.fromNumber === SANDBOX_NUMBER ? await sandboxJoinCode(creds.apiUrl, deps.trace) : null;
        add(
          number
            ? {
                name: 'from_number',
                ok: true,
                detail: `${config.fromNumber} is owned by ${maskSid(config.accountSid)} (${number.sid})`,
              }
            : config.fromNumber === SANDBOX_NUMBER
              ? {
                  name: 'from_number',
                  ok: true,
                  detail: `${config.fromNumber} is the WhatsApp Sandbox (shared by every account; WhatsApp only): ${sandboxJoinStep(joinCode)}`,
                }
              : {
                  name: 'from_number',
                  ok: false,
                  detail: `${config.fromNumber} is not a phone number of account ${maskSid(config.accountSid)}: sending fails (21606) and listen cannot register its webhook`,
                  fix: `use a number of this account: fruxon-twilio configs remove ${shellQuote(config.name)} && fruxon-twilio add-config --from +1…`,
                },
        );
      } catch (err) {
        const e = twilioError(err, `look up ${config.fromNumber}`, ctx);
        add({ name: 'from_number', ok: false, detail: e.message, fix: e.hint });
      }
      if (!number) skip('sms_url', 'the From number was not found');
      else {
        // The recorded production URL is Fruxon's even on a host we would not recognise (compared, never printed).
        let productionUrl: string | null = null;
        if (config.secretSource === 'env' || keychain) {
          try {
            productionUrl = loadProductionWebhookUrl(config, deps.env, () => keychain!);
          } catch {
            /* the keychain check already reports a keychain that stopped answering */
          }
        }
        add(checkSmsUrl(config, number.smsUrl, store!, productionUrl));
      }
      if (number || config.fromNumber === SANDBOX_NUMBER) {
        let routes: Route[] | undefined;
        const productionUrl = productionUrlOf(config, deps.env, keychain ?? null);
        try {
          routes = await resolveRoutes(client, config.fromNumber);
          add(checkRoute(config, routes, number?.smsUrl ?? null, store!, productionUrl));
        } catch (err) {
          const e = twilioError(err, `look up where inbound messages to ${config.fromNumber} go`, ctx);
          add({ name: 'route', ok: false, detail: e.message, fix: e.hint });
        }
        if (routes && deps.now) {
          const urls = [
            ...routes.flatMap((r) => [r.url, r.fallbackUrl]),
            number?.smsUrl,
            number?.smsFallbackUrl,
            productionUrl,
          ];
          const alerts = await checkAlerts(client, config, urls, productionUrl, deps.now());
          if (alerts) add(alerts);
          if (store && keychain) {
            const fruxon = await checkFruxonInbound(client, store, config, deps, keychain, deps.now());
            if (fruxon) add(fruxon);
          }
        }
      } else skip('route', 'the From number was not found');
    }
  }

  if (!existsSync(storeFile)) add({ name: 'leases', ok: true, detail: 'no stale leases' });
  else if (!store) skip('leases', 'the store did not open');
  else add(checkLeases(store));

  // listen opens no tunnel for a config that points at the emulator (or another --api-url): ngrok is not needed.
  const localApi = config ? effectiveApiUrl(config, deps.env) : null;
  add(
    deps.env.NGROK_AUTHTOKEN
      ? { name: 'ngrok', ok: true, detail: 'NGROK_AUTHTOKEN is set' }
      : localApi
        ? {
            name: 'ngrok',
            ok: true,
            detail: `not needed: ${config!.name} talks to ${localApi}, and listen opens no tunnel for it`,
          }
        : {
            name: 'ngrok',
            ok: 'warn',
            detail: 'NGROK_AUTHTOKEN is not set: listen cannot open an ngrok tunnel',
            fix: 'export NGROK_AUTHTOKEN=… (https://dashboard.ngrok.com/get-started/your-authtoken), or use listen --public-url URL / --tunnel none',
          },
  );
  return checks;
}

/**
 * Twilio's Monitor alerts about the number's webhooks in the last 24 h: a warning with the fix when there are
 * some (the webhook failed: "your agent's webhook returned 502 at 10:42" beats "no reply"). No line when there
 * are none, or when the account's alerts cannot be read (a restricted API key): nothing to act on.
 */
async function checkAlerts(
  client: TwilioClient,
  config: Config,
  urls: (string | null | undefined)[],
  productionUrl: string | null,
  now: Date,
): Promise<DoctorCheck | null> {
  let summary: AlertSummary;
  try {
    summary = await summarizeWebhookAlerts(client, urls, new Date(now.getTime() - 24 * 60 * 60 * 1000));
  } catch {
    return null;
  }
  const latest = summary.latest;
  if (!latest) return null;
  const at = latest.dateCreated ? ` at ${latest.dateCreated.toISOString().slice(11, 16)} UTC` : '';
  const line = describeAlert({ ...latest, url: displayWebhookUrl(latest.url, productionUrl) });
  return {
    name: 'webhook_alerts',
    ok: 'warn',
    detail: `${summary.count} webhook alert${summary.count > 1 ? 's' : ''} in the last 24 h; the latest${at}: ${line}`,
    fix: `${alertFix(latest.errorCode, latest.resourceSid) ?? 'check the webhook'}; see them: fruxon-twilio messages tail --since 24h --config ${shellQuote(config.name)}`,
  };
}

/**
 * A linked config: what Fruxon recorded of the newest inbound message of the last 24 h (Twilio's log): received
 * with an agent run (✔), received with no run, held as an access request, or no record (warnings with the fix).
 * No line when the config is not linked, nothing arrived, or Fruxon cannot be asked (its own commands say why).
 */
async function checkFruxonInbound(
  client: TwilioClient,
  store: Store,
  config: Config,
  deps: Pick<DoctorDeps, 'env' | 'fruxon'>,
  keychain: SecretStore,
  now: Date,
): Promise<DoctorCheck | null> {
  try {
    const linked = linkedFruxon(store, config, deps.env, () => keychain, deps.fruxon);
    if (!linked) return null;
    const [last] = await listNumberMessages(client, config.fromNumber, { limit: 1, direction: 'in' });
    if (!last?.dateCreated || now.getTime() - last.dateCreated.getTime() > 24 * 60 * 60 * 1000) return null;
    const q = { sid: last.sid, from: last.from, body: last.body, at: last.dateCreated.getTime() };
    const finding = (await findInbound(linked.client, linked.fruxonConfigId, [q], { finalFor: () => true })).get(
      last.sid,
    );
    if (!finding) return null;
    const what = `the last inbound message ${last.sid} (${last.dateCreated.toISOString().slice(11, 16)} UTC, from ${last.from}): ${findingText(finding, last.from)}`;
    const flag = ` --config ${shellQuote(config.name)}`;
    if (finding.kind === 'received' && finding.record.executionRecordId)
      return { name: 'fruxon_inbound', ok: true, detail: what };
    return {
      name: 'fruxon_inbound',
      ok: 'warn',
      detail: what,
      fix:
        finding.kind === 'held'
          ? `fruxon-twilio fruxon access-requests approve ${shellQuote(finding.accessRequestId)}`
          : finding.kind === 'received'
            ? "bind an agent to the config's trigger on Fruxon (no agent ran for it)"
            : `Fruxon never got it: check where it went (fruxon-twilio webhook show${flag}), then fruxon-twilio messages redeliver ${last.sid}${flag}`,
    };
  } catch {
    return null;
  }
}

/** True when no check failed (warnings and skipped checks do not fail). */
export function doctorPassed(checks: readonly DoctorCheck[]): boolean {
  return checks.every((c) => c.ok !== false);
}

export function checkNode(version: string): DoctorCheck {
  const major = Number(version.split('.')[0]);
  return major >= MIN_NODE_MAJOR
    ? { name: 'node', ok: true, detail: `Node.js ${version}` }
    : {
        name: 'node',
        ok: false,
        detail: `Node.js ${version} is older than ${MIN_NODE_MAJOR}`,
        fix: `install Node.js ${MIN_NODE_MAJOR} or newer (https://nodejs.org)`,
      };
}

export function checkDataDir(dir: string): DoctorCheck {
  if (!existsSync(dir))
    return { name: 'data_dir', ok: 'warn', detail: `${dir} does not exist yet (created on first use, mode 0700)` };
  const mode = statSync(dir).mode & 0o777;
  if (mode & 0o077) {
    return {
      name: 'data_dir',
      ok: false,
      detail: `${dir} is readable by others (mode ${mode.toString(8)})`,
      fix: `chmod 700 ${shellQuote(dir)}`,
    };
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    return {
      name: 'data_dir',
      ok: false,
      detail: `${dir} is not writable by this user`,
      fix: `chown -R "$USER" ${shellQuote(dir)}, or set FRUXON_TWILIO_HOME`,
    };
  }
  const file = join(dir, DB_FILE);
  if (existsSync(file)) {
    const fmode = statSync(file).mode & 0o777;
    if (fmode & 0o077) {
      return {
        name: 'data_dir',
        ok: false,
        detail: `${file} is readable by others (mode ${fmode.toString(8)})`,
        fix: `chmod 600 ${shellQuote(file)}`,
      };
    }
  }
  return { name: 'data_dir', ok: true, detail: `${dir} (mode 700)` };
}

function productionUrlOf(config: Config, env: NodeJS.ProcessEnv, keychain: SecretStore | null): string | null {
  if (config.secretSource !== 'env' && !keychain) return null;
  try {
    return loadProductionWebhookUrl(config, env, () => keychain!);
  } catch {
    return null;
  }
}

/**
 * The layer that wins: ✔ when it points at Fruxon or a running listener (or, on the number itself, whatever
 * the sms_url check said), ✖ with the fix when another layer wins over a number that points at Fruxon, or a
 * service drops the messages.
 */
function checkRoute(
  config: Config,
  routes: Route[],
  smsUrl: string | null,
  store: Store,
  productionUrl: string | null,
): DoctorCheck {
  const name = 'route';
  const flag = ` --config ${shellQuote(config.name)}`;
  const leases = store.leases.list();
  const classify = (url: string | null) => ownerOf(classifyWebhookUrl(url, { productionUrl, leases }));
  const shown = (url: string) => displayWebhookUrl(url, productionUrl);
  const numberOwner = classify(smsUrl).owner;
  const bad: string[] = [];
  const good: string[] = [];
  let fix: string | undefined;
  for (const r of routes) {
    const label = `${r.channel === 'whatsapp' ? 'WhatsApp' : 'SMS'}: ${routeName(r, 'check')}`;
    if (r.layer === 'number') {
      good.push(`${label} decides`);
      continue;
    }
    if (r.layer === 'sandbox') {
      good.push(`${label}, whose URL is set in the Twilio Console only`);
      continue;
    }
    if (r.layer === 'none') {
      bad.push(`${label} has no inbound URL and wins over the number's SmsUrl: inbound messages are dropped`);
      fix = `fruxon-twilio webhook set --messaging-service${flag}`;
      continue;
    }
    const { owner, lease } = classify(r.url);
    const wins = r.layer === 'whatsapp_sender' ? '' : ", and it wins over the number's SmsUrl";
    if (owner === 'fruxon' || (owner === 'ours' && isLeaseAlive(lease!)))
      good.push(
        `${label} receives them and points at ${owner === 'fruxon' ? 'Fruxon' : `the listener (pid ${lease!.pid})`}`,
      );
    else if (owner === 'ours') {
      bad.push(`${label} still points at a listener that is gone (pid ${lease!.pid})`);
      fix = `fruxon-twilio restore${flag}`;
    } else if (numberOwner === 'fruxon' || numberOwner === 'ours' || owner === 'none') {
      bad.push(
        `${label} receives them at ${r.url ? shown(r.url) : 'no URL'}${wins}: the number's own SmsUrl is not used`,
      );
      fix = `fruxon-twilio webhook set${r.layer === 'messaging_service' ? ' --messaging-service' : ''}${flag}`;
    } else good.push(`${label} receives them at ${shown(r.url!)}`);
  }
  // The fallback of each layer that wins: where Twilio sends what its URL refuses or does not answer.
  let warn: string | null = null;
  let warnFix: string | undefined;
  for (const r of routes) {
    const conv = conversationsSentence(r);
    if (conv) {
      bad.push(conv);
      fix ??=
        'turn auto-creation off for the address in the Twilio Console (Conversations → Addresses), or delete the address configuration';
    }
  }
  if (conversationsUnknown(routes)) {
    warn = CONVERSATIONS_UNKNOWN;
    good.push(warn);
  }
  const unmodelled = store.events.countRefused(config.id, UNSUPPORTED_ADDRESS);
  if (unmodelled > 0) {
    warn = `${unmodelled} request(s) from or to an address this tool does not model (RCS, Messenger, a short code) were refused by the listener (reason ${UNSUPPORTED_ADDRESS}): Twilio then tried the fallback`;
    good.push(warn);
    warnFix ??= `see them: fruxon-twilio events list --config ${shellQuote(config.name)}`;
  }
  for (const r of routes) {
    if (r.layer === 'sandbox' || r.layer === 'none' || !r.fallbackUrl) continue;
    const label = `${r.channel === 'whatsapp' ? 'WhatsApp' : 'SMS'} fallback`;
    const l = listenerState(r.fallbackUrl, { productionUrl, leases }, isLeaseAlive);
    if (l?.state === 'gone') {
      bad.push(
        `${label} points at a listener that is gone (pid ${l.lease!.pid}): what the primary URL refuses is lost`,
      );
      fix ??= 'change or clear the fallback URL in the Twilio Console';
    } else if (l?.state === 'unknown') {
      warnFix = 'change or clear the fallback URL in the Twilio Console';
      warn = `${label} ${shown(r.fallbackUrl)} is a listener's that no lease of this machine holds: if that listen has stopped, what the primary URL refuses is lost`;
      good.push(warn);
    } else {
      const { owner } = classify(r.fallbackUrl);
      good.push(
        `${label}: ${shown(r.fallbackUrl)}${owner === 'fruxon' ? ' (Fruxon)' : l?.state === 'alive' ? ` (the listener, pid ${l.lease!.pid})` : ''}`,
      );
    }
  }
  if (bad.length) return { name, ok: false, detail: bad.join('; '), fix };
  if (warn) return { name, ok: 'warn', detail: good.join('; '), ...(warnFix && { fix: warnFix }) };
  return { name, ok: true, detail: good.join('; ') };
}

function checkSmsUrl(config: Config, smsUrl: string | null, store: Store, productionUrl: string | null): DoctorCheck {
  const { owner, lease } = ownerOf(classifyWebhookUrl(smsUrl, { productionUrl, leases: store.leases.list() }));
  const name = 'sms_url';
  switch (owner) {
    case 'none':
      return {
        name,
        ok: 'warn',
        detail: `${config.fromNumber} has no SmsUrl: inbound messages go nowhere`,
        fix: `fruxon-twilio listen --config ${shellQuote(config.name)}`,
      };
    case 'ours':
      return isLeaseAlive(lease!)
        ? { name, ok: true, detail: `SmsUrl is ours: the listener (pid ${lease!.pid}) at ${lease!.ourUrl}` }
        : {
            name,
            ok: false,
            detail: `SmsUrl still points at a listener that is gone (pid ${lease!.pid}, ${lease!.ourUrl})`,
            fix: `fruxon-twilio restore --config ${shellQuote(config.name)}`,
          };
    case 'fruxon':
      return { name, ok: true, detail: `SmsUrl is Fruxon's ingress (${displayWebhookUrl(smsUrl, productionUrl)})` };
    case 'other':
      return { name, ok: true, detail: `SmsUrl is another service's (${displayWebhookUrl(smsUrl, productionUrl)})` };
  }
}

/** Doctor's words for the classifier's answer: ours = a listener lease's URL on this machine's store; Fruxon's = its ingress (or the recorded production URL). */
function ownerOf(c: WebhookClass<Lease>): { owner: 'ours' | 'fruxon' | 'other' | 'none'; lease: Lease | null } {
  if (c.kind === 'listener') return { owner: 'ours', lease: c.lease };
  return { owner: c.fruxon ? 'fruxon' : c.kind === 'none' ? 'none' : 'other', lease: null };
}

function checkLeases(store: Store): DoctorCheck {
  const leases = store.leases.list();
  const names = new Map(store.configs.list().map((c) => [c.id, c.name]));
  const stale = leases.filter((l) => !isLeaseAlive(l));
  if (stale.length) {
    const list = stale
      .map((l) => `${names.get(l.configId) ?? l.configId} (${l.phoneNumber}, pid ${l.pid} on ${l.hostname} is gone)`)
      .join(', ');
    return {
      name: 'leases',
      ok: false,
      detail: `${stale.length} stale listener lease${stale.length > 1 ? 's' : ''}, webhook not restored: ${list}`,
      fix: stale
        .map((l) => `fruxon-twilio restore --config ${shellQuote(names.get(l.configId) ?? l.configId)}`)
        .join(' && '),
    };
  }
  const alive = leases.length;
  return {
    name: 'leases',
    ok: true,
    detail: alive ? `${alive} running listener${alive > 1 ? 's' : ''}, no stale leases` : 'no stale leases',
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

function hintOf(err: unknown): string | undefined {
  return err instanceof CliError ? err.hint : undefined;
}
