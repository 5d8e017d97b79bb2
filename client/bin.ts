/**
 * The `opensoul` launcher: as small as possible, so the first thing Node compiles is tiny. It
 * turns on Node's on-disk compile cache where the runtime has it (22.1+), then loads the CLI
 * (a separate chunk, which the cache then serves on later runs).
 */
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { fastPath } from './fast-path.js';

const withCache = module as unknown as { enableCompileCache?: () => unknown };
try {
  withCache.enableCompileCache?.();
} catch {
  /* a read-only cache dir must never stop the CLI */
}
// Bundled, the daemon is dist/gateway.mjs beside this file; from source (tsx), daemon/main.ts.
const gatewayEntry = import.meta.url.endsWith('.ts') ? new URL('../daemon/main.ts', import.meta.url).href : new URL('./gateway.mjs', import.meta.url).href;
const argv = process.argv.slice(2);
if (!(await fastPath(argv))) {
  const { main } = await import('./main.js');
  await main(argv, { gatewayEntry, cliEntry: fileURLToPath(import.meta.url) });
}
