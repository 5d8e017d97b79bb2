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
  const tmp = tempPathFor(file);
  const handle = await open(tmp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await handle.close();
  return tmp;
}

/** fsync of a directory, so a rename in it survives a power loss. Not supported on Windows: skipped. */
export async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
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
