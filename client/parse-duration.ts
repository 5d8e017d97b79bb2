/**
 * Durations as people type them: `30s`, `90m`, `1h30m`, `1d12h`, `2w`, `365d` (units w d h m s
 * ms, each at most once, largest first). Pure and dependency-free: the launcher's parser reads
 * `--proxy-ttl`/`--expires` with it.
 */

const UNIT_MS: Record<string, number> = { w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const ORDER = ['w', 'd', 'h', 'm', 's', 'ms'];
/** A century: far enough for any real token, and well inside what a Date can hold. */
const MAX_MS = 100 * 365 * 86_400_000;

/** The duration in ms, or null when `value` is not one. */
export function parseDurationMs(value: string): number | null {
  const v = value.trim().toLowerCase();
  if (!/^(?:\d{1,9}(?:ms|[wdhms]))+$/.test(v)) return null;
  let total = 0;
  let last = -1;
  for (const m of v.matchAll(/(\d+)(ms|[wdhms])/g)) {
    const unit = ORDER.indexOf(m[2] as string);
    if (unit <= last) return null; // `1h1h`, `30m1h`: a typo, not a duration
    last = unit;
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  }
  return total > 0 && total <= MAX_MS ? total : null;
}
