import { connectConfig } from '../config/connect.js';
import { effectiveApiUrl } from '../config/resolve.js';
import { CliError } from '../errors.js';
import { pendingAccessRequestFor } from '../fruxon/access-requests.js';
import type { FruxonFactory } from '../fruxon/client.js';
import { findInbound, findingText, linkedFruxon } from '../fruxon/inbound-records.js';
import type { AccessRequest } from '../fruxon/participants-api.js';
import { type Channel, channelOf, stripChannel, WHATSAPP_PREFIX } from '../phone.js';
import type { SecretStore } from '../secrets/index.js';
import { shellQuote } from '../shell.js';
import type { Config, Store } from '../store/index.js';
import type { ApiTrace } from '../trace.js';
import {
  callSite,
  type TwilioCallSite,
  type TwilioClient,
  type TwilioCredentials,
  type TwilioFactory,
  twilioError,
} from '../twilio/client.js';
import { listMessagesBetween } from '../twilio/message-history.js';
import {
  errorDocUrl,
  FINAL_STATUSES,
  fetchMessage,
  fixFor,
  type Message,
  sendMessage,
  sleepUnlessAborted,
  waitForFinalStatus,
} from '../twilio/messages.js';
import { type Route, resolveChannels, routeName, SANDBOX_NUMBER } from '../twilio/route.js';
import { type SandboxFacts, sandboxFacts } from '../twilio/sandbox.js';
import { refuseLoopbackUrls } from '../twilio/send-rules.js';
import { sameWebhookUrl } from '../twilio/webhook.js';
import { maskSid } from '../validate.js';
import { inboundRoute, webhookFailure } from './diagnose.js';
import { matchWithin } from './regex.js';
import {
  type ExpectStep,
  fileTooLarge,
  type ParsedFile,
  parseScenarioFile,
  readBounded,
  type Scenario,
  type ScenarioFileProblem,
  type SendStep,
  type Step,
} from './scenario.js';

/**
 * The conversation-test runner: reads scenario files, checks that every scenario can run (before anything is
 * sent), then plays each one against Twilio's API and message log. Never prints: progress goes to `onEvent`,
 * the outcome is the return value.
 */

export interface ConvTestDeps {
  store: Store;
  env: NodeJS.ProcessEnv;
  secrets: () => SecretStore;
  /** The command context's client factories. */
  twilio: TwilioFactory;
  fruxon: FruxonFactory;
  /** The clock of the times a run reports (a scenario's start). */
  now: () => Date;
  /** The API trace (FRUXON_TWILIO_DEBUG=api), null when off: told of the calls made outside the clients. */
  trace: ApiTrace | null;
}

export interface ConvTestRequest {
  files: string[];
  /** --config: for scenarios whose file names none. */
  config?: string;
  /** --from: overrides every scenario's tester. */
  from?: string;
  timeoutScale: number;
}

export interface ConvTestHooks {
  onEvent?: (e: RunEvent) => void;
  signal?: AbortSignal;
  /** Message-log polling: first interval, growing by half up to the max. Defaults 250 and 1000 ms. */
  pollMs?: number;
  maxPollMs?: number;
  /** Least time between two sends from one number (Twilio: about 1 message per second on a long code). */
  sendGapMs?: number;
  /** Longest wait for a matching reply's final status (capped by what is left of `within`). */
  finalStatusWaitMs?: number;
}

export type RunEvent =
  | { type: 'scenario-start'; scenario: ScenarioInfo }
  | { type: 'step'; scenario: ScenarioInfo; step: StepResult }
  | { type: 'scenario-end'; result: ScenarioResult };

export interface ScenarioInfo {
  file: string;
  name: string;
  line: number;
  config: string;
  tester: string;
  number: string;
  channel: Channel;
}

/** A message as the runner saw it. */
export interface SeenMessage {
  sid: string;
  direction: string;
  from: string;
  to: string;
  channel: Channel;
  body: string;
  num_media: number;
  status: string;
  error_code: number | null;
  error_message: string | null;
  date_created: string | null;
  /** Milliseconds after the scenario started when the runner first saw it. */
  seen_at_ms: number;
}

export type Outcome = 'passed' | 'failed' | 'error' | 'skipped';

