/**
 * Watches the credentials files of other CLIs that profiles read through (§13: Claude Code's
 * `.credentials.json`, the Codex CLI's `auth.json`), so a refresh those CLIs make is picked up
 * live. As with the state dir (watcher.ts), events are only hints: we watch each file's
 * directory without descending (those dirs hold busy session data we must not wake up for),
 * and the reload that follows re-reads and compares by hash; the periodic check covers
 * anything a watcher misses.
 */
import path from 'node:path';
import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';

/** Where a watcher error is reported. */
export interface ManagedWatcherLogger {
  warn(msg: string, meta?: Record<string, unknown>): void;
}

/** A chokidar watcher over the dirs of the managed files, re-armed when the set of files changes. */
export class ManagedFileWatcher {
  private watcher: FSWatcher | null = null;
  private watched = '';
  private closed = false;

  constructor(
    private readonly onHint: (reason: string) => void,
    private readonly log: ManagedWatcherLogger,
  ) {}

  /** Watches exactly these files (a no-op when the set did not change). */
  async sync(files: readonly string[]): Promise<void> {
    const wanted = new Set(files.map((f) => path.resolve(f)));
    const key = [...wanted].sort().join('\n');
    if (this.closed || key === this.watched) return;
    this.watched = key;
    await this.disarm();
    if (wanted.size === 0) return;
    const dirs = [...new Set([...wanted].map((f) => path.dirname(f)))];
    const w = watch(dirs, {
      ignoreInitial: true,
      persistent: false,
      depth: 0,
      // Only the files themselves (and their dirs, so a dir made later is noticed).
      ignored: (p: string) => {
        const abs = path.resolve(p);
        return !wanted.has(abs) && !dirs.includes(abs);
      },
    });
    w.on('all', (event, p) => this.onHint(`${event} ${p}`));
    w.on('error', (err) => this.log.warn("watching another CLI's credentials file failed; relying on the periodic check", { err }));
    this.watcher = w;
  }

  private async disarm(): Promise<void> {
    const w = this.watcher;
    this.watcher = null;
    if (w) await w.close().catch(() => undefined);
  }

  /** Stops watching for good (shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    await this.disarm();
  }
}
