/**
 * The CLI's own bundles, loaded with their compiled code cached on disk across runs: measured
 * here, V8 parsing and compiling the launcher and a command module was ~20M of the ~150M
 * instructions of `opensoul models status --json` (a quarter of what the command costs beyond
 * `node -e 0`), and a cache hit skips nearly all of it.
 *
 * Node 22.8+ has this built in (`module.enableCompileCache`); Node 20 and older 22s do not, so there the
 * same thing is done with V8's code cache through `Script` (what Node's own cache does inside).
 *
 * Where: `$XDG_CACHE_HOME/opensoul/compile-cache` (else `~/.cache/…`), never a shared directory
 * such as Node's default under /tmp: compiled code read from a cache runs as our code, so an
 * entry another local user could plant would run as the user. The directory is used only while
 * it is ours alone (our uid, no group or other write, not a symlink), like ~/.ssh. Any failure
 * (read-only home, full disk, a corrupt entry) only means compiling as usual, never an error.
 * `OPENSOUL_NO_COMPILE_CACHE=1` turns it off.
 */
// Named imports, not default ones: a default import of a builtin makes esbuild copy every export
// of it (fs has ~100) into a wrapper object at each start, and the launcher runs uncached.
import { lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type Module from 'node:module';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { Script } from 'node:vm';

/** Loads one of our CommonJS bundles and returns its exports. */
export type BundleLoader = (file: string) => unknown;

/** The cache directory for this environment, or null when caching is off or there is no home. */
export function compileCacheDir(env: NodeJS.ProcessEnv): string | null {
  const off = env.OPENSOUL_NO_COMPILE_CACHE;
  if (off !== undefined && off !== '' && off !== '0') return null;
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : env.HOME && isAbsolute(env.HOME) ? join(env.HOME, '.cache') : null;
  return base === null ? null : join(base, 'opensoul', 'compile-cache');
}

/** Ours alone: a real directory (not a symlink) of our uid that nobody else may write to. */
function ownedPrivately(dir: string): boolean {
  const st = lstatSync(dir);
  return st.isDirectory() && st.uid === process.getuid?.() && (st.mode & 0o022) === 0;
}

/** The directory, created 0700 if missing; null unless it and its `opensoul` parent are ours alone. */
function usableDir(dir: string): string | null {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return ownedPrivately(dir) && ownedPrivately(dirname(dir)) ? dir : null;
  } catch {
    return null;
  }
}

/** An entry waiting to be written when the process exits (after the command ran, so it holds what ran). */
interface Pending {
  script: Script;
  entry: string;
  prefix: string;
}

/**
 * The last line build.mjs writes into each bundle: a hash of the rest of the file. V8 checks
 * only a cached source's *length*, and a release that changes a constant of the same length (a
 * version number) keeps it, as npm keeps every mtime at 1985 and a reused inode is common: only
 * the content tells two builds apart, and hashing it here would cost more than the cache saves
 * (zlib's crc32 alone ~8M instructions), so the build does it once.
 */
export const BUILD_STAMP = '//# opensoul-build=';
const STAMP_LINE = /\/\/# opensoul-build=([0-9a-f]{16,64})\n?$/;

/**
 * A cache entry's name: the bundle's name, then what makes compiled code invalid — the Node
 * version and arch (V8 rejects another's, but CI alternates Node 20 and 24 on one home) and the
 * build's content hash. Null for a file without a stamp: it is compiled as usual, never cached.
 */
function entryName(file: string, source: string): { name: string; prefix: string } | null {
  const stamp = STAMP_LINE.exec(source.slice(-120));
  if (!stamp) return null;
  // Stale siblings are this bundle's entries for this same Node (older builds); another Node's stay.
  const prefix = `${basename(file)}.${process.version}-${process.arch}.`;
  return { prefix, name: `${prefix}${stamp[1]}.bin` };
}

