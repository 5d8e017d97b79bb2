/**
 * How many connections the proxy keeps open at once. Each one holds a file descriptor of the
 * daemon, and the daemon's descriptors also serve what must never fail: the owner's CLI on the
 * local socket, the state files it reads, locks and rewrites, its connections to providers. Any
 * local user can connect to the loopback port, so without a cap a hostile one takes them all:
 * measured (open-file limit 20,000), 2 × 10,500 idle connections opened by another uid in 15 s
 * left the daemon at 20,000 descriptors; `models status` and `paste-token` then failed (the
 * socket's accept hit EMFILE and libuv closed the CLI's connection), a tool's request was reset,
 * and opensoul.json, .env and auth-profiles.json could not be re-read (EMFILE). Idle connections
 * go after proxy.bodyTimeoutMs, but one that gets a 401 (no key needed) every 3 s stays for good.
 */
import { readFileSync } from 'node:fs';

/**
 * The proxy may hold at most this fraction of the open-file limit: with the smallest limit a host
 * is likely to give (1024), 256 connections, beside the socket server's 256, the upstream
 * connections of proxy.maxConcurrent requests and the pool's idle ones, and the files.
 */
export const FILE_LIMIT_SHARE = 1 / 4;

/** The soft "Max open files" of a `/proc/<pid>/limits` text; null when unlimited or absent. */
export function parseOpenFileLimit(limits: string): number | null {
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(limits);
  if (!m || m[1] === 'unlimited') return null;
  return Number(m[1]);
}

/**
 * This process's open-file limit, or null where it cannot be read (not Linux). Node raises the
 * soft limit to the hard one as it starts (measured: started with 256:4096, it runs with
 * 4096:4096), so what is read here is all the daemon can have: nothing is left to raise. A
 * systemd service (ours sets no LimitNOFILE=) gets 1024:524288 by default since systemd 240, so
 * 524,288 there; a container started with `--ulimit nofile=1024` has 1024, and a cap of 256.
 */
export function openFileLimit(): number | null {
  if (process.platform !== 'linux') return null;
  try {
    return parseOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return null;
  }
}

/** The cap the proxy applies: `proxy.maxConnections`, lowered to its share of the open-file limit when that is smaller. */
export function connectionCap(configured: number, fileLimit: number | null): number {
  if (fileLimit === null) return configured;
  return Math.max(1, Math.min(configured, Math.floor(fileLimit * FILE_LIMIT_SHARE)));
}
