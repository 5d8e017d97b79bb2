/** Where a command would be found on PATH (executable), or null: without spawning a shell. */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export function findOnPath(cmd: string, pathVar: string = process.env.PATH ?? ''): string | null {
  for (const dir of pathVar.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, cmd);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return null;
}
