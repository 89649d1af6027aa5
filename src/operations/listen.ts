import type { TwilioFactory } from '../config/connect.js';
import { resolveConfig, twilioCredentials } from '../config/resolve.js';
import { CliError, ExitCode } from '../errors.js';
import { connectFruxon } from '../fruxon/account.js';
import type { FruxonFactory } from '../fruxon/client.js';
import { type SenderHint, type SenderHints, senderHints } from '../fruxon/sender-hint.js';
import { type ListenPlanOptions, planListen } from '../listener/plan.js';
import { heldByAnotherListener, type RestoreOutcome, type TakeOverQuestion } from '../listener/registration.js';
import { type ReplyWatcher, watchReplies } from '../listener/replies.js';
import { type ListenHooks, type ListenInfo, ListenSession, teeHooks } from '../listener/session.js';
import type { SecretStore } from '../secrets/index.js';
import { webhookPath } from '../store/configs.js';
import { applyRetention, retentionDays } from '../store/events.js';
import type { Config, Store } from '../store/index.js';
import type { ApiTrace } from '../trace.js';
import { callSite, twilioError } from '../twilio/client.js';
import { fetchAccount } from '../twilio/numbers.js';
import type { Channel } from '../twilio/route.js';
import { maskSid } from '../validate.js';
import { missedSinceDefault, type RedeliverResult, redeliverMessages } from './redeliver.js';

export type { TakeOverQuestion };

/**
 * The listen operation: resolves the config and its plan (tunnel, signing key, registration), prunes the
 * event log, starts the session, and runs it until a stop request, --once/--max or --timeout; then puts the
 * webhook back. It never prints and never attaches a signal handler: what it has to say goes to
 * `ListenFaces.report` (output/listen.ts words it), the session's events go to the face the command made
 * (the key-driven screen or the lines) and to the inspector, and the stop request comes from `untilStopped`.
 */

/** The plan's options (tunnel, public URL, secrets from stdin, registration), and what the session takes. */
export interface ListenInput extends ListenPlanOptions {
  config?: string;
  host: string;
  port: number;
  forwardTo?: string;
  channels?: Channel[];
  allowMessagingService: boolean;
  /** --no-fallback: clear the winning layer's fallback URL for the run (put back on stop). */
  noFallback?: boolean;
  checkMissedMs: number;
  /**
   * `--catch-up`: first feed the listener the inbound messages Twilio logged for the number while no listener
   * ran here (since the config's newest recorded event, at most a day back), marked recovered, once per MessageSid.
   */
  catchUp?: boolean;
  /** Read the agent's replies from Twilio's Messages list while messages arrive (default true). */
  agentReplies?: boolean;
  /** Stop after this many events (--once: 1). */
  max?: number;
  timeoutMs?: number;
}

export interface ListenDeps {
  store: Store;
  env: NodeJS.ProcessEnv;
  /** The secret store, loaded when the config is known (loading it touches no secret yet). */
  secrets: () => Promise<SecretStore>;
  twilio: TwilioFactory;
  fruxon: FruxonFactory;
  /** The clock of the retention's cutoff. */
  now: () => Date;
  readStdin: (what: string) => Promise<string>;
  /** The API trace (FRUXON_TWILIO_DEBUG=api): the webhooks received and forwarded, the ngrok session. */
  trace?: ApiTrace | null;
}

/** What the listen reports besides the session's events, in this order; output/listen.ts words each. */
export interface ListenReport {
  /** The retention pruned the event log at start. */
  pruned(count: number, days: number): void;
  /** A warning of the plan (e.g. --skip-verify). */
  planWarning(message: string): void;
  /** A sender is no participant on the linked Fruxon config (once per number). */
  senderHint(hint: SenderHint, config: Config, localName: string | null): void;
  /** The Fruxon lookups failed: the senders are not looked up for the rest of the run. */
  senderHintsOff(message: string): void;
  /** The session runs (and its inspector, when there is one). */
  started(run: { config: Config; info: ListenInfo; inspectorUrl: string | null }): void;
  /** `--catch-up` posted what Twilio logged since `since` to the listener: `fed` accepted, `failed` not. */
  caughtUp(run: { since: Date; fed: number; failed: RedeliverResult[] }): void;
  /** `--catch-up` could not run (the listen goes on). */
  catchUpFailed(message: string): void;
  /** The session stopped and put back what it had changed. */
  stopped(run: { info: ListenInfo; outcome: RestoreOutcome | null }): void;
}

