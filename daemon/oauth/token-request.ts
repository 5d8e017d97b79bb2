/**
 * One refresh-token request to a provider's token endpoint (RFC 6749 §6): POST `tokenUrl` with
 * grant_type=refresh_token, the refresh token and the client id, through token-post.ts (the
 * encoding the endpoints table says, a timeout, no redirects: a redirect would carry the refresh
 * token somewhere we did not choose). The answer is never quoted: no token and no part of the
 * body ends up in an error or a log line.
 */
import { asString } from '../providers/untrusted-json.js';
import type { OAuthEndpoints } from './oauth-providers.js';
import type { TokenFailure } from './refresh-policy.js';
import { lifetimeMsOf, sendTokenRequest } from './token-post.js';

/** How long a token request may take before it counts as a network failure. */
export const TOKEN_REQUEST_TIMEOUT_MS = 15_000;

/** The lifetime assumed when the answer names none (or zero, or less): an hour, the common one; the token is refreshed ahead of it anyway. */
export const DEFAULT_LIFETIME_MS = 3_600_000;

/** A token endpoint's successful answer, with the expiry made absolute. */
export interface RefreshedTokens {
  access: string;
  /** The rotated refresh token, or the one sent when the provider does not rotate. */
  refresh: string;
  /** Unix ms. */
  expires: number;
}

/** The new tokens, or why there are none (as data, for classification). */
export type TokenResult = { ok: true; tokens: RefreshedTokens } | { ok: false; failure: TokenFailure };

/** An error code as a provider sends it (`invalid_grant`), or undefined for anything else: nothing else from the body is kept. */
function errorCode(v: unknown): string | undefined {
  const s = asString(v);
  return s && /^[A-Za-z0-9_.-]{1,64}$/.test(s) ? s : undefined;
}

/** Used only for classification ("already used"), never shown: bounded, and cut at the first line. */
function description(v: unknown): string | undefined {
  const s = asString(v);
  return s ? s.slice(0, 300).split('\n')[0] : undefined;
}

/** Sends the refresh request; never throws for the endpoint's behaviour (a failure is data). */
export async function requestTokenRefresh(
  endpoints: Pick<OAuthEndpoints, 'tokenUrl' | 'clientId' | 'tokenRequest'>,
  refreshToken: string,
  now: () => number,
  timeoutMs = TOKEN_REQUEST_TIMEOUT_MS,
): Promise<TokenResult> {
  const fields = { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: endpoints.clientId };
  const r = await sendTokenRequest(endpoints.tokenUrl, fields, { encoding: endpoints.tokenRequest, timeoutMs });
  if (r.kind === 'unreachable') return { ok: false, failure: { kind: 'network' } };
  if (r.kind === 'redirect') return { ok: false, failure: { kind: 'http', status: r.status, error: undefined, description: undefined } };
  const body = r.body;
  // Not a token endpoint's answer (a proxy's or a portal's HTML page, an empty or over-size body):
  // it says nothing about the refresh token, so it is retried like no answer at all — never taken
  // for a refusal that would need a new login.
  if (body === null) return { ok: false, failure: { kind: 'network', status: r.status } };
  if (!r.ok) {
    return {
      ok: false,
      failure: { kind: 'http', status: r.status, error: errorCode(body.error), description: description(body.error_description ?? body.message) },
    };
  }
  const access = asString(body.access_token);
  if (!access) return { ok: false, failure: { kind: 'http', status: r.status, error: 'invalid_response', description: 'no access_token in the answer' } };
  const rotated = asString(body.refresh_token);
  return {
    ok: true,
    tokens: {
      access,
      refresh: rotated && rotated !== '' ? rotated : refreshToken,
      expires: now() + (lifetimeMsOf(body.expires_in) ?? DEFAULT_LIFETIME_MS),
    },
  };
}
