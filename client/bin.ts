/**
 * The `opensoul` launcher, bundled as one CommonJS file (dist/opensoul.cjs). Measured here: an
 * ESM entry costs Node ~7 ms of its own loader before our first line, and every extra chunk
 * file a few more; a single CommonJS file avoids both. The launcher runs the fast path
 * (`--version`, `models status`) itself and loads the full CLI (commander, every command, as
 * ESM chunks in dist/cli/) only for everything else.
 */
import module from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { fastPath } from './fast-path.js';
import type { CliContext } from './cli-context.js';
import type { main as Main } from './main.js';

const withCache = module as unknown as { enableCompileCache?: () => unknown };
try {
  // Node 22.1+: compiled code of the CLI chunks is cached on disk across runs.
  withCache.enableCompileCache?.();
} catch {
  /* a read-only cache dir must never stop the CLI */
}

async function run(): Promise<void> {
  const argv = process.argv.slice(2);
  if (await fastPath(argv)) return;
  const ctx: CliContext = {
    gatewayEntry: pathToFileURL(path.join(__dirname, 'gateway.mjs')).href,
    cliEntry: __filename,
  };
  // A computed URL, so the bundler leaves this import to run time (the full CLI is its own build).
  const { main } = (await import(pathToFileURL(path.join(__dirname, 'cli', 'main.mjs')).href)) as { main: typeof Main };
  await main(argv, ctx);
}

run().catch((err: unknown) => {
  process.stderr.write(`opensoul: ${err instanceof Error ? err.message : 'unexpected error'}\n`);
  process.exitCode = 1;
});
