/**
 * The sidecar lock of §3, OpenClaw's protocol so its tools interoperate: a *file* `<file>.lock`
 * created with `open(…, "wx")` holding `{pid, createdAt}` (Unix ms when we write; an ISO string
 * is accepted when we read one). Stale after 30 s or when its pid is dead, and then taken over.
 * (`proper-lockfile` makes a lock *directory*, which OpenClaw's tools would not see.)
 *
 * Age is judged by what we can observe, not only by what the lock claims: a `createdAt` may be
 * missing (a writer killed between `open(wx)` and its write leaves an empty file), garbage, or
 * in the future (a skewed clock, a hostile or buggy tool), and none of these may block writes
 * for ever. The lock file's own mtime is set by the kernel when the lock is created and
 * written, so it is the observed age; a `createdAt` in the future is not trusted at all.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, rename, unlink } from 'node:fs/promises';
import { OpenSoulError } from '../../ipc/errors.js';
import { isProcessAlive } from '../../ipc/process.js';

export const LOCK_STALE_MS = 30_000;
/**
 * An *empty* lock is stale after this. A live writer fills its lock in the same few
 * microseconds as it creates it (open, write ~40 bytes, no await on anything else between), so
 * a lock still empty 2 s after its creation was abandoned by a killed writer; 2 s rather than
 * less leaves room for a process descheduled on a loaded machine. Taking over a live writer's
 * lock by mistake could not lose an edit anyway: every write re-checks the file it replaces.
 */
export const EMPTY_LOCK_STALE_MS = 2_000;
/** Tolerated clock difference before a time in the future counts as untrustworthy. */
const FUTURE_SKEW_MS = 1_000;
/** A lock is ~40 bytes; anything far larger is not one of ours and is not read whole. */
const MAX_LOCK_BYTES = 4096;

export interface LockInfo {
  pid: number;
  createdAt: number;
}

export interface HeldLock {
  readonly path: string;
  readonly info: LockInfo;
  release(): Promise<void>;
}

export function lockPathOf(file: string): string {
  return `${file}.lock`;
}

/** Parses a lock file's content; null when it is not (yet) a complete lock. */
export function parseLockInfo(text: string): LockInfo | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { pid, createdAt } = value as { pid?: unknown; createdAt?: unknown };
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return null;
  const at = typeof createdAt === 'number' ? createdAt : typeof createdAt === 'string' ? Date.parse(createdAt) : Number.NaN;
  if (!Number.isFinite(at)) return null;
  return { pid, createdAt: at };
}

/** What we observed of a lock file: its content and its mtime. */
export interface LockObservation {
  /** The file's text (at most MAX_LOCK_BYTES of it). */
  text: string;
  mtimeMs: number;
  /**
   * When this process first saw this very lock (same inode and mtime), for a lock whose mtime
   * is in the future and so says nothing; null when not tracked.
   */
  firstSeenAt?: number | null;
}

export type StaleReason = 'dead-pid' | 'old' | 'empty' | 'unreadable';

/**
 * Whether a lock may be taken over, and why (pure: the clock and the pid check are passed in).
 * The observed age is the mtime's, or — when the mtime is in the future — how long we have
 * been looking at the same lock. A `createdAt` older than 30 s also makes it stale (OpenClaw's
 * rule); one in the future is ignored.
 */
export function staleReason(obs: LockObservation, now: number, alive: (pid: number) => boolean = isProcessAlive): StaleReason | null {
  const mtimeAge = obs.mtimeMs <= now + FUTURE_SKEW_MS ? now - obs.mtimeMs : Number.NEGATIVE_INFINITY;
  const seenAge = obs.firstSeenAt != null ? now - obs.firstSeenAt : Number.NEGATIVE_INFINITY;
  const observedAge = Math.max(mtimeAge, seenAge);
  if (obs.text.trim() === '') return observedAge > EMPTY_LOCK_STALE_MS ? 'empty' : null;
  const info = parseLockInfo(obs.text);
  // Not (yet) a lock we can read: it may be mid-write by a tool we do not know, so only its age counts.
  if (!info) return observedAge > LOCK_STALE_MS ? 'unreadable' : null;
  if (!alive(info.pid)) return 'dead-pid';
  const claimedAge = info.createdAt <= now + FUTURE_SKEW_MS ? now - info.createdAt : Number.NEGATIVE_INFINITY;
  return Math.max(observedAge, claimedAge) > LOCK_STALE_MS ? 'old' : null;
}

/** Locks whose mtime lies in the future, by path: since when we have seen that same lock. */
const futureSightings = new Map<string, { identity: string; since: number }>();

