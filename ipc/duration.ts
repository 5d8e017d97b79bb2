/**
 * The one duration format of every human view, CLI and daemon alike (status, auth list, gateway
 * status, doctor, write confirmations): the two largest adjacent units, compact — `11mo 29d`,
 * `12h`, `5m 3s`, `45s`. One function so that no view says "in 1y" while another says
 * "in 12 hours" about the same token.
 */

/** A `disabledUntil` at or beyond this is "until the person replaces the credential" (credential_scope), not a time. */
export const UNTIL_REPLACED_MS = 8_640_000_000_000_000;

// A month is a twelfth of the year, so a token made for 365 days reads `11mo 29d` a day later, never `12mo 4d`.
const UNITS: readonly (readonly [string, number])[] = [
  ['y', 365 * 86_400_000],
  ['mo', (365 * 86_400_000) / 12],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** `ms` as `11mo 29d`, `12h`, `5m 3s`; the sign is dropped (the caller says "ago" or "in"); under a second is `0s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'forever';
  let rest = Math.abs(ms);
  const parts: string[] = [];
  for (const [unit, size] of UNITS) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
      if (parts.length === 2) break;
    } else if (parts.length > 0) break;
  }
  return parts.length > 0 ? parts.join(' ') : '0s';
}

/** How long until `until`: a duration, or `until replaced` for a credential disabled until the person replaces it. */
export function formatWait(until: number, now: number): string {
  return until >= UNTIL_REPLACED_MS ? 'until replaced' : formatDuration(until - now);
}

/**
 * The smallest duration that {@link formatDuration} reads exactly as it reads `ms` (for `ms` ≥ 0):
 * `5m 3.7s` reads `5m 3s` from `5m 3s` on. Kept beside the format so the two cannot drift.
 */
export function formatDurationFloor(ms: number): number {
  let rest = ms;
  let floor = 0;
  let shown = 0;
  for (const [, size] of UNITS) {
    if (rest >= size) {
      const n = Math.floor(rest / size);
      floor += n * size;
      rest -= n * size;
      if (++shown === 2) break;
    } else if (shown > 0) break;
  }
  return floor;
}

/**
 * With an integer ms clock: the first instant after `now` at which `formatWait(until, t)` may read
 * differently from `formatWait(until, now)` — what a cached answer showing that wait is good for.
 * Conservative (`now + 1`) for a wait already over, whose reading no caller keeps.
 */
export function formatWaitChangesAt(until: number, now: number): number {
  if (until >= UNTIL_REPLACED_MS) return Number.POSITIVE_INFINITY;
  if (!(until > now) || !Number.isFinite(until)) return now + 1;
  // The reading holds while until - t ≥ floor, i.e. up to t = until - floor.
  return until - formatDurationFloor(until - now) + 1;
}
