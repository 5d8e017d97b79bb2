/**
 * Where a write to one of our files really goes. People keep dotfiles as symlinks into a
 * dotfiles repo: a write through `rename` would replace the link with a copy, and the repo
 * would silently stop being the truth. So a link is written *through*: the temp file goes in
 * the target's dir (a rename is atomic only within one file system) and replaces the target,
 * the link stays. Only a target owned by our own uid is written: a link to another user's file
 * (or to one root owns) is refused, never followed into a write. The sidecar lock stays beside
 * the link — the path we and OpenClaw's tools name, so the tools still see it, and no lock
 * files appear in the dotfiles repo.
 */
import { lstat, realpath, stat } from 'node:fs/promises';
import { OpenSoulError } from '../../ipc/errors.js';

export async function writeTarget(file: string): Promise<string> {
  let st;
  try {
    st = await lstat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return file;
    throw err;
  }
  if (!st.isSymbolicLink()) return file;
  let target: string;
  try {
    target = await realpath(file);
  } catch {
    throw new OpenSoulError('UNSAFE_LINK', { path: file, reason: 'points to a file that does not exist (create the target first)' });
  }
  const tst = await stat(target);
  if (!tst.isFile()) throw new OpenSoulError('UNSAFE_LINK', { path: file, target, reason: 'does not point to a regular file' });
  if (typeof process.getuid === 'function' && tst.uid !== process.getuid()) {
    throw new OpenSoulError('UNSAFE_LINK', { path: file, target, reason: `points to a file owned by another user (uid ${tst.uid})` });
  }
  return target;
}
