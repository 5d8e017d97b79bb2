/** What every command's handler gets: the parsed command line, the global flags, and the way to finish. */
import { EXIT } from '../ipc/errors.js';
import type { Opts } from './cli/parse.js';
import { reportError } from './output.js';
import type { Style } from './render/style.js';

export interface CliContext {
  /** URL of the daemon's entry, loaded by `opensoul gateway` (run) only. */
  gatewayEntry: string;
  /**
   * import() of an ES module (the daemon's bundle), done by the launcher: the command modules
   * are built with import() turned into require() (a CommonJS file needs no ESM loader), and
   * the launcher is the one file Node itself compiles, where import() always works.
   */
  importModule: (url: string) => Promise<unknown>;
  /** Absolute path of the `opensoul` entry being run (what service files must start). */
  cliEntry: string;
}

export interface ActionEnv {
  json: boolean;
  style: Style;
}

/** One run of a command, as the launcher hands it to the command's module. */
export interface CommandInput {
  env: ActionEnv;
  /** The flags by key (`probeTimeout`), checked against the table. */
  opts: Opts;
  /** Positional words, including those after `--`. */
  args: string[];
  /** The command line had a `--` (`exec -- cmd`). */
  dashDash: boolean;
  ctx: CliContext;
  /** The command's usage lines, printed after a usage error it finds itself. */
  usage: string;
}

/** A command's entry point: the exit code. */
export type CommandRun = (input: CommandInput) => Promise<number>;

/**
 * Wraps a handler: any error becomes §7's error output and exit code. Each handler module is
 * its own bundle, so errors are reported here, where their classes are this bundle's own.
 */
export function command(fn: (input: CommandInput) => Promise<number | void>): CommandRun {
  return async (input) => {
    try {
      const code = await fn(input);
      return typeof code === 'number' ? code : 0;
    } catch (err) {
      const code = reportError(err, { json: input.env.json });
      // A usage error found by the handler (a flag that needs another, no terminal) gets the
      // command's usage too (§7); stderr, so --json's stdout stays one document.
      if (code === EXIT.USAGE) process.stderr.write(`${input.usage}\n`);
      return code;
    }
  };
}

/** A string option, or undefined. */
export const str = (o: Opts, key: string): string | undefined => (typeof o[key] === 'string' ? o[key] : undefined);
/** A boolean option (absent is false). */
export const flag = (o: Opts, key: string): boolean => o[key] === true;
/** A number option, or undefined. */
export const num = (o: Opts, key: string): number | undefined => (typeof o[key] === 'number' ? o[key] : undefined);
/** A list option (absent is empty). */
export const list = (o: Opts, key: string): string[] => (Array.isArray(o[key]) ? o[key] : []);
