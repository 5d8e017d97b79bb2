/**
 * The parser of the command line, read from the command table. A small one of our own rather
 * than `util.parseArgs`: parseArgs must be told every option before it reads a word, but which
 * options exist depends on the command words (each level has its own, a group's may follow its
 * subcommand: `models --agent work status`), and it cannot word the errors this CLI promises
 * (the flag's own form, "did you mean", the usage of the command that was meant).
 */
import { parseDurationMs } from '../parse-duration.js';
import { didYouMean } from './suggest.js';
import type { ArgSpec, CommandSpec, FlagSpec } from './spec.js';

/** A parsed flag's value. */
export type OptValue = string | number | boolean | string[];

/** Options by key (`probeTimeout`), as the handlers read them. */
export type Opts = Record<string, OptValue>;

/** What the command line asks for. */
export type ParseResult =
  | { kind: 'run'; path: CommandSpec[]; opts: Opts; args: string[]; dashDash: boolean; json: boolean }
  | { kind: 'help'; path: CommandSpec[] }
  | { kind: 'version'; json: boolean }
  /** A usage error (exit 64): its message and the command whose usage follows it; `missingCommand`: a group called alone. */
  | { kind: 'usage'; path: CommandSpec[]; message: string; json: boolean; missingCommand?: boolean };

/** `probe-timeout` → `probeTimeout`. */
export const camel = (long: string): string => long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** The key a flag sets. */
export const keyOf = (f: FlagSpec): string => f.key ?? camel(f.long);

/** How help and errors name a flag: `-n, --lines <n>`. */
export function flagLabel(f: FlagSpec): string {
  return `${f.short ? `-${f.short}, ` : ''}--${f.negatable ? `no-${f.long}` : f.long}${f.value ? ` <${f.value}>` : ''}`;
}

/** How usage lines name an argument: `<ids...>`, `[command...]`. */
export function argLabel(a: ArgSpec): string {
  const inner = `${a.name}${a.variadic ? '...' : ''}`;
  return a.required ? `<${inner}>` : `[${inner}]`;
}

/** A subcommand by name or alias. */
export function findSub(cmd: CommandSpec, word: string): CommandSpec | undefined {
  return cmd.subcommands?.find((c) => c.name === word || (c.aliases ?? []).includes(word));
}

/** The names and aliases a group answers to (with `help`), for "did you mean". */
export function subNames(cmd: CommandSpec): string[] {
  return [...(cmd.subcommands ?? []).flatMap((c) => [c.name, ...(c.aliases ?? [])]), 'help'];
}

/**
 * Whether a word after this command that names none of its subcommands is an unknown command;
 * else it is the command's argument (a leaf, or a group that runs alone and takes words).
 */
function wordMustBeCommand(cmd: CommandSpec): boolean {
  return cmd.subcommands !== undefined && (!cmd.run || cmd.takesNoWords === true || cmd.defaultSub !== undefined);
}

const unknownCommand = (word: string, group: CommandSpec): string => `unknown command '${word}'${didYouMean(word, subNames(group))}`;

/** A value of a kind, or the reason it is not one. */
function readValue(f: FlagSpec, raw: string, previous: OptValue | undefined): { value: OptValue } | { reason: string } {
  switch (f.kind) {
    case 'int': {
      const n = Number(raw);
      return /^\d+$/.test(raw.trim()) && Number.isSafeInteger(n) && n > 0 ? { value: n } : { reason: 'expected a positive whole number' };
    }
    case 'count': {
      const n = Number(raw);
      return /^\d+$/.test(raw.trim()) && Number.isSafeInteger(n) ? { value: n } : { reason: 'expected a whole number (0 or more)' };
    }
    case 'duration': {
      const ms = parseDurationMs(raw);
      if (ms === null || ms < 1000) return { reason: 'expected a duration such as 30m, 12h or 30d' };
      if (f.max !== undefined && ms > f.max) return { reason: `expected a duration of at most ${Math.round(f.max / 86_400_000)}d` };
      return { value: ms };
    }
    case 'list':
      return {
        value: [
          ...(Array.isArray(previous) ? previous : []),
          ...raw
            .split(',')
            .map((v) => v.trim())
            .filter((v) => v !== ''),
        ],
      };
    default:
      return { value: raw };
  }
}

/** The flag a word names at this level or above (a group's flags reach its subcommands), and its owner. */
function lookupFlag(path: readonly CommandSpec[], name: string): { flag: FlagSpec; owner: CommandSpec; negated: boolean } | null {
  for (let i = path.length - 1; i >= 0; i--) {
    const owner = path[i] as CommandSpec;
    for (const flag of owner.flags ?? []) {
      if (name === `--${flag.long}` || (flag.short !== undefined && name === `-${flag.short}`)) return { flag, owner, negated: false };
      if (flag.negatable && name === `--no-${flag.long}`) return { flag, owner, negated: true };
    }
  }
  return null;
}

/** Every flag name usable at this level, for "did you mean". */
function flagNames(path: readonly CommandSpec[]): string[] {
  return [...path.flatMap((c) => (c.flags ?? []).map((f) => (f.negatable ? `no-${f.long}` : f.long))), 'help'];
}

/**
 * Reads argv (the words after `opensoul`) against the table. `--json` counts anywhere before
 * `--`; what follows `--` is another program's and only positional.
 */
