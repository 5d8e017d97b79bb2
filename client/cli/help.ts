/**
 * Help and usage lines, generated from the command table in the layout commander printed
 * (scripts and people read it): `Usage:`, the description, `Options:`, `Commands:`, then the
 * command's own text (examples).
 */
import { argLabel, flagLabel } from './parse.js';
import type { CommandSpec } from './spec.js';

/** `opensoul models auth`: the words of a command path. */
export const commandWords = (path: readonly CommandSpec[]): string => path.map((c) => c.name).join(' ');

/** What follows the words in `Usage:` — `[options] [command]`, `[options] <ids...>`. */
export function usageOf(cmd: CommandSpec): string {
  if (cmd.usage !== undefined) return cmd.usage;
  return ['[options]', ...(cmd.subcommands ? ['[command]'] : []), ...(cmd.args ?? []).map(argLabel)].join(' ');
}

/** What follows a usage error: the command's usage line and where the rest is. */
export function usageHint(path: readonly CommandSpec[]): string {
  const words = commandWords(path);
  return `Usage: ${words} ${usageOf(path[path.length - 1] as CommandSpec)}\n(run \`${words} --help\` for details)`;
}

/** Wraps `text` to `width`, later lines indented by `indent`. */
function wrap(text: string, indent: number, width: number): string {
  const room = width - indent;
  if (room < 20 || text.length <= room) return text;
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

/** Two aligned columns: term, then the description wrapped beside it. */
function columns(rows: readonly [string, string][], width: number): string[] {
  const pad = Math.max(...rows.map(([t]) => t.length)) + 2;
  return rows.map(([t, d]) => `  ${t.padEnd(pad)}${wrap(d, pad + 2, width)}`.trimEnd());
}

/** The full help of the last command of `path`. */
export function renderHelp(path: readonly CommandSpec[], width = process.stdout.columns || 80): string {
  const cmd = path[path.length - 1] as CommandSpec;
  const out = [`Usage: ${commandWords(path)} ${usageOf(cmd)}`, '', wrap(cmd.description, 0, width)];
  const args = (cmd.args ?? []).filter((a) => a.description !== undefined);
  if (args.length > 0)
    out.push(
      '',
      'Arguments:',
      ...columns(
        args.map((a) => [a.name, a.description as string]),
        width,
      ),
    );
  const flags: [string, string][] = (cmd.flags ?? []).map((f) => [
    flagLabel(f),
    f.default !== undefined ? `${f.description} (default: "${f.default}")` : f.description,
  ]);
  flags.push(['-h, --help', 'show help']);
  out.push('', 'Options:', ...columns(flags, width));
  if (cmd.subcommands) {
    const subs: [string, string][] = cmd.subcommands.map((c) => [
      [
        [c.name, ...(c.aliases ?? [])].join('|'),
        ...((c.flags ?? []).length > 0 ? ['[options]'] : []),
        ...(c.subcommands ? ['[command]'] : []),
        ...(c.args ?? []).map(argLabel),
      ].join(' '),
      c.description,
    ]);
    subs.push(['help [command]', 'show help for a command']);
    out.push('', 'Commands:', ...columns(subs, width));
  }
  return `${out.join('\n')}\n${cmd.helpAfter !== undefined ? `${cmd.helpAfter}\n` : ''}`;
}
