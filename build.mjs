// Bundles the entries with esbuild (SPEC §2: the CLI never loads daemon/ for client commands).
//   dist/opensoul.cjs  the `opensoul` launcher: a small CommonJS file that picks the compile cache
//                      (client/compile-cache.ts) and loads the CLI through it. Measured: an ESM
//                      entry costs Node ~7 ms of its own loader, and each extra chunk file a few ms more.
//   dist/cli/main.cjs  the command table, the parser, help and completion, in one file.
//   dist/cli/<m>.cjs   each command module the table names (client/commands/<m>.ts), a CommonJS
//                      bundle of its own, required by the launcher only when its command runs.
//   dist/cli/lib-*.cjs the heavy packages (prompts, plist), each its own file,
//                      loaded by the code path that uses them: inlined, a command module would
//                      compile them at every start (paste-token's bundle was 135 KB).
//   dist/gateway.mjs   the daemon, loaded only by `opensoul gateway` (run). Bundled too (measured:
//                      ~5.7 MiB less RSS than loading each package through Node's loaders), except
//                      sql.js, which finds its .wasm beside itself.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { appendFileSync, chmodSync, readFileSync, rmSync } from 'node:fs';
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
// The bundles the launcher loads through the compile cache come already wrapped the way
// Module.wrap would, so that on Node 20 the loader compiles the file's text as it is: wrapping
// it at run time copied each source once more, and that copy alone was enough to cost
// `models status --json` a scavenge (~2.9M instructions of ~128M). Run by require() (Node 22+,
// no cache), the prefix calls the function with the CommonJS wrapper's own arguments; compiled
// as a script, where `arguments` does not exist, it leaves the function to the loader. The
// loader recognises the prefix by this exact text (BUNDLE_WRAPPER in client/compile-cache.ts).
const BUNDLE_WRAPPER = '(f=>typeof arguments=="object"?f.apply(this,arguments):f)(function(exports,require,module,__filename,__dirname){';
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
    entryPoints: { main: 'client/main.ts' },
    outdir: `${outdir}/cli`,
    format: 'cjs',
    supported: { 'dynamic-import': false },
    minifyIdentifiers: true,
    outExtension: { '.js': '.cjs' },
    banner: { js: BUNDLE_WRAPPER },
    footer: { js: '})' },
  }),
  build({
    ...common,
    entryPoints: Object.fromEntries(handlerModules.map((m) => [m, `client/commands/${m}.ts`])),
    outdir: `${outdir}/cli`,
    format: 'cjs',
    // import() becomes require(): these files are loaded through the compile cache
    // (client/compile-cache.ts), where import() has no loader, and a CommonJS file needs none.
    supported: { 'dynamic-import': false },
    outExtension: { '.js': '.cjs' },
    banner: { js: BUNDLE_WRAPPER },
    footer: { js: '})' },
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
// The files the launcher loads through the compile cache end with a hash of their content, the
// key of their cache entries (client/compile-cache.ts says why the runtime does not hash them).
for (const m of ['main', ...handlerModules]) {
  const file = `${outdir}/cli/${m}.cjs`;
  appendFileSync(file, `//# opensoul-build=${createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 32)}\n`);
}
// The launcher is run directly too (`./dist/opensoul.cjs`), as npm's bin link would.
chmodSync(`${outdir}/opensoul.cjs`, 0o755);
