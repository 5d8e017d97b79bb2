/**
 * Watches the state dir for the files a person edits (STYLE "Watching files, carefully").
 * chokidar's events are only *hints*: its change events are throttled (a burst of saves can
 * leave it on the first one, chokidar issue 1455), it sends nothing for a path that does not
 * exist yet, and it goes quiet for good when its watched dir is removed. So we watch the
 * directory (not single files) through an allow-list, re-arm when the dir is replaced, and the
 * reload scheduler re-reads and compares content by hash after every hint and periodically.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';

const TOP_FILES = new Set(['.env', 'opensoul.json']);
const AGENT_FILES = new Set(['auth-profiles.json', 'auth-state.json', 'auth.json']);

/**
 * Whether a path under the state dir is one we care about: the dir itself, `.env`,
 * `opensoul.json`, `agents/`, `agents/<id>/`, `agents/<id>/agent/` and the store files in it.
 * Everything else (run/, logs/, temp files, sessions) is ignored, so the daemon's own log
 * writes never wake it up.
 */
export function isWatchedPath(stateDir: string, p: string): boolean {
  const rel = path.relative(stateDir, p);
  if (rel === '') return true;
  if (rel.startsWith('..') || path.isAbsolute(rel)) return false;
  const parts = rel.split(path.sep);
  if (parts.length === 1) return TOP_FILES.has(parts[0] as string) || parts[0] === 'agents';
  if (parts[0] !== 'agents') return false;
  if (parts.length === 2) return true;
  if (parts.length === 3) return parts[2] === 'agent';
  if (parts.length === 4) return parts[2] === 'agent' && AGENT_FILES.has(parts[3] as string);
  return false;
}

export interface WatcherLogger {
  debug(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
}

export class StateWatcher {
  private watcher: FSWatcher | null = null;
  private armedOn: { dev: number; ino: number } | null = null;
  private dead = false;
  private closed = false;

  constructor(
    private readonly stateDir: string,
    private readonly onHint: (reason: string) => void,
    private readonly log: WatcherLogger,
  ) {}

  /** Arms the watcher if the state dir exists. Safe to call repeatedly. */
  async start(): Promise<void> {
    await this.rearmIfNeeded();
  }

  /**
   * Re-arms when the state dir was removed and recreated (a new inode), when the watcher went
   * quiet after its dir vanished, or when it was never armed. Returns whether it re-armed.
   */
  async rearmIfNeeded(): Promise<boolean> {
    if (this.closed) return false;
    let st;
    try {
      st = await stat(this.stateDir);
    } catch {
      if (this.watcher) {
        await this.disarm();
        this.onHint('state dir removed');
      }
      return false;
    }
    if (this.watcher && !this.dead && this.armedOn && this.armedOn.dev === st.dev && this.armedOn.ino === st.ino) return false;
    await this.disarm();
    this.arm(st.dev, st.ino);
    this.onHint('watcher re-armed');
    return true;
  }

  private arm(dev: number, ino: number): void {
    const stateDir = this.stateDir;
    this.dead = false;
    this.armedOn = { dev, ino };
    const w = watch(stateDir, {
      ignoreInitial: true,
      persistent: true,
      // atomic (the default) folds an editor's unlink+add into one change.
      ignored: (p: string) => !isWatchedPath(stateDir, p),
    });
    w.on('all', (event, p) => {
      if (event === 'unlinkDir' && path.resolve(p) === path.resolve(stateDir)) this.dead = true;
      this.onHint(`${event} ${path.relative(stateDir, p) || '.'}`);
    });
    w.on('error', (err) => {
      this.log.warn('file watcher error; relying on the periodic check until it is re-armed', { err });
      this.dead = true;
    });
    this.watcher = w;
    this.log.debug('watching state dir', { stateDir });
  }

  private async disarm(): Promise<void> {
    const w = this.watcher;
    this.watcher = null;
    this.armedOn = null;
    if (w) await w.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.disarm();
  }
}
