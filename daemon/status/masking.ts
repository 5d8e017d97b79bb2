/**
 * Masking for display (§7.1): up to 6 characters `a...z`; up to 16 `ab...yz`; longer: the
 * first 8, `...`, the last 4. Pure; no command ever prints a whole secret except `exec`.
 */
import type { SecretRef } from '../../ipc/protocol.js';

export function maskSecret(secret: string): string {
  const chars = Array.from(secret);
  const n = chars.length;
  if (n === 0) return '';
  // Two characters or fewer would be shown whole by any first…last rule.
  if (n <= 2) return '...';
  if (n <= 6) return `${chars[0]}...${chars[n - 1]}`;
  if (n <= 16) return `${chars.slice(0, 2).join('')}...${chars.slice(-2).join('')}`;
  return `${chars.slice(0, 8).join('')}...${chars.slice(-4).join('')}`;
}

/** A SecretRef for display; an `exec` ref shows no command (it may embed a vault path or token). */
export function maskRef(ref: SecretRef): string {
  if (ref.source === 'exec') return 'ref(exec)';
  return `ref(${ref.source}:${ref.id})`;
}
