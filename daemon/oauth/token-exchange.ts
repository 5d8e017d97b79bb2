/**
 * The token endpoint (RFC 6749 §4.1.3, §5): the authorization code and its PKCE verifier are
 * exchanged for tokens, through token-post.ts (encoding, timeout, no redirects). No error carries
 * a response body: only the RFC's `error` code and the HTTP status, since a body may echo what
 * was sent.
 */
import { OpenSoulError } from '../../ipc/errors.js';
import type { OAuthEndpoints } from './oauth-providers.js';
import { lifetimeMsOf, sendTokenRequest } from './token-post.js';

/** What a token endpoint gave back, checked. */
export interface TokenSet {
  access: string;
  /** Absent when the provider issues none (GitHub's device flow): the login is then stored as a token. */
  refresh: string | null;
  /** Unix ms, from `expires_in`; null when the provider gives none (or zero, or less). */
  expires: number | null;
  /** OpenID Connect id_token, when the provider sends one (it names the account). */
  idToken: string | null;
  /** The rest of the response, for naming the account (Anthropic's `account.email_address`); never stored. */
  raw: Record<string, unknown>;
}

/** The outcome of one POST to a token-like endpoint: a JSON object, or the RFC 6749 §5.2 error. */
export type TokenResponse = { ok: true; body: Record<string, unknown> } | { ok: false; status: number; error: string | null; interval: number | null };

/** 30 s: a token endpoint that has not answered by then will not. */
export const TOKEN_TIMEOUT_MS = 30_000;

/** An RFC 6749 error code is `[\x20-\x21\x23-\x5B\x5D-\x7E]+`; we keep the usual snake_case ones and nothing that could be text from elsewhere. */
function errorCode(value: unknown): string | null {
  return typeof value === 'string' && /^[a-z0-9_.:-]{1,64}$/i.test(value) ? value : null;
}

/**
 * POSTs `params` to `url`, form-encoded or as JSON. Network failures and timeouts become
 * LOGIN_FAILED naming the host only. A 200 that carries `error` (GitHub's device flow does so)
 * counts as an error response.
 */
export async function postToken(
  url: string,
  params: Record<string, string>,
  opts: { provider: string; encoding: 'form' | 'json'; timeoutMs?: number; signal?: AbortSignal },
): Promise<TokenResponse> {
  const host = safeHost(url);
  const r = await sendTokenRequest(url, params, { encoding: opts.encoding, timeoutMs: opts.timeoutMs ?? TOKEN_TIMEOUT_MS, signal: opts.signal });
  if (r.kind === 'unreachable') {
    if (r.cancelled) throw new OpenSoulError('LOGIN_FAILED', { provider: opts.provider, reason: 'the login was cancelled' });
    throw new OpenSoulError('LOGIN_FAILED', {
      provider: opts.provider,
      reason: r.timedOut ? `${host} did not answer in time` : `${host} could not be reached`,
      // No answer at all: a device-code poll tries again later (device-flow.ts).
      unreachable: true,
    });
  }
  if (r.kind === 'redirect') {
    throw new OpenSoulError('LOGIN_FAILED', {
      provider: opts.provider,
      reason: `${host} answered with a redirect (HTTP ${r.status}), which is not followed: check the token URL`,
    });
  }
  const body = r.body;
  const error = errorCode(body?.error);
  if (r.ok && body && !error) return { ok: true, body };
  const interval = typeof body?.interval === 'number' && Number.isFinite(body.interval) ? body.interval : null;
  return { ok: false, status: r.status, error, interval };
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the token endpoint';
  }
}

/** A non-empty string without control characters, or null. */
function tokenString(value: unknown): string | null {
  // eslint-disable-next-line no-control-regex -- a token with a line break would break every header it goes into
  return typeof value === 'string' && value !== '' && value.length <= 16384 && !/[\u0000-\u001f\u007f]/.test(value) ? value : null;
}

/** Checks a token response body; LOGIN_FAILED when it has no usable access token. */
export function tokenSetOf(provider: string, body: Record<string, unknown>, now: number): TokenSet {
  const access = tokenString(body.access_token);
  if (!access) throw new OpenSoulError('LOGIN_FAILED', { provider, reason: 'the token endpoint answered without a usable access_token' });
  const lifetime = lifetimeMsOf(body.expires_in);
  return {
    access,
    refresh: tokenString(body.refresh_token),
    expires: lifetime === null ? null : now + lifetime,
    idToken: tokenString(body.id_token),
    raw: body,
  };
}

/** The words for a token endpoint's refusal, from the RFC's error code and the status only. */
export function refusalReason(r: Extract<TokenResponse, { ok: false }>): string {
  const code = r.error ? `: ${r.error}` : '';
  const hint = r.error === 'invalid_grant' ? ' (the code was used already, expired, or the verifier does not match; start again)' : '';
  return `the token endpoint refused the request (HTTP ${r.status}${code})${hint}`;
}

/** What the code exchange needs besides the endpoints. */
export interface CodeExchange {
  code: string;
  verifier: string;
  redirectUri: string;
  /** Sent along when the provider wants it in the token request (Anthropic). */
  state: string;
}

/** Exchanges an authorization code for tokens (RFC 6749 §4.1.3 with RFC 7636's code_verifier). */
export async function exchangeCode(
  endpoints: OAuthEndpoints,
  x: CodeExchange,
  opts: { now: () => number; signal?: AbortSignal; timeoutMs?: number },
): Promise<TokenSet> {
  const params: Record<string, string> = {
    grant_type: 'authorization_code',
    code: x.code,
    redirect_uri: x.redirectUri,
    client_id: endpoints.clientId,
    code_verifier: x.verifier,
    ...(endpoints.stateInTokenRequest ? { state: x.state } : {}),
  };
  const r = await postToken(endpoints.tokenUrl, params, {
    provider: endpoints.provider,
    encoding: endpoints.tokenRequest,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
  });
  if (!r.ok) throw new OpenSoulError('LOGIN_FAILED', { provider: endpoints.provider, reason: refusalReason(r) });
  return tokenSetOf(endpoints.provider, r.body, opts.now());
}
