/**
 * The pure rules of OAuth refresh (§8.1, §13): when a credential is due, what one refresh is
 * keyed by (so concurrent callers share it), how a failed token request is classified, and how
 * long to wait before retrying a network failure. No I/O; the clock is passed in.
 */
import { createHash } from 'node:crypto';
import type { OAuthCredential, RefreshFailureReason } from '../stores/credentials.js';
import { isTransientStatus } from './token-post.js';

/** An OAuth credential is refreshed once it expires within this (§8.1 "within 5 minutes"). */
export const REFRESH_AHEAD_MS = 5 * 60_000;

/** First wait after a network failure; it doubles per failure up to {@link BACKOFF_CAP_MS}. */
export const BACKOFF_BASE_MS = 30_000;
/** The longest wait between retries after network failures. */
export const BACKOFF_CAP_MS = 10 * 60_000;

/** Whether the credential is due for a refresh now (a credential that names no expiry counts as due). */
export function refreshDue(credential: Pick<OAuthCredential, 'expires'>, now: number): boolean {
  return credential.expires - now <= REFRESH_AHEAD_MS;
}

/**
 * The single-flight key of a credential: provider + account, not the file it sits in, so two
 * agents that read one profile through (§3 inheritance) share its refresh. Without an account
 * id or email, the refresh token itself identifies it (hashed: the key is logged in debug
 * lines and must never be the secret).
 */
export function singleFlightKey(credential: Pick<OAuthCredential, 'provider' | 'accountId' | 'email' | 'refresh'>): string {
  if (credential.accountId) return `${credential.provider}|account:${credential.accountId}`;
  if (credential.email) return `${credential.provider}|email:${credential.email.toLowerCase()}`;
  return `${credential.provider}|refresh:${createHash('sha256').update(credential.refresh).digest('hex').slice(0, 32)}`;
}

/** What a failed token request looked like: an HTTP answer (status, the body's `error` and description), or no answer at all. */
export type TokenFailure =
  | { kind: 'http'; status: number; error?: string | undefined; description?: string | undefined }
  /** No answer, or none a token endpoint gives (then its HTTP status, for the log). */
  | { kind: 'network'; status?: number };

/**
 * Classifies a failed refresh. `refresh_token_reused` is OpenAI's word for a refresh token used
 * twice (what two refreshers of one token cause); any "reused"/"already used" text means the
 * same. `invalid_client`/`unauthorized_client` or revocation text: the grant was revoked.
 * Connection errors, timeouts and transient statuses (5xx, 429, 408) are `network` (retried with backoff).
 * Any other refusal is `rejected` (permanent: a new login is needed).
 */
export function classifyRefreshFailure(failure: TokenFailure): RefreshFailureReason {
  if (failure.kind === 'network') return 'network';
  if (isTransientStatus(failure.status)) return 'network';
  const code = (failure.error ?? '').toLowerCase();
  const text = `${code} ${(failure.description ?? '').toLowerCase()}`;
  if (code === 'refresh_token_reused' || /\breused\b|already (been )?used/.test(text)) return 'refresh_token_reused';
  if (code === 'invalid_client' || code === 'unauthorized_client' || /revoked|revocation/.test(text)) return 'revoked';
  if (code === 'invalid_grant') return 'invalid_grant';
  return 'rejected';
}

/** Whether a failure means the refresh token is dead (a new login is needed) rather than "try again later". */
export function isPermanentFailure(reason: RefreshFailureReason): boolean {
  return reason !== 'network';
}

/** The wait before retry number `failures` (1 = after the first failure): 30 s, 1 min, 2 min, … capped at 10 min. */
export function backoffMs(failures: number): number {
  const n = Math.max(1, Math.floor(failures));
  return Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(n - 1, 20));
}

/** People's words for a failure reason, for status, doctor and the `token.expiring` event. */
export function describeRefreshFailure(reason: RefreshFailureReason): string {
  switch (reason) {
    case 'invalid_grant':
      return 'the refresh token was refused (invalid_grant)';
    case 'refresh_token_reused':
      return 'the refresh token was already used elsewhere (refresh_token_reused)';
    case 'revoked':
      return 'the authorization was revoked';
    case 'rejected':
      return 'the token endpoint refused the refresh';
    case 'network':
      return 'the token endpoint could not be reached; retrying';
  }
}

/** The command that gets a new refresh token for a provider. */
export function loginCommand(provider: string): string {
  return `opensoul models auth login --provider ${provider}`;
}
