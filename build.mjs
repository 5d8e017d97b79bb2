// Bundles the entries with esbuild (SPEC §2: the CLI never loads daemon/ for client commands).
//   dist/opensoul.cjs  the `opensoul` launcher: ONE CommonJS file with the fast path (`--version`,
//                      `models status`). Measured: an ESM entry costs Node ~7 ms of its own loader,
//                      and each extra chunk file a few ms more; `models status --json` went from
//                      1.78x to 1.29x `node -e 0` this way.
//   dist/cli/main.mjs  the full CLI (commander, every command), ESM with code splitting, so lazily
//                      imported modules (prompts, plist, the service code) stay in their own chunks.
//   dist/gateway.mjs   the daemon, loaded only by `opensoul gateway` (run). Bundled too (measured:
//                      ~5.7 MiB less RSS than loading each package through Node's loaders), except
//                      sql.js, which finds its .wasm beside itself.
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
  // jsonc-parser's "main" is a UMD build with computed require()s; its ESM build bundles cleanly.
  mainFields: ['module', 'main'],
  define: { __OPENSOUL_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
};
rmSync(outdir, { recursive: true, force: true });
await Promise.all([
  build({
    ...common,
    entryPoints: { opensoul: 'client/bin.ts' },
    format: 'cjs',
    minifyIdentifiers: true,
    outExtension: { '.js': '.cjs' },
    banner: { js: '#!/usr/bin/env node' },
  }),
  build({
    ...common,
    entryPoints: { main: 'client/main.ts' },
    outdir: `${outdir}/cli`,
    chunkNames: '[name]-[hash]',
    splitting: true,
    banner: { js: banner },
  }),
  build({
    ...common,
    entryPoints: { gateway: 'daemon/main.ts' },
    external: ['sql.js'],
    banner: { js: `#!/usr/bin/env node\n${banner}` },
  }),
]);
// The launcher is run directly too (`./dist/opensoul.cjs`), as npm's bin link would.
chmodSync(`${outdir}/opensoul.cjs`, 0o755);