export interface StepResult {
  index: number;
  line: number;
  kind: 'send' | 'expect';
  /** `send "Hi…"`, `expect contains "1042" within 30s`. */
  description: string;
  status: Outcome;
  /** How long the step took. */
  ms: number;
  /** expect: time from the last send (or the scenario's start) to the reply, as polling saw it. */
  latencyMs: number | null;
  withinMs: number | null;
  /** send: the message sent; expect: the reply it checked (null: nothing arrived). */
  message: SeenMessage | null;
  /** What went wrong, one line. */
  failure: string | null;
  /** The likely cause, one line (no reply, a failed reply, the route). */
  cause: string | null;
  /** What to do about it (Twilio's error codes). */
  fix: string | null;
  /** Something the runner did on its own (waited for the send rate). */
  note: string | null;
}

export interface ScenarioResult extends ScenarioInfo {
  status: Exclude<Outcome, 'skipped'>;
  durationMs: number;
  startedAt: string;
  steps: StepResult[];
  /** Every message sent or received in the scenario, in order. */
  messages: SeenMessage[];
  /** For status 'error': why it could not run to the end. */
  error: { message: string; hint: string | null } | null;
}

export interface Unrunnable {
  file: string;
  line: number;
  scenario: string;
  message: string;
  hint: string | null;
}

export type ConvTestOutcome =
  | { kind: 'malformed'; problems: ScenarioFileProblem[] }
  | { kind: 'unrunnable'; problems: Unrunnable[] }
  /** `interrupted`: the hooks' signal stopped the run (Ctrl-C); the scenarios after the one it stopped did not start. */
  | { kind: 'ran'; files: { file: string; results: ScenarioResult[] }[]; interrupted: boolean };

interface Connection {
  config: Config;
  creds: TwilioCredentials;
  client: TwilioClient;
}

interface Plan {
  scenario: Scenario;
  info: ScenarioInfo;
  conn: Connection;
  whatsapp: boolean;
  /**
   * The config's number is the WhatsApp Sandbox (not on the account): its join code when known, and whether the
   * tester's membership was checked (an emulator tells it; Twilio cannot); else null.
   */
  sandbox: { joinCode: string | null; membershipChecked: boolean } | null;
}

/** The one entry point: parse, check, run. */
export async function runConversationTests(
  req: ConvTestRequest,
  deps: ConvTestDeps,
  hooks: ConvTestHooks = {},
): Promise<ConvTestOutcome> {
  const parsed: ParsedFile[] = [];
  for (const file of req.files) {
    let text: string;
    try {
      const read = await readBounded(file);
      if (!('text' in read)) {
        parsed.push(fileTooLarge(file, read.bytes));
        continue;
      }
      text = read.text;
    } catch (err) {
      parsed.push({
        file,
        ok: false,
        problem: {
          file,
          line: 0,
          field: '(file)',
          message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        },
      });
      continue;
    }
    parsed.push(await parseScenarioFile(file, text));
  }
  const malformed = parsed.flatMap((p) => (p.ok ? [] : [p.problem]));
  if (malformed.length) return { kind: 'malformed', problems: malformed };

  const { plans, problems } = await planAll(parsed as Extract<ParsedFile, { ok: true }>[], req, deps);
  if (problems.length) return { kind: 'unrunnable', problems };

  const runner = new Runner(deps, req.timeoutScale, hooks);
  const files: { file: string; results: ScenarioResult[] }[] = [];
  for (const file of parsed) {
    const results: ScenarioResult[] = [];
    for (const plan of plans.filter((p) => p.scenario.file === file.file)) {
      if (hooks.signal?.aborted) break;
      results.push(await runner.run(plan));
    }
    files.push({ file: file.file, results });
  }
  return { kind: 'ran', files, interrupted: hooks.signal?.aborted ?? false };
}

