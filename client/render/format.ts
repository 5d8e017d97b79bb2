/** Small, pure formatting helpers for the human views. */

// One duration format for every view; it lives in ipc/ because the daemon's doctor words durations too.
export { formatDuration } from '../../ipc/duration.js';

/** A path with the home dir shown as `~`. */
export function tildePath(p: string, home = process.env.HOME ?? ''): string {
  if (home && home !== '/' && (p === home || p.startsWith(`${home}/`))) return `~${p.slice(home.length)}`;
  return p;
}

/** An absolute time for people, in local time: `2026-11-24 14:03`. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
