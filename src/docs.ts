import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Argument, Command, Option } from 'commander';
import { CommandContext } from './commands/context.js';
import { buildProgram } from './program.js';

/** The repository's docs/commands.md, from dist/src/docs.js or src/docs.ts alike. */
export const commandsDocPath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'commands.md');
const HELP_WIDTH = 100;

/**
 * The command reference, docs/commands.md, generated from the commander program itself (src/program.ts): every
 * command and subcommand with its description, arguments, options (description, default) and its `--help`
 * text as printed. Deterministic: a fixed help width, no colour, an empty environment, no time. Nothing is
 * opened or run: the program is built only.
 */
export function commandReference(): string {
  const io = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env: {} };
  const program = buildProgram(new CommandContext(io, { env: {} }));
  const out: string[] = [
    '# Command reference',
    '',
    '<!-- Generated from src/program.ts by `npm run docs`; do not edit by hand (a test fails when it is stale). -->',
    '',
    'Every command of `fruxon-twilio`, as its `--help` describes it. The prose around the commands (what they do',
    'in detail, the contracts their output keeps) is in the other pages of [docs/](.) and in the',
    '[README](../README.md).',
    '',
  ];
  const all = walk(program);
  out.push('## Commands', '');
  for (const cmd of all) out.push(`- [\`${fullName(cmd)}\`](#${anchor(fullName(cmd))})`);
  out.push('');
  for (const cmd of all) out.push(...section(cmd));
  return `${out.join('\n').trimEnd()}\n`;
}

function walk(cmd: Command): Command[] {
  const visible = cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
  return [cmd, ...visible.flatMap(walk)];
}

function fullName(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** GitHub's heading anchor for a heading of `text` (lower case, spaces to hyphens, punctuation dropped). */
function anchor(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}

function section(cmd: Command): string[] {
  const lines = [`## ${fullName(cmd)}`, ''];
  if (cmd.description()) lines.push(escapeMd(cmd.description()), '');
  const aliases = cmd.aliases();
  if (aliases.length) lines.push(`Aliases: ${aliases.map((a) => `\`${a}\``).join(', ')}`, '');
  const args = cmd.registeredArguments;
  if (args.length) {
    lines.push('| argument | required | description | default |', '| --- | --- | --- | --- |');
    for (const a of args) lines.push(argumentRow(a));
    lines.push('');
  }
  const opts = cmd.options.filter((o) => !o.hidden);
  if (opts.length) {
    lines.push('| option | description | default |', '| --- | --- | --- |');
    for (const o of opts) lines.push(optionRow(o));
    lines.push('');
  }
  lines.push('```text', helpText(cmd).trimEnd(), '```', '');
  return lines;
}

function argumentRow(a: Argument): string {
  const name = `\`${code(a.name())}${a.variadic ? '...' : ''}\``;
  return `| ${name} | ${a.required ? 'yes' : 'no'} | ${cell(a.description)} | ${defaultCell(a.defaultValue, a.defaultValueDescription)} |`;
}

function optionRow(o: Option): string {
  const choices = o.argChoices ? ` (one of ${o.argChoices.map((c) => `\`${c}\``).join(', ')})` : '';
  return `| \`${code(o.flags)}\` | ${cell(o.description)}${choices} | ${defaultCell(o.defaultValue, o.defaultValueDescription)} |`;
}

function defaultCell(value: unknown, described: string | undefined): string {
  if (described) return cell(described);
  if (value === undefined) return '';
  return `\`${code(JSON.stringify(value))}\``;
}

/** Text made safe inside a Markdown table cell: one line, pipes escaped. */
function cell(s: string): string {
  return escapeMd(s.replace(/\s*\n\s*/g, ' ')).replace(/\|/g, '\\|');
}

/** Text inside a code span of a table cell: pipes escaped (GitHub's tables split on them even there). */
function code(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/** Angle brackets would be read as HTML tags. */
function escapeMd(s: string): string {
  return s.replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `fruxon-twilio CMD --help` as printed (with the text commands add after it), at a fixed width, no colour. */
function helpText(cmd: Command): string {
  let text = '';
  const write = (s: string) => {
    text += s;
  };
  const saved = cmd.configureOutput();
  cmd.configureOutput({
    writeOut: write,
    writeErr: write,
    getOutHelpWidth: () => HELP_WIDTH,
    getErrHelpWidth: () => HELP_WIDTH,
    getOutHasColors: () => false,
    getErrHasColors: () => false,
  });
  try {
    cmd.outputHelp();
  } finally {
    cmd.configureOutput(saved);
  }
  return text;
}

/** `npm run docs`: writes docs/commands.md. */
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(commandsDocPath, commandReference());
  process.stdout.write(`wrote ${commandsDocPath}\n`);
}
