/**
 * Masking for display (§7.1): up to 6 characters `a...z`; up to 16 `ab...yz`; longer: the
 * first 8, `...`, the last 4. Pure; no command ever prints a whole secret except `exec`.
 */
import type { SecretRef } from '../../ipc/protocol.js';

const SURROGATE = /[\uD800-\uDFFF]/;

export function maskSecret(secret: string): string {
  // Counted in characters, not UTF-16 units; real keys are ASCII, so only a secret holding a
  // surrogate pair pays for splitting into code points (status masks every profile per call).
  const chars: ArrayLike<string> & { slice(a: number, b?: number): string | string[] } = SURROGATE.test(secret) ? Array.from(secret) : secret;
  const n = chars.length;
  const part = (a: number, b?: number) => {
    const p = chars.slice(a, b);
    return typeof p === 'string' ? p : p.join('');
  };
  if (n === 0) return '';
  // Two characters or fewer would be shown whole by any first…last rule.
  if (n <= 2) return '...';
  if (n <= 6) return `${part(0, 1)}...${part(n - 1)}`;
  if (n <= 16) return `${part(0, 2)}...${part(-2)}`;
  return `${part(0, 8)}...${part(-4)}`;
}

/** A SecretRef for display; an `exec` ref shows no command (it may embed a vault path or token). */
export function maskRef(ref: SecretRef): string {
  if (ref.source === 'exec') return 'ref(exec)';
  // A file ref's id is a JSON pointer into its provider's file: the provider says which file.
  if (ref.source === 'file' && ref.provider) return `ref(file:${ref.provider}:${ref.id})`;
  return `ref(${ref.source}:${ref.id})`;
}
