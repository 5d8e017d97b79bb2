/**
 * The CLI behind the launcher (dist/cli/main.cjs): the command table, the parser, help, and the
 * dispatch to the one command module that runs. Loaded by client/bin.ts through the compile
 * cache, as is each command module (dist/cli/<module>.cjs, its own CommonJS bundle, read only
 * when its command runs).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CommandRun } from './cli-context.js';
import type { BundleLoader } from './compile-cache.js';
import { dispatch } from './cli/dispatch.js';
import type { HandlerRef } from './cli/spec.js';
import { COMMAND_TABLE } from './cli/table.js';

/** Runs the command line of this process; `distDir` holds the bundles, `launcher` is the `opensoul` file itself. */
export function runCli(load: BundleLoader, distDir: string, launcher: string, importModule: (url: string) => Promise<unknown>): void {
  const loadHandler = (ref: HandlerRef) => (load(join(distDir, 'cli', `${ref.module}.cjs`)) as Record<string, CommandRun>)[ref.fn] as CommandRun;
  // A getter: only `gateway` (run) imports it, and node:url's pathToFileURL costs every other command.
  const ctx = {
    get gatewayEntry() {
      return pathToFileURL(join(distDir, 'gateway.mjs')).href;
    },
    cliEntry: launcher,
    importModule,
  };
  dispatch(process.argv.slice(2), COMMAND_TABLE, ctx, loadHandler).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`opensoul: ${err instanceof Error ? err.message : 'unexpected error'}\n`);
      process.exitCode = 1;
    },
  );
}
