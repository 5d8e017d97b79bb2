/**
 * One file the daemon reads, with its last good value. Re-reading is cheap and idempotent:
 * content is compared by hash, so a watcher event, a periodic check and our own writes all
 * funnel into the same "has it really changed?" test. A file that does not parse keeps its
 * last good value and records where it broke (a position, never content); it is never
 * rewritten by the daemon and never read as empty (§3).
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { MAX_STATE_FILE_BYTES, NOT_A_FILE_MESSAGE, oversizeMessage } from '../../ipc/file-checks.js';
import type { LoadedFileStatus } from '../../ipc/protocol.js';

export type FileKind = LoadedFileStatus['kind'];

export type ParseResult<T> = { ok: true; value: T; warnings: string[] } | { ok: false; message: string };

export interface LoadedFile<T> {
  readonly path: string;
  readonly kind: FileKind;
  readonly agent: string | null;
  /** The last good value (the empty value while the file is missing). */
  value: T;
  /** Hash of the bytes last read, good or not; null while the file is missing. */
  hash: string | null;
  exists: boolean;
  /** Set while the current content does not parse (or cannot be read). */
  error: string | null;
  warnings: string[];
  mtimeMs: number | null;
  /** When a new version was last taken in. */
  loadedAt: number | null;
}

export function newLoadedFile<T>(path: string, kind: FileKind, agent: string | null, empty: T): LoadedFile<T> {
  return { path, kind, agent, value: empty, hash: null, exists: false, error: null, warnings: [], mtimeMs: null, loadedAt: null };
}

export function hashBytes(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Our own error code for a FIFO, socket or device where a state file should be. */
const NOT_A_FILE = 'ENOTREGULAR';

const READ_ERRORS: Record<string, string> = {
  EACCES: 'cannot be read: permission denied',
  EPERM: 'cannot be read: permission denied',
  EISDIR: 'is a directory, not a file',
  ELOOP: 'cannot be read: too many symbolic links',
  [NOT_A_FILE]: NOT_A_FILE_MESSAGE,
};

/** A file over {@link MAX_STATE_FILE_BYTES}: refused before its bytes are read, so it never costs memory. */
class OversizeError extends Error {
  constructor(
    readonly bytes: number,
    readonly mtimeMs: number,
  ) {
    super('over the size limit');
  }
}

/**
 * Reads at most the limit, and checks the size on the open descriptor: a file that grows
 * between the check and the read is still cut off at the limit and refused.
 */
async function readBounded(path: string): Promise<{ bytes: Buffer; mtimeMs: number }> {
  // O_NONBLOCK: a FIFO in a file's place would otherwise block the open until a writer comes,
  // and the daemon, loading it at start, would never listen. On a regular file it changes nothing.
  const fh = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    // The mtime of the very file read (a stat of the path afterwards could see a newer one, and costs a round trip).
    const st = await fh.stat();
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: st.isDirectory() ? 'EISDIR' : NOT_A_FILE });
    const { size, mtimeMs } = st;
    if (size > MAX_STATE_FILE_BYTES) throw new OversizeError(size, mtimeMs);
    // One read of the size we were told, plus a byte to notice growth; a file that grew since
    // is read on in chunks, and refused once it passes the limit.
    const chunks: Buffer[] = [];
    let total = 0;
    let want = size + 1;
    for (;;) {
      const chunk = Buffer.alloc(want);
      const { bytesRead } = await fh.read(chunk, 0, want, total);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > MAX_STATE_FILE_BYTES) throw new OversizeError(total, mtimeMs);
      want = 64 * 1024;
    }
    return { bytes: Buffer.concat(chunks, total), mtimeMs };
  } finally {
    await fh.close();
  }
}

/**
 * Reads of each file, numbered as they start, and the newest one taken in. Reads of one file may
 * overlap (a watcher pass, and the refresh after our own write, which must not wait for that whole
 * pass): a read that started before the one last taken in may hold an older version, so it is
 * dropped instead of landing over the newer one.
 */
const readOrder = new WeakMap<LoadedFile<unknown>, { started: number; taken: number }>();

/** Whether the read numbered `seq` may be taken in (no later-started read was), recording it if so. */
function takeRead(order: { started: number; taken: number }, seq: number): boolean {
  if (seq < order.taken) return false;
  order.taken = seq;
  return true;
}

