/**
 * One daemon per state dir (§5). The pid file `run/gateway.pid` is the lock; a short start lock
 * (`run/gateway.start.lock`, the §3 lock protocol) serialises the check-clean-claim sequence of
 * two daemons starting at once. A stale pid file or socket left by a killed daemon is detected —
 * the pid is dead, or alive but not a gateway, and nobody answers on the socket — and cleaned.
 * A live daemon is never touched: the second start refuses, naming its pid.
 */
import { link, lstat, readFile, rename, unlink } from 'node:fs/promises';
import net from 'node:net';
import { connect } from '../ipc/client.js';
import type { StatePaths } from '../ipc/paths.js';
import { OpenSoulError } from '../ipc/errors.js';
import { acquireLock, lockPathOf, parseLockInfo } from './fs/lock-file.js';
import type { HeldLock } from './fs/lock-file.js';
import { atomicWrite } from './fs/atomic-write.js';
import { isProcessAlive, looksLikeGateway, readPidFile } from '../ipc/process.js';
import { CannotStartError } from './state-dir.js';

/** Another daemon is running for this state dir. */
export class AlreadyRunningError extends Error {
  constructor(
    readonly pid: number,
    readonly socketPath: string,
    message = `an OpenSoul gateway is already running for this state dir (pid ${pid}, socket ${socketPath}); ` +
      `stop it with \`opensoul gateway stop\` or \`kill ${pid}\``,
  ) {
    super(message);
    this.name = 'AlreadyRunningError';
  }
}

/**
 * The start lock is taken only by `opensoul gateway` while it claims the state dir (a few
 * hundred ms), so a live holder that is not a gateway is a pid reused since a gateway died
 * holding it: waiting for it (15 s, then "already running") gains nothing. OpenClaw's 30 s rule
 * is for the store locks its tools share; this lock is ours alone. Moved aside, then checked
 * again, so a lock a real gateway took meanwhile is put back, never deleted.
 */
async function clearReusedStartLock(lockPath: string): Promise<number | null> {
  const holder = parseLockInfo(await readFile(lockPath, 'utf8').catch(() => ''));
  if (!holder || holder.pid === process.pid || !isProcessAlive(holder.pid) || looksLikeGateway(holder.pid) !== false) return null;
  const aside = `${lockPath}.reused-${process.pid}`;
  try {
    await rename(lockPath, aside);
  } catch {
    return null;
  }
  const moved = parseLockInfo(await readFile(aside, 'utf8').catch(() => ''));
  if (moved && moved.pid === holder.pid && moved.createdAt === holder.createdAt) {
    await unlink(aside).catch(() => undefined);
    return holder.pid;
  }
  await link(aside, lockPath).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
  return null;
}

/** What holds the start lock, in words, after we gave up waiting for it. */
export function startLockHolder(lockPath: string, pid: number | null, socketPath: string): AlreadyRunningError {
  if (pid === null) {
    return new AlreadyRunningError(
      0,
      socketPath,
      `another process holds the start lock ${lockPath} and has not written its pid into it; if no gateway is starting, remove the file and start again`,
    );
  }
  const gateway = looksLikeGateway(pid);
  return new AlreadyRunningError(
    pid,
    socketPath,
    gateway === false
      ? `the start lock ${lockPath} is held by pid ${pid}, which is not an OpenSoul gateway; if no gateway is starting, remove the file and start again`
      : `another OpenSoul gateway (pid ${pid}) is starting for this state dir and holds the start lock ${lockPath}; ` +
          `stop it with \`kill ${pid}\` if it is stuck`,
  );
}

/** Whether something accepts connections on the socket path (without speaking to it). */
export function socketAccepts(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socketPath);
    const done = (v: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(true), timeoutMs); // accepted but silent: someone is there
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Asks the daemon on the socket for its pid; null when nobody answers as a gateway. */
async function daemonPid(paths: StatePaths, socketPath: string): Promise<number | null> {
  try {
    const c = await connect({ socketPath, tokenPath: paths.token, connectTimeoutMs: 1500 });
    c.close();
    return c.hello.pid;
  } catch {
    return null;
  }
}

/** Removes a socket file nobody serves; refuses (CannotStartError) to remove anything that is not a socket. */
export async function removeStaleSocket(socketPath: string): Promise<void> {
  if (process.platform === 'win32') return; // pipes vanish with their process
  let st;
  try {
    st = await lstat(socketPath);
  } catch {
    return;
  }
  // Never unlink whatever file sits at the path (node-ipc 12 did): only a socket nobody serves.
  if (!st.isSocket()) throw new CannotStartError(`the socket path ${socketPath} is taken by a file that is not a socket: move it away, or set OPENSOUL_SOCKET`);
  await unlink(socketPath).catch(() => undefined);
}

export interface InstanceClaim {
  /** Held until the socket listens, then released. */
  startLock: HeldLock;
  /** What was cleaned up, for the log. */
  cleaned: string[];
}

/**
 * Claims the state dir for this process: takes the start lock, refuses if a live gateway owns
 * it, cleans what a dead one left, and writes our pid. The caller listens, then releases
 * `startLock`.
 */
export async function claimInstance(paths: StatePaths, socketPath: string): Promise<InstanceClaim> {
  let startLock: HeldLock;
  const cleaned: string[] = [];
  const reused = await clearReusedStartLock(lockPathOf(paths.pid));
  if (reused !== null) cleaned.push(`a start lock held by pid ${reused}, which is not a gateway`);
  try {
    startLock = await acquireLock(paths.pid, { timeoutMs: 15_000 });
  } catch (err) {
    // The truth: who holds the start lock — not the pid file, which may name nobody yet.
    const holder = err instanceof OpenSoulError && typeof err.details.pid === 'number' ? err.details.pid : null;
    throw startLockHolder(lockPathOf(paths.pid), holder, socketPath);
  }
  try {
    const pid = readPidFile(paths.pid);
    const answering = await daemonPid(paths, socketPath);
    if (answering !== null) throw new AlreadyRunningError(answering, socketPath);
    // A live gateway that does not answer (hung, or serving another socket) still owns the
    // dir; a live pid that is something else is a pid reused after a reboot. Unknown counts as
    // a gateway: better to refuse than to claim a live daemon's dir.
    if (pid !== null && pid !== process.pid && isProcessAlive(pid) && (looksLikeGateway(pid) ?? true)) {
      throw new AlreadyRunningError(pid, socketPath);
    }
    if (answering !== null) throw new AlreadyRunningError(answering, socketPath);
    if (await socketAccepts(socketPath)) {
      throw new CannotStartError(`something else is listening on ${socketPath}: stop it, or set OPENSOUL_SOCKET to another path`);
    }
    if (pid !== null) cleaned.push(`stale pid file (pid ${pid})`);
    try {
      await lstat(socketPath);
      await removeStaleSocket(socketPath);
      cleaned.push(`stale socket ${socketPath}`);
    } catch (err) {
      if (err instanceof CannotStartError) throw err;
    }
    await atomicWrite(paths.pid, `${process.pid}\n`);
    return { startLock, cleaned };
  } catch (err) {
    await startLock.release();
    throw err;
  }
}

/** Removes the pid file only if it still names this process (a successor may have replaced it). */
export async function releasePidFile(paths: StatePaths): Promise<void> {
  if (readPidFile(paths.pid) === process.pid) await unlink(paths.pid).catch(() => undefined);
}
