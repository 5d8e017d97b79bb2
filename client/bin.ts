/**
 * The `opensoul` launcher, bundled as one CommonJS file (dist/opensoul.cjs) with the command
 * table, the parser and help. Measured here: an ESM entry costs Node ~7 ms of its own loader
 * before our first line, and every extra chunk file a few more; CommonJS files avoid both. The
 * module that runs the command is its own CommonJS bundle (dist/cli/<module>.cjs), required
 * only when that command runs.
 */
import module, { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CommandRun } from './cli-context.js';
import { dispatch } from './cli/dispatch.js';
import type { HandlerRef } from './cli/spec.js';
import { COMMAND_TABLE } from './cli/table.js';

const withCache = module as unknown as { enableCompileCache?: () => unknown };
try {
  // Node 22.1+: compiled code of the launcher's modules is cached on disk across runs.
  withCache.enableCompileCache?.();
} catch {
  /* a read-only cache dir must never stop the CLI */
}

/** A command's function from its bundle, next to this file. */
function load(ref: HandlerRef): CommandRun {
  // A computed path, so the bundler leaves the module to its own build; require(), not import():
  // a CommonJS file read synchronously, without starting Node's ESM loader.
  const mod = createRequire(__filename)(path.join(__dirname, 'cli', `${ref.module}.cjs`)) as Record<string, CommandRun>;
  return mod[ref.fn] as CommandRun;
}

const ctx = { gatewayEntry: pathToFileURL(path.join(__dirname, 'gateway.mjs')).href, cliEntry: __filename };
dispatch(process.argv.slice(2), COMMAND_TABLE, ctx, load).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`opensoul: ${err instanceof Error ? err.message : 'unexpected error'}\n`);
    process.exitCode = 1;
  },
);
