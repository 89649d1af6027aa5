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
Environment: FRUXON_TWILIO_HOME, FRUXON_TWILIO_API_URL, FRUXON_TWILIO_EMULATOR_PORT, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_API_KEY, TWILIO_API_SECRET, FRUXON_TWILIO_WEBHOOK_URL, FRUXON_TWILIO_RETENTION_DAYS, FRUXON_TOKEN, FRUXON_TENANT, FRUXON_API_URL, NGROK_AUTHTOKEN, NGROK_SERVER_ADDR, NO_COLOR (see README).`,
    );
  for (const register of commands) register(program, ctx);
  applyIo(program, ctx.io);
  return program;
}

function applyIo(cmd: Command, io: Io): void {
  cmd.exitOverride();
  cmd.configureOutput({
    writeOut: (s) => io.stdout.write(s),
    writeErr: (s) => io.stderr.write(s),
  });
  for (const sub of cmd.commands) applyIo(sub, io);
}