/** The face that takes the session's events: the key-driven screen or the lines. */
export interface ListenFace {
  hooks: ListenHooks;
  /** Whether the face shows Fruxon sender hints (`report.senderHint`): the lines do, the screen does not. */
  senderHints: boolean;
  /** The session runs: a screen takes the terminal (`quit` asks to stop, as Ctrl-C does). */
  open?(opts: { info: ListenInfo; quit: () => void; inspectorUrl: string | null }): void;
  /** Puts the terminal back; idempotent. */
  close?(): void;
}

export interface ListenFaceSetup {
  store: Store;
  config: Config;
  secrets: SecretStore;
  /** The key signatures are checked with (null with --skip-verify). */
  authToken: string | null;
  /** The listener's path on its URLs (where a missed message would have arrived). */
  path: string;
  /** The event log's retention (FRUXON_TWILIO_RETENTION_DAYS), for the hourly prune's line. */
  retentionDays: number;
  /** A face sent this message itself (a reply from the screen or the inspector): it is not the agent's. */
  ownSent: (sid: string) => void;
}

export interface ListenInspector {
  hooks: ListenHooks;
  url: string;
  close(): Promise<void>;
}

/** A stop request (the command's `ctx.untilStopped()`). */
export interface ListenStopper {
  readonly stopped: Promise<unknown>;
  stop(sig: 'SIGINT'): void;
  dispose(): void;
}

export interface ListenFaces {
  report: ListenReport;
  /** Made once the config is known, before the session starts. */
  face(setup: ListenFaceSetup): ListenFace;
  /** Started once the session runs; absent with --no-inspect. */
  inspector?(setup: ListenFaceSetup & { info: ListenInfo }): Promise<ListenInspector>;
  /** Called once the session runs: from then on a stop request stops it. */
  untilStopped(info: ListenInfo): ListenStopper;
  /**
   * Asks before taking a number whose layer points at a production URL (a terminal, or --take-over answering
   * yes in advance); absent: nobody to ask, so it is taken and a warning says so.
   */
  confirmTakeOver?(q: TakeOverQuestion): Promise<boolean>;
}

export interface ListenResult {
  /** Why it stopped. */
  reason: 'done' | 'signal' | 'timeout';
  /** The events accepted. */
  accepted: number;
  /** With --timeout: it ran out before the requested events (--once/--max, else one) arrived. */
  timedOut: boolean;
}

/** The events remembered as what an agent's reply may answer. */
const MAX_ANSWERED = 1000;

