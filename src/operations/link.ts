import { loadProductionWebhookUrl, saveProductionWebhookUrl } from '../config/webhook-url.js';
import { CliError, ExitCode } from '../errors.js';
import {
  createConfig,
  type FruxonConfig,
  generateWebhookUrl,
  getConfig,
  listConfigs,
  type MintedWebhook,
  publishConfig,
  readTwilioMapping,
  rotateWebhook,
  type TwilioMapping,
} from '../fruxon/api.js';
import type { FruxonClient } from '../fruxon/client.js';
import type { SecretStore } from '../secrets/index.js';
import { shellQuote } from '../shell.js';
import { type Config, type FruxonLink, isLeaseAlive, type Store } from '../store/index.js';
import type { TwilioClient, TwilioCredentials } from '../twilio/client.js';
import {
  DEFAULT_RESTORE_WAIT_MS,
  deferToProduction,
  leaseOnNumber,
  pointNumberAt,
} from '../twilio/register-webhook.js';
import { routeName } from '../twilio/route.js';
import { displayWebhookUrl, maskWebhookUrl } from '../twilio/webhook.js';

/**
 * `link`: a local config's twin on Fruxon, its webhook URL, and the number pointed at it, in four
 * idempotent steps. Each step reports what it did; the webhook URL (a secret) only ever leaves masked.
 */

export type LinkStepName = 'config' | 'publish' | 'webhook' | 'store' | 'register';

export interface LinkStep {
  step: LinkStepName;
  /** created, found, linked, published, unchanged, minted, rotated, reused, stored, registered, skipped, deferred, failed… */
  action: string;
  detail: string;
}

export interface LinkResult {
  config: string;
  tenant: string;
  fruxonConfigId: string;
  created: boolean;
  published: boolean;
  webhook: { maskedUrl: string; keyPrefix: string | null; action: 'minted' | 'rotated' | 'reused' };
  registered: boolean | 'skipped' | 'deferred';
  steps: LinkStep[];
  /** Set when step 4 failed (steps 1-3 are done): the command exits 4 with it. */
  error: CliError | null;
}

export interface LinkOptions {
  store: Store;
  config: Config;
  fruxon: FruxonClient;
  env: NodeJS.ProcessEnv;
  keychain: () => SecretStore;
  /** The config's Twilio secret (Auth Token): read only when a Fruxon config must be created. */
  authToken: () => string;
  /** A Twilio client for the config: made only for step 4. */
  twilio: () => Promise<{ client: TwilioClient; creds: TwilioCredentials }>;
  rotate: boolean;
  register: boolean;
  /** Consent to point the number's Messaging Service (every number in it) at Fruxon when it receives the messages. */
  messagingService?: boolean;
  onStep?: (step: LinkStep) => void;
  /** How long step 4 waits for a stopping listen's restore that already read the lease (default 15 s). */
  restoreWaitMs?: number;
  /** Aborted: step 4 stops waiting for that restore. */
  signal?: AbortSignal;
  /** Called once when step 4 begins to wait for such a restore (the number, the restoring process). */
  onRestoreWait?: (wait: { phoneNumber: string; pid: number; waitMs: number }) => void;
}

/** Records one step's outcome (linkConfig collects them into the result and hands each to `onStep`). */
export type LinkReport = (step: LinkStepName, action: string, detail: string) => void;

/**
 * Runs the four steps in order: find or create the Fruxon config (and publish it), get its webhook URL, store
 * it, point the number at it. Steps 1-3 throw; step 4's failure is returned in `error` (steps 1-3 are done).
 */
