/**
 * PKCE (RFC 7636) and the `state` of an authorization request: what binds the code the browser
 * brings back to the login that asked for it. The verifier never leaves the daemon except in the
 * token request; the challenge (its hash) is all the authorization server sees up front.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** RFC 7636 §4.1: unreserved characters, 43 to 128 of them. */
export const VERIFIER_PATTERN = /^[A-Za-z0-9\-._~]{43,128}$/;

/** Base64url without padding (RFC 4648 §5), the encoding PKCE and JWTs use. */
export function base64url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

/**
 * A fresh code verifier of `length` characters (43–128, default 64) from the system's CSPRNG.
 * Base64url of random bytes uses only unreserved characters, so it needs no escaping anywhere.
 */
export function createVerifier(length = 64): string {
  if (!Number.isInteger(length) || length < 43 || length > 128) throw new RangeError('a PKCE verifier is 43 to 128 characters');
  return base64url(randomBytes(Math.ceil((length * 3) / 4))).slice(0, length);
}

/** The S256 challenge of a verifier: base64url(sha256(ascii(verifier))). */
export function challengeOf(verifier: string): string {
  return base64url(createHash('sha256').update(verifier, 'ascii').digest());
}

/** A fresh `state`: 32 random bytes, so no other login (or a page that guesses) can present it. */
export function createState(): string {
  return base64url(randomBytes(32));
}

/**
 * Whether `presented` is the login's `state`, in time that does not depend on where they differ:
 * a page in the person's browser can send guesses to the loopback callback and time the answers.
 * The 256-bit state makes guessing hopeless anyway; this keeps the comparison from helping.
 * Both sides are hashed first, so their lengths do not show either.
 */
export function sameState(presented: string | null, state: string): boolean {
  if (presented === null) return false;
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(state));
}
