/**
 * Shell completion scripts (`opensoul completion bash|zsh|fish`), generated from the command
 * table: command words at each level, each level's flags, and provider ids after a flag that
 * takes one. Completion never calls the daemon, so it never waits or fails.
 */
import type { CommandSpec, FlagSpec } from './spec.js';

/** A command path (`models auth`) and its command. */
interface Level {
  path: string;
  cmd: CommandSpec;
}

function levels(table: CommandSpec): Level[] {
  const out: Level[] = [];
  const walk = (cmd: CommandSpec, path: string) => {
    out.push({ path, cmd });
    for (const sub of cmd.subcommands ?? []) for (const name of [sub.name, ...(sub.aliases ?? [])]) walk(sub, path === '' ? name : `${path} ${name}`);
  };
  walk(table, '');
  return out;
}

/** The flags a level takes, as typed: `--agent`, `-n`, `--no-browser`, and help. */
function flagWords(cmd: CommandSpec): string[] {
  const words = (cmd.flags ?? []).flatMap((f) => [`--${f.negatable ? `no-${f.long}` : f.long}`, ...(f.short ? [`-${f.short}`] : [])]);
  return [...words, '--json', '-h', '--help'].filter((w, i, all) => all.indexOf(w) === i);
}

/** The words a level completes to besides flags: its subcommands, or the shells for `completion`. */
function wordsOf(cmd: CommandSpec, table: CommandSpec): string[] {
  if (cmd.subcommands) return cmd.subcommands.map((c) => c.name);
  return cmd === table.subcommands?.find((c) => c.name === 'completion') ? ['bash', 'zsh', 'fish'] : [];
}

const allFlags = (table: CommandSpec): FlagSpec[] => levels(table).flatMap((l) => l.cmd.flags ?? []);

/** The bash script (zsh uses it through bashcompinit). */
export function bashScript(table: CommandSpec, providers: readonly string[]): string {
  const ls = levels(table);
  const flags = allFlags(table);
  const valueFlags = [...new Set(flags.filter((f) => f.kind !== 'bool').flatMap((f) => [`--${f.long}`, ...(f.short ? [`-${f.short}`] : [])]))];
  const providerFlags = [...new Set(flags.filter((f) => f.complete === 'provider').map((f) => `--${f.long}`))];
  const paths = ls.filter((l) => l.path !== '').map((l) => `"${l.path}"`);
  const cases = ls.map((l) => `    "${l.path}") subs="${wordsOf(l.cmd, table).join(' ')}"; flags="${flagWords(l.cmd).join(' ')}";;`);
  return `# opensoul completion for bash, generated from its command table
_opensoul() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" path="" w i subs="" flags=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in
      --) COMPREPLY=(); return 0;;
      ${valueFlags.join('|')}) ((i++));;
      -*) ;;
      *) case "\${path:+$path }$w" in ${paths.join('|')}) path="\${path:+$path }$w";; esac;;
    esac
  done
  case "$prev" in
    ${providerFlags.join('|')}) COMPREPLY=($(compgen -W "${providers.join(' ')}" -- "$cur")); return 0;;
    ${valueFlags.join('|')}) COMPREPLY=(); return 0;;
  esac
  case "$path" in
${cases.join('\n')}
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$flags" -- "$cur")); else COMPREPLY=($(compgen -W "$subs" -- "$cur")); fi
  return 0
}
complete -F _opensoul opensoul
`;
}

/** The zsh script: the bash one through zsh's bashcompinit. */
export function zshScript(table: CommandSpec, providers: readonly string[]): string {
  return `# opensoul completion for zsh, generated from its command table
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashScript(table, providers)}`;
}

const fishQuote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The fish script: one `complete` line per word and flag, each under the command path it belongs to. */
export function fishScript(table: CommandSpec, providers: readonly string[]): string {
  const ls = levels(table);
  const valueFlags = [
    ...new Set(
      allFlags(table)
        .filter((f) => f.kind !== 'bool')
        .flatMap((f) => [`--${f.long}`, ...(f.short ? [`-${f.short}`] : [])]),
    ),
  ];
  const lines = [
    '# opensoul completion for fish, generated from its command table',
    'function __opensoul_path',
    '  set -l words (commandline -opc)',
    '  set -e words[1]',
    "  set -l path ''",
    '  set -l skip 0',
    '  for w in $words',
    '    if test $skip = 1; set skip 0; continue; end',
    `    if contains -- $w ${valueFlags.join(' ')}; set skip 1; continue; end`,
    "    if string match -q -- '-*' $w; continue; end",
    '    set -l cand (string trim -- "$path $w")',
    `    if contains -- $cand ${ls
      .filter((l) => l.path !== '')
      .map((l) => fishQuote(l.path))
      .join(' ')}; set path $cand; end`,
    '  end',
    '  echo $path',
    'end',
    'function __opensoul_at',
    '  set -l p (__opensoul_path)',
    '  test "$p" = "$argv[1]"',
    'end',
    'complete -c opensoul -f',
  ];
  for (const l of ls) {
    // Paths are command words (letters, digits, dashes) and spaces: safe inside double quotes.
    const when = `-n ${fishQuote(`__opensoul_at "${l.path}"`)}`;
    for (const sub of l.cmd.subcommands ?? []) lines.push(`complete -c opensoul ${when} -a ${fishQuote(sub.name)} -d ${fishQuote(sub.description)}`);
    if (!l.cmd.subcommands) for (const word of wordsOf(l.cmd, table)) lines.push(`complete -c opensoul ${when} -a ${word}`);
    for (const f of l.cmd.flags ?? []) {
      const values = f.complete === 'provider' ? ` -a ${fishQuote(providers.join(' '))}` : '';
      const long = f.negatable ? `no-${f.long}` : f.long;
      const short = f.short ? ` -s ${f.short}` : '';
      const requiresValue = f.kind !== 'bool' ? ' -r' : '';
      lines.push(`complete -c opensoul ${when} -l ${long}${short}${requiresValue}${values} -d ${fishQuote(f.description)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
