/**
 * `--expires-in` → a Unix-ms expiry (undefined for `never`). Compound durations as OpenClaw's
 * scripts pass them (client/parse-duration.ts).
 */
import { usageError } from './output.js';

export { parseDurationMs } from './parse-duration.js';
import { parseDurationMs } from './parse-duration.js';

export function parseExpiresIn(value: string, now = Date.now()): number | undefined {
  if (value.trim().toLowerCase() === 'never') return undefined;
  const ms = parseDurationMs(value);
  if (ms === null) throw usageError(`--expires-in expects a duration such as 365d, 12h, 90m, 1h30m, 1d12h, 30s or never, got "${value}"`);
  return now + ms;
}
