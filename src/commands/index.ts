import type { Command } from 'commander';
import { register as addConfig } from './add-config.js';
import { register as configs } from './configs.js';
import type { CommandContext } from './context.js';
import { register as demo } from './demo.js';
import { register as doctor } from './doctor.js';
import { register as emulator } from './emulator.js';
import { register as events } from './events.js';
import { register as fruxon } from './fruxon.js';
import { register as inspect } from './inspect.js';
import { register as link } from './link.js';
import { register as listen } from './listen.js';
import { register as mcp } from './mcp.js';
import { register as messages } from './messages.js';
import { register as participants } from './participants.js';
import { register as restore } from './restore.js';
import { register as send } from './send.js';
import { register as simulate } from './simulate.js';
import { register as templates } from './templates.js';
import { register as test } from './test.js';
import { register as webhook } from './webhook.js';

/** Every command, in the order `--help` lists them. */
export const commands: Array<(program: Command, ctx: CommandContext) => void> = [
  addConfig,
  configs,
  listen,
  restore,
  send,
  templates,
  webhook,
  messages,
  participants,
  simulate,
  events,
  inspect,
  emulator,
  demo,
  doctor,
  fruxon,
  link,
  mcp,
  test,
];
