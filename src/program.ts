import { Command, Option } from 'commander';
import type { CommandContext } from './commands/context.js';
import { commands } from './commands/index.js';
import type { Io } from './output/index.js';
import { version } from './version.js';

/** Builds the program. Every command is registered here; its heavy modules load only when it runs. */
export function buildProgram(ctx: CommandContext): Command {
  const program = new Command('fruxon-twilio')
    .description(
      'Wire a Fruxon agent to Twilio from your terminal: configs, a tunnelled webhook listener, test messages, and a local Twilio emulator.',
    )
    .version(version(), '-v, --version')
    .showSuggestionAfterError(true)
    .enablePositionalOptions()
    .configureHelp({ sortSubcommands: false, showGlobalOptions: false })
    .addHelpText(
      'after',
      `
Examples:
  $ fruxon-twilio demo                      # the whole loop offline, on the built-in Twilio emulator
  $ fruxon-twilio add-config                # store a Twilio config (Auth Token goes to the OS keychain)
  $ fruxon-twilio listen                    # receive inbound SMS/WhatsApp as Fruxon trigger payloads

Exit codes: 0 ok, 1 failure, 2 usage error, 3 timed out, 4 webhook registration failed, 5 conflict with a running listener.
Environment: FRUXON_TWILIO_HOME, FRUXON_TWILIO_API_URL, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_API_KEY, TWILIO_API_SECRET, FRUXON_TWILIO_WEBHOOK_URL, FRUXON_TWILIO_RETENTION_DAYS, FRUXON_TOKEN, FRUXON_TENANT, FRUXON_API_URL, NGROK_AUTHTOKEN, NGROK_SERVER_ADDR, NO_COLOR, FRUXON_TWILIO_DEBUG, FRUXON_TWILIO_DEBUG_FILE (see README and docs/debugging.md).`,
    );
  program.option(
    '--debug <what>',
    'trace every API call on stderr: api, or api,body with the bodies (secrets redacted)',
  );
  for (const register of commands) register(program, ctx);
  addDebugOption(program);
  // --debug (before or after the command's name) or FRUXON_TWILIO_DEBUG: a bad value is a usage error before anything runs.
  program.hook('preAction', (_root, action) => {
    ctx.setDebug((action.opts().debug as string | undefined) ?? (program.opts().debug as string | undefined));
    ctx.trace();
  });
  applyIo(program, ctx.io);
  injectTestFault(program, ctx.env);
  return program;
}

/**
 * TEST ONLY: FRUXON_TWILIO_TEST_FAULT=<command>[:<message>] makes that command (its full name, e.g. `send` or
 * `webhook show`) throw a plain Error (a bug, not a CliError) once its action has finished, so that the tests
 * can check what a user sees of a bug and what the bug file keeps. Not documented for users.
 */
function injectTestFault(program: Command, env: NodeJS.ProcessEnv): void {
  const fault = env.FRUXON_TWILIO_TEST_FAULT;
  if (!fault) return;
  const colon = fault.indexOf(':');
  const target = (colon === -1 ? fault : fault.slice(0, colon)).trim();
  const message = colon === -1 ? `injected fault in ${target}` : fault.slice(colon + 1);
  program.hook('postAction', (_root, action) => {
    const names: string[] = [];
    for (let c: Command | null = action; c && c !== program; c = c.parent) names.unshift(c.name());
    if (names.join(' ') === target) throw new Error(message);
  });
}

/** `--debug <what>` on every command that runs something (hidden there: the program's help lists it once). */
function addDebugOption(cmd: Command): void {
  for (const sub of cmd.commands) {
    if (sub.commands.length > 0) addDebugOption(sub);
    else if (!sub.options.some((o) => o.long === '--debug'))
      sub.addOption(new Option('--debug <what>', 'trace every API call on stderr: api, or api,body').hideHelp());
  }
}

function applyIo(cmd: Command, io: Io): void {
  cmd.exitOverride();
  cmd.configureOutput({
    writeOut: (s) => io.stdout.write(s),
    writeErr: (s) => io.stderr.write(s),
  });
  for (const sub of cmd.commands) applyIo(sub, io);
}
