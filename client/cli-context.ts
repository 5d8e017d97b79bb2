/** What every command's action gets: the global flags and the way to finish. */
import { CommanderError } from 'commander';
import type { Command } from 'commander';
import { EXIT } from '../ipc/errors.js';
import { reportError, usageHint } from './output.js';
import { colorEnabled, makeStyle } from './render/style.js';
import type { Style } from './render/style.js';

export interface CliContext {
  /** URL of the daemon's entry, loaded by `opensoul gateway` (run) only. */
  gatewayEntry: string;
  /** Absolute path of the `opensoul` entry being run (what service files must start). */
  cliEntry: string;
}

export interface ActionEnv {
  json: boolean;
  style: Style;
}

/** Global flags (`--json` may come before or after the command words). */
export function actionEnv(cmd: Command): ActionEnv {
  const opts = cmd.optsWithGlobals<{ json?: boolean }>();
  const json = opts.json === true;
  return { json, style: makeStyle(!json && colorEnabled()) };
}

/** Wraps an action: any error becomes §7's error output and exit code. */
export function action<A extends unknown[]>(fn: (env: ActionEnv, ...args: A) => Promise<number | void>) {
  return async (...args: A): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const env = actionEnv(cmd);
    try {
      const code = await fn(env, ...args);
      process.exitCode = typeof code === 'number' ? code : 0;
    } catch (err) {
      // Commander's own errors (already printed) go on to main(), which words them as usage errors.
      if (err instanceof CommanderError) throw err;
      process.exitCode = reportError(err, { json: env.json });
      // A usage error found by the action (a flag that needs another, no terminal) gets the
      // command's usage too, like commander's own (§7); stderr, so --json's stdout stays one document.
      if (process.exitCode === EXIT.USAGE) process.stderr.write(`${usageHint(cmd)}\n`);
    }
  };
}