/**
 * Re-reads `file` and takes in a new version when its bytes changed. Returns whether anything
 * visible changed (value, error state or existence).
 */
export async function refreshFile<T>(file: LoadedFile<T>, parse: (text: string) => ParseResult<T>, empty: () => T, now: number): Promise<boolean> {
  let order = readOrder.get(file);
  if (!order) readOrder.set(file, (order = { started: 0, taken: 0 }));
  const seq = ++order.started;
  let bytes: Buffer;
  let mtimeMs: number;
  try {
    ({ bytes, mtimeMs } = await readSettled(file.path, file.exists));
  } catch (err) {
    if (!takeRead(order, seq)) return false;
    if (err instanceof OversizeError) {
      // Kept as it was: its last good value, and the bytes to compare once it shrinks again.
      const message = oversizeMessage(err.bytes);
      const changed = file.error !== message || !file.exists;
      file.error = message;
      file.exists = true;
      file.hash = null;
      file.mtimeMs = err.mtimeMs;
      return changed;
    }
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      if (!file.exists && file.error === null) return false;
      // Deleted: its keys and profiles are gone (a person removing a file means it).
      file.exists = false;
      file.hash = null;
      file.value = empty();
      file.error = null;
      file.warnings = [];
      file.mtimeMs = null;
      file.loadedAt = now;
      return true;
    }
    const message = READ_ERRORS[code] ?? `cannot be read (${code || 'error'})`;
    const changed = file.error !== message;
    file.error = message;
    return changed;
  }
  // Nothing below awaits: what is checked here is what is taken in.
  if (!takeRead(order, seq)) return false;
  return takeIn(file, bytes, mtimeMs, parse, now);
}

/**
 * Takes in what the daemon itself just put in place at `file` (its bytes and mtime), as a read
 * started now would: the file need not be read back (a round trip per step, ~1 ms in all). A read
 * that started before this is dropped; one started after lands over it, as it may hold a newer
 * save. Returns whether anything visible changed.
 */
export function takeWritten<T>(file: LoadedFile<T>, bytes: Buffer, mtimeMs: number, parse: (text: string) => ParseResult<T>, now: number): boolean {
  let order = readOrder.get(file);
  if (!order) readOrder.set(file, (order = { started: 0, taken: 0 }));
  takeRead(order, ++order.started);
  return takeIn(file, bytes, mtimeMs, parse, now);
}

function takeIn<T>(file: LoadedFile<T>, bytes: Buffer, mtimeMs: number, parse: (text: string) => ParseResult<T>, now: number): boolean {
  const hash = hashBytes(bytes);
  file.mtimeMs = mtimeMs;
  if (hash === file.hash && file.exists) return false;
  file.hash = hash;
  file.exists = true;
  let parsed: ParseResult<T>;
  try {
    parsed = parse(bytes.toString('utf8'));
  } catch {
    // A parser bug must not stop the daemon (a file is never a reason to exit): the file is in
    // error, its last good value kept. The exception's text may quote content: not kept.
    parsed = { ok: false, message: 'could not be parsed' };
  }
  if (parsed.ok) {
    file.value = parsed.value;
    file.error = null;
    file.warnings = parsed.warnings;
    file.loadedAt = now;
  } else {
    file.error = parsed.message;
  }
  return true;
}

/**
 * A writer replacing a file without a window (replace-unless-changed.ts) takes it out of the way
 * for a few microseconds, and an editor may delete-then-create: a file we had that is missing
 * now is looked at again over ~200 ms before it counts as deleted ("no profiles"), so a save
 * in progress is never read as an empty store.
 */
async function readSettled(path: string, existed: boolean): Promise<{ bytes: Buffer; mtimeMs: number }> {
  const retries = existed ? [10, 40, 150] : [];
  for (;;) {
    try {
      return await readBounded(path);
    } catch (err) {
      const wait = retries.shift();
      if (wait === undefined || (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

export function fileStatus(file: LoadedFile<unknown>): LoadedFileStatus {
  return {
    path: file.path,
    kind: file.kind,
    agent: file.agent,
    exists: file.exists,
    ok: file.error === null,
    error: file.error,
    warnings: [...file.warnings],
    mtimeMs: file.mtimeMs,
    loadedAt: file.loadedAt,
  };
}
