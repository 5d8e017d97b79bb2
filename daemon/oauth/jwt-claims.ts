/**
 * The payload claims of a JWT (JWS compact form: three base64url parts), read without checking
 * its signature. Used only to *name* things — the account a login signed in to, when another
 * CLI's access token expires — never to grant anything: the tokens came straight from a token
 * endpoint or a file only the person can write. Never throws, never quotes the token.
 */
import { isRecord } from '../../ipc/jsonc.js';

export function jwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}
