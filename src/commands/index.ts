import type { Command } from 'commander';
import type { CommandContext } from './context.js';
import { register as addConfig } from './add-config.js';
import { register as configs } from './configs.js';
import { register as webhook } from './webhook.js';
import { register as messages } from './messages.js';

/** Every command, in the order `--help` lists them. */
export const commands: Array<(program: Command, ctx: CommandContext) => void> = [addConfig, configs, webhook, messages];
