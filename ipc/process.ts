/**
 * Questions both sides ask about the daemon's process: is this pid alive, does it look like a
 * gateway, which pid does the pid file name. One answer for the daemon's single-instance lock,
 * the sidecar locks, and the CLI's start/stop, so they can never disagree.
 */
import { readFileSync } from 'node:fs';

/**
 * Whether a process is still running. Signal 0 sends nothing (EPERM: it exists, as another
 * user). A zombie counts as gone: it has exited and holds no socket, lock or file; a detached
 * daemon's parent (init, or a container's pid 1) may reap it late.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (process.platform !== 'linux') return true;
  try {
    // The state is the field after the parenthesised command name, which may itself hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * Whether a live pid runs an OpenSoul gateway (a pid file outlives a reboot, and its pid is
 * often reused). null when it cannot be told (not Linux, or /proc hides the command line): each
 * caller then decides which way is safe for it.
 */
export function looksLikeGateway(pid: number): boolean | null {
  if (process.platform !== 'linux') return null;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('gateway');
  } catch {
    return null;
  }
}

/** The pid a pid file names, or null (absent, empty, not a number). */
export function readPidFile(file: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
