/**
 * Running the daemon without a service manager (containers, WSL, Termux, SSH sessions without a
 * user bus): `start` detaches it like a classic daemon — its own session, no terminal, output to
 * a file — and waits until it answers; `stop` (in lifecycle.ts) asks it over the socket.
 */
import { DAEMON_NODE_FLAGS } from '../../units/daemon-flags.js';
import { closeSync, fchmodSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ServiceContext } from './context.js';
import { waitUntilAnswers } from './daemon-probe.js';
import { ServiceError } from './errors.js';

/** How long `start` waits for the detached daemon to answer. */
export const DETACHED_START_TIMEOUT_MS = 10_000;
/** The stderr file is not rotated by the daemon; past this size a start moves it to `.1`. */
const STDERR_LOG_MAX_BYTES = 5 * 1024 * 1024;

/** Where a detached daemon's stdout and stderr go (the daemon writes `logs/gateway.log` itself). */
export function detachedStderrLog(ctx: ServiceContext): string {
  return path.join(ctx.paths.logsDir, 'gateway.stderr.log');
}

/** Opens the stderr log for appending, 0600 even if an older one was wider. */
function openStderrLog(file: string): number {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    if (statSync(file).size > STDERR_LOG_MAX_BYTES) renameSync(file, `${file}.1`);
  } catch {
    /* absent: nothing to rotate */
  }
  const fd = openSync(file, 'a', 0o600);
  if ((fstatSync(fd).mode & 0o077) !== 0) fchmodSync(fd, 0o600);
  return fd;
}

/** The last `max` lines written to `file` after byte `from`. */
function linesSince(file: string, from: number, max = 20): string[] {
  try {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const start = Math.max(from, size - 64 * 1024);
      const buf = Buffer.alloc(Math.max(0, size - start));
      readSync(fd, buf, 0, buf.length, start);
      return buf
        .toString('utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .slice(-max);
    } finally {
      closeSync(fd);
    }
  } catch {
    return [];
  }
}

/** The whole stderr log's tail, when the offset approach found nothing (rotated under us). */
function tailOf(file: string, max = 20): string[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(-max);
  } catch {
    return [];
  }
}

export interface DetachedStart {
  /** The pid that answers: the detached child, or a daemon that beat it to the state dir. */
  readonly pid: number;
  /** False when another daemon was already answering by the time ours came up. */
  readonly ours: boolean;
}

/**
 * Spawns `<node> <entry> gateway` in its own session (setsid: no controlling terminal, not in
 * the shell's process group, so closing the terminal or ^C in it does not reach the daemon),
 * stdin from /dev/null and stdout+stderr appended to `logs/gateway.stderr.log`, with this
 * process's environment; then waits until it answers `gateway.hello`. A child that exits first
 * becomes a ServiceError carrying its exit code (78: cannot start, §5) and its last stderr lines.
 */
export async function startDetached(ctx: ServiceContext): Promise<DetachedStart> {
  const stderrLog = detachedStderrLog(ctx);
  const fd = openStderrLog(stderrLog);
  const offset = fstatSync(fd).size;
  // From source (client/bin.ts under tsx), the loader flags must come along; a built entry needs
  // none, and the person's own flags (--inspect…) must not follow the daemon.
  const nodeArgs = ctx.entryPath.endsWith('.ts') ? process.execArgv : [];
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  let spawnError: NodeJS.ErrnoException | null = null;
  const { spawn } = await import('node:child_process');
  const child = spawn(ctx.nodePath, [...nodeArgs, ...DAEMON_NODE_FLAGS, ctx.entryPath, 'gateway'], {
    detached: true,
    stdio: ['ignore', fd, fd],
    // The state dir and socket as absolute paths, so the daemon can leave our working directory
    // (it must not keep a directory busy or depend on where the person happened to be).
    env: { ...process.env, OPENSOUL_STATE_DIR: ctx.paths.stateDir, ...(process.env.OPENSOUL_SOCKET ? { OPENSOUL_SOCKET: ctx.socket.path } : {}) },
    cwd: '/',
  });
  closeSync(fd);
  child.once('exit', (code, signal) => (exited = { code, signal }));
  child.once('error', (err: NodeJS.ErrnoException) => (spawnError = err));
  child.unref();

  const pid = await waitUntilAnswers(ctx, DETACHED_START_TIMEOUT_MS, () => exited !== null || spawnError !== null);
  if (pid !== null) return { pid, ours: pid === child.pid };
  if (spawnError !== null) {
    throw new ServiceError('DAEMON_EXITED', `could not start ${ctx.nodePath}: ${(spawnError as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const done = exited as { code: number | null; signal: NodeJS.Signals | null } | null;
  if (done !== null) {
    let last = linesSince(stderrLog, offset);
    if (last.length === 0) last = tailOf(stderrLog);
    const code = done.code ?? 1;
    const how = done.code !== null ? `exited with code ${done.code}` : `was killed by ${done.signal ?? 'a signal'}`;
    const words = last.length ? `; its last lines (${stderrLog}):\n${last.map((l) => `  ${l}`).join('\n')}` : `; nothing in ${stderrLog}`;
    // The child's own exit code: 78 still means "cannot start at all" to a script.
    throw new ServiceError('DAEMON_EXITED', `the gateway ${how} before it answered${words}`, code === 0 ? 1 : code);
  }
  throw new ServiceError(
    'DAEMON_TIMEOUT',
    `the gateway (pid ${child.pid ?? '?'}) was started but does not answer on ${ctx.socket.path} after ${DETACHED_START_TIMEOUT_MS / 1000} s; ` +
      `it is still running: see ${stderrLog} and \`opensoul gateway logs\`, or stop it with \`kill ${child.pid ?? ''}\``,
  );
}
