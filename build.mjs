// Bundles the entries with esbuild (SPEC §2: the CLI never loads daemon/ for client commands).
//   dist/opensoul.cjs  the `opensoul` launcher: ONE CommonJS file with the command table, the
//                      parser, help and completion. Measured: an ESM entry costs Node ~7 ms of its
//                      own loader, and each extra chunk file a few ms more.
//   dist/cli/<m>.cjs   each command module the table names (client/commands/<m>.ts), a CommonJS
//                      bundle of its own, required by the launcher only when its command runs.
//   dist/cli/lib-*.cjs the heavy packages (prompts, plist), each its own file,
//                      loaded by the code path that uses them: inlined, a command module would
//                      compile them at every start (paste-token's bundle was 135 KB).
//   dist/gateway.mjs   the daemon, loaded only by `opensoul gateway` (run). Bundled too (measured:
//                      ~5.7 MiB less RSS than loading each package through Node's loaders), except
//                      sql.js, which finds its .wasm beside itself.
import { build } from 'esbuild';
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
// CommonJS dependencies need `require` inside an ESM bundle.
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
// The command modules, as the command table names them (test/client/cli checks each exists).
const handlerModules = [
  ...new Set([...readFileSync(new URL('./client/cli/table.ts', import.meta.url), 'utf8').matchAll(/module: '([a-z-]+)'/g)].map((m) => m[1])),
];
// The heavy packages, by the file name their bundle gets beside the command modules.
const LIBS = { '@clack/prompts': 'lib-prompts', plist: 'lib-plist' };
const libsApart = {
  name: 'libs-apart',
  setup(b) {
    b.onResolve({ filter: /^(@clack\/prompts|plist)$/ }, (args) => ({ path: `./${LIBS[args.path]}.cjs`, external: true }));
  },
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
    entryPoints: Object.fromEntries(handlerModules.map((m) => [m, `client/commands/${m}.ts`])),
    outdir: `${outdir}/cli`,
    format: 'cjs',
    outExtension: { '.js': '.cjs' },
    plugins: [libsApart],
  }),
  build({
    ...common,
    entryPoints: Object.fromEntries(Object.entries(LIBS).map(([pkg, name]) => [name, fileURLToPath(import.meta.resolve(pkg))])),
    outdir: `${outdir}/cli`,
    format: 'cjs',
    outExtension: { '.js': '.cjs' },
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