/** Checks every scenario can run: its config, its tester on the account and not the config's own number. */
async function planAll(
  files: Extract<ParsedFile, { ok: true }>[],
  req: ConvTestRequest,
  deps: ConvTestDeps,
): Promise<{ plans: Plan[]; problems: Unrunnable[] }> {
  const plans: Plan[] = [];
  const problems: Unrunnable[] = [];
  const connections = new Map<string, Promise<Connection>>();
  const connect = (name: string | undefined) => {
    const key = name?.toLowerCase() ?? '\u0000default';
    if (!connections.has(key))
      connections.set(key, connectConfig(deps.store, name, deps.env, deps.secrets, deps.twilio));
    return connections.get(key)!;
  };
  // Where a number's inbound goes on a channel (the resolver: its service, sender, TwiML App or SmsUrl); no
  // route with a number: not a number of the account. One lookup per config, number and channel.
  const routed = new Map<string, Promise<Route | null>>();
  const routeOn = (conn: Connection, number: string, channel: Channel) => {
    const key = `${conn.config.id} ${number} ${channel}`;
    if (!routed.has(key))
      routed.set(
        key,
        resolveChannels(conn.client, number, [channel]).then((r) => (r[0]?.number ? r[0] : null)),
      );
    return routed.get(key)!;
  };
  const sandboxes = new Map<string, Promise<SandboxFacts | null>>();
  const sandboxOf = (conn: Connection) => {
    if (!sandboxes.has(conn.config.id)) sandboxes.set(conn.config.id, sandboxFacts(conn.creds.apiUrl, deps.trace));
    return sandboxes.get(conn.config.id)!;
  };
  // A tester who joins the Sandbox in a scenario of this run (its first step) is a participant for the others.
  const joiningInRun = new Set<string>();
  for (const f of files) {
    for (const s of f.scenarios) {
      const problem = (line: number, message: string, hint: string | null = null) =>
        problems.push({ file: s.file, line, scenario: s.name, message, hint });
      const tester = (req.from ?? s.from)?.trim() ?? null;
      if (!tester) {
        problem(s.line, 'no tester number: give the scenario a from: "+1…" (a number of the account), or pass --from');
        continue;
      }
      let conn: Connection;
      try {
        conn = await connect(s.config ?? req.config);
      } catch (err) {
        const e = err instanceof CliError ? err : twilioError(err, 'connect');
        problem(s.config ? s.configLine : s.line, s.config ? `config: ${e.message}` : e.message, e.hint ?? null);
        continue;
      }
      const { config } = conn;
      const testerNumber = stripChannel(tester);
      const where = `account ${maskSid(config.accountSid)} (config ${JSON.stringify(config.name)})`;
      if (testerNumber === config.fromNumber) {
        problem(
          s.fromLine,
          `the tester ${tester} is the config's own number: the scenario would talk to itself`,
          'give from: another number of the same account',
        );
        continue;
      }
      try {
        refuseLoopbackUrls(
          s.steps.flatMap((st) =>
            st.kind === 'send'
              ? st.mediaUrls.map((u, j) => [`steps[${st.index - 1}].media_urls[${j}]`, u] as const)
              : [],
          ),
          effectiveApiUrl(config, deps.env),
        );
      } catch (err) {
        problem(s.line, (err as Error).message, (err as CliError).hint ?? null);
        continue;
      }
      let sandbox: Plan['sandbox'] = null;
      try {
        const channel = channelOf(tester);
        const [ours, theirs] = await Promise.all([
          routeOn(conn, config.fromNumber, channel),
          routeOn(conn, testerNumber, channel),
        ]);
        // The WhatsApp Sandbox is no number of the account, but a sender every account has.
        const isSandbox = !ours && config.fromNumber === SANDBOX_NUMBER;
        if (!ours && !isSandbox) {
          problem(
            s.line,
            `the config's number ${config.fromNumber} is not a number of ${where}`,
            'check it: fruxon-twilio configs show',
          );
          continue;
        }
        if (!theirs) {
          problem(
            s.fromLine,
            `the tester ${tester} is not a number of ${where}: the runner sends from it, so it must be one of the account's numbers`,
            'give from: a number the account owns (IncomingPhoneNumbers), or pass --from',
          );
          continue;
        }
        if (isSandbox) {
          if (channelOf(tester) !== 'whatsapp') {
            problem(
              s.fromLine,
              `the config's number is the WhatsApp Sandbox ${SANDBOX_NUMBER}, which receives WhatsApp only: give from: "whatsapp:${testerNumber}"`,
            );
            continue;
          }
          const facts = await sandboxOf(conn);
          sandbox = { joinCode: facts?.joinCode ?? null, membershipChecked: Boolean(facts?.participants) };
          const joins = joinsFirst(s, facts?.joinCode ?? null);
          if (joins) joiningInRun.add(`${config.id} ${testerNumber}`);
          // Who joined can be known on the emulator only (Twilio has no API for it): elsewhere the run goes on,
          // and a missing reply says what membership would explain.
          if (
            facts?.participants &&
            !facts.participants.includes(testerNumber) &&
            !joins &&
            !joiningInRun.has(`${config.id} ${testerNumber}`)
          ) {
            problem(
              s.fromLine,
              `the tester ${tester} has not joined the WhatsApp Sandbox (or joined over 72 hours ago): ${joinStep(facts.joinCode)} (or make that the scenario's first step)`,
            );
            continue;
          }
        } else {
          // A tester whose inbound reaches the agent, by any layer, would have the agent answer its own replies.
          const loop = selfLoop(ours!, theirs);
          if (loop) {
            problem(
              s.fromLine,
              loop === 'url'
                ? `the tester ${testerNumber}'s webhook points where ${config.fromNumber}'s does: the agent would answer its own replies`
                : `the tester ${testerNumber} and ${config.fromNumber} both receive through ${routeName(theirs, 'label')}: the agent would answer its own replies`,
              'give from: a number whose inbound (its Messaging Service, TwiML App or "A MESSAGE COMES IN" webhook) is empty or goes elsewhere',
            );
            continue;
          }
        }
      } catch (err) {
        const e = twilioError(err, 'look up the numbers of the account', callSite(conn.creds));
        problem(s.line, e.message, e.hint ?? null);
        continue;
      }
      const whatsapp = channelOf(tester) === 'whatsapp';
      plans.push({
        scenario: s,
        conn,
        whatsapp,
        sandbox,
        info: {
          file: s.file,
          name: s.name,
          line: s.line,
          config: config.name,
          tester: testerNumber,
          number: config.fromNumber,
          channel: whatsapp ? 'whatsapp' : 'sms',
        },
      });
    }
  }
  return { plans, problems };
}