export async function listen(deps: ListenDeps, input: ListenInput, faces: ListenFaces): Promise<ListenResult> {
  const { store, env } = deps;
  const { report } = faces;
  const { max } = input;

  // The default retention: the event log never grows without bound.
  const pruned = applyRetention(store.events, env, deps.now().getTime());
  if (pruned > 0) report.pruned(pruned, retentionDays(env));
  const config = resolveConfig(store, ...(input.config !== undefined ? [input.config] : []));
  // Another listener on this config: say so (exit 5) before anything else, the port it holds included.
  if (input.register) {
    const held = heldByAnotherListener(store, config);
    if (held) throw held;
  }
  const secrets = await deps.secrets();
  const plan = await planListen(
    {
      tunnel: input.tunnel,
      publicUrl: input.publicUrl,
      ngrokAuthtokenStdin: input.ngrokAuthtokenStdin,
      authTokenStdin: input.authTokenStdin,
      register: input.register,
      skipVerify: input.skipVerify,
    },
    config,
    { store, env, secrets: () => secrets, readStdin: deps.readStdin },
  );
  const { authToken } = plan;
  for (const w of plan.warnings) report.planWarning(w.message);
  // An API Key config signs nothing itself: the Auth Token Twilio signs with comes from TWILIO_AUTH_TOKEN (or
  // stdin). One that is not the account's would refuse every message: one authenticated call says so now.
  if (config.authMethod === 'api-key' && authToken)
    await checkSigningToken(deps.twilio, config, authToken, plan.apiUrl, input.authTokenStdin, env);

  const twilio = plan.credentials ? await deps.twilio(plan.credentials) : null;

  let finish: (reason: ListenResult['reason']) => void = () => {};
  const finished = new Promise<ListenResult['reason']>((r) => (finish = r));

  // A linked config: say once per number when a sender is no participant on Fruxon (looked up off the hot path).
  const link = store.fruxon.link(config.id);
  const localName = store.participants.contactBook(config.id).nameFor;
  let hints: SenderHints | null = null;
  if (link) {
    hints = senderHints({
      connect: () =>
        connectFruxon(store, env, () => secrets, {
          tenant: link.tenant,
          timeoutMs: 5000,
          fruxon: deps.fruxon,
        }).client,
      fruxonConfigId: link.fruxonConfigId,
      onHint: (h) => report.senderHint(h, config, localName(h.number)),
      onError: (m) => report.senderHintsOff(m),
    });
  }

  // Where --catch-up starts: the newest event recorded before this listener records any.
  const catchUpSince = input.catchUp ? missedSinceDefault(store, config.id, deps.now()) : null;
  const path = webhookPath(config);
  // The agent's side: what the number sends that no face sent, read from Twilio's Messages list only while
  // something arrived in the last few minutes (an idle listener makes no API calls), under the event it answers.
  let replies: ReplyWatcher | null = null;
  const setup: ListenFaceSetup = {
    store,
    config,
    secrets,
    authToken,
    path,
    retentionDays: retentionDays(env),
    ownSent: (sid) => replies?.noteOwn(sid),
  };
  const face = faces.face(setup);
  // The lines ask Fruxon about new senders; a screen does not (its hints would land on the terminal it draws).
  const observeSenders = face.senderHints ? hints : null;
  let inspectorHooks: ListenHooks | undefined;
  // The operation's own hooks first (sender hints, --once/--max), then the face's, then the inspector's.
  // This session's events by MessageSid: the event an agent's reply answers.
  const eventOf = new Map<string, number>();
  const own: ListenHooks = {
    onEvent(envelope, duplicate) {
      if (duplicate) return;
      observeSenders?.observe(envelope.payload.from);
      const sid = envelope.payload.message_sid;
      if (sid && envelope.payload.from) {
        eventOf.set(sid, envelope.event_id);
        if (eventOf.size > MAX_ANSWERED) eventOf.delete(eventOf.keys().next().value!);
        replies?.noteInbound({ sid, from: envelope.payload.from, at: new Date(envelope.received_at) });
      }
      // Resolved after the group commit's lines are written (a promise settles after this turn).
      if (max !== undefined && session.accepted >= max) finish('done');
    },
  };
  const hooks = teeHooks(
    () => own,
    () => face.hooks,
    () => inspectorHooks,
  );
  const session = new ListenSession({
    store,
    now: deps.now,
    config,
    authToken,
    skipVerify: input.skipVerify,
    host: input.host,
    port: input.port,
    tunnel: plan.tunnel,
    twilio,
    apiUrl: plan.apiUrl,
    productionUrl: plan.productionUrl,
    channels: input.channels,
    allowMessagingService: input.allowMessagingService,
    noFallback: input.noFallback,
    ...(faces.confirmTakeOver && { confirmTakeOver: (q: TakeOverQuestion) => faces.confirmTakeOver!(q) }),
    checkMissedMs: input.checkMissedMs,
    forwardTo: input.forwardTo,
    contactName: localName,
    retention: () => applyRetention(store.events, env, deps.now().getTime()),
    hooks,
    trace: deps.trace,
  });

  const info = await session.start();
  if (twilio && input.agentReplies !== false) {
    let lastError = '';
    replies = watchReplies({
      client: twilio,
      number: config.fromNumber,
      ...(input.channels && { channels: input.channels }),
      onReply: (e) =>
        hooks.onAgentReply?.({ ...e, eventId: e.inReplyTo !== null ? (eventOf.get(e.inReplyTo) ?? null) : null }),
      onError: (err) => {
        // Tried again at the next turn: said once until the error changes.
        const message = `the agent's replies are not read from Twilio's Messages list: ${(err as Error)?.message ?? String(err)}`;
        if (message !== lastError) hooks.onWarning?.(message);
        lastError = message;
      },
    });
  }
  let web: ListenInspector | null = null;
  try {
    web = faces.inspector ? await faces.inspector({ ...setup, info }) : null;
  } catch (err) {
    await replies?.stop();
    await session.stop().catch(() => undefined);
    throw err;
  }
  inspectorHooks = web?.hooks;

  const stopper = faces.untilStopped(info);
  void stopper.stopped.then(() => finish('signal'));
  const timer = input.timeoutMs !== undefined ? setTimeout(() => finish('timeout'), input.timeoutMs) : undefined;

  report.started({ config, info, inspectorUrl: web?.url ?? null });
  face.open?.({ info, quit: () => stopper.stop('SIGINT'), inspectorUrl: web?.url ?? null });
  const caughtUp = catchUpSince
    ? catchUp(deps, report, { config, secrets, since: catchUpSince, url: info.webhookUrl, authToken })
    : null;

  const reason = await finished;
  await replies?.stop();
  face.close?.();
  clearTimeout(timer);
  await web?.close();
  let outcome: RestoreOutcome | null;
  try {
    outcome = await session.stop();
  } catch (err) {
    if (err instanceof CliError) {
      throw new CliError(`${err.message}; the lease is kept`, {
        exitCode: ExitCode.registration,
        reason: err.reason,
        hint: `finish it later with: fruxon-twilio restore --config ${JSON.stringify(config.name)}`,
        cause: err,
      });
    }
    throw err;
  } finally {
    hints?.close();
    stopper.dispose();
    // A catch-up still posting when the listen stops ends at once: the listener no longer answers.
    await caughtUp;
  }
  report.stopped({ info, outcome });
  return {
    reason,
    accepted: session.accepted,
    timedOut: reason === 'timeout' && session.accepted < (max ?? 1),
  };
}

