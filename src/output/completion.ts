import type { Command, Option } from 'commander';

/** The shells `fruxon-twilio completion` writes a script for. */
export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish', 'powershell'] as const;
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

/** The hidden subcommand the scripts call for the names only the store knows (`__complete configs`). */
export const COMPLETE_COMMAND = '__complete';

interface Flag {
  /** `--config`, and `-c` when it has a short form. */
  names: string[];
  description: string;
  /** It takes a value (`--config <name>`), so the next word is that value, not a command. */
  valued: boolean;
  /** The values it accepts, when commander knows them. */
  choices: string[];
  /** Its value is a config name: the scripts ask the store. */
  config: boolean;
  /** Its value is a file name. */
  file: boolean;
}

interface Node {
  /** Every spelling of this command's path (aliases included): 'events list', 'events ls'. */
  paths: string[];
  subs: Array<{ names: string[]; description: string }>;
  flags: Flag[];
  /** A positional argument is a config name (`configs show <name>`). */
  configArg: boolean;
  /** A positional argument is a file (`test <file...>`). */
  fileArg: boolean;
  /** The values its positional arguments accept (`completion <shell>`). */
  argChoices: string[];
}

/** The program's commands, subcommands and flags as the scripts need them, walked from the commander tree. */
function nodes(program: Command): Node[] {
  const out: Node[] = [];
  const visit = (cmd: Command, paths: string[]) => {
    const visible = cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
    const help = cmd.createHelp();
    const flags: Flag[] = help.visibleOptions(cmd).map((o: Option) => {
      const value = /[<[]([^>\]]+)[>\]]/.exec(o.flags)?.[1] ?? '';
      return {
        names: [o.long, o.short].filter((n): n is string => !!n),
        description: oneLine(o.description),
        valued: o.required || o.optional,
        choices: o.argChoices ?? [],
        config: o.long === '--config',
        file: /file|path|dir/i.test(value),
      };
    });
    out.push({
      paths,
      subs: visible.map((c) => ({ names: [c.name(), ...c.aliases()], description: oneLine(c.description()) })),
      flags,
      configArg: cmd.registeredArguments.some((a) => /^config name/i.test(a.description ?? '')),
      fileArg: cmd.registeredArguments.some((a) => /file|path/i.test(a.name())),
      argChoices: cmd.registeredArguments.flatMap((a) => a.argChoices ?? []),
    });
    for (const sub of visible) {
      const spellings = [sub.name(), ...sub.aliases()];
      visit(
        sub,
        paths.flatMap((p) => spellings.map((s) => (p ? `${p} ${s}` : s))),
      );
    }
  };
  visit(program, ['']);
  return out;
}

function oneLine(s: string | undefined): string {
  return (s ?? '').replace(/\s+/g, ' ').trim();
}

