/**
 * The shape of the command table (client/cli/table.ts): the one definition of the CLI that
 * parsing, help, "did you mean", usage errors and shell completion are all read from.
 */

/**
 * How a flag takes its value: `bool` none; `value` one word; `int` a positive whole number;
 * `count` a whole number from 0; `list` comma lists, repeatable, gathered into one list;
 * `duration` `30m`, `12h`, `1h30m`… as milliseconds (at least 1 s, at most `max`).
 */
export type FlagKind = 'bool' | 'value' | 'int' | 'count' | 'list' | 'duration';

/** One flag of a command. */
export interface FlagSpec {
  /** The long name without its dashes: `probe-timeout`. */
  long: string;
  /** A one-letter form without its dash: `n` for `-n`. */
  short?: string;
  kind: FlagKind;
  /** The value's name in help (`<ms>`); flags that take a value have one. */
  value?: string;
  description: string;
  /** The command cannot run without it (a usage error names it). */
  required?: boolean;
  /** The value when the flag is not given, read as if given. */
  default?: string;
  /** The option key it sets, when not the camel case of `long` (OpenClaw's `--repair` sets `fix`). */
  key?: string;
  /** `--no-<long>` sets the key to false (`--no-browser`). */
  negatable?: boolean;
  /** Largest value of a `duration`, in ms. */
  max?: number;
  /** Where completion finds values: the provider ids of ipc/providers.ts. */
  complete?: 'provider';
}

/** A positional argument. */
export interface ArgSpec {
  name: string;
  required?: boolean;
  /** Takes every remaining word (`<ids...>`). */
  variadic?: boolean;
  description?: string;
}

/** Which module runs a command (`client/commands/<module>.ts`, bundled as dist/cli/<module>.cjs) and its export. */
export interface HandlerRef {
  module: string;
  fn: string;
}

/** A command or a group of commands. */
export interface CommandSpec {
  name: string;
  aliases?: readonly string[];
  description: string;
  flags?: readonly FlagSpec[];
  args?: readonly ArgSpec[];
  /** What follows `Usage: opensoul <words>` when not derived from the flags and args. */
  usage?: string;
  /** Text printed after the generated help (examples, exit codes). */
  helpAfter?: string;
  /** What runs it; a group without one needs a subcommand (a missing one is a usage error). */
  run?: HandlerRef;
  subcommands?: readonly CommandSpec[];
  /** The subcommand a group runs when none is named (`gateway` is `gateway run`). */
  defaultSub?: string;
  /** A word that is no subcommand is refused as an unknown command even though the group runs alone (`models x`). */
  takesNoWords?: boolean;
}
