import type { Command } from 'commander';
import { CliError, ExitCode, usageError } from '../errors.js';
import { safe } from '../output/index.js';
import type { CommandContext } from './context.js';

interface Options {
  config?: string;
  from?: string;
  junit?: string;
  json?: boolean;
  timeoutScale?: string;
}

interface RecordOptions {
  config?: string;
  with?: string;
  since?: string;
  last?: string;
  out?: string;
  force?: boolean;
  fromEvents?: boolean;
  json?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  const test = program
    .command('test')
    .description(
      "Conversation tests: text the config's number from a tester number and check the agent's replies (scenario files, YAML or JSON)",
    )
    .argument('<file...>', 'scenario files (YAML or JSON): one scenario, or a list under scenarios')
    .option('--config <name>', 'config for scenarios whose file names none (default: the default config)')
    .option('--from <number>', "tester number for every scenario (+1… or whatsapp:+1…), over the files' from")
    .option('--junit <file>', 'also write JUnit XML there (one testsuite per file, one testcase per scenario)')
    .option('--json', 'print one JSON object per scenario (every step, timings, the messages seen)')
    .option('--timeout-scale <x>', 'multiply every within (slow CI), e.g. 2 or 1.5', '1')
    .addHelpText(
      'after',
      `
A scenario:
  name: order status
  from: "+15005550007"          # the tester: another number of the same account (or whatsapp:+…;
                                # on the WhatsApp Sandbox, a participant: a first step send: "join <code>")
  steps:
    - send: "Hi, where is my order #1042?"
    - expect: { contains: "1042", within: 30s }
    - expect: { none: true, within: 5s }

Examples:
  $ fruxon-twilio test scenarios/*.yaml --junit junit.xml
  $ fruxon-twilio test order.yaml --config support --from whatsapp:+15005550007 --timeout-scale 2 --json
  $ fruxon-twilio test record --with +15551230000 --out order.yaml    # a real conversation as a scenario

Exit codes: 0 every scenario passed, 1 a scenario failed, 2 a malformed file or flag, or a scenario that
cannot run (unknown config, tester not on the account, tester = the config's number, a tester who has not
joined the WhatsApp Sandbox when that can be known: then nothing is sent), or that Twilio stopped mid-run (a
refused send: the scenario is an error, not a failure), 130 interrupted (Ctrl-C: the scenario it stopped is an
error in --json and JUnit, the ones after it do not run).`,
    )
    // Options after `record` are record's: `test record --config x` is not `test --config x`.
    .enablePositionalOptions()
    .action((files: string[], opts: Options) => run(ctx, files, opts));

  test
    .command('record')
    .description(
      "Record a real conversation as a scenario file, from Twilio's Messages log: each message from --with a send, each answer an expect of what must stay true (its identifiers)",
    )
    .option('--config <name>', 'config whose number had the conversation (default: the default config)')
    .requiredOption('--with <number>', 'the other side: +1… for SMS, whatsapp:+1… for WhatsApp')
    .option('--since <duration>', 'only messages of the last DURATION, e.g. 2h or 3d')
    .option('--last <n>', `only the newest N messages (1 to 1000; default 20 without --since)`)
    .option('--out <file>', 'write the scenario there (default: print it)')
    .option('--force', 'overwrite --out when it exists')
    .option(
      '--from-events',
      "the customer's messages from this tool's event log (what listen recorded), the answers from Twilio's log",
    )
    .option('--json', 'print one JSON object: what was recorded (and the scenario, without --out)')
    .addHelpText(
      'after',
      `
The file runs with a tester of the account in the customer's place (the customer's number is not in it):
  $ fruxon-twilio test record --with +15551230000 --since 1d --out order.yaml
  $ fruxon-twilio test order.yaml --from +15005550007

Each answer becomes what must stay true, not the sentence: the first identifier it holds (an order or
tracking ID, a code, a URL, an e-mail address) as contains, further ones as matches, its channel and media;
amounts and dates as comments; any: true when nothing identifies it. within is three times the observed
answer time (at least 10s). A file named "record" runs as ./record.

Exit codes: 0 recorded, 1 no such conversation (nothing written), 2 a bad flag or an --out that exists.`,
    )
    .action((opts: RecordOptions, cmd: Command) =>
      record(ctx, {
        ...opts,
        config: opts.config ?? cmd.parent?.opts().config,
        json: opts.json ?? cmd.parent?.opts().json,
      }),
    );
}