/** A string in single quotes for bash and zsh. */
function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function fishQuote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function psQuote(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** The completion script for `shell`, generated from the program (its name is the command completed). */
export function completionScript(program: Command, shell: CompletionShell): string {
  const all = nodes(program);
  const name = program.name();
  const fn = `_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
  switch (shell) {
    case 'bash':
      return bashScript(all, name, fn);
    case 'zsh':
      return zshScript(all, name, fn);
    case 'fish':
      return fishScript(all, name, fn);
    case 'powershell':
      return powershellScript(all, name);
  }
}

/** A `case` over the command paths, setting REPLY (shared by bash and zsh: both read this syntax). */
function caseTable(fname: string, all: Node[], value: (n: Node) => string): string {
  const arms = all
    .map((n) => [n, value(n)] as const)
    .filter(([, v]) => v !== '')
    .map(([n, v]) => `    ${n.paths.map(shQuote).join('|')}) REPLY=${shQuote(v)} ;;`);
  return [`${fname}() {`, '  case "$1" in', ...arms, "    *) REPLY='' ;;", '  esac', '}'].join('\n');
}

function predicate(fname: string, all: Node[], test: (n: Node) => boolean): string {
  const paths = all.filter(test).flatMap((n) => n.paths);
  if (!paths.length) return `${fname}() { return 1; }`;
  return `${fname}() {\n  case "$1" in\n    ${paths.map(shQuote).join('|')}) return 0 ;;\n  esac\n  return 1\n}`;
}

/** The value kinds of the valued flags, per path: ' --config=config --port= --tunnel=choice:ngrok,none '. */
function valueTable(n: Node): string {
  const parts: string[] = [];
  for (const f of n.flags) {
    if (!f.valued) continue;
    const kind = f.config ? 'config' : f.choices.length ? `choice:${f.choices.join(',')}` : f.file ? 'file' : '';
    for (const name of f.names) parts.push(`${name}=${kind}`);
  }
  return parts.length ? ` ${parts.join(' ')} ` : '';
}

/** The tables and the word walk both bash and zsh run (their common syntax); `prefix` names the functions. */
function sharedFunctions(all: Node[], fn: string): string {
  return [
    caseTable(`${fn}_subs`, all, (n) => n.subs.flatMap((s) => s.names).join(' ')),
    caseTable(`${fn}_flags`, all, (n) => n.flags.flatMap((f) => f.names).join(' ')),
    caseTable(`${fn}_args`, all, (n) => n.argChoices.join(' ')),
    caseTable(`${fn}_values`, all, valueTable),
    predicate(`${fn}_config_arg`, all, (n) => n.configArg),
    predicate(`${fn}_file_arg`, all, (n) => n.fileArg),
    `# Walks the words before the cursor (its arguments): sets ${fn}_path to the command path ('configs show') and,
# when the word under the cursor is a flag's value, ${fn}_value to that value's kind ('config', 'file',
# 'choice:a,b', or '' for any text).
${fn}_walk() {
  local w kind pending="" REPLY
  ${fn}_path=""
  ${fn}_value="-"
  for w in "$@"; do
    if [[ -n "$pending" ]]; then
      # bash splits --config=NAME into three words: the '=' keeps waiting for the value
      [[ "$w" == "=" ]] && continue
      pending=""
      continue
    fi
    case "$w" in
      -*=*) continue ;;
      -*)
        ${fn}_values "$${fn}_path"
        if [[ "$REPLY" == *" $w="* ]]; then
          kind="\${REPLY#* $w=}"
          pending="v:\${kind%% *}"
        fi
        continue
        ;;
    esac
    ${fn}_subs "$${fn}_path"
    if [[ " $REPLY " == *" $w "* ]]; then
      ${fn}_path="\${${fn}_path:+$${fn}_path }$w"
    fi
  done
  [[ -n "$pending" ]] && ${fn}_value="\${pending#v:}"
  return 0
}`,
  ].join('\n\n');
}

function header(shell: string, name: string, load: string[]): string {
  return [
    `# ${name} completion for ${shell}, generated from the program by \`${name} completion ${shell}\`.`,
    ...load.map((l) => `# ${l}`),
  ].join('\n');
}

