/**
 * The daemon's side of the /tmp fallback dir (SPEC §5): made 0700 by us, or refused. `/tmp` is
 * world-writable, so `/tmp/opensoul-<uid>` may have been made first by another user (to listen
 * there and collect tokens), or be a symlink planted to make us chmod and listen wherever it
 * points (as root: `/etc`). Nothing here follows a link: mkdir does not, and a dir of ours that
 * is too open is fixed with fchmod on a descriptor opened O_NOFOLLOW, never chmod by path.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open } from 'node:fs/promises';
import { checkSocketDir, describeSocketDirProblem } from '../../ipc/socket-dir.js';
import type { SocketDirProblem } from '../../ipc/socket-dir.js';
import { CannotStartError } from '../state-dir.js';

export type PrivateSocketDirOutcome = 'created' | 'ok' | 'fixed';

/** A dir we cannot use; the caller decides (refuse to start, or stop listening there). */
export class UnsafeSocketDirError extends CannotStartError {
  constructor(
    readonly dir: string,
    readonly problem: SocketDirProblem,
  ) {
    super(
      `cannot use the socket dir: ${describeSocketDirProblem(dir, problem)}; another user may have made it to receive clients' tokens. ` +
        `Remove it (as root if another user owns it), or set OPENSOUL_SOCKET to a path in a private dir`,
    );
    this.name = 'UnsafeSocketDirError';
  }
}

const myUid = (): number => (typeof process.getuid === 'function' ? process.getuid() : 0);

/** fchmod 0700 through a descriptor that refuses links, after checking it is still the dir we judged. */
async function tightenOwnDir(dir: string, expected: { dev: number; ino: number }): Promise<void> {
  let fh;
  try {
    fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch {
    // ELOOP or ENOTDIR: swapped for a link or a file since we looked.
    throw new UnsafeSocketDirError(dir, { ok: false, problem: 'symlink' });
  }
  try {
    const st = await fh.stat();
    if (st.dev !== expected.dev || st.ino !== expected.ino || st.uid !== myUid()) {
      throw new UnsafeSocketDirError(dir, { ok: false, problem: 'foreign-owner', owner: st.uid });
    }
    await fh.chmod(0o700);
  } finally {
    await fh.close();
  }
}

/**
 * Makes sure the fallback dir is a real dir of ours, 0700: creates it, or tightens one of ours
 * that is too open (its old contents are judged later by the instance claim, which never
 * removes anything but a socket nobody serves). Throws UnsafeSocketDirError (exit 78) for a
 * link, a non-dir or a dir of another uid.
 */
export async function ensurePrivateSocketDir(dir: string): Promise<PrivateSocketDirOutcome> {
  let created = false;
  // Twice at most: once to create, once to judge what is there after (someone may have raced us).
  for (let attempt = 0; attempt < 2; attempt++) {
    const verdict = checkSocketDir(dir, myUid(), 'private');
    if (verdict.ok) return created ? 'created' : 'ok';
    if (verdict.problem === 'missing') {
      try {
        // Not recursive: /tmp exists; and mkdir never follows a link at the last component.
        await mkdir(dir, { mode: 0o700 });
        created = true;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST') throw new CannotStartError(`cannot create the socket dir ${dir}: ${code ?? 'error'}`);
      }
      continue;
    }
    if (verdict.problem === 'open-mode') {
      // Ours and a real dir (only the mode failed): fix it without ever following a link.
      const st = await lstat(dir);
      await tightenOwnDir(dir, st);
      return 'fixed';
    }
    throw new UnsafeSocketDirError(dir, verdict);
  }
  throw new CannotStartError(`cannot create the socket dir ${dir}: it keeps changing under us`);
}
