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
