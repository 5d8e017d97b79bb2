/**
 * The sidecar lock of §3, OpenClaw's protocol so its tools interoperate: a *file* `<file>.lock`
 * created with `open(…, "wx")` holding `{pid, createdAt}` (Unix ms when we write; an ISO string
 * is accepted when we read one). Stale after 30 s or when its pid is dead, and then taken over.
 * (`proper-lockfile` makes a lock *directory*, which OpenClaw's tools would not see.)
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { OpenSoulError } from '../../ipc/errors.js';
import { isProcessAlive } from '../../ipc/process.js';

export const LOCK_STALE_MS = 30_000;

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

export function isStale(info: LockInfo | null, now: number, ageOfUnreadable: number): boolean {
  // A lock we cannot parse may be mid-write by its owner: only stale once it is old.
  if (!info) return ageOfUnreadable > LOCK_STALE_MS;
  if (now - info.createdAt > LOCK_STALE_MS) return true;
  return !isProcessAlive(info.pid);
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
    await handle.writeFile(JSON.stringify(info));
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

/**
 * Takes a stale lock over without ever deleting a fresh one: the lock is first *renamed* away
 * (atomic, so of two processes doing this only one gets it), then its content is checked again;
 * if it turned out fresh after all, it is linked back (link fails rather than clobbering a lock
 * someone created meanwhile).
 */
async function takeOverStale(lockPath: string, now: number, firstSeenAt: number): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch {
    return; // someone else moved or released it: just retry
  }
  const text = await readFile(aside, 'utf8').catch(() => '');
  if (isStale(parseLockInfo(text), now, now - firstSeenAt)) {
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
  let unreadableSince: number | null = null;
  for (;;) {
    const info: LockInfo = { pid: process.pid, createdAt: now() };
    if (await tryCreate(lockPath, info)) {
      return {
        path: lockPath,
        info,
        release: () => releaseLock(lockPath, info),
      };
    }
    const text = await readFile(lockPath, 'utf8').catch(() => null);
    if (text !== null) {
      const holder = parseLockInfo(text);
      if (holder) unreadableSince = null;
      else unreadableSince ??= now();
      if (isStale(holder, now(), unreadableSince === null ? 0 : now() - unreadableSince)) {
        await takeOverStale(lockPath, now(), unreadableSince ?? now());
        continue;
      }
      if (now() >= deadline) throw new OpenSoulError('LOCKED', { path: file, pid: holder?.pid ?? null });
    } else if (now() >= deadline) {
      throw new OpenSoulError('LOCKED', { path: file, pid: null });
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 100);
  }
}

/** Removes the lock only if it is still ours: after a takeover it may belong to someone else. */
async function releaseLock(lockPath: string, info: LockInfo): Promise<void> {
  const text = await readFile(lockPath, 'utf8').catch(() => null);
  const current = text === null ? null : parseLockInfo(text);
  if (current && current.pid === info.pid && current.createdAt === info.createdAt) await unlink(lockPath).catch(() => undefined);
}