/**
 * `listen --catch-up`: the inbound messages Twilio logged since `since` that no event here records, posted to
 * the local listener as Twilio would have (`messages redeliver --missed`), each marked recovered (the listener
 * records a MessageSid once). Never fails the listen: a failure is reported and the listen goes on.
 */
async function catchUp(
  deps: ListenDeps,
  report: ListenReport,
  o: { config: Config; secrets: SecretStore; since: Date; url: string; authToken: string | null },
): Promise<void> {
  try {
    const { results } = await redeliverMessages(
      { store: deps.store, env: deps.env, secrets: () => o.secrets, twilio: deps.twilio },
      {
        config: o.config.name,
        sids: [],
        missedSince: o.since,
        url: o.url,
        recovered: true,
        ...(o.authToken !== null && { readAuthToken: async () => o.authToken! }),
      },
    );
    const failed = results.filter((r) => !r.ok);
    report.caughtUp({ since: o.since, fed: results.length - failed.length, failed });
  } catch (err) {
    report.catchUpFailed((err as Error)?.message ?? String(err));
  }
}

/**
 * Whether `authToken` is the Auth Token of the config's account: one authenticated call (the account, with
 * the account SID and the token). Rejected (401/403/404): a usage error, one line naming where the token came
 * from; any other failure is Twilio's (its own exit).
 */
async function checkSigningToken(
  twilio: TwilioFactory,
  config: Config,
  authToken: string,
  apiUrl: string | null,
  fromStdin: boolean | undefined,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const source = fromStdin ? 'the Auth Token read from standard input (--auth-token-stdin)' : 'TWILIO_AUTH_TOKEN';
  // The account's region and edge, as every other call of this config (an IE1 account's token is checked in IE1).
  const creds = {
    ...twilioCredentials(config, authToken, env),
    authMethod: 'auth-token' as const,
    apiKeySid: null,
    apiUrl,
  };
  const client = await twilio(creds, { timeoutMs: 10_000 });
  try {
    await fetchAccount(client, config.accountSid);
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 401 || status === 403 || status === 404) {
      throw new CliError(
        `${source} is not the Auth Token of account ${maskSid(config.accountSid)} (Twilio answered ${status}): every webhook it signs would be refused`,
        {
          exitCode: ExitCode.usage,
          reason: 'signing_token_rejected',
          hint: `set ${fromStdin ? 'it' : 'TWILIO_AUTH_TOKEN'} to the Auth Token of ${maskSid(config.accountSid)} (Twilio Console → Account → API keys & tokens), or accept unsigned requests with --skip-verify (unsafe)`,
        },
      );
    }
    throw twilioError(
      err,
      `check the webhook signing token against account ${maskSid(config.accountSid)}`,
      callSite(creds),
    );
  }
}