export async function linkConfig(o: LinkOptions): Promise<LinkResult> {
  const steps: LinkStep[] = [];
  const report: LinkReport = (step, action, detail) => {
    const s = { step, action, detail };
    steps.push(s);
    o.onStep?.(s);
  };

  if (o.config.secretSource === 'env' && (o.rotate || !loadProductionWebhookUrl(o.config, o.env, o.keychain))) {
    throw new CliError(
      `config ${JSON.stringify(o.config.name)} keeps no secret (--token-from-env), so link cannot store the webhook URL Fruxon would mint for it`,
      {
        exitCode: ExitCode.usage,
        reason: 'invalid_argument',
        hint: 'link it once from a machine with a keychain-backed config of the same name, then give the URL to CI in FRUXON_TWILIO_WEBHOOK_URL (link then reuses it)',
      },
    );
  }

  const found = await findOrCreateFruxonConfig(o, report);
  const webhook = await mintWebhookUrl(o, found, report);
  const config = storeWebhookUrl(o, found, webhook, report);
  const pointed = await pointNumberAtFruxon(o, config, webhook.url, report);
  return {
    config: config.name,
    tenant: o.fruxon.tenant,
    fruxonConfigId: found.fx.id,
    created: found.created,
    published: found.published,
    webhook: { maskedUrl: maskWebhookUrl(webhook.url), keyPrefix: webhook.keyPrefix, action: webhook.action },
    registered: pointed.registered,
    steps,
    error: pointed.error,
  };
}

/** What step 1 found (or made) on Fruxon. */
export interface FruxonConfigStep {
  fx: FruxonConfig;
  created: boolean;
  /** Published now or before. */
  published: boolean;
  /** The saved link (its webhook key prefix is the one recorded before this run). */
  link: FruxonLink;
  /** Whether the config was linked to this same Fruxon config before (then a stored URL is its own). */
  sameConfigAsBefore: boolean;
}

/** Step 1: find or create the Fruxon config, link it, and publish it if it is a draft. */
export async function findOrCreateFruxonConfig(
  o: Pick<LinkOptions, 'store' | 'config' | 'fruxon' | 'authToken'>,
  report: LinkReport,
): Promise<FruxonConfigStep> {
  const { store, fruxon, config } = o;
  const name = shellQuote(config.name);
  const previous = store.fruxon.link(config.id);
  const linkedBefore = previous && previous.tenant === fruxon.tenant ? previous : null;
  let fx: FruxonConfig | null = null;
  let created = false;
  let mapping: TwilioMapping | null = null;
  const getMapping = async () => (mapping ??= await readTwilioMapping(fruxon));

  if (linkedBefore) {
    fx = await getConfig(fruxon, linkedBefore.fruxonConfigId);
    if (!fx) {
      throw new CliError(
        `the Fruxon config ${linkedBefore.fruxonConfigId} that ${JSON.stringify(config.name)} is linked to no longer exists on tenant ${fruxon.tenant} (404)`,
        {
          reason: 'fruxon_config_gone',
          hint: `forget the link and create a new Fruxon config: fruxon-twilio link --config ${name} --relink`,
        },
      );
    }
    const from = await fromParameterValue(fx, getMapping);
    report(
      'config',
      'linked',
      `Fruxon config ${fx.id} "${fx.displayName}" (linked before)${from && from !== config.fromNumber ? `; its From number is ${from}, not ${config.fromNumber}` : ''}`,
    );
  } else {
    const all = await listConfigs(fruxon);
    let same = all.filter((c) => c.displayName === config.name);
    if (same.length === 0) same = all.filter((c) => c.displayName.toLowerCase() === config.name.toLowerCase());
    if (same.length > 1) {
      throw new CliError(
        `tenant ${fruxon.tenant} has ${same.length} Twilio configs named ${JSON.stringify(config.name)} (${same.map((c) => c.id).join(', ')}), so link cannot tell which is this one`,
        {
          reason: 'fruxon_ambiguous',
          hint: 'rename or delete the extra ones in the Fruxon UI, or rename the local config (fruxon-twilio configs set NAME --name OTHER)',
        },
      );
    }
    if (same.length === 1) {
      fx = same[0]!;
      const from = await fromParameterValue(fx, getMapping);
      if (from && from !== config.fromNumber) {
        throw new CliError(
          `the Fruxon config ${fx.id} named ${JSON.stringify(fx.displayName)} sends from ${from}, not from ${config.fromNumber} like the local config`,
          {
            reason: 'fruxon_mismatch',
            hint: 'fix the From number in one of them, or rename the local config so that link creates its own Fruxon config',
          },
        );
      }
      report('config', 'found', `Fruxon config ${fx.id} "${fx.displayName}" (same display name), linked to it`);
    } else {
      if (config.authMethod !== 'auth-token') {
        throw new CliError(
          `config ${JSON.stringify(config.name)} authenticates with an API Key, but Fruxon's Twilio integration takes the Account SID + Auth Token`,
          {
            reason: 'invalid_argument',
            hint: 'add a config with --auth-token-stdin for link, or create the config in the Fruxon UI (link then finds it by its display name)',
          },
        );
      }
      const m = await getMapping();
      fx = await createConfig(fruxon, m, {
        displayName: config.name,
        fromNumber: config.fromNumber,
        accountSid: config.accountSid,
        authToken: o.authToken(),
      });
      created = true;
      report(
        'config',
        'created',
        `Fruxon config ${fx.id} "${fx.displayName}" (From ${config.fromNumber}, ${m.authDisplayName})`,
      );
    }
  }
  const link = store.fruxon.saveLink({ configId: config.id, tenant: fruxon.tenant, fruxonConfigId: fx.id });
  const sameConfigAsBefore = linkedBefore?.fruxonConfigId === fx.id;

  // 1b. Publish a draft.
  let published = fx.publishedRevisionId !== null;
  if (created || !published) {
    await publishConfig(fruxon, fx.id, 'published by fruxon-twilio link');
    const after = await getConfig(fruxon, fx.id);
    published = true;
    report(
      'publish',
      'published',
      after?.publishedRevisionId ? `revision ${after.publishedRevisionId}` : 'Fruxon accepted the publish',
    );
  } else {
    report('publish', 'unchanged', `already published (revision ${fx.publishedRevisionId})`);
  }
  return { fx, created, published, link, sameConfigAsBefore };
}