/**
 * Whether the tester's inbound reaches where the config's number's does: the same layer (one Messaging Service or
 * TwiML App receives both), or the same URL whatever the layers.
 */
function selfLoop(ours: Route, theirs: Route): 'layer' | 'url' | null {
  const shared = ['messaging_service', 'none', 'application'];
  if (shared.includes(ours.layer) && ours.layer === theirs.layer && ours.sid === theirs.sid)
    return ours.layer === 'none' ? null : 'layer';
  return theirs.url && sameWebhookUrl(theirs.url, ours.url) ? 'url' : null;
}

/** Whether the scenario's first step sends `join <code>` (any code when it is unknown). */
function joinsFirst(s: Scenario, code: string | null): boolean {
  const first = s.steps[0];
  if (first?.kind !== 'send' || first.contentSid) return false;
  const m = /^\s*join\s+(\S+)\s*$/i.exec(first.body);
  return m !== null && (code === null || m[1]!.toLowerCase() === code.toLowerCase());
}

/** Whether a reply from the Sandbox is its instructions to a sender who has not joined (Twilio's wording varies). */
function sandboxInstructions(body: string): boolean {
  return /sandbox/i.test(body) && /\bjoin\b/i.test(body) && !/all set/i.test(body);
}

/** The step that makes the tester a Sandbox participant. */
function joinStep(code: string | null): string {
  return `send "join ${code ?? '<your sandbox keyword>'}" from the tester to ${SANDBOX_NUMBER}${code ? '' : " (the keyword is on the Console's WhatsApp Sandbox page)"}`;
}

/** Twilio's statuses for an outbound message that did not reach the handset. */
const FAILED = new Set(['failed', 'undelivered', 'canceled']);

class Runner {
  /** When each number last sent, across the whole run. */
  readonly #lastSend = new Map<string, number>();
  readonly #poll: number;
  readonly #maxPoll: number;
  readonly #gap: number;
  readonly #finalWait: number;

  readonly #deps: ConvTestDeps;
  readonly #scale: number;
  readonly #hooks: ConvTestHooks;

  constructor(deps: ConvTestDeps, scale: number, hooks: ConvTestHooks) {
    this.#deps = deps;
    this.#scale = scale;
    this.#hooks = hooks;
    this.#poll = hooks.pollMs ?? 250;
    this.#maxPoll = hooks.maxPollMs ?? 1000;
    this.#gap = hooks.sendGapMs ?? 1000;
    this.#finalWait = hooks.finalStatusWaitMs ?? 10_000;
  }

