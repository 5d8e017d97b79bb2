/**
 * A file as a SIGKILL left it. Killed in the microseconds between taking the file aside and
 * linking the new one in (daemon/fs/replace-unless-changed.ts), the file is missing and its
 * aside holds it; the next start puts it back. Killed before the first write made the file's dir,
 * there is no dir at all. Null: neither the file nor an aside of it exists.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { originalOfAside } from '../../daemon/fs/replace-unless-changed.js';

export function readLeftByKill(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const dir = path.dirname(file);
  const aside = (existsSync(dir) ? readdirSync(dir) : []).find((n) => originalOfAside(n) === path.basename(file));
  return aside === undefined ? null : readFileSync(path.join(dir, aside), 'utf8');
}
