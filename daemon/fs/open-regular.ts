/**
 * Opening a state file to read it before a write. A FIFO put in a file's place would block a
 * plain open until some writer came: the write (and the libuv I/O thread it runs on) would wait
 * for ever, and a few such writes stall every file operation of the daemon, its shutdown
 * included. Opened with O_NONBLOCK (which changes nothing for a regular file), and checked on
 * the open descriptor, a FIFO, socket or device is refused at once instead.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { OpenSoulError } from '../../ipc/errors.js';

/** Opens `file` read-only; STORE_INVALID (naming `shownAs`) when it is not a regular file. ENOENT and the like are thrown as they are. */
export async function openRegular(file: string, shownAs = file): Promise<FileHandle> {
  const handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  let regular = false;
  try {
    regular = (await handle.stat()).isFile();
  } finally {
    if (!regular) await handle.close();
  }
  if (!regular) throw new OpenSoulError('STORE_INVALID', { path: shownAs, position: 'it is not a regular file, but a FIFO, socket or device' });
  return handle;
}
