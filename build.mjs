// Bundles the two entries with esbuild (SPEC §2: the CLI never loads daemon/ for client commands).
//   dist/opensoul.mjs  the `opensoul` CLI: a tiny launcher that turns on Node's compile cache
//                      (where the runtime has it) and then loads the CLI chunk. Fully bundled:
//                      unbundled start-up costs ~50 ms more (dependency audit, Q9). Code
//                      splitting keeps lazily imported modules (prompts, plist, doctor helpers)
//                      in their own chunks, so the start path parses only what it runs.
//   dist/gateway.mjs   the daemon, loaded only by `opensoul gateway` (run). Its npm packages stay
//                      external: it starts once, and logform (winston) loads its formats with
//                      computed require() paths that no bundler can follow.
import { build } from 'esbuild';
import { chmodSync, readFileSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
// CommonJS dependencies (commander) need `require` inside an ESM bundle.
const banner = [
  "import{createRequire as __cr}from'node:module';",
  "import{fileURLToPath as __fu}from'node:url';",
  "import{dirname as __dn}from'node:path';",
  'const require=__cr(import.meta.url);',
  'const __filename=__fu(import.meta.url);',
  'const __dirname=__dn(__filename);',
].join('');

const outdir = process.env.OPENSOUL_BUILD_OUTDIR ?? 'dist';
const version = process.env.OPENSOUL_BUILD_VERSION ?? pkg.version;
const common = {
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20.19',
  format: 'esm',
  minifySyntax: true,
  minifyWhitespace: true,
  sourcemap: 'linked',
  legalComments: 'none',
  define: { __OPENSOUL_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
};
rmSync(outdir, { recursive: true, force: true });
await Promise.all([
  build({
    ...common,
    entryPoints: { opensoul: 'client/bin.ts' },
    chunkNames: 'cli/[name]-[hash]',
    splitting: true,
    banner: { js: `#!/usr/bin/env node\n${banner}` },
  }),
  build({
    ...common,
    entryPoints: { gateway: 'daemon/main.ts' },
    packages: 'external',
    banner: { js: '#!/usr/bin/env node' },
  }),
]);
// The launcher is run directly too (`./dist/opensoul.mjs`), as npm's bin link would.
chmodSync(`${outdir}/opensoul.mjs`, 0o755);
