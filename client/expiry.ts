/** `--expires-in 365d|12h|30m|never` → a Unix-ms expiry (or undefined for never). */
import { usageError } from './output.js';

const UNIT_MS: Record<string, number> = { w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000 };

export function parseExpiresIn(value: string, now = Date.now()): number | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'never') return undefined;
  const m = /^(\d{1,6})\s*(w|d|h|m)$/.exec(v);
  if (!m || Number(m[1]) === 0) throw usageError(`--expires-in expects a duration such as 365d, 12h, 30m or never, got "${value}"`);
  return now + Number(m[1]) * (UNIT_MS[m[2] as string] as number);
}
