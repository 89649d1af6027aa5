import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Argument, type Command } from 'commander';
import { COMPLETE_COMMAND, COMPLETION_SHELLS, type CompletionShell } from '../output/completion.js';
import { DB_FILE, dataDir } from '../store/paths.js';
import type { CommandContext } from './context.js';

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('completion')
    .description('Print the shell completion script for bash, zsh, fish or PowerShell (commands, flags, config names)')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(COMPLETION_SHELLS))
    .addHelpText(
      'after',
      `
Load it now, in this shell:
  $ source <(fruxon-twilio completion bash)              # bash
  $ source <(fruxon-twilio completion zsh)               # zsh (after compinit)
  $ fruxon-twilio completion fish | source               # fish
  PS> fruxon-twilio completion powershell | Out-String | Invoke-Expression

Install it for every new shell (see docs/completion.md):
  $ fruxon-twilio completion bash > ~/.local/share/bash-completion/completions/fruxon-twilio
  $ fruxon-twilio completion zsh > "\${fpath[1]}/_fruxon-twilio"
  $ fruxon-twilio completion fish > ~/.config/fish/completions/fruxon-twilio.fish`,
    )
    .action(async (shell: CompletionShell) => {
      const { completionScript } = await import('../output/completion.js');
      ctx.io.stdout.write(completionScript(program, shell));
    });

  // What the scripts ask while completing: the config names, one per line. A data home without a store yet
  // answers nothing (and creates nothing); so does a store that cannot be read: completion never prints an error.
  program
    .command(COMPLETE_COMMAND, { hidden: true })
    .argument('<what>')
    .action(async (what: string) => {
      if (what !== 'configs') return;
      if (!existsSync(join(dataDir(ctx.env), DB_FILE))) return;
      try {
        const store = await ctx.store();
        const names = store.configs.list().map((c) => c.name);
        if (names.length) ctx.io.stdout.write(`${names.join('\n')}\n`);
      } catch {
        // nothing to offer
      }
    });
}
