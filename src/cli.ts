import type { CliDeps, CommandContext } from './commands/context.js';
import { cliError } from './commands/fields.js';
import { CliError, ExitCode } from './errors.js';
import type { Io, Output } from './output/index.js';
import { version } from './version.js';

/**
 * Runs the CLI and returns the exit code; never calls process.exit itself. `io` and `deps` replace the
 * process's streams and the real store, keychain, clients, clock and abort signal (tests run the CLI
 * in-process this way); bin/ passes neither.
 */
export async function main(argv: string[], io?: Io, deps: CliDeps = {}): Promise<number> {
  // `--version` answers before commander and the commands load: scripts call it, and it should cost no more than node itself.
  if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-v')) {
    (io?.stdout ?? process.stdout).write(version() + '\n');
    return 0;
  }
  const [{ buildProgram }, { CommandContext }, { Output, processIo }] = await Promise.all([
    import('./program.js'),
    import('./commands/context.js'),
    import('./output/index.js'),
  ]);
  const streams = io ?? processIo();
  if (!io) quietOnClosedStdout();
  const ctx = new CommandContext(streams, deps);
  const program = buildProgram(ctx);
  let succeeded = false;
  try {
    await program.parseAsync(argv);
    succeeded = ctx.exitCode === 0;
    return ctx.exitCode;
  } catch (caught) {
    // A core's error about a field, in the CLI's words (its flag).
    const err = cliError(caught);
    if (isCommanderError(err)) {
      // Help and version end here too, with exit code 0.
      return err.exitCode === 0 ? 0 : ExitCode.usage;
    }
    const out = new Output(ctx.io);
    if (err instanceof CliError) {
      out.error(err.message, err.hint);
      return err.exitCode;
    }
    // Ctrl-C at a prompt (@inquirer/prompts): nothing was saved.
    if ((err as Error)?.name === 'ExitPromptError' || (err as Error)?.name === 'AbortPromptError') {
      out.status('cancelled');
      return ExitCode.interrupted;
    }
    // A bug: one line, never a stack trace (a user cannot act on one). The details, redacted, go to a file.
    out.status(await reportUnexpected(err, argv.slice(2), ctx, out));
    return ExitCode.failure;
  } finally {
    ctx.close({ succeeded });
  }
}

/**
 * Writes the redacted details of an unexpected error (its stack, causes, the command line) to a file in the
 * data directory and returns the one line to print: what failed, where the details are, how to report it.
 */
async function reportUnexpected(err: unknown, args: string[], ctx: CommandContext, out: Output): Promise<string> {
  const { safe } = await import('./output/index.js');
  const message = safe(ctx.redactor.redact(((err as Error)?.message ?? String(err)).replace(/\s+/g, ' ').trim()));
  const head = `${out.errColor.red('error:')} unexpected failure: ${message}`;
  try {
    const { writeErrorFile } = await import('./store/error-log.js');
    const file = writeErrorFile(ctx.env, {
      error: err,
      args,
      version: version(),
      now: ctx.now(),
      redactor: ctx.redactor,
    });
    return `${head} (a bug in fruxon-twilio: the details, secrets removed, are in ${safe(file)}; please report it with that file, the command you ran and the output of: fruxon-twilio doctor --report)`;
  } catch (writeErr) {
    const why = safe(ctx.redactor.redact(String((writeErr as Error)?.message ?? writeErr)));
    return `${head} (a bug in fruxon-twilio; its details could not be kept: ${why}; please report it with the command you ran)`;
  }
}

/**
 * A closed stdout (`events list | head -1`): the rest of the output is dropped and the command ends quietly
 * (exit 0) instead of dying on EPIPE with a stack trace. A running `listen` is told to stop as on SIGTERM,
 * so it still puts the number's webhook back.
 */
function quietOnClosedStdout(): void {
  let closed = false;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' || closed) return;
    closed = true;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    process.exitCode = 0;
    process.emit('SIGTERM', 'SIGTERM');
  });
}

function isCommanderError(err: unknown): err is { exitCode: number; code: string } {
  return (
    typeof (err as { code?: unknown })?.code === 'string' && (err as { code: string }).code.startsWith('commander.')
  );
}
