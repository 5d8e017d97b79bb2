/**
 * The CLI's compile cache (client/compile-cache.ts), driven through real processes: the real
 * `opensoul` binary, and the loader itself on bundles the test writes. Node 20 has no built-in
 * compile cache (nor 22 before 22.8), so there the loader keeps V8's code cache itself; Node
 * 22.8+ uses Node's own.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import { BUNDLE_WRAPPER } from '../../client/compile-cache.js';
import { PKG_VERSION, REPO, cleanEnv, cli, run, tempDir } from '../support/harness.js';

const builtIn = typeof (Module as unknown as { enableCompileCache?: unknown }).enableCompileCache === 'function';
const LOADER = path.join(REPO, 'client', 'compile-cache.ts');

/** A bundle as build.mjs leaves it: its code, then the stamp naming this build. */
const stamped = (code: string, build: string) => `${code}\n//# opensoul-build=${build.repeat(32).slice(0, 32)}\n`;

/** A temp dir for a bundle the test writes and a cache home of its own. */
function scratch(): { work: string; cacheHome: string; file: string } {
  const work = tempDir();
  return { work, cacheHome: path.join(work, 'cache'), file: path.join(work, 'bundle.cjs') };
}

/** Every file under `dir`, relative, with its mode. */
function listing(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir, { recursive: true }) as string[]) out.set(name, statSync(path.join(dir, name)).mode & 0o777);
  return out;
}

/** Loads `file` through the loader in a fresh process (the cache is written when it exits); its stdout is what the bundle exports. */
async function loadInChild(file: string, cacheHome: string): Promise<string> {
  const script = `import(${JSON.stringify(LOADER)}).then((m) => process.stdout.write(String(m.bundleLoader(process.env)(${JSON.stringify(file)}))))`;
  const r = await run(process.execPath, ['--import', 'tsx', '-e', script], { env: cleanEnv({ XDG_CACHE_HOME: cacheHome }), cwd: REPO });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  return r.stdout;
}