function bashScript(all: Node[], name: string, fn: string): string {
  return `${header('bash', name, [
    `Now, in this shell:  source <(${name} completion bash)`,
    `Every new shell:     ${name} completion bash > ~/.local/share/bash-completion/completions/${name}`,
    `                     (or add the first line to ~/.bashrc)`,
  ])}

${sharedFunctions(all, fn)}

# The config names, from the store (nothing when there is none yet), one per line.
${fn}_configs() {
  command "$1" ${COMPLETE_COMMAND} configs 2>/dev/null
}

${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" REPLY line
  local ${fn}_path ${fn}_value
  COMPREPLY=()
  ${fn}_walk "\${COMP_WORDS[@]:1:COMP_CWORD-1}"
  # --config=<TAB>: the word under the cursor is the '=' itself
  if [[ "$cur" == "=" && "$${fn}_value" != "-" ]]; then cur=""; fi
  if [[ "$${fn}_value" != "-" ]]; then
    case "$${fn}_value" in
      config)
        while IFS= read -r line; do
          [[ "$line" == "$cur"* ]] && COMPREPLY+=("$(printf '%q' "$line")")
        done < <(${fn}_configs "\${COMP_WORDS[0]}")
        ;;
      choice:*)
        REPLY="\${${fn}_value#choice:}"
        COMPREPLY=($(compgen -W "\${REPLY//,/ }" -- "$cur"))
        ;;
      file) COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
    return 0
  fi
  if [[ "$cur" == -* ]]; then
    ${fn}_flags "$${fn}_path"
    COMPREPLY=($(compgen -W "$REPLY" -- "$cur"))
    return 0
  fi
  ${fn}_subs "$${fn}_path"
  line="$REPLY"
  ${fn}_args "$${fn}_path"
  COMPREPLY=($(compgen -W "$line $REPLY" -- "$cur"))
  if ${fn}_config_arg "$${fn}_path"; then
    while IFS= read -r line; do
      [[ "$line" == "$cur"* ]] && COMPREPLY+=("$(printf '%q' "$line")")
    done < <(${fn}_configs "\${COMP_WORDS[0]}")
  fi
  if [[ \${#COMPREPLY[@]} -eq 0 ]] && ${fn}_file_arg "$${fn}_path"; then
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
  return 0
}

complete -F ${fn} ${name}
`;
}

function zshScript(all: Node[], name: string, fn: string): string {
  // zsh shows descriptions beside the candidates: name:description, colons in the name escaped.
  const described = (_n: Node, items: Array<{ names: string[]; description: string }>) =>
    items.flatMap((i) => i.names.map((nm) => `${nm.replace(/:/g, '\\:')}:${i.description}`));
  const descTable = (fname: string, pick: (n: Node) => Array<{ names: string[]; description: string }>) => {
    const arms = all
      .filter((n) => pick(n).length)
      .map((n) => `    ${n.paths.map(shQuote).join('|')}) reply=(${described(n, pick(n)).map(shQuote).join(' ')}) ;;`);
    return [`${fname}() {`, '  case "$1" in', ...arms, '    *) reply=() ;;', '  esac', '}'].join('\n');
  };
  return `#compdef ${name}
${header('zsh', name, [
  `Now, in this shell:  source <(${name} completion zsh)   (after compinit)`,
  `Every new shell:     ${name} completion zsh > "\${fpath[1]}/_${name}"   (then start a new shell)`,
  `                     or add the first line to ~/.zshrc, after compinit`,
])}

${sharedFunctions(all, fn)}

${descTable(`${fn}_described_subs`, (n) => n.subs)}

${descTable(`${fn}_described_flags`, (n) => n.flags)}

${fn}() {
  setopt localoptions noshwordsplit noksharrays
  local REPLY ${fn}_path ${fn}_value
  local -a reply configs
  ${fn}_walk "\${(@)words[2,CURRENT-1]}"
  if [[ "$${fn}_value" == "-" && "$PREFIX" == --*=* ]]; then
    # --config=NAME is one word in zsh: complete after the '='
    ${fn}_values "$${fn}_path"
    local flag="\${PREFIX%%=*}"
    if [[ "$REPLY" == *" $flag="* ]]; then
      REPLY="\${REPLY#* $flag=}"
      ${fn}_value="\${REPLY%% *}"
      compset -P '*='
    fi
  fi
  if [[ "$${fn}_value" != "-" ]]; then
    case "$${fn}_value" in
      config)
        configs=("\${(@f)$(command "\${words[1]}" ${COMPLETE_COMMAND} configs 2>/dev/null)}")
        configs=("\${(@)configs:#}")
        compadd -Q -- "\${(@q)configs}"
        ;;
      choice:*)
        REPLY="\${${fn}_value#choice:}"
        compadd -- "\${(@s:,:)REPLY}"
        ;;
      file) _files ;;
      *) _message 'value' ;;
    esac
    return
  fi
  if [[ "$PREFIX" == -* ]]; then
    ${fn}_described_flags "$${fn}_path"
    _describe -t options 'option' reply
    return
  fi
  local ret=1
  ${fn}_described_subs "$${fn}_path"
  if (( \${#reply} )); then _describe -t commands 'command' reply && ret=0; fi
  ${fn}_args "$${fn}_path"
  if [[ -n "$REPLY" ]]; then compadd -- \${=REPLY} && ret=0; fi
  if ${fn}_config_arg "$${fn}_path"; then
    configs=("\${(@f)$(command "\${words[1]}" ${COMPLETE_COMMAND} configs 2>/dev/null)}")
    configs=("\${(@)configs:#}")
    compadd -Q -- "\${(@q)configs}" && ret=0
  fi
  if (( ret )) && ${fn}_file_arg "$${fn}_path"; then _files && ret=0; fi
  return ret
}

if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${name}
fi
`;
}

