/**
 * Opening a state file to read it before a write. A FIFO put in a file's place would block a
 * plain open until some writer came: the write (and the libuv I/O thread it runs on) would wait
 * for ever, and a few such writes stall every file operation of the daemon, its shutdown
 * included. Opened with O_NONBLOCK (which changes nothing for a regular file), and checked on
 * the open descriptor, a FIFO, socket or device is refused at once instead.
 *
 * Every call here is a round trip through libuv's thread pool, ~0.1–0.2 ms in the daemon while
 * the watcher is busy, and a write used to make ~50 of them in a row (7–10 ms per `auth.upsert`).
 * So the readers below stat once, read once and leave the close to finish on its own.
 */
import { constants } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { OpenSoulError } from '../../ipc/errors.js';

/** Opens `file` read-only; STORE_INVALID (naming `shownAs`) when it is not a regular file. ENOENT and the like are thrown as they are. */
export async function openRegular(file: string, shownAs = file): Promise<FileHandle> {
  return (await openRegularStat(file, shownAs)).handle;
}

/**
 * Like `openRegular`, with the descriptor's stat (that of the very file opened). `noFollow`: a
 * symbolic link at `file` fails the open (ELOOP, EMLINK on BSD) instead of being followed.
 */
export async function openRegularStat(file: string, shownAs = file, noFollow = false): Promise<{ handle: FileHandle; stat: BigIntStats }> {
  const flags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (noFollow ? (constants.O_NOFOLLOW ?? 0) : 0);
  const handle = await open(file, flags);
  let stat: BigIntStats | undefined;
  try {
    stat = await handle.stat({ bigint: true });
  } finally {
    if (!stat?.isFile()) await handle.close();
  }
  if (!stat.isFile()) throw new OpenSoulError('STORE_INVALID', { path: shownAs, position: 'it is not a regular file, but a FIFO, socket or device' });
  return { handle, stat };
}

/** Whether `noFollow` is honoured here (O_NOFOLLOW is missing on Windows): else a caller must look for a link itself. */
export const CAN_NOT_FOLLOW = constants.O_NOFOLLOW !== undefined;

/** Whether an open with `noFollow` failed because the path is a symbolic link. */
export function isLinkError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ELOOP' || code === 'EMLINK';
}

/**
 * The file's bytes from an open handle of a file `size` bytes long: one read of the size plus a
 * byte (a short read of a regular file is its end, as for Node's readFile), more only when it
 * grew; never more than `limit` + 1 bytes, so a caller sees growth past the limit.
 */
export async function readAll(handle: FileHandle, size: number, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  let want = Math.min(size, limit) + 1;
  for (;;) {
    const chunk = Buffer.alloc(want);
    const { bytesRead } = await handle.read(chunk, 0, want, total);
    chunks.push(chunk.subarray(0, bytesRead));
    total += bytesRead;
    if (bytesRead < want || total > limit) break;
    want = Math.min(64 * 1024, limit + 1 - total);
  }
  return Buffer.concat(chunks, total);
}

/** Closes a read-only handle without waiting: nothing depends on it, and waiting costs a round trip. */
export function closeSoon(handle: FileHandle): void {
  handle.close().catch(() => undefined);
}