export function parseArgv(argv: readonly string[], table: CommandSpec): ParseResult {
  const sep = argv.indexOf('--');
  const own = sep >= 0 ? argv.slice(0, sep) : argv;
  const json = own.includes('--json');
  const path: CommandSpec[] = [table];
  const values = new Map<CommandSpec, Opts>();
  const words: string[] = [];
  let help = false;
  const usage = (message: string, extra: Partial<Extract<ParseResult, { kind: 'usage' }>> = {}): ParseResult => ({
    kind: 'usage',
    path: [...path],
    message,
    json,
    ...extra,
  });
  const deepest = () => path[path.length - 1] as CommandSpec;

  for (let i = 0; i < own.length; i++) {
    const a = own[i] as string;
    if (a === '-h' || a === '--help') {
      help = true;
      continue;
    }
    if (a.startsWith('-') && a !== '-') {
      if (a === '--json') continue;
      const eq = a.startsWith('--') ? a.indexOf('=') : -1;
      const name = eq > 0 ? a.slice(0, eq) : a;
      const found = lookupFlag(path, name);
      if (!found) return usage(`unknown option '${name}'${name.startsWith('--') ? didYouMean(name, flagNames(path), '--') : ''}`);
      const { flag, owner, negated } = found;
      const opts = values.get(owner) ?? {};
      values.set(owner, opts);
      if (flag.kind === 'bool') {
        if (eq > 0) return usage(`option '${flagLabel(flag)}' takes no value`);
        opts[keyOf(flag)] = !negated;
        continue;
      }
      let raw: string;
      if (eq > 0) raw = a.slice(eq + 1);
      else {
        const next = own[i + 1];
        if (next === undefined || (next.startsWith('-') && next !== '-')) return usage(`option '${flagLabel(flag)}' argument missing`);
        raw = next;
        i++;
      }
      const read = readValue(flag, raw, opts[keyOf(flag)]);
      if ('reason' in read) return usage(`option '${flagLabel(flag)}' argument '${raw}' is invalid. ${read.reason}`);
      opts[keyOf(flag)] = read.value;
      continue;
    }
    const cmd = deepest();
    if (cmd.subcommands && words.length === 0) {
      if (a === 'help') {
        // `opensoul help models auth`: the help of the command the following words name. A word
        // that names none is refused as `opensoul models nope` would be, not answered with the
        // group's help and exit 0: a script must not read success from a typo.
        for (const w of own.slice(i + 1)) {
          if (w.startsWith('-') && w !== '-') break;
          if (w === 'help') continue;
          const group = deepest();
          const sub = findSub(group, w);
          if (sub) {
            path.push(sub);
            continue;
          }
          if (wordMustBeCommand(group)) return usage(unknownCommand(w, group));
          break;
        }
        return { kind: 'help', path };
      }
      const sub = findSub(cmd, a);
      if (sub) {
        path.push(sub);
        continue;
      }
      if (wordMustBeCommand(cmd)) return usage(unknownCommand(a, cmd));
    }
    words.push(a);
  }

  if (help) return { kind: 'help', path };
  const rootOpts = values.get(table) ?? {};
  if (rootOpts.version === true && path.length === 1) return { kind: 'version', json };
  let cmd = deepest();
  if (cmd.subcommands && !cmd.run) {
    const sub = cmd.defaultSub !== undefined ? findSub(cmd, cmd.defaultSub) : undefined;
    if (!sub) return usage(`missing command: run \`${path.map((c) => c.name).join(' ')} --help\` for the list`, { missingCommand: true });
    path.push(sub);
    cmd = sub;
  }
  if (rootOpts.version === true) return usage(`unknown option '--version'`);
  const args = [...words, ...(sep >= 0 ? argv.slice(sep + 1) : [])];
  const specs = cmd.args ?? [];
  const variadic = specs.some((s) => s.variadic);
  for (const [k, s] of specs.entries()) if (s.required && args.length <= k) return usage(`missing required argument '${s.name}'`);
  if (!variadic && args.length > specs.length) {
    return usage(
      `too many arguments${path.length > 1 ? ` for '${cmd.name}'` : ''}. ` +
        `Expected ${specs.length} argument${specs.length === 1 ? '' : 's'} but got ${args.length}.`,
    );
  }

  // The leaf's options: its defaults, then what was given, then a group's --agent it has none of.
  const opts: Opts = {};
  for (const f of cmd.flags ?? []) {
    if (f.default !== undefined) {
      const read = readValue(f, f.default, undefined);
      if ('value' in read) opts[keyOf(f)] = read.value;
    }
  }
  Object.assign(opts, values.get(cmd) ?? {});
  if ((cmd.flags ?? []).some((f) => f.long === 'agent') && opts.agent === undefined) {
    for (let i = path.length - 2; i >= 0; i--) {
      const inherited = values.get(path[i] as CommandSpec)?.agent;
      if (typeof inherited === 'string') {
        opts.agent = inherited;
        break;
      }
    }
  }
  for (const f of cmd.flags ?? []) if (f.required && opts[keyOf(f)] === undefined) return usage(`required option '${flagLabel(f)}' not specified`);
  return { kind: 'run', path, opts, args, dashDash: sep >= 0, json };
}
