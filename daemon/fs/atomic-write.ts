/**
 * Crash-safe replacement of a small file: write a temp file (0600) in the same directory, fsync
 * it, rename it over the target, fsync the directory. A crash at any instant leaves the old file
 * or the new one, never a torn one (§12). Temp names carry a recognisable prefix so a later
 * start can clean up strays.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

export const TEMP_MARKER = '.opensoul-tmp-';

export function tempPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}${TEMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Writes and fsyncs a temp file beside `file`; returns its path (the caller renames or removes it). */
export async function writeTemp(file: string, data: string | Buffer, mode = 0o600): Promise<string> {
  return (await writeTempStat(file, data, mode)).path;
}

/**
 * `writeTemp`, also giving the temp file's mtime (the file's, once it is moved into place), taken
 * on the descriptor while the fsync runs, so it costs no wait of its own.
 */
export async function writeTempStat(file: string, data: string | Buffer, mode = 0o600): Promise<{ path: string; mtimeMs: number }> {
  const tmp = tempPathFor(file);
  const handle = await open(tmp, 'wx', mode);
  let mtimeMs: number;
  try {
    await handle.writeFile(data);
    [, { mtimeMs }] = await Promise.all([handle.sync(), handle.stat()]);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  // Written and synced: the close has nothing left to tell us, so it is not waited for.
  handle.close().catch(() => undefined);
  return { path: tmp, mtimeMs };
}

/** fsync of a directory, so a rename in it survives a power loss. Not supported on Windows: skipped. */
export async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    handle.close().catch(() => undefined);
  }
}

export async function atomicWrite(file: string, data: string | Buffer, mode = 0o600): Promise<void> {
  const tmp = await writeTemp(file, data, mode);
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await syncDir(path.dirname(file));
}