/** Reads a lock file's content (bounded) and mtime; null when it is gone. */
export async function observeLock(lockPath: string, now: number): Promise<LockObservation | null> {
  let handle;
  try {
    // O_NONBLOCK: a FIFO in the lock's place must not hold the writer (and an I/O thread) for ever;
    // read as empty, it is judged like any lock without content.
    handle = await open(lockPath, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch {
    futureSightings.delete(lockPath);
    return null;
  }
  try {
    const st = await handle.stat();
    const buf = Buffer.alloc(Math.min(MAX_LOCK_BYTES, Math.max(0, st.size)));
    const { bytesRead } = buf.length > 0 ? await handle.read(buf, 0, buf.length, 0) : { bytesRead: 0 };
    let firstSeenAt: number | null = null;
    if (st.mtimeMs > now + FUTURE_SKEW_MS) {
      // The mtime says nothing; our own sightings of this same lock (across calls) are the clock.
      const identity = `${st.dev}:${st.ino}:${st.mtimeMs}`;
      const seen = futureSightings.get(lockPath);
      if (seen?.identity === identity) firstSeenAt = seen.since;
      else futureSightings.set(lockPath, { identity, since: (firstSeenAt = now) });
    } else {
      futureSightings.delete(lockPath);
    }
    return { text: buf.subarray(0, bytesRead).toString('utf8'), mtimeMs: st.mtimeMs, firstSeenAt };
  } finally {
    await handle.close();
  }
}

/** Whether the lock at `lockPath` is stale now; false when it is gone. */
export async function isLockStale(lockPath: string, now = Date.now()): Promise<boolean> {
  const obs = await observeLock(lockPath, now).catch(() => null);
  return obs !== null && staleReason(obs, now) !== null;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function tryCreate(lockPath: string, info: LockInfo): Promise<boolean> {
  let handle;
  try {
    handle = await open(lockPath, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    // No fsync: a lock only has to be seen by other processes now, which the page cache gives. After a
    // power loss its holder is dead, and an empty or missing lock is as stale as a whole one.
    await handle.writeFile(JSON.stringify(info));
  } finally {
    // Not waited for: the lock is visible to others once written, and the close is a round trip.
    handle.close().catch(() => undefined);
  }
  return true;
}

/**
 * Takes a stale lock over without ever deleting a fresh one: the lock is first *renamed* away
 * (atomic, so of two processes doing this only one gets it), then judged again (rename keeps
 * the mtime); if it turned out fresh after all, it is linked back (link fails rather than
 * clobbering a lock someone created meanwhile).
 */
async function takeOverStale(lockPath: string, now: number): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch {
    return; // someone else moved or released it: just retry
  }
  const seen = futureSightings.get(lockPath);
  const obs = await observeLock(aside, now).catch(() => null);
  // The aside is a new path: carry over what we knew of the lock's age under its own name.
  if (obs && seen && obs.firstSeenAt !== null) obs.firstSeenAt = seen.since;
  futureSightings.delete(aside);
  if (obs === null || staleReason(obs, now) !== null) {
    await unlink(aside).catch(() => undefined);
    return;
  }
  await link(aside, lockPath).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

/**
 * Acquires the lock of `file`, waiting up to `timeoutMs`; rejects with LOCKED (naming the
 * holder's pid) when it cannot.
 */
export async function acquireLock(file: string, opts: { timeoutMs?: number; now?: () => number } = {}): Promise<HeldLock> {
  const lockPath = lockPathOf(file);
  const now = opts.now ?? Date.now;
  const deadline = now() + (opts.timeoutMs ?? 5000);
  let delay = 5;
  for (;;) {
    const info: LockInfo = { pid: process.pid, createdAt: now() };
    if (await tryCreate(lockPath, info)) {
      futureSightings.delete(lockPath);
      return {
        path: lockPath,
        info,
        release: () => releaseLock(lockPath, info),
      };
    }
    const at = now();
    const obs = await observeLock(lockPath, at);
    if (obs !== null && staleReason(obs, at) !== null) {
      await takeOverStale(lockPath, at);
      continue;
    }
    if (at >= deadline) throw new OpenSoulError('LOCKED', { path: file, pid: obs === null ? null : (parseLockInfo(obs.text)?.pid ?? null) });
    await sleep(delay);
    delay = Math.min(delay * 2, 100);
  }
}

/** Removes the lock only if it is still ours: after a takeover it may belong to someone else. */
async function releaseLock(lockPath: string, info: LockInfo): Promise<void> {
  const current = parseLockInfo(await readLockText(lockPath));
  if (current && current.pid === info.pid && current.createdAt === info.createdAt) await unlink(lockPath).catch(() => undefined);
}

/** A lock's content (bounded) for release, '' when it cannot be read: no stat, since its age does not matter here. */
async function readLockText(lockPath: string): Promise<string> {
  let handle;
  try {
    handle = await open(lockPath, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch {
    return '';
  }
  try {
    const buf = Buffer.alloc(MAX_LOCK_BYTES);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } catch {
    return ''; // a directory or a FIFO in its place: not ours
  } finally {
    handle.close().catch(() => undefined);
  }
}
