/** Small, pure formatting helpers for the human views. */

const UNITS: [string, number][] = [
  ['y', 365 * 86_400_000],
  ['mo', 30 * 86_400_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** A compact duration with its two largest units: `11mo 29d`, `3h 12m`, `45s`. */
export function formatDuration(ms: number): string {
  let rest = Math.abs(ms);
  if (rest < 1000) return `${Math.round(rest)}ms`;
  const parts: string[] = [];
  for (const [unit, size] of UNITS) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
      if (parts.length === 2) break;
    } else if (parts.length > 0) break;
  }
  return parts.join(' ');
}

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