  async run(plan: Plan): Promise<ScenarioResult> {
    const { info, scenario, conn } = plan;
    this.#hooks.onEvent?.({ type: 'scenario-start', scenario: info });
    const started = Date.now();
    // The scenario's start as reported (JSON, JUnit): the injected clock; durations run on real time.
    const startedAt = this.#deps.now().toISOString();
    const steps: StepResult[] = [];
    const messages: SeenMessage[] = [];
    const seen = new Set<string>();
    let error: ScenarioResult['error'] = null;
    let lastSend: { at: number; sid: string } | null = null;
    const mark = (m: Message): SeenMessage => {
      const s = seenMessage(m, Date.now() - started);
      if (!messages.some((x) => x.sid === s.sid)) messages.push(s);
      return s;
    };
    const ctx = callSite(conn.creds);
    const addresses = (): [string, string][] => [
      [info.number, info.tester],
      [WHATSAPP_PREFIX + info.number, WHATSAPP_PREFIX + info.tester],
    ];
    /** Replies (the config's number to the tester) the runner has not looked at, oldest first. */
    const unseenReplies = async (): Promise<Message[]> => {
      const lists = await Promise.all(addresses().map(([from, to]) => listMessagesBetween(conn.client, from, to, 20)));
      const fresh: { m: Message; rank: number }[] = [];
      for (const list of lists) {
        list.forEach((m, rank) => {
          if (m.direction !== 'inbound' && !seen.has(m.sid) && !fresh.some((x) => x.m.sid === m.sid))
            fresh.push({ m, rank });
        });
      }
      // Twilio's dates have whole seconds: within one list its order (newest first) breaks the tie.
      fresh.sort((a, b) => time(a.m) - time(b.m) || b.rank - a.rank);
      return fresh.map((x) => x.m);
    };
    const snapshot = async () => {
      for (const m of await unseenReplies()) seen.add(m.sid);
    };

    let failed = false;
    try {
      await snapshot();
      for (const step of scenario.steps) {
        if (!failed && !error && this.#hooks.signal?.aborted) {
          // Stopped between steps: the step that would have run next carries it, as one stopped mid-wait does.
          error = { message: 'interrupted', hint: null };
          const r: StepResult = { ...skipped(step, this.#scale), status: 'error', failure: 'interrupted', fix: null };
          steps.push(r);
          this.#hooks.onEvent?.({ type: 'step', scenario: info, step: r });
          continue;
        }
        if (failed || error) {
          const r = skipped(step, this.#scale);
          steps.push(r);
          this.#hooks.onEvent?.({ type: 'step', scenario: info, step: r });
          continue;
        }
        let result: StepResult;
        const stepStart = Date.now();
        try {
          if (step.kind === 'send') {
            result = await this.#send(plan, step, snapshot, mark, ctx);
            lastSend = { at: Date.now(), sid: result.message!.sid };
          } else {
            result = await this.#expect(plan, step, unseenReplies, seen, mark, lastSend, started, ctx);
          }
        } catch (err) {
          const e = err instanceof CliError ? err : twilioError(err, `run step ${step.index}`, ctx);
          error = { message: e.message, hint: e.hint ?? null };
          result = {
            ...skipped(step, this.#scale),
            status: 'error',
            failure: e.message,
            fix: e.hint ?? null,
            ms: Date.now() - stepStart,
          };
        }
        if (result.status === 'failed') failed = true;
        steps.push(result);
        this.#hooks.onEvent?.({ type: 'step', scenario: info, step: result });
      }
    } catch (err) {
      const e = err instanceof CliError ? err : twilioError(err, 'read the message log', ctx);
      error = { message: e.message, hint: e.hint ?? null };
    }
    const result: ScenarioResult = {
      ...info,
      status: error ? 'error' : failed ? 'failed' : 'passed',
      durationMs: Date.now() - started,
      startedAt,
      steps,
      messages,
      error,
    };
    this.#hooks.onEvent?.({ type: 'scenario-end', result });
    return result;
  }

  async #send(
    plan: Plan,
    step: SendStep,
    snapshot: () => Promise<void>,
    mark: (m: Message) => SeenMessage,
    ctx: TwilioCallSite,
  ): Promise<StepResult> {
    const { info, conn } = plan;
    let note: string | null = null;
    const last = this.#lastSend.get(info.tester);
    const wait = last === undefined ? 0 : last + this.#gap - Date.now();
    if (wait > 0) {
      note = `waited ${(wait / 1000).toFixed(1)}s before sending: Twilio sends about 1 message per second from a number, and this scenario sends faster`;
      await sleepUnlessAborted(wait, this.#hooks.signal);
    }
    const t0 = Date.now();
    // What arrived before this step is not an answer to it.
    await snapshot();
    const sent = await sendMessage(
      conn.client,
      {
        from: info.tester,
        to: info.number,
        body: step.body,
        mediaUrls: step.mediaUrls,
        whatsapp: plan.whatsapp,
        contentSid: step.contentSid,
        contentVariables: step.contentVariables,
      },
      ctx,
    );
    this.#lastSend.set(info.tester, Date.now());
    return {
      ...base(step, describeStep(step, this.#scale)),
      status: 'passed',
      ms: Date.now() - t0,
      message: mark(sent),
      note,
    };
  }

  async #expect(
    plan: Plan,
    step: ExpectStep,
    unseenReplies: () => Promise<Message[]>,
    seen: Set<string>,
    mark: (m: Message) => SeenMessage,
    lastSend: { at: number; sid: string } | null,
    scenarioStart: number,
    ctx: TwilioCallSite,
  ): Promise<StepResult> {
    const { info, conn } = plan;
    const withinMs = Math.round(step.withinMs * this.#scale);
    const t0 = Date.now();
    const deadline = t0 + withinMs;
    const from = lastSend?.at ?? scenarioStart;
    const r: StepResult = { ...base(step, describeStep(step, this.#scale)), withinMs, status: 'failed' };
    let interval = this.#poll;
    let reply: Message | undefined;
    for (;;) {
      reply = (await unseenReplies())[0];
      if (reply || Date.now() >= deadline || this.#hooks.signal?.aborted) break;
      await sleepUnlessAborted(Math.min(interval, Math.max(0, deadline - Date.now())), this.#hooks.signal);
      interval = Math.min(this.#maxPoll, Math.round(interval * 1.5));
    }
    if (this.#hooks.signal?.aborted && !reply) throw new CliError('interrupted', { reason: 'interrupted' });
    const done = (o: Partial<StepResult>): StepResult => ({ ...r, ms: Date.now() - t0, ...o });

    if (step.none) {
      if (!reply) return done({ status: 'passed' });
      seen.add(reply.sid);
      const seenMsg = mark(reply);
      return done({
        message: seenMsg,
        latencyMs: Date.now() - from,
        failure: `expected no message within ${secs(withinMs)}, but ${info.number} sent ${quote(reply.body)}${reply.numMedia ? ` with ${reply.numMedia} media` : ''}`,
      });
    }
    if (!reply) {
      const cause = await this.#silence(plan, lastSend, ctx);
      return done({
        failure: `no reply from ${info.number} to ${info.tester} within ${secs(withinMs)}`,
        cause: cause.text,
        fix: cause.fix,
      });
    }
    seen.add(reply.sid);
    const latencyMs = Date.now() - from;
    // The reply is checked by the step's deadline, and given at least MIN_MATCH_MS when it came at the last moment.
    const mismatch = await replyMismatch(step, reply, Math.max(MIN_MATCH_MS, deadline - Date.now()));
    if (mismatch) {
      const got = `got ${quote(reply.body)}${reply.numMedia ? ` with ${reply.numMedia} media` : ''} on ${reply.channel}`;
      if (typeof mismatch !== 'string')
        return done({ message: mark(reply), latencyMs, failure: `${mismatch.failure}; ${got}`, fix: mismatch.fix });
      return done({
        message: mark(reply),
        latencyMs,
        failure: `${mismatch}; ${got}`,
        ...failedAtTwilio(reply),
        ...(plan.sandbox &&
          sandboxInstructions(reply.body) && {
            cause: `that is the WhatsApp Sandbox's answer to a sender who has not joined it (or whose 72 hours are up): the agent never got the message`,
            fix: joinStep(plan.sandbox.joinCode),
          }),
      });
    }
    // The reply says the right thing; it must also reach the tester. A final status is awaited briefly.
    const seenMsg = mark(reply);
    let final = reply;
    if (!FINAL_STATUSES.has(reply.status)) {
      const left = Math.min(this.#finalWait * this.#scale, deadline - Date.now());
      if (left > 0)
        final = (
          await waitForFinalStatus(conn.client, reply.sid, {
            timeoutMs: left,
            signal: this.#hooks.signal,
            ctx,
            intervalMs: this.#poll,
            maxIntervalMs: this.#maxPoll,
          })
        ).message;
      Object.assign(seenMsg, { status: final.status, error_code: final.errorCode, error_message: final.errorMessage });
    }
    if (FAILED.has(final.status)) {
      const f = failedAtTwilio(final);
      return done({
        message: seenMsg,
        latencyMs,
        failure: `the agent's reply ${final.sid} ${final.status} at Twilio`,
        cause: f.cause,
        fix: f.fix,
      });
    }
    return done({ status: 'passed', message: seenMsg, latencyMs });
  }

  /** Why nothing came back: the tester's message failed, or the route, or no reply at all. */
  async #silence(
    plan: Plan,
    lastSend: { sid: string; at: number } | null,
    ctx: TwilioCallSite,
  ): Promise<{ text: string; fix: string | null }> {
    const { conn, info } = plan;
    let sentAt: Date | null = null;
    let sent: Message | null = null;
    if (lastSend) {
      try {
        const m = await fetchMessage(conn.client, lastSend.sid, ctx);
        sentAt = m.dateCreated;
        sent = m;
        if (FAILED.has(m.status)) {
          const code = m.errorCode;
          return {
            text: `the tester's message ${m.sid} to ${info.number} ${m.status} at Twilio${code ? ` (${code}${m.errorMessage ? `: ${m.errorMessage}` : ''}, ${errorDocUrl(code)})` : ''}: the agent never got it`,
            fix: fixFor(code) ?? null,
          };
        }
      } catch {
        // fall through to the route
      }
    }
    // It reached this machine's listener, which refused it: that is the cause, not the route.
    if (lastSend) {
      const refused = this.#deps.store.events.refusedSince(
        conn.config.id,
        new Date(lastSend.at - 1000).toISOString(),
        1,
      )[0];
      if (refused) {
        return {
          text: `the listener refused a request since the tester's message (${refused.reason ?? 'refused'}, event #${refused.id}): the agent never got it`,
          fix: `fruxon-twilio events show ${refused.id}`,
        };
      }
    }
    // The tester texted STOP: the agent may well have answered, but Twilio refuses every reply (21610).
    if (!plan.whatsapp) {
      const { findOptOut } = await import('../twilio/opt-outs.js');
      const stop = await findOptOut(conn.client, info.tester, info.number);
      if (stop)
        return {
          text: `the tester ${info.tester} opted out of ${info.number}: it texted ${quote(stop.keyword)}${stop.at ? ` on ${stop.at.toISOString()}` : ''} (${stop.messageSid}), so Twilio refuses every reply to it (21610)`,
          fix: `only the tester can undo an opt-out: send "START" from ${info.tester} to ${info.number} (a send step), then try again`,
        };
    }
    if (plan.sandbox?.membershipChecked) {
      return {
        text: `no reply at all; the tester joined the WhatsApp Sandbox, which sends its inbound webhook where the Console's Sandbox settings say (not readable through Twilio's API)`,
        fix: `check the Sandbox's "WHEN A MESSAGE COMES IN" URL in the Console (on the emulator: its sandbox.inbound_url)`,
      };
    }
    if (plan.sandbox) {
      // Where the Sandbox delivers is set in the Console, and who joined it cannot be read: say what would explain it.
      return {
        text: `no reply at all; the WhatsApp Sandbox delivers only messages from senders who joined it in the last 72 hours (Twilio answers the others with instructions) and sends its inbound webhook where the Console's Sandbox settings say: neither can be read through Twilio's API`,
        fix: `if the tester has not joined: ${joinStep(plan.sandbox.joinCode)}; then check the Sandbox's "WHEN A MESSAGE COMES IN" URL in the Console`,
      };
    }
    const route = await inboundRoute(
      this.#deps,
      conn.config,
      conn.client,
      lastSend ? { from: info.tester, at: lastSend.at } : undefined,
    );
    if (route.reachesAgent === false) return { text: route.text, fix: null };
    // Fruxon holds the first message from a number that is no participant as an access request: the agent
    // stays silent until someone approves it.
    const pending = route.toFruxon ? await this.#pendingAccessRequest(conn.config, info.tester) : null;
    if (pending) {
      return {
        text: `no reply at all; ${route.text}; Fruxon holds the tester's message as access request ${pending.id}: ${pending.address} is no participant on Fruxon for this config`,
        fix: `fruxon-twilio fruxon access-requests approve ${shellQuote(pending.id)}`,
      };
    }
    // Twilio's Monitor: the webhook failed (a 502, a refused connection) since the tester's message was sent.
    const failed = sentAt ? await webhookFailure(this.#deps, conn.config, conn.client, sentAt) : null;
    if (failed) return failed;
    // Fruxon's record of the tester's message: received (the agent run to look at), or no record of it.
    const record = route.toFruxon && sent && sentAt ? await this.#fruxonRecord(conn.config, sent, sentAt) : null;
    if (record) return { text: `no reply at all; ${route.text}; ${record}`, fix: null };
    return { text: `no reply at all; ${route.text}`, fix: null };
  }

  /** What Fruxon recorded of the tester's message, one sentence; null when not linked or Fruxon cannot be asked. */
  async #fruxonRecord(config: Config, sent: Message, sentAt: Date): Promise<string | null> {
    try {
      const linked = linkedFruxon(this.#deps.store, config, this.#deps.env, this.#deps.secrets, this.#deps.fruxon);
      if (!linked) return null;
      const q = { sid: sent.sid, from: sent.from, body: sent.body, at: sentAt.getTime() };
      const found = await findInbound(linked.client, linked.fruxonConfigId, [q], { finalFor: () => true });
      const finding = found.get(sent.sid);
      return finding ? findingText(finding, sent.from) : null;
    } catch {
      return null;
    }
  }

  /** The pending access request Fruxon holds for the tester, or null (not linked, none, or Fruxon not reachable: a diagnosis never fails the run). */
  async #pendingAccessRequest(config: Config, tester: string): Promise<AccessRequest | null> {
    try {
      return await pendingAccessRequestFor(
        {
          store: this.#deps.store,
          config,
          env: this.#deps.env,
          keychain: this.#deps.secrets,
          fruxon: this.#deps.fruxon,
        },
        tester,
      );
    } catch {
      return null;
    }
  }
}

function failedAtTwilio(m: Message): { cause: string | null; fix: string | null } {
  if (!FAILED.has(m.status)) return { cause: null, fix: null };
  const code = m.errorCode;
  return {
    cause: `the agent's reply ${m.status} at Twilio${code ? ` with ${code}${m.errorMessage ? ` (${m.errorMessage})` : ''}, ${errorDocUrl(code)}` : ''}`,
    fix: fixFor(code) ?? null,
  };
}

/** The least time `matches` is given on a reply (one that came as the step's time ran out). */
const MIN_MATCH_MS = 1000;

/**
 * The first check a reply fails, as "expected …", or null: what `test` checks of a reply (and the table test of
 * the recording heuristic, through it). `any: true` checks no text. `matches` runs off the main thread and is
 * given `matchMs` (regex.ts): a pattern that has not decided by then fails the step instead of hanging the run.
 */
export async function replyMismatch(
  step: ExpectStep,
  m: Pick<Message, 'body' | 'channel' | 'numMedia'>,
  matchMs: number,
): Promise<string | { failure: string; fix: string } | null> {
  if (step.contains !== null && !m.body.includes(step.contains))
    return `expected a reply containing ${quote(step.contains)}`;
  if (step.matches) {
    const r = await matchWithin(step.matches.regex, m.body, matchMs);
    if (!r.done)
      return {
        failure:
          r.reason === 'timeout'
            ? `matches ${step.matches.source} did not finish on the reply within ${secs(matchMs)} (the pattern backtracks without end on this text)`
            : `matches ${step.matches.source} could not be checked on the reply`,
        fix: 'rewrite the pattern without nested repetition such as (a+)+ or (a|a)*',
      };
    if (!r.match) return `expected a reply matching ${step.matches.source}`;
  }
  if (step.channel && m.channel !== step.channel) return `expected a reply on ${step.channel}`;
  if (step.media !== null && m.numMedia < step.media) return `expected at least ${step.media} media`;
  return null;
}

export function describeStep(step: Step, scale = 1): string {
  if (step.kind === 'send' && step.contentSid) return `send template ${step.contentSid}`;
  if (step.kind === 'send') {
    return `send ${quote(step.body)}${step.mediaUrls.length ? ` with ${step.mediaUrls.length} media` : ''}`;
  }
  const within = `within ${secs(Math.round(step.withinMs * scale))}`;
  if (step.none) return `expect no message ${within}`;
  const parts: string[] = [];
  if (step.contains !== null) parts.push(`contains ${quote(step.contains)}`);
  if (step.matches) parts.push(`matches ${step.matches.source}`);
  if (step.channel) parts.push(`on ${step.channel}`);
  if (step.media !== null) parts.push(`media >= ${step.media}`);
  if (step.any) return `expect any reply${parts.length ? ` ${parts.join(', ')}` : ''} ${within}`;
  return `expect ${parts.length ? parts.join(', ') : 'a reply'} ${within}`;
}

function base(step: Step, description: string): StepResult {
  return {
    index: step.index,
    line: step.line,
    kind: step.kind,
    description,
    status: 'passed',
    ms: 0,
    latencyMs: null,
    withinMs: step.kind === 'expect' ? step.withinMs : null,
    message: null,
    failure: null,
    cause: null,
    fix: null,
    note: null,
  };
}

function skipped(step: Step, scale: number): StepResult {
  return {
    ...base(step, describeStep(step, scale)),
    status: 'skipped',
    withinMs: step.kind === 'expect' ? Math.round(step.withinMs * scale) : null,
  };
}

function seenMessage(m: Message, at: number): SeenMessage {
  return {
    sid: m.sid,
    direction: m.direction,
    from: m.from,
    to: m.to,
    channel: m.channel,
    body: m.body,
    num_media: m.numMedia,
    status: m.status,
    error_code: m.errorCode,
    error_message: m.errorMessage,
    date_created: m.dateCreated?.toISOString() ?? null,
    seen_at_ms: at,
  };
}

function time(m: Message): number {
  return (m.dateCreated ?? m.dateSent ?? new Date(0)).getTime();
}

export function secs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}

function quote(s: string): string {
  const one = s.replace(/\s+/g, ' ');
  return JSON.stringify(one.length > 80 ? one.slice(0, 79) + '…' : one);
}