/** Step 2's webhook URL (a secret: only its masked form leaves link). */
export interface WebhookStep {
  url: string;
  keyPrefix: string | null;
  action: 'minted' | 'rotated' | 'reused';
}

/** Step 2: the webhook URL: reuse the stored one, mint one, or rotate. */
export async function mintWebhookUrl(
  o: Pick<LinkOptions, 'config' | 'fruxon' | 'env' | 'keychain' | 'rotate'>,
  found: Pick<FruxonConfigStep, 'fx' | 'link' | 'sameConfigAsBefore'>,
  report: LinkReport,
): Promise<WebhookStep> {
  const { config, fruxon } = o;
  const { fx, link, sameConfigAsBefore } = found;
  const stored = loadProductionWebhookUrl(config, o.env, o.keychain);
  let url: string;
  let keyPrefix = link.webhookKeyPrefix;
  let action: 'minted' | 'rotated' | 'reused';
  const rotate = async (why: string) => {
    const r = await rotateWebhook(fruxon, fx.id);
    if ('refused' in r)
      throw new CliError(`${r.refused} (while rotating because ${why})`, { reason: 'fruxon_refused' });
    return r.minted;
  };
  const take = (m: MintedWebhook) => {
    url = m.webhookUrl;
    keyPrefix = m.webhookKeyPrefix;
  };
  if (o.rotate) {
    const r = await rotateWebhook(fruxon, fx.id);
    if ('minted' in r) {
      take(r.minted);
      action = 'rotated';
      report('webhook', 'rotated', `new key ${keyPrefix ?? maskWebhookUrl(url!)}…; the previous URL stopped working`);
    } else {
      const g = await generateWebhookUrl(fruxon, fx.id);
      if ('refused' in g) throw new CliError(g.refused, { reason: 'fruxon_refused' });
      take(g.minted);
      action = 'minted';
      report('webhook', 'minted', `key ${keyPrefix ?? '?'}… (there was none to rotate)`);
    }
  } else if (stored && sameConfigAsBefore) {
    url = stored;
    action = 'reused';
    report('webhook', 'reused', `the URL stored in the keychain (${maskWebhookUrl(stored)}), no call to Fruxon`);
  } else {
    const g = await generateWebhookUrl(fruxon, fx.id);
    if ('minted' in g) {
      take(g.minted);
      action = 'minted';
      report('webhook', 'minted', `key ${keyPrefix ?? '?'}… (Fruxon shows this URL once)`);
    } else if (stored) {
      url = stored;
      action = 'reused';
      report(
        'webhook',
        'reused',
        `Fruxon already has a key for this config; assuming the recorded URL ${maskWebhookUrl(stored)} is its own (link --rotate mints a new one)`,
      );
    } else {
      take(await rotate('a key was already bound and its URL is not stored here'));
      action = 'rotated';
      report(
        'webhook',
        'rotated',
        `a key was already bound and its URL is not stored here: new key ${keyPrefix ?? '?'}…; the old URL stopped working`,
      );
    }
  }
  return { url: url!, keyPrefix, action };
}