async function record(ctx: CommandContext, opts: RecordOptions): Promise<void> {
  const out = ctx.output({ json: opts.json });
  const { parseDuration, parsePositiveInt } = await import('../validate.js');
  const { TESTER_ADDRESS } = await import('../convtest/scenario.js');
  const { MAX_RECORD_LAST, recordConversation } = await import('../operations/record.js');
  const withNumber = (opts.with ?? '').trim();
  if (!TESTER_ADDRESS.test(withNumber) || /\s/.test(withNumber))
    throw usageError(
      `--with must be an E.164 number like +15551230000, or whatsapp:+15551230000 (got ${JSON.stringify(opts.with)})`,
    );
  if (opts.since !== undefined && opts.last !== undefined)
    throw usageError('--since and --last go one at a time: the last DURATION, or the newest N messages');
  const sinceMs = opts.since === undefined ? undefined : parseDuration('--since', opts.since);
  if (sinceMs === 0) throw usageError(`--since must be more than 0, like 2h or 3d (got ${JSON.stringify(opts.since)})`);
  const last = opts.last === undefined ? undefined : parsePositiveInt('--last', opts.last, { max: MAX_RECORD_LAST });
  if (opts.out !== undefined && opts.out.trim() === '') throw usageError('--out must be a file path');
  if (opts.force && opts.out === undefined) throw usageError('--force goes with --out: it overwrites that file');
  const { existsSync, renameSync, rmSync, writeFileSync } = await import('node:fs');
  const refuse = () => usageError(`--out ${opts.out} exists: nothing written (pass --force to overwrite it)`);
  // Checked before the log is read, and again when writing (exclusively): an existing file is never replaced.
  if (opts.out !== undefined && !opts.force && existsSync(opts.out)) throw refuse();

  const recorded = await recordConversation(await ctx.coreDeps(), {
    config: opts.config,
    with: withNumber,
    sinceMs,
    last,
    fromEvents: opts.fromEvents,
  });
  if (opts.out !== undefined) {
    const tmp = `${opts.out}.${process.pid}.tmp`;
    try {
      if (opts.force) {
        writeFileSync(tmp, recorded.yaml);
        renameSync(tmp, opts.out);
      } else writeFileSync(opts.out, recorded.yaml, { flag: 'wx' });
    } catch (err) {
      rmSync(tmp, { force: true });
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw refuse();
      throw new CliError(`could not write the scenario to ${opts.out}: ${(err as Error).message}`, {
        reason: 'record_write',
      });
    }
  }
  const view = await import('../output/record.js');
  if (opts.json) out.data(view.recordJson(recorded, opts.out ?? null));
  else view.printRecording(out, recorded, opts.out ?? null);
}

async function run(ctx: CommandContext, files: string[], opts: Options): Promise<void> {
  const out = ctx.output({ json: opts.json });
  const scale = Number(opts.timeoutScale ?? '1');
  if (!/^\d+(\.\d+)?$/.test((opts.timeoutScale ?? '1').trim()) || !(scale > 0) || scale > 100) {
    throw usageError(
      `--timeout-scale must be a number more than 0 and at most 100, like 2 or 1.5 (got ${JSON.stringify(opts.timeoutScale)})`,
    );
  }
  const { TESTER_ADDRESS } = await import('../convtest/scenario.js');
  if (opts.from !== undefined && !TESTER_ADDRESS.test(opts.from.trim())) {
    throw usageError(
      `--from must be an E.164 number like +15005550007, or whatsapp:+15005550007 (got ${JSON.stringify(opts.from)})`,
    );
  }
  if (opts.junit !== undefined && opts.junit.trim() === '') throw usageError('--junit must be a file path');

  const store = await ctx.store();
  const keychain = await ctx.keychain();
  const { runConversationTests } = await import('../convtest/runner.js');
  const view = await import('../output/convtest.js');
  // Ctrl-C (or SIGTERM, SIGHUP) stops the wait at once; the run ends with what it has (JUnit too), exit 130.
  const stopper = ctx.untilStopped();
  const started = Date.now();
  let outcome: Awaited<ReturnType<typeof runConversationTests>>;
  try {
    outcome = await runConversationTests(
      { files, config: opts.config, from: opts.from?.trim(), timeoutScale: scale },
      {
        store,
        env: ctx.env,
        secrets: keychain,
        twilio: ctx.twilio,
        fruxon: ctx.fruxon,
        now: () => ctx.now(),
        trace: ctx.trace(),
      },
      {
        signal: stopper.signal,
        onEvent: (e) => {
          if (opts.json) {
            if (e.type === 'scenario-end') out.data(view.scenarioJson(e.result));
            return;
          }
          if (e.type === 'scenario-start') view.printScenarioStart(out, e.scenario);
          else if (e.type === 'step') view.printStep(out, e.step);
          else view.printScenarioEnd(out, e.result);
        },
      },
    );
  } finally {
    stopper.dispose();
  }

  if (outcome.kind === 'malformed') {
    for (const p of outcome.problems)
      out.error(`${p.file}${p.line ? `:${p.line}` : ''}: ${p.field === '(file)' ? '' : `${p.field} `}${p.message}`);
    ctx.exitCode = ExitCode.usage;
    return;
  }
  if (outcome.kind === 'unrunnable') {
    for (const p of outcome.problems)
      out.error(
        `${p.file}:${p.line}: scenario ${JSON.stringify(p.scenario)} cannot run: ${safe(p.message)}`,
        p.hint ?? undefined,
      );
    out.status('Nothing was sent.');
    ctx.exitCode = ExitCode.usage;
    return;
  }
  const ms = Date.now() - started;
  if (!opts.json) view.printSummary(out, outcome.files, ms, outcome.interrupted);
  if (opts.junit !== undefined) {
    // Written whole or not at all: a CI step that reads it never sees half a file.
    const { writeFileSync, renameSync, rmSync } = await import('node:fs');
    const tmp = `${opts.junit}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, view.junitXml(outcome.files, ms));
      renameSync(tmp, opts.junit);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw new CliError(`could not write the JUnit XML to ${opts.junit}: ${(err as Error).message}`, {
        reason: 'junit_write',
      });
    }
    out.status(`JUnit XML written to ${opts.junit}`);
  }
  const all = outcome.files.flatMap((f) => f.results);
  if (outcome.interrupted) {
    ctx.exitCode = ExitCode.interrupted;
    return;
  }
  ctx.exitCode = all.some((r) => r.status === 'error')
    ? ExitCode.usage
    : all.some((r) => r.status === 'failed')
      ? ExitCode.failure
      : ExitCode.ok;
}
