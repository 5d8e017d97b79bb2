/**
 * What a crash can leave behind in the store dirs: our temp files (`.<name>.opensoul-tmp-*`,
 * never renamed into place), a file taken aside by a write that did not finish
 * (`.<name>.opensoul-aside-*`, put back when the file is missing) and sidecar locks of dead
 * processes. Cleaned at start, while we hold the instance lock — a stale lock would otherwise
 * block the first write for 30 s, temp files would pile up, and a store would stay missing. A lock of a live process (an OpenClaw tool) is left alone.
 */
import { link, lstat, readdir, readlink, realpath, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { StatePaths } from '../../ipc/paths.js';
import { AGENT_ID_PATTERN } from '../../ipc/providers.js';
import { TEMP_MARKER } from './atomic-write.js';
import { originalOfAside } from './replace-unless-changed.js';
import { isLockStale, observeLock } from './lock-file.js';
import { isProcessAlive } from '../../ipc/process.js';

/** The pid our temp and aside names carry (`…-tmp-<pid>-<hex>`, `…-aside-<pid>-<hex>`); 0 if none. */
function writerPid(name: string): number {
  const m = /\.opensoul-(?:tmp|aside)-(\d+)-[0-9a-f]+$/.exec(name);
  return m ? Number(m[1]) : 0;
}

export async function cleanStrays(paths: StatePaths, log: { info(msg: string, meta?: Record<string, unknown>): void }): Promise<void> {
  const dirs = [paths.stateDir, paths.runDir];
  try {
    for (const id of await readdir(paths.agentsDir)) if (AGENT_ID_PATTERN.test(id)) dirs.push(paths.agentDir(id));
  } catch {
    /* no agents yet */
  }
  // A symlinked store or .env is written in its target's dir (write-target.ts): look there too,
  // for our temp and aside files only — that dir is not ours (a dotfiles repo), and a `yarn.lock`
  // there is no sidecar lock.
  const linkedDirs = new Set<string>();
  const files = [
    paths.dotenv,
    paths.config,
    ...dirs.slice(2).flatMap((dir) => ['auth-profiles.json', 'auth-state.json', 'auth.json'].map((n) => path.join(dir, n))),
  ];
  for (const file of files) {
    if (!(await lstat(file).catch(() => null))?.isSymbolicLink()) continue;
    // Dangling is just what a write killed mid-swap leaves: then the link's own text says where.
    const target = await realpath(file).catch(() =>
      readlink(file).then(
        (to) => path.resolve(path.dirname(file), to),
        () => null,
      ),
    );
    if (target !== null && !dirs.includes(path.dirname(target))) linkedDirs.add(path.dirname(target));
  }
  const removed: string[] = [];
  const emptyLocks: string[] = [];
  for (const dir of [...dirs, ...linkedDirs]) {
    const ours = !linkedDirs.has(dir);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const file = path.join(dir, name);
      // Another gateway (another state dir linking the same target) may be mid-write there.
      if (!ours && isProcessAlive(writerPid(name))) continue;
      const original = originalOfAside(name);
      if (original !== null) {
        // A write killed between taking the file aside and linking the new one in: the file is
        // missing and the aside is its last state. Put it back (link: never over a newer file).
        await link(file, path.join(dir, original)).catch(() => undefined);
        await unlink(file).then(
          () => removed.push(file),
          () => undefined,
        );
      } else if (name.includes(TEMP_MARKER)) {
        await unlink(file).then(
          () => removed.push(file),
          () => undefined,
        );
      } else if (!ours) {
        continue;
      } else if (name.endsWith('.lock') && !name.includes('.stale-')) {
        // Judged like any writer judges it (dead pid, or older than 30 s by its own mtime, or
        // empty for 2 s): a lock dated in the future must not survive a restart.
        if (await isLockStale(file)) {
          await unlink(file).then(
            () => removed.push(file),
            () => undefined,
          );
        } else if ((await observeLock(file, Date.now()).catch(() => null))?.text === '') {
          emptyLocks.push(file);
        }
      } else if (name.includes('.lock.stale-')) {
        await unlink(file).then(
          () => removed.push(file),
          () => undefined,
        );
      }
    }
  }
  // A young empty lock here is most likely our killed predecessor's (killed between creating and
  // filling it). A live writer fills its lock within microseconds, so one still empty a moment
  // later is abandoned: cleaned now rather than making the first write wait out the 2 s grace.
  if (emptyLocks.length > 0) {
    await new Promise((r) => setTimeout(r, 100));
    for (const file of emptyLocks) {
      if ((await observeLock(file, Date.now()).catch(() => null))?.text === '')
        await unlink(file).then(
          () => removed.push(file),
          () => undefined,
        );
    }
  }
  if (removed.length > 0) log.info('removed leftovers of an interrupted write', { files: removed });
}