/** Writes each pending entry atomically (a reader never sees half an entry) and drops its stale siblings. */
function flush(dir: string, pending: readonly Pending[]): void {
  for (const p of pending) {
    const tmp = `${p.entry}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, p.script.createCachedData(), { mode: 0o600, flag: 'wx' });
      renameSync(tmp, p.entry);
      for (const name of readdirSync(dir)) {
        if (name.startsWith(p.prefix) && name.endsWith('.bin') && join(dir, name) !== p.entry) rmSync(join(dir, name), { force: true });
      }
    } catch {
      rmSync(tmp, { force: true });
    }
  }
}

/**
 * The CommonJS loader's Module, which has `wrap` and `createRequire`. In the launcher (a CommonJS
 * file) it is `module.constructor`: importing node:module instead loads its public face, which
 * pulls in the ESM loader and source maps (measured: ~1M instructions of every start on Node 20).
 * Elsewhere (tests load this file as ESM) it is node:module itself.
 */
function cjsModule(): typeof Module {
  return (typeof module === 'object' && module !== null ? module.constructor : builtinModule('node:module')) as typeof Module;
}

/**
 * A builtin loaded only when needed: through the launcher's own `require` (CommonJS), or
 * `process.getBuiltinModule` where this file runs as ESM (tests). Not that one everywhere: Node
 * 22.0-22.2 lack it, and the launcher must start on every Node the package accepts.
 */
function builtinModule(id: string): unknown {
  return typeof module === 'object' && module !== null ? module.require(id) : process.getBuiltinModule(id);
}

/**
 * How build.mjs begins each bundle it stamps: the module already wrapped as Module.wrap would,
 * so that compiling it needs no wrapped copy of the source (see build.mjs for why).
 */
export const BUNDLE_WRAPPER = '(f=>typeof arguments=="object"?f.apply(this,arguments):f)(function(exports,require,module,__filename,__dirname){';

/** Plain require(): no cache, or Node's own cache once enabled. */
const plainLoader: BundleLoader = (file) => cjsModule().createRequire(file)(file) as unknown;

/** Node 20: compiles the bundle through `Script` with V8's code cache, as CommonJS would run it. */
function v8CachedLoader(dir: string): BundleLoader {
  const pending: Pending[] = [];
  process.once('exit', () => flush(dir, pending));
  return (file) => {
    const source = readFileSync(file, 'utf8');
    const named = entryName(file, source);
    if (named === null) return plainLoader(file);
    const { name, prefix } = named;
    const entry = join(dir, name);
    let cachedData: Buffer | undefined;
    try {
      cachedData = readFileSync(entry);
    } catch {
      cachedData = undefined;
    }
    // No import() in these bundles (build.mjs turns it into require()): a script compiled by vm
    // has no module loader of its own, and a cached one loses Node's (a TypeError at run time).
    const script = new Script(source.startsWith(BUNDLE_WRAPPER) ? source : cjsModule().wrap(source), { filename: file, cachedData });
    if (cachedData === undefined || script.cachedDataRejected === true) pending.push({ script, entry, prefix });
    const mod = { exports: {} as unknown, filename: file, id: file, loaded: false };
    const wrapper = script.runInThisContext() as (e: unknown, r: NodeJS.Require, m: typeof mod, f: string, d: string) => void;
    wrapper.call(mod.exports, mod.exports, cjsModule().createRequire(file), mod, file, dirname(file));
    mod.loaded = true;
    return mod.exports;
  };
}

/** The loader for this process: Node's compile cache where the runtime has it, else V8's through vm, else plain. */
export function bundleLoader(env: NodeJS.ProcessEnv): BundleLoader {
  const wanted = compileCacheDir(env);
  const dir = wanted === null ? null : usableDir(wanted);
  if (dir === null) return plainLoader;
  // Only node:module has enableCompileCache (Node 22.8+), and loading it costs Node 20 for nothing.
  const builtIn =
    Number(process.versions.node.split('.')[0]) >= 22
      ? (builtinModule('node:module') as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache
      : undefined;
  if (builtIn) {
    try {
      builtIn(dir);
    } catch {
      /* a cache that cannot be enabled only means compiling as usual */
    }
    return plainLoader;
  }
  return v8CachedLoader(dir);
}
