/**
 * Read-only access to an OpenClaw state dir for `import openclaw`. The source belongs to
 * another program (possibly still installed, possibly rolled back to): nothing here opens a
 * file for writing, creates a lock or changes a mode — read-only opens, `readdir` and `stat` only.
 */
import { constants } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { OpenSoulError } from '../../ipc/errors.js';
import { parseJsonc } from '../../ipc/jsonc.js';

export type SourceFile = { kind: 'missing' } | { kind: 'bytes'; bytes: Buffer } | { kind: 'unreadable'; reason: string };

const READ_ERRORS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory, not a file',
  ELOOP: 'too many symbolic links',
};

const errnoOf = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? '';

/**
 * The largest JSON or `.env` file of OpenClaw's that is read. Real ones are a few KiB; this is
 * far above any of them, and far below what would cost the daemon, which holds every credential,
 * its memory: a file is read whole, and /dev/zero behind a link never ends.
 */
export const MAX_SOURCE_TEXT_BYTES = 16 * 1024 * 1024;
/** The largest OpenClaw SQLite database that is read (sql.js holds the whole file in memory). */
export const MAX_SOURCE_DATABASE_BYTES = 256 * 1024 * 1024;

const mib = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

function currentIds(): { uid: number; gid: number } | null {
  return typeof process.getuid === 'function' && typeof process.getgid === 'function' ? { uid: process.getuid(), gid: process.getgid() } : null;
}

/**
 * Why a source file cannot be trusted, or null. What an import copies becomes the daemon's own
 * credentials and config — `secrets.providers` of openclaw.json names commands the daemon will
 * run — so a file that another user owns, or can write to, is refused: they could have planted
 * their own exec provider or key in it. Root's files are trusted (root can change ours anyway).
 * Group-writable is accepted only for a user-private group: our primary group with the number
 * of our uid, the Debian/Ubuntu scheme (umask 002 leaves every file so, and the group is us
 * alone). A primary group shared by every user (macOS `staff`, SUSE's `users`) is other users.
 */
export function untrusted(st: { uid: number; gid: number; mode: number }, me = currentIds()): string | null {
  if (me === null) return null;
  const { uid, gid } = me;
  if (st.uid !== uid && st.uid !== 0) return `belongs to uid ${st.uid}, not to the gateway's user (uid ${uid}) or root: not trusted`;
  const privateGroup = st.gid === gid && gid === uid;
  if ((st.mode & 0o002) !== 0 || ((st.mode & 0o020) !== 0 && !privateGroup)) {
    return `is writable by other users (mode 0${(st.mode & 0o777).toString(8)}): not trusted; \`chmod go-w\` it if its content is yours`;
  }
  return null;
}

/**
 * The bytes of a file, or why there are none ("missing" also covers a parent that is not a dir).
 * Only a regular file, of ours or root's and not writable by others, of at most `maxBytes`.
 */
export async function readSourceFile(file: string, maxBytes = MAX_SOURCE_TEXT_BYTES): Promise<SourceFile> {
  let fh;
  try {
    // O_NONBLOCK: opening a FIFO put in a file's place would otherwise wait for a writer forever,
    // holding one of libuv's four I/O threads; a few such imports stalled every file operation
    // of the daemon (reload, every write). On a regular file the flag changes nothing.
    fh = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    return { kind: 'unreadable', reason: READ_ERRORS[code] ?? `cannot be read (${code || 'error'})` };
  }
  try {
    // Checked on the open descriptor, so a file swapped in after the check is not the one read.
    const st = await fh.stat();
    if (st.isDirectory()) return { kind: 'unreadable', reason: READ_ERRORS.EISDIR as string };
    if (!st.isFile()) return { kind: 'unreadable', reason: 'is not a regular file (a FIFO, socket or device)' };
    const distrust = untrusted(st);
    if (distrust !== null) return { kind: 'unreadable', reason: distrust };
    if (st.size > maxBytes) return { kind: 'unreadable', reason: `is ${mib(st.size)}, over the ${mib(maxBytes)} limit` };
    // Read to the end, but never past the limit: the file may grow while it is read.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // The size we were told plus a byte to notice growth; a file that grew is read on in chunks.
      const chunk = Buffer.alloc(Math.min(total === 0 ? st.size + 1 : 64 * 1024, maxBytes + 1 - total));
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, total);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) return { kind: 'unreadable', reason: `grew past the ${mib(maxBytes)} limit while it was read` };
    }
    return { kind: 'bytes', bytes: Buffer.concat(chunks, total) };
  } catch (err) {
    return { kind: 'unreadable', reason: READ_ERRORS[errnoOf(err)] ?? `cannot be read (${errnoOf(err) || 'error'})` };
  } finally {
    await fh.close();
  }
}

/** The names in a directory; empty when it does not exist or is not a directory. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw new OpenSoulError('INVALID_INPUT', { reason: `${dir} cannot be listed (${READ_ERRORS[code] ?? (code || 'error')})`, path: dir });
  }
}

/** The size of a file, or null when it does not exist. */
export async function sizeOf(file: string): Promise<number | null> {
  try {
    return (await stat(file)).size;
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

/** JSON text with a label for warnings (a file path, or a database row). */
export interface LabeledText {
  label: string;
  text: string;
}

/**
 * Parses with `parseJsonc`: its errors are positions only, never content, so the label and
 * position can go into a warning as they are.
 */
export function parseLabeled(source: LabeledText, warnings: string[]): { ok: true; value: unknown } | { ok: false; position: string } {
  const parsed = parseJsonc(source.text);
  if (!parsed.ok) return { ok: false, position: parsed.error.message };
  for (const w of parsed.warnings) warnings.push(`${source.label}: ${w}`);
  return { ok: true, value: parsed.value };
}
