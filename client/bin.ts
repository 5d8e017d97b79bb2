/**
 * The `opensoul` launcher (dist/opensoul.cjs): as small as it can be, because Node compiles it
 * at every start before any cache can help. It only picks the compile cache and loads the CLI
 * (dist/cli/main.cjs) through it. CommonJS, not ESM: measured here, an ESM entry costs Node
 * ~7 ms of its own loader before our first line.
 */
import { join } from 'node:path';
import { bundleLoader } from './compile-cache.js';
import type { runCli } from './main.js';

const load = bundleLoader(process.env);
(load(join(__dirname, 'cli', 'main.cjs')) as { runCli: typeof runCli }).runCli(load, __dirname, __filename, (url) => import(url));
