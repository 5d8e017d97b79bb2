/**
 * The state dir and the private directories the daemon needs (§3, §5). Created 0700. A dir of
 * ours that others can merely read or search (`mkdir -p ~/.opensoul` under umask 022 gives
 * 0755) is tightened to 0700, and so is every secret file in it to 0600 — the person's natural
 * first step must not stop the daemon. One that belongs to another user, or that others can
 * write to, cannot be made safe by us: that is `CannotStartError`, exit 78, which the generated
 * units treat as "do not restart".
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, realpath } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/** A reason the daemon cannot start at all (exit 78). Carries a remedy for the person. */
export class CannotStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CannotStartError';
  }
}

/** A dir or file whose mode the daemon narrowed, for the log and doctor. */
export interface Tightened {
  path: string;
  from: number;
  to: number;
}

const uid = (): number | null => (typeof process.getuid === 'function' ? process.getuid() : null);

export const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/** One line for the log and doctor: `~/.opensoul 0755 → 0700`. */
export function describeTightened(t: Tightened): string {
  return `${t.path} ${octal(t.from)} → ${octal(t.to)}`;
}

// O_NOFOLLOW: a symlink planted at the path is refused (ELOOP) rather than followed, and every
// check and chmod goes through the one descriptor we opened, so nothing can be swapped in
// between the check and the chmod. O_NONBLOCK: opening a FIFO someone put there must not hang.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const DIR_FLAGS = constants.O_RDONLY | (constants.O_DIRECTORY ?? 0) | NOFOLLOW;
const FILE_FLAGS = constants.O_RDONLY | NOFOLLOW | (constants.O_NONBLOCK ?? 0);

async function openNoFollow(p: string, flags: number): Promise<FileHandle | NodeJS.ErrnoException> {
  try {
    return await open(p, flags);
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
}

/**
 * Makes sure `dir` is a private directory of ours: creates it (and missing parents) 0700, or
 * checks an existing one. Another owner is refused. Others' write access is refused unless
 * `fixWritable` (for dirs only the daemon uses, like run/, where nobody's files can be lost by
 * a chmod); others' read or search access is tightened to 0700. `traversable`: for a dir the
 * person chose (OPENSOUL_SOCKET's), others may search it (0711, 0755) — the socket's own 0600
 * keeps them out — but never write to it, or they could put their own socket in our place and
 * collect clients' tokens. A symlinked dir (the person's choice) is checked at its real path
 * and never chmod-ed through the link ('left-open': the caller warns).
 */
export async function ensurePrivateDir(
  dir: string,
  what: string,
  opts: { fixWritable: boolean; traversable?: boolean },
): Promise<{ outcome: 'created' | 'ok' | 'tightened' | 'left-open'; tightened: Tightened | null }> {
  let real: string;
  try {
    real = await realpath(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new CannotStartError(`cannot use ${what} ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (mkErr) {
      throw new CannotStartError(`cannot create ${what} ${dir}: ${(mkErr as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    // mkdir's mode is filtered by the umask: narrow what we just made, through a descriptor.
    await ensurePrivateDir(dir, what, { ...opts, fixWritable: true });
    return { outcome: 'created', tightened: null };
  }
  if (process.platform === 'win32') return { outcome: 'ok', tightened: null };
  const fh = await openNoFollow(real, DIR_FLAGS);
  if (!('fd' in fh)) {
    if (fh.code === 'ENOTDIR') throw new CannotStartError(`${what} ${dir} exists but is not a directory`);
    throw new CannotStartError(`cannot use ${what} ${dir}: ${fh.code ?? 'error'}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isDirectory()) throw new CannotStartError(`${what} ${dir} exists but is not a directory`);
    const me = uid();
    if (me !== null && st.uid !== me) {
      throw new CannotStartError(
        `${what} ${dir} is owned by uid ${st.uid}, not by this user (uid ${me}): run the gateway as its owner, or point OPENSOUL_STATE_DIR elsewhere`,
      );
    }
    const allowed = opts.traversable ? 0o755 : 0o700;
    const mode = st.mode & 0o777;
    if ((mode & ~allowed) === 0) return { outcome: 'ok', tightened: null };
    // A dir reached through a symlink (the link itself at `dir`) is never chmod-ed: whoever
    // planted the link would choose what we narrow. Readable only: start, and say so.
    const linked = real !== dir && (await lstat(dir)).isSymbolicLink();
    if ((mode & 0o022) !== 0 && (!opts.fixWritable || linked)) {
      throw new CannotStartError(
        `${what} ${dir} is mode ${octal(mode)}: other users can write to it, so its files cannot be trusted; ` +
          `run \`chmod 700 ${linked ? real : dir}\` once you have checked its contents, then start again`,
      );
    }
    if (linked) return { outcome: 'left-open', tightened: { path: real, from: mode, to: mode } };
    // The owner keeps (or gets) full access: the daemon writes here.
    const to = (mode & allowed) | 0o700;
    await fh.chmod(to);
    return { outcome: 'tightened', tightened: { path: dir, from: mode, to } };
  } finally {
    await fh.close();
  }
}

/**
 * Narrows each existing secret file of ours to 0600. A symlink, a file of another owner or
 * anything not a regular file is left alone (doctor reports it): we chmod only what we opened
 * ourselves without following links.
 */
export async function tightenSecretFiles(files: readonly string[]): Promise<Tightened[]> {
  if (process.platform === 'win32') return [];
  const me = uid();
  const out: Tightened[] = [];
  for (const file of files) {
    const fh = await openNoFollow(file, FILE_FLAGS);
    if (!('fd' in fh)) continue;
    try {
      const st = await fh.stat();
      const mode = st.mode & 0o777;
      if (!st.isFile() || (me !== null && st.uid !== me) || (mode & 0o077) === 0) continue;
      await fh.chmod(mode & 0o600);
      out.push({ path: file, from: mode, to: mode & 0o600 });
    } catch {
      /* gone or unreadable between open and chmod: nothing to narrow */
    } finally {
      await fh.close();
    }
  }
  return out;
}
