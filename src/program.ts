import { Command } from 'commander';
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
Environment: FRUXON_TWILIO_HOME, FRUXON_TWILIO_API_URL, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_API_KEY, TWILIO_API_SECRET, FRUXON_TWILIO_WEBHOOK_URL, FRUXON_TWILIO_RETENTION_DAYS, FRUXON_TOKEN, FRUXON_TENANT, FRUXON_API_URL, NGROK_AUTHTOKEN, NGROK_SERVER_ADDR, NO_COLOR (see README).`,
    );
  for (const register of commands) register(program, ctx);
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

function applyIo(cmd: Command, io: Io): void {
  cmd.exitOverride();
  cmd.configureOutput({
    writeOut: (s) => io.stdout.write(s),
    writeErr: (s) => io.stderr.write(s),
  });
  for (const sub of cmd.commands) applyIo(sub, io);
}