/** Step 3: store a minted URL in the keychain (and its key prefix with the link); returns the updated config. */
export function storeWebhookUrl(
  o: Pick<LinkOptions, 'store' | 'config' | 'fruxon' | 'keychain'>,
  found: Pick<FruxonConfigStep, 'fx'>,
  webhook: WebhookStep,
  report: LinkReport,
): Config {
  const { store, fruxon } = o;
  let config = o.config;
  const name = shellQuote(config.name);
  const { url, keyPrefix } = webhook;
  if (webhook.action === 'reused') {
    report(
      'store',
      'unchanged',
      config.secretSource === 'env' ? 'read from FRUXON_TWILIO_WEBHOOK_URL' : 'already in the keychain',
    );
  } else {
    try {
      config = saveProductionWebhookUrl(store, config, url, o.keychain);
    } catch (err) {
      const e = err instanceof CliError ? err : new CliError(String((err as Error)?.message ?? err));
      throw new CliError(
        `the webhook URL Fruxon minted could not be stored, and Fruxon shows it only once: ${e.message}`,
        {
          reason: e.reason,
          hint: `fix the keychain, then mint a new one: fruxon-twilio link --config ${name} --rotate`,
          cause: err,
        },
      );
    }
    store.fruxon.saveLink({
      configId: config.id,
      tenant: fruxon.tenant,
      fruxonConfigId: found.fx.id,
      webhookKeyPrefix: keyPrefix,
    });
    report('store', 'stored', `in the OS keychain as the production webhook URL (${maskWebhookUrl(url)})`);
  }
  return config;
}

/** Step 4's outcome: a failure (steps 1-3 done) is returned, not thrown: the command exits 4 with it. */
export interface PointStep {
  registered: LinkResult['registered'];
  error: CliError | null;
}

/**
 * Step 4: point the number at the URL (`config` is the one step 3 returned). Skipped with --no-register;
 * deferred to the listener when one holds the number.
 */