function fishScript(all: Node[], name: string, fn: string): string {
  const lines: string[] = [
    header('fish', name, [
      `Now, in this shell:  ${name} completion fish | source`,
      `Every new shell:     ${name} completion fish > ~/.config/fish/completions/${name}.fish`,
    ]),
    '',
    '# The command path of the words before the cursor (`configs show`), aliases as typed.',
    `function ${fn}_path`,
    '    set -l words (commandline -opc)',
    '    set -e words[1]',
    "    set -l path ''",
    '    set -l skip 0',
    '    for w in $words',
    '        if test $skip = 1',
    '            set skip 0',
    '            continue',
    '        end',
    '        switch $w',
    "            case '-*=*'",
    '                continue',
    "            case '-*'",
    `                contains -- $w (${fn}_valued $path); and set skip 1`,
    '                continue',
    '        end',
    `        if contains -- $w (${fn}_subs $path)`,
    '            set path (string trim -- "$path $w")',
    '        end',
    '    end',
    '    echo $path',
    'end',
    '',
  ];
  const table = (fname: string, value: (n: Node) => string[]) => {
    lines.push(`function ${fname}`, '    switch "$argv"');
    for (const n of all) {
      const v = value(n);
      if (!v.length) continue;
      lines.push(
        `        case ${n.paths.map(fishQuote).join(' ')}`,
        `            printf '%s\\n' ${v.map(fishQuote).join(' ')}`,
      );
    }
    lines.push('    end', 'end', '');
  };
  table(`${fn}_subs`, (n) => n.subs.flatMap((s) => s.names));
  table(`${fn}_valued`, (n) => n.flags.filter((f) => f.valued).flatMap((f) => f.names));
  lines.push(`function ${fn}_at`, `    contains -- (${fn}_path) $argv`, 'end', '', `complete -c ${name} -f`);
  const configs = `(${name} ${COMPLETE_COMMAND} configs 2>/dev/null)`;
  for (const n of all) {
    // Every spelling of the path (aliases: `events ls`), as the words typed.
    const at = `${fn}_at ${n.paths.map(fishQuote).join(' ')}`;
    for (const s of n.subs)
      lines.push(`complete -c ${name} -n ${fishQuote(at)} -a ${fishQuote(s.names[0])} -d ${fishQuote(s.description)}`);
    for (const f of n.flags) {
      const long = f.names.find((x) => x.startsWith('--'));
      const short = f.names.find((x) => !x.startsWith('--'));
      const parts = [`complete -c ${name} -n ${fishQuote(at)}`];
      if (long) parts.push(`-l ${long.slice(2)}`);
      if (short) parts.push(`-s ${short.slice(1)}`);
      if (f.valued) {
        // -x: a value, and no file names (but for a file's value: -r -F).
        if (f.config) parts.push(`-x -a ${fishQuote(configs)}`);
        else if (f.choices.length) parts.push(`-x -a ${fishQuote(f.choices.join(' '))}`);
        else if (f.file) parts.push('-r -F');
        else parts.push('-x');
      }
      parts.push(`-d ${fishQuote(f.description)}`);
      lines.push(parts.join(' '));
    }
    if (n.argChoices.length)
      lines.push(`complete -c ${name} -n ${fishQuote(at)} -a ${fishQuote(n.argChoices.join(' '))}`);
    if (n.configArg) lines.push(`complete -c ${name} -n ${fishQuote(at)} -a ${fishQuote(configs)}`);
    if (n.fileArg) lines.push(`complete -c ${name} -n ${fishQuote(at)} -F`);
  }
  return `${lines.join('\n')}\n`;
}

