/**
 * Whether the socket's directory can be trusted (SPEC §5), asked by both sides before they
 * create, chmod or connect: the CLI before it sends its token, the daemon before it listens.
 * The /tmp fallback lives in a world-writable dir, so another user can create
 * `/tmp/opensoul-<uid>` first, or plant a symlink there, and collect every client's token and
 * the secrets that follow. `lstat`, never `stat`: a link is refused, not followed.
 */
import { lstatSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import type { SocketLocation } from './paths.js';

/**
 * `private`: the /tmp fallback — a real dir, ours, no group/other bits at all (0700).
 * `no-foreign-writers`: a dir the person chose (OPENSOUL_SOCKET's) — ours, others may search it
 * (0711, 0755; the socket's own 0600 keeps them out) but never write to it.
 */
export type SocketDirPolicy = 'private' | 'no-foreign-writers';

export type SocketDirVerdict =
  | { readonly ok: true; readonly dev: number; readonly ino: number }
  | { readonly ok: false; readonly problem: 'missing' }
  | { readonly ok: false; readonly problem: 'symlink' | 'not-a-directory' }
  | { readonly ok: false; readonly problem: 'foreign-owner'; readonly owner: number }
  | { readonly ok: false; readonly problem: 'open-mode'; readonly mode: number }
  | { readonly ok: false; readonly problem: 'unreadable'; readonly code: string };

export type SocketDirProblem = Exclude<SocketDirVerdict, { ok: true }>;

/** The policy a socket location needs; null when there is nothing to check (run/, a pipe). */
export function socketDirPolicy(location: SocketLocation): SocketDirPolicy | null {
  // run/ sits in the state dir, which the daemon keeps 0700 and ours; its own check covers it.
  if (location.kind === 'fallback') return 'private';
  if (location.kind === 'env') return 'no-foreign-writers';
  return null;
}

/** Judges an lstat result: pure, so the rules are tested without making dirs as other users. */
export function judgeSocketDir(
  st: Pick<Stats, 'isSymbolicLink' | 'isDirectory' | 'uid' | 'mode' | 'dev' | 'ino'>,
  uid: number,
  policy: SocketDirPolicy,
): SocketDirVerdict {
  if (st.isSymbolicLink()) return { ok: false, problem: 'symlink' };
  if (!st.isDirectory()) return { ok: false, problem: 'not-a-directory' };
  if (st.uid !== uid) return { ok: false, problem: 'foreign-owner', owner: st.uid };
  if ((st.mode & (policy === 'private' ? 0o077 : 0o022)) !== 0) return { ok: false, problem: 'open-mode', mode: st.mode & 0o7777 };
  return { ok: true, dev: st.dev, ino: st.ino };
}

/** lstat + judge. `uid` is the caller's own (the daemon's uid is the one that must own the dir). */
export function checkSocketDir(dir: string, uid: number, policy: SocketDirPolicy): SocketDirVerdict {
  let st: Stats;
  try {
    st = lstatSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return code === 'ENOENT' ? { ok: false, problem: 'missing' } : { ok: false, problem: 'unreadable', code };
  }
  // A dir the person named may be reached through a link of theirs (or root's); the daemon
  // follows it too. A link someone else made (in a sticky /tmp, say) is refused.
  if (policy === 'no-foreign-writers' && st.isSymbolicLink() && (st.uid === uid || st.uid === 0)) {
    try {
      st = statSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      return code === 'ENOENT' ? { ok: false, problem: 'missing' } : { ok: false, problem: 'unreadable', code };
    }
  }
  return judgeSocketDir(st, uid, policy);
}

/** Words a problem for people and logs (no remedy: each side adds its own). */
export function describeSocketDirProblem(dir: string, p: SocketDirProblem): string {
  switch (p.problem) {
    case 'missing':
      return `${dir} does not exist`;
    case 'symlink':
      return `${dir} is a symbolic link, not a directory (a link there may point anywhere, at another user's socket)`;
    case 'not-a-directory':
      return `${dir} is not a directory`;
    case 'foreign-owner':
      return `${dir} is owned by uid ${p.owner}, not by this user`;
    case 'open-mode':
      return `${dir} is mode 0${p.mode.toString(8)}, open to other users`;
    case 'unreadable':
      return `${dir} cannot be examined (${p.code})`;
  }
}