export async function pointNumberAtFruxon(
  o: Pick<
    LinkOptions,
    'store' | 'twilio' | 'register' | 'messagingService' | 'restoreWaitMs' | 'signal' | 'onRestoreWait'
  >,
  config: Config,
  url: string,
  report: LinkReport,
): Promise<PointStep> {
  const { store } = o;
  const name = shellQuote(config.name);
  const masked = maskWebhookUrl(url);
  const result = (registered: LinkResult['registered'], error: CliError | null = null): PointStep => ({
    registered,
    error,
  });
  const finish = `fruxon-twilio webhook set --config ${name} --yes`;
  if (!o.register) {
    report('register', 'skipped', `--no-register: the number was not changed; to point it at Fruxon: ${finish}`);
    return result('skipped');
  }
  const failed = (err: unknown): PointStep => {
    const e = err instanceof CliError ? err : new CliError(String((err as Error)?.message ?? err), { cause: err });
    const failure = new CliError(e.message, {
      exitCode: e.exitCode === ExitCode.conflict ? ExitCode.conflict : ExitCode.registration,
      reason: e.reason,
      hint:
        e.reason === 'messaging_service_consent'
          ? `steps 1-3 are done (the URL is stored); to point the service (every number in it) at Fruxon: fruxon-twilio link --messaging-service --config ${name}`
          : e.reason === 'sandbox' || e.reason === 'application_shared'
            ? `steps 1-3 are done (the URL is stored); ${e.hint}`
            : `steps 1-3 are done (the URL is stored); to finish: ${finish}`,
      cause: err,
    });
    report('register', 'failed', e.message);
    return result(false, failure);
  };
  const lease = leaseOnNumber(store, config);
  if (lease) {
    // The listener owns the number until it stops; from then on what it puts back is what link would have set
    // without it (deferToProduction: same refusals; the lease keeps a flag, never the URL, which is read from
    // the keychain at restore time). null: the listener stopped meanwhile (or its restore, under way, already read
    // the lease: deferToProduction waits for it to end), so link points the number itself.
    let deferred: Awaited<ReturnType<typeof deferToProduction>>;
    try {
      const { client, creds } = await o.twilio();
      deferred = await deferToProduction({
        store,
        config,
        lease,
        client,
        creds,
        url,
        hint: `steps 1-3 are done; to finish: ${finish}`,
        allowMessagingService: o.messagingService,
        restoreWaitMs: o.restoreWaitMs,
        signal: o.signal,
        onRestoreWait: (l) =>
          o.onRestoreWait?.({
            phoneNumber: l.phoneNumber,
            pid: l.restoring!.pid,
            waitMs: o.restoreWaitMs ?? DEFAULT_RESTORE_WAIT_MS,
          }),
      });
    } catch (err) {
      return failed(err);
    }
    if (deferred && deferred.held.length === 0) {
      // Nothing of the number points at the listener any more (a restore that failed part-way put it back):
      // every layer was pointed now, as without a listener.
      const pointed = deferred.pointedNow.map((r) => (r.layer === 'number' ? lease.phoneNumber : routeName(r, 'step')));
      report(
        'register',
        pointed.length ? 'registered' : 'unchanged',
        `${pointed.length ? `${pointed.join(' and ')} now ${masked} (POST)` : `${lease.phoneNumber} already points at it`}; the listen (pid ${lease.pid}) that holds it no longer receives its messages`,
      );
      return result(true);
    }
    if (deferred) {
      const layers = [...new Set(deferred.held.filter((r) => r.layer !== 'number').map((r) => routeName(r, 'step')))];
      const what = layers.length ? `${layers.join(' and ')} (what receives its messages then)` : null;
      const now = deferred.pointedNow
        .map(
          (r) =>
            `; ${r.channel === 'whatsapp' ? 'WhatsApp' : 'SMS'} (not held by it): ${routeName(r, 'step')} now ${masked} (POST)`,
        )
        .join('');
      report(
        'register',
        'deferred',
        (isLeaseAlive(lease)
          ? `a listen (pid ${lease.pid}) holds ${lease.phoneNumber}; when it stops it points ${what ?? 'the number'} at the production URL (${masked})`
          : `a listen that crashed (pid ${lease.pid}) still holds ${lease.phoneNumber}; fruxon-twilio restore --config ${name} points ${what ?? 'it'} at the production URL (${masked})`) +
          now,
      );
      return result('deferred');
    }
  }
  try {
    const { client, creds } = await o.twilio();
    const r = await pointNumberAt({
      store,
      config,
      client,
      creds,
      url,
      hint: `steps 1-3 are done; to finish: ${finish}`,
      allowMessagingService: o.messagingService,
    });
    const layer = r.routes.find((x) => x.layer !== 'number');
    report(
      'register',
      r.changed ? 'registered' : 'unchanged',
      r.changed
        ? layer
          ? `${routeName(layer, 'step')} (receives the messages of ${r.after.phoneNumber}) now ${masked} (POST), was ${displayWebhookUrl(layer.url, url) ?? 'none'}`
          : `${r.after.phoneNumber} "A MESSAGE COMES IN" now ${masked} (POST), was ${displayWebhookUrl(r.before.smsUrl, url) ?? 'none'}`
        : `${r.after.phoneNumber} already points at it`,
    );
    return result(true);
  } catch (err) {
    return failed(err);
  }
}

/** Forgets the link of a local config (not the Fruxon config itself, nor the stored URL). */
export function unlinkConfig(store: Store, config: Config): boolean {
  const had = store.fruxon.link(config.id) !== undefined;
  store.fruxon.removeLink(config.id);
  return had;
}

async function fromParameterValue(fx: FruxonConfig, mapping: () => Promise<TwilioMapping>): Promise<string | null> {
  if (Object.keys(fx.parameters).length === 0) return null;
  const m = await mapping();
  const v = fx.parameters[m.fromParameter];
  return typeof v === 'string' ? v : null;
}
