/**
 * Watches the state dir for the files a person edits (STYLE "Watching files, carefully"). Events
 * are only *hints*: the reload scheduler re-reads and compares content by hash after every hint
 * and periodically, so a missed or merged event costs latency, never correctness.
 *
 * One plain `fs.watch` per directory of the tree we read (the state dir, `agents/`, each
 * `agents/<id>/` and its `agent/`), not chokidar: chokidar answers *every* event in a directory,
 * ignored names included, by re-reading the directory and stat-ing its entries, back to back while
 * events keep coming. Each of our own writes makes about ten events (lock, temp, aside, link,
 * unlinks), so that work competed with the write for libuv's four I/O threads and the main thread:
 * `auth.upsert` took ~7.5 ms with it and ~5.5 ms without. Here a name we do not read is dropped
 * without any I/O; the tree is only re-listed when a directory of it changes. The periodic check
 * re-arms when the state dir was replaced and picks up any agent directory whose event was missed.
 */
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

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

/** A directory's fs.watch and the inode it was armed on (a directory replaced under the same name needs a new one). */
interface DirWatch {
  watcher: FSWatcher;
  ino: number;
}

export class StateWatcher {
  private readonly dirs = new Map<string, DirWatch>();
  private armedOn: { dev: number; ino: number } | null = null;
  private dead = false;
  private closed = false;
  private syncing: Promise<void> | null = null;
  private syncAgain = false;

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
   * quiet after an error, or when it was never armed; otherwise re-lists the tree, so an agent
   * directory whose event was missed is watched from now on. Returns whether it re-armed.
   */
  async rearmIfNeeded(): Promise<boolean> {
    if (this.closed) return false;
    let st;
    try {
      st = await stat(this.stateDir);
    } catch {
      if (this.armedOn) {
        this.disarm();
        this.onHint('state dir removed');
      }
      return false;
    }
    if (this.armedOn && !this.dead && this.armedOn.dev === st.dev && this.armedOn.ino === st.ino) {
      await this.syncTree();
      return false;
    }
    this.disarm();
    this.dead = false;
    this.armedOn = { dev: st.dev, ino: st.ino };
    await this.syncTree();
    this.onHint('watcher re-armed');
    this.log.debug('watching state dir', { stateDir: this.stateDir });
    return true;
  }

  private onEvent(dir: string, event: string, name: string | null): void {
    if (this.closed) return;
    // A watched directory removed (or renamed) reports its own name, and its watch is dead from
    // then on, even if a directory is made again in its place (perhaps with the same inode number).
    if (name === path.basename(dir)) this.lost(dir);
    // No name (some platforms, some events): anything in `dir` may have changed.
    const p = name === null ? dir : path.join(dir, name);
    // Our own lock, temp and aside files, logs, run/, sessions: dropped here, with no I/O at all.
    if (name !== null && !isWatchedPath(this.stateDir, p)) return;
    const rel = path.relative(this.stateDir, p);
    this.onHint(`${event} ${rel || '.'}`);
    // A directory of the tree (agents/, an agent, its agent/) may have come or gone: watch what is there now.
    const parts = rel === '' ? [] : rel.split(path.sep);
    if (name === null || parts.length === 0 || (parts[0] === 'agents' && parts.length <= 3)) void this.syncTree();
  }

  /** A directory's watch that may be dead: dropped, and the tree (or, for the state dir, the whole watcher) armed again. */
  private lost(dir: string): void {
    this.dirs.get(dir)?.watcher.close();
    this.dirs.delete(dir);
    if (dir !== this.stateDir) return void this.syncTree();
    this.dead = true;
    this.rearmIfNeeded().catch((err: unknown) => this.log.warn('re-arming the file watcher failed; the periodic check retries', { err }));
  }

  /** Watches exactly the directories of the tree that exist now (runs coalesce: one more after a running one). */
  private syncTree(): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      do {
        this.syncAgain = false;
        await this.syncOnce();
      } while (this.syncAgain && !this.closed);
    })().finally(() => (this.syncing = null));
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    const agentsDir = path.join(this.stateDir, 'agents');
    const wanted = [this.stateDir, agentsDir];
    const entries = await readdir(agentsDir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      // A link to an agent dir is followed, as the reload follows it.
      if (!e.isDirectory() && !e.isSymbolicLink()) continue;
      wanted.push(path.join(agentsDir, e.name), path.join(agentsDir, e.name, 'agent'));
    }
    const inodes = await Promise.all(
      wanted.map((d) =>
        stat(d).then(
          (st) => (st.isDirectory() ? st.ino : null),
          () => null,
        ),
      ),
    );
    if (this.closed) return;
    const now = new Map<string, number>();
    wanted.forEach((d, i) => {
      const ino = inodes[i];
      if (ino !== null && ino !== undefined) now.set(d, ino);
    });
    if (!now.has(this.stateDir) || now.get(this.stateDir) !== this.armedOn?.ino) {
      // Removed or replaced: the periodic check re-arms on the new one.
      this.dead = true;
      this.onHint('state dir replaced');
    }
    for (const [dir, w] of this.dirs) {
      if (now.get(dir) === w.ino) continue;
      w.watcher.close();
      this.dirs.delete(dir);
    }
    for (const [dir, ino] of now) if (!this.dirs.has(dir)) this.watchDir(dir, ino);
  }

  private watchDir(dir: string, ino: number): void {
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, { persistent: true }, (event, name) => this.onEvent(dir, event, name === null ? null : String(name)));
    } catch {
      return; // gone already: the next event or periodic check lists the tree again
    }
    watcher.on('error', (err) => {
      watcher.close();
      if (this.dirs.get(dir)?.watcher === watcher) this.dirs.delete(dir);
      if (dir === this.stateDir) {
        this.log.warn('file watcher error; relying on the periodic check until it is re-armed', { err });
        this.dead = true;
      }
      this.onHint(`watch error ${path.relative(this.stateDir, dir) || '.'}`);
    });
    this.dirs.set(dir, { watcher, ino });
  }

  private disarm(): void {
    this.armedOn = null;
    for (const w of this.dirs.values()) w.watcher.close();
    this.dirs.clear();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.disarm();
    await this.syncing?.catch(() => undefined);
  }
}
