import { CliError, ExitCode } from './errors.js';
import type { Io } from './output/index.js';
import { version } from './version.js';

/** Runs the CLI and returns the exit code; never calls process.exit itself. */
export async function main(argv: string[], io?: Io): Promise<number> {
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
  const ctx = new CommandContext(streams);
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv);
    return ctx.exitCode;
  } catch (err) {
    if (isCommanderError(err)) {
      // Help and version end here too, with exit code 0.
      return err.exitCode === 0 ? 0 : ExitCode.usage;
    }
    const out = new Output(streams);
    if (err instanceof CliError) {
      out.error(err.message, err.hint);
      return err.exitCode;
    }
    out.error(`unexpected failure: ${(err as Error)?.stack ?? String(err)}`);
    return ExitCode.failure;
  } finally {
    ctx.close();
  }
}

function isCommanderError(err: unknown): err is { exitCode: number; code: string } {
  return typeof (err as { code?: unknown })?.code === 'string' && (err as { code: string }).code.startsWith('commander.');
}
