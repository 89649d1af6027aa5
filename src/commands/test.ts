import type { Command } from 'commander';
import { CliError, ExitCode, usageError } from '../errors.js';
import type { CommandContext } from './context.js';

interface Options {
  config?: string;
  from?: string;
  junit?: string;
  json?: boolean;
  timeoutScale?: string;
}

export function register(program: Command, ctx: CommandContext): void {
  program
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
  from: "+15005550007"          # the tester: another number of the same account (or whatsapp:+…)
  steps:
    - send: "Hi, where is my order #1042?"
    - expect: { contains: "1042", within: 30s }
    - expect: { none: true, within: 5s }

Examples:
  $ fruxon-twilio test scenarios/*.yaml --junit junit.xml
  $ fruxon-twilio test order.yaml --config support --from whatsapp:+15005550007 --timeout-scale 2 --json

Exit codes: 0 every scenario passed, 1 a scenario failed, 2 a malformed file or flag, or a scenario that
cannot run (unknown config, tester not on the account, tester = the config's number: then nothing is sent),
or that Twilio stopped mid-run (a refused send: the scenario is an error, not a failure), 130 interrupted
(Ctrl-C: the scenario it stopped is an error in --json and JUnit, the ones after it do not run).`,
    )
    .action((files: string[], opts: Options) => run(ctx, files, opts));
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
  let outcome;
  try {
    outcome = await runConversationTests(
      { files, config: opts.config, from: opts.from?.trim(), timeoutScale: scale },
      { store, env: ctx.env, secrets: keychain },
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
        `${p.file}:${p.line}: scenario ${JSON.stringify(p.scenario)} cannot run: ${p.message}`,
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