function powershellScript(all: Node[], name: string): string {
  const entries = all.map((n) => {
    const subs = n.subs.flatMap((s) => s.names.map((nm) => `@(${psQuote(nm)}, ${psQuote(s.description || nm)})`));
    const flags = n.flags.flatMap((f) => f.names.map((nm) => `@(${psQuote(nm)}, ${psQuote(f.description || nm)})`));
    const values = n.flags
      .filter((f) => f.valued)
      .flatMap((f) =>
        f.names.map(
          (nm) =>
            `${psQuote(nm)} = ${psQuote(f.config ? 'config' : f.choices.length ? `choice:${f.choices.join(',')}` : '')}`,
        ),
      );
    const body = [
      `Subs = @(${subs.join(', ')})`,
      `Flags = @(${flags.join(', ')})`,
      `Valued = @{ ${values.join('; ')} }`,
      `Args = @(${n.argChoices.map(psQuote).join(', ')})`,
      `ConfigArg = $${n.configArg}`,
    ].join('; ');
    return n.paths.map((p) => `  ${psQuote(p)} = @{ ${body} }`).join('\n');
  });
  return `${header('powershell', name, [
    `Now, in this session:  ${name} completion powershell | Out-String | Invoke-Expression`,
    `Every new session:     add that line to $PROFILE`,
  ])}

$__fruxonTwilioTable = @{
${entries.join('\n')}
}

Register-ArgumentCompleter -Native -CommandName ${psQuote(name)} -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  # the words before the one under the cursor
  $words = @($commandAst.CommandElements | Where-Object { $_.Extent.EndOffset -lt $cursorPosition } | ForEach-Object { $_.ToString() })
  $path = ''
  $value = $null
  for ($i = 1; $i -lt $words.Count; $i++) {
    $w = $words[$i]
    $node = $__fruxonTwilioTable[$path]
    if ($null -ne $value) { $value = $null; continue }
    if ($w.StartsWith('-')) {
      if (-not $w.Contains('=') -and $node -and $node['Valued'].ContainsKey($w)) { $value = $node['Valued'][$w] }
      continue
    }
    if ($node -and ($node.Subs | Where-Object { $_[0] -eq $w })) { $path = ($path + ' ' + $w).Trim() }
  }
  $node = $__fruxonTwilioTable[$path]
  $complete = { param($text, $tip) [System.Management.Automation.CompletionResult]::new($text, $text, 'ParameterValue', $tip) }
  if ($null -ne $value) {
    if ($value -eq 'config') {
      & ${psQuote(name)} ${COMPLETE_COMMAND} configs 2>$null | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object { & $complete $_ $_ }
    } elseif ($value.StartsWith('choice:')) {
      $value.Substring(7).Split(',') | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object { & $complete $_ $_ }
    }
    return
  }
  if (-not $node) { return }
  if ($wordToComplete.StartsWith('-')) {
    $node.Flags | Where-Object { $_[0] -like "$wordToComplete*" } | ForEach-Object { & $complete $_[0] $_[1] }
    return
  }
  $node.Subs | Where-Object { $_[0] -like "$wordToComplete*" } | ForEach-Object { & $complete $_[0] $_[1] }
  $node.Args | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object { & $complete $_ $_ }
  if ($node.ConfigArg) {
    & ${psQuote(name)} ${COMPLETE_COMMAND} configs 2>$null | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object { & $complete $_ $_ }
  }
}
`;
}
