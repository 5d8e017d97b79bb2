/** Small, pure formatting helpers for the human views. */

// One duration format for every view; it lives in ipc/ because the daemon's doctor words durations too.
export { formatDuration } from '../../ipc/duration.js';
// So is the home dir shown as `~`: the daemon's chat replies name files too.
export { tildePath } from '../../ipc/tilde-path.js';

/** An absolute time for people, in local time: `2026-11-24 14:03`. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
