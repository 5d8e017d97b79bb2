/**
 * The last step of a write that must not overwrite a person's save (§3: "never silently
 * overwrite a person's edit"). Editors take no lock: they write a temp file and rename it over
 * ours at any instant, so "re-check the hash, then rename" always leaves a window in which a
 * save lands and is then replaced. Instead the final step itself fails when the file changed:
 *
 *   1. rename(file → aside): atomically takes whatever is current out of the way, under a
 *      private name no editor knows;
 *   2. compare the aside with what we read: different → someone saved since; put it back with
 *      link(aside → file), which fails with EEXIST if yet another save landed meanwhile (that
 *      newer file then stays), and report "changed" so the caller re-reads and re-applies;
 *   3. same → link(temp → file): EEXIST means an editor's save created the file in that instant:
 *      theirs stays, ours is not applied, "changed";
 *   4. remove temp and aside.
 *
 * link() never replaces an existing name, which is exactly the "fail if it changed" primitive
 * rename() lacks (Linux's renameat2 RENAME_NOREPLACE is the same thing, but Node does not expose
 * it). Readers may see the file missing for the few microseconds between 1 and 3: the daemon's
 * own reload re-checks a missing file before believing it (loaded-file.ts), and a crash inside
 * that window leaves the aside, which the next start puts back (strays.ts).
 */
import { randomBytes } from 'node:crypto';
import { link, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { closeSoon, isLinkError, openRegularStat, readAll } from './open-regular.js';

export const ASIDE_MARKER = '.opensoul-aside-';

export function asidePathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}${ASIDE_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** The file an aside was taken from (for the start-up cleanup), or null if `name` is not an aside. */
export function originalOfAside(name: string): string | null {
  const i = name.indexOf(ASIDE_MARKER);
  return name.startsWith('.') && i > 1 ? name.slice(1, i) : null;
}

const code = (err: unknown) => (err as NodeJS.ErrnoException).code;
/** Hard links unsupported here (FAT, some network and FUSE file systems). */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/** Puts an aside back unless a newer file took the name; the aside is removed either way. */
async function putBack(aside: string, file: string): Promise<void> {
  try {
    await link(aside, file);
  } catch (err) {
    if (code(err) === 'EEXIST') {
      // A newer save landed meanwhile: it wins.
    } else if (NO_LINKS.has(code(err) ?? '')) {
      await rename(aside, file);
      return;
    } else {
      throw err;
    }
  }
  await unlink(aside).catch(() => undefined);
}

/**
 * Moves `tmp` into place at `file` if `file` still holds exactly `expected` (null: does not
 * exist). Returns false, with nothing of ours applied, when the file changed under us. `tmp`
 * is gone afterwards in every case.
 */
export async function replaceUnlessChanged(file: string, tmp: string, expected: Buffer | null): Promise<boolean> {
  const removed = { tmp: false };
  try {
    return await replace(file, tmp, expected, removed);
  } finally {
    if (!removed.tmp) await unlink(tmp).catch(() => undefined);
  }
}

async function replace(file: string, tmp: string, expected: Buffer | null, removed: { tmp: boolean }): Promise<boolean> {
  if (expected === null) return linkInPlace(tmp, file);
  const aside = asidePathFor(file);
  try {
    await rename(file, aside);
  } catch (err) {
    if (code(err) === 'ENOENT') return false; // deleted since we read it: start over
    throw err;
  }
  let opened;
  let current: Buffer;
  try {
    // Whatever was put in the file's place since our read, a FIFO must not block us here; a
    // symbolic link (the file made a link since our read) is not followed: it is put back and
    // we start over, resolving the link then. The descriptor's stat, taken before the read, is
    // what an in-place write after our comparison is detected against.
    opened = await openRegularStat(aside, file, true);
  } catch (err) {
    await putBack(aside, file);
    if (isLinkError(err)) return false;
    throw err;
  }
  const { handle, stat: seen } = opened;
  try {
    try {
      current = await readAll(handle, Number(seen.size), Math.max(expected.length, Number(seen.size)));
    } catch (err) {
      await putBack(aside, file);
      throw err;
    }
    if (!current.equals(expected)) {
      await putBack(aside, file);
      return false;
    }
    let placed: boolean;
    try {
      placed = await linkInPlace(tmp, file);
    } catch (err) {
      await putBack(aside, file);
      throw err;
    }
    // An editor that writes in place (open, truncate, write) and had the file open before step 1
    // writes into the aside: if it did since we looked, its content must win over ours.
    const after = await handle.stat({ bigint: true }).catch(() => null);
    if (placed && after && (after.mtimeNs !== seen.mtimeNs || after.size !== seen.size || after.ctimeNs !== seen.ctimeNs)) {
      await rename(aside, file);
      return false;
    }
    // Both names go at once (one wait, not two): the aside holds the old secret, the temp name the new.
    removed.tmp = true;
    await Promise.all([unlink(aside).catch(() => undefined), unlink(tmp).catch(() => undefined)]);
    return placed;
  } finally {
    closeSoon(handle);
  }
}

/** link(tmp → file): false when a file appeared at `file` (EEXIST). */
async function linkInPlace(tmp: string, file: string): Promise<boolean> {
  try {
    await link(tmp, file);
    return true;
  } catch (err) {
    if (code(err) === 'EEXIST') return false;
    // Without hard links the window cannot be closed: plain rename, as before this step existed.
    if (NO_LINKS.has(code(err) ?? '')) {
      await rename(tmp, file);
      return true;
    }
    throw err;
  }
}