describe('the CLI compile cache', function () {
  this.timeout(60_000);

  it('is kept in a private directory of the user, and the CLI answers the same with it as without it', async function () {
    const home = tempDir();
    const stateDir = path.join(home, 'state');
    const dir = path.join(home, '.cache', 'opensoul', 'compile-cache');
    const first = await cli(['--version'], { stateDir });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.trim(), PKG_VERSION);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(path.dirname(dir)).mode & 0o777, 0o700);
    const entries = listing(dir);
    assert.ok(entries.size > 0, 'the first run leaves compiled code behind');
    for (const [name, mode] of entries) if (!statSync(path.join(dir, name)).isDirectory()) assert.equal(mode & 0o077, 0, `${name} is 0600`);
    const second = await cli(['--version'], { stateDir });
    assert.deepEqual(second, first);
    const off = await cli(['--version'], { stateDir: path.join(tempDir(), 'state'), env: { OPENSOUL_NO_COMPILE_CACHE: '1' } });
    assert.deepEqual(off, first);
  });

  it('is never read nor written where another user could have planted code: group/other-writable, symlinked, or with no home', async function () {
    const home = tempDir();
    const stateDir = path.join(home, 'state');
    const dir = path.join(home, '.cache', 'opensoul', 'compile-cache');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o777);
    let r = await cli(['--version'], { stateDir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(listing(dir).size, 0, 'a world-writable cache dir is left alone');

    const elsewhere = tempDir();
    const linked = tempDir();
    mkdirSync(path.join(linked, 'opensoul'), { recursive: true, mode: 0o700 });
    symlinkSync(elsewhere, path.join(linked, 'opensoul', 'compile-cache'));
    r = await cli(['--version'], { stateDir, env: { XDG_CACHE_HOME: linked } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(listing(elsewhere).size, 0, 'a symlinked cache dir is left alone');

    const relative = await cli(['--version'], { stateDir, env: { XDG_CACHE_HOME: 'relative/dir', HOME: 'not-absolute' } });
    assert.equal(relative.code, 0, relative.stderr);
    assert.equal(relative.stdout.trim(), PKG_VERSION);
  });

  it('build.mjs begins each CLI bundle with the wrapper the loader recognises, and a wrapped bundle loads with and without the cache', async function () {
    // The prefix is written in build.mjs and matched here: were they to drift apart, a bundle
    // would still load (wrapped twice), only more slowly, so nothing else would notice.
    // The bundles the launcher loads through the cache are the stamped ones (the libraries beside
    // them are require()d by those, as usual).
    const cliDir = path.join(REPO, 'dist', 'cli');
    const loaded = readdirSync(cliDir).filter((n) => n.endsWith('.cjs') && /\/\/# opensoul-build=\w+\n$/.test(readFileSync(path.join(cliDir, n), 'utf8')));
    assert.ok(loaded.includes('main.cjs') && loaded.includes('models-status.cjs'), loaded.join(', '));
    for (const name of loaded) assert.ok(readFileSync(path.join(cliDir, name), 'utf8').startsWith(BUNDLE_WRAPPER), `${name} begins with BUNDLE_WRAPPER`);
    const { cacheHome, file } = scratch();
    writeFileSync(file, stamped(`${BUNDLE_WRAPPER}module.exports = typeof exports + " " + (this === exports);\n})`, 'f'));
    assert.equal(await loadInChild(file, cacheHome), 'object true');
    assert.equal(await loadInChild(file, cacheHome), 'object true');
    const r = await run(process.execPath, ['-e', `process.stdout.write(String(require(${JSON.stringify(file)})))`], { env: cleanEnv() });
    assert.equal(r.stdout, 'object true', r.stderr);
  });

  it('never runs stale code: a rebuild of the same length and mtime loads its new content; an unstamped file is never cached', async function () {
    const { work, cacheHome, file } = scratch();
    writeFileSync(file, stamped('module.exports = "one";', 'a'));
    assert.equal(await loadInChild(file, cacheHome), 'one');
    assert.equal(await loadInChild(file, cacheHome), 'one');
    // Same length, same inode, and the mtime of the first: as npm installs every release (mtime 1985).
    const before = statSync(file);
    writeFileSync(file, stamped('module.exports = "two";', 'b'));
    utimesSync(file, before.atime, before.mtime);
    assert.equal(await loadInChild(file, cacheHome), 'two');

    const plain = path.join(work, 'plain.cjs');
    writeFileSync(plain, 'module.exports = "no stamp";\n');
    const dir = path.join(cacheHome, 'opensoul', 'compile-cache');
    const entries = listing(dir).size;
    assert.equal(await loadInChild(plain, cacheHome), 'no stamp');
    if (!builtIn) assert.equal(listing(dir).size, entries, 'no entry for a file without a stamp');
  });

  if (!builtIn) {
    it('Node 20 (no built-in cache): an entry is reused while it is valid, and a corrupt one is replaced, never an error', async function () {
      const { cacheHome, file } = scratch();
      const dir = path.join(cacheHome, 'opensoul', 'compile-cache');
      writeFileSync(file, stamped(`module.exports = (${String((n: number) => n * 2)})(21);`, 'c'));
      assert.equal(await loadInChild(file, cacheHome), '42');
      const [name] = [...listing(dir).keys()];
      assert.ok(name?.startsWith(`bundle.cjs.${process.version}-${process.arch}.`), `one entry named after the bundle and this Node: ${name}`);
      const entry = path.join(dir, name as string);
      const written = statSync(entry).mtimeMs;
      assert.equal(await loadInChild(file, cacheHome), '42');
      assert.equal(statSync(entry).mtimeMs, written, 'an accepted entry is not written again');
      writeFileSync(entry, 'not compiled code at all');
      assert.equal(await loadInChild(file, cacheHome), '42');
      assert.notEqual(readFileSync(entry, 'utf8'), 'not compiled code at all', 'V8 rejected the corrupt entry and it was replaced');
      const otherNode = `bundle.cjs.v99.0.0-${process.arch}.${'f'.repeat(32)}.bin`;
      writeFileSync(path.join(dir, otherNode), 'compiled by another Node', { mode: 0o600 });
      writeFileSync(file, stamped('module.exports = "rebuilt, another length";', 'd'));
      assert.equal(await loadInChild(file, cacheHome), 'rebuilt, another length');
      const left = [...listing(dir).keys()].sort();
      assert.equal(left.length, 2, `the old build's entry is removed, another Node's is kept: ${left.join(', ')}`);
      assert.ok(left.includes(otherNode));
    });
  } else {
    it("Node 22.8+: Node's own compile cache is enabled in the private directory", async function () {
      const { cacheHome, file } = scratch();
      writeFileSync(file, stamped('module.exports = "built in";', 'e'));
      assert.equal(await loadInChild(file, cacheHome), 'built in');
      assert.ok(listing(path.join(cacheHome, 'opensoul', 'compile-cache')).size > 0);
    });
  }
});
