/**
 * The state dir and the private directories the daemon needs (§3, §5). Created 0700. When one
 * exists but belongs to another user or is open to others, the daemon cannot start safely at
 * all: that is `CannotStartError`, exit 78, which the generated units treat as "do not restart".
 */
import { lstat, mkdir, chmod } from 'node:fs/promises';

/** A reason the daemon cannot start at all (exit 78). Carries a remedy for the person. */
export class CannotStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CannotStartError';
  }
}

const uid = (): number | null => (typeof process.getuid === 'function' ? process.getuid() : null);

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/**
 * Makes sure `dir` is a private directory of ours: creates it (and missing parents) 0700, or
 * checks an existing one. `fixMode`: an existing dir of ours that is too open is chmod-ed 0700
 * (for dirs only the daemon uses, like run/); otherwise it is refused. `traversable`: for a dir
 * the person chose (OPENSOUL_SOCKET's), others may search it (0711, 0755) — the socket's own
 * 0600 keeps them out — but never write to it, or they could put their own socket in our
 * place and collect clients' tokens.
 */
export async function ensurePrivateDir(dir: string, what: string, opts: { fixMode: boolean; traversable?: boolean }): Promise<'created' | 'ok' | 'fixed'> {
  let st;
  try {
    st = await lstat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new CannotStartError(`cannot use ${what} ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (mkErr) {
      throw new CannotStartError(`cannot create ${what} ${dir}: ${(mkErr as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    // mkdir's mode is filtered by the umask; make sure.
    await chmod(dir, 0o700).catch(() => undefined);
    return 'created';
  }
  if (process.platform === 'win32') return 'ok';
  if (st.isSymbolicLink()) {
    // A symlinked state dir is fine when it is the person's choice; check what it points to.
    const { stat } = await import('node:fs/promises');
    st = await stat(dir);
  }
  if (!st.isDirectory()) throw new CannotStartError(`${what} ${dir} exists but is not a directory`);
  const me = uid();
  if (me !== null && st.uid !== me) {
    throw new CannotStartError(`${what} ${dir} is owned by uid ${st.uid}, not by this user (uid ${me}): run the gateway as its owner, or point OPENSOUL_STATE_DIR elsewhere`);
  }
  if ((st.mode & (opts.traversable ? 0o022 : 0o077)) !== 0) {
    if (!opts.fixMode) {
      throw new CannotStartError(
        `${what} ${dir} is mode ${octal(st.mode)}, open to other users: run \`chmod 700 ${dir}\` (or \`opensoul doctor --fix\`) and start again`,
      );
    }
    await chmod(dir, 0o700);
    return 'fixed';
  }
  return 'ok';
}
