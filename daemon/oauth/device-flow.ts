/**
 * The device authorization grant (RFC 8628): the daemon asks for a device code, the person
 * enters the user code on the provider's page from any device, and the daemon polls the token
 * endpoint meanwhile — at the provider's `interval`, 5 s slower after each `slow_down` (§3.5),
 * until tokens, `access_denied`, `expired_token` or the code's own expiry. A poll that gets no
 * answer (a dropped connection, a timeout) or a transient status without an OAuth error (5xx, 429, 408) is
 * not the end: the person may be typing the code on their phone while the VPS's network blips.
 * The interval doubles (at most a minute) and polling goes on, as §3.5 asks of a client.
 */
import { OpenSoulError } from '../../ipc/errors.js';
import type { OAuthEndpoints } from './oauth-providers.js';
import { postToken, refusalReason, tokenSetOf } from './token-exchange.js';
import type { TokenSet } from './token-exchange.js';
import { isTransientStatus } from './token-post.js';

/** What the device authorization endpoint answered (§3.2), checked. */
export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  /** The URI with the user code in it, when the provider gives one. */
  verificationUriComplete: string | null;
  /** Poll interval, ms (the RFC's default 5 s when absent; at least 1 s). */
  intervalMs: number;
  /** When the device code expires, Unix ms. */
  expiresAt: number;
}

/** RFC 8628 §3.2: 5 seconds when the provider does not say. */
export const DEFAULT_INTERVAL_MS = 5000;
/** RFC 8628 §3.5: each slow_down adds 5 seconds. */
export const SLOW_DOWN_STEP_MS = 5000;
/** Never poll faster than this, whatever a server says. */
export const MIN_INTERVAL_MS = 1000;
/** The longest interval that doubling after unanswered polls reaches. */
export const MAX_BACKOFF_INTERVAL_MS = 60_000;

/** What one poll answered, in the RFC's terms; `unavailable`: no answer, or a transient status (5xx, 429, 408) without an OAuth error. */
export type PollOutcome = { kind: 'tokens' } | { kind: 'unavailable' } | { kind: 'error'; error: string | null; interval: number | null };

/** What to do after a poll: wait this long and poll again, or stop with a reason. */
export type PollStep = { next: 'poll'; intervalMs: number } | { next: 'done' } | { next: 'fail'; reason: string };

/**
 * The poll schedule, pure: `authorization_pending` keeps the interval; `slow_down` adds 5 s (or
 * takes the server's new `interval`, when it is longer); no answer doubles it (up to a minute);
 * `access_denied`, `expired_token` and any other OAuth error stop.
 */
export function nextPoll(intervalMs: number, outcome: PollOutcome): PollStep {
  if (outcome.kind === 'tokens') return { next: 'done' };
  if (outcome.kind === 'unavailable') return { next: 'poll', intervalMs: Math.max(intervalMs, Math.min(intervalMs * 2, MAX_BACKOFF_INTERVAL_MS)) };
  switch (outcome.error) {
    case 'authorization_pending':
      return { next: 'poll', intervalMs };
    case 'slow_down': {
      const given = outcome.interval !== null && outcome.interval > 0 ? outcome.interval * 1000 : 0;
      return { next: 'poll', intervalMs: Math.max(intervalMs + SLOW_DOWN_STEP_MS, given) };
    }
    case 'access_denied':
      return { next: 'fail', reason: 'access was denied on the provider’s page' };
    case 'expired_token':
      return { next: 'fail', reason: 'the code expired before it was entered; start again' };
    default:
      return { next: 'fail', reason: `the token endpoint refused the device code${outcome.error ? ` (${outcome.error})` : ''}` };
  }
}

function text(v: unknown, max = 2048): string | null {
  return typeof v === 'string' && v !== '' && v.length <= max ? v : null;
}

/**
 * The user code, which the CLI prints for the person to type: printable only. A control
 * character (an escape sequence) from the server would be written raw to the person's terminal,
 * where it can retitle the window, rewrite what was printed above, or worse.
 */
function userCodeOf(v: unknown): string | null {
  const code = text(v, 64);
  // eslint-disable-next-line no-control-regex -- the point is to find control characters
  return code !== null && !/[\u0000-\u001f\u007f-\u009f]/.test(code) ? code : null;
}

function httpsOrLoopback(v: string | null): string | null {
  if (!v) return null;
  try {
    const u = new URL(v);
    // The person is told to open it: only a web page, never a file: or javascript: URL.
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.toString() : null;
  } catch {
    return null;
  }
}

/** Asks the device authorization endpoint for a device code (RFC 8628 §3.1). */
export async function requestDeviceCode(endpoints: OAuthEndpoints, now: () => number, signal?: AbortSignal): Promise<DeviceAuthorization> {
  const url = endpoints.deviceAuthorizationUrl;
  if (!url) throw new OpenSoulError('LOGIN_FAILED', { provider: endpoints.provider, reason: 'it offers no device-code login' });
  const params: Record<string, string> = { client_id: endpoints.clientId, ...(endpoints.scopes.length ? { scope: endpoints.scopes.join(' ') } : {}) };
  const r = await postToken(url, params, { provider: endpoints.provider, encoding: endpoints.tokenRequest, ...(signal ? { signal } : {}) });
  if (!r.ok)
    throw new OpenSoulError('LOGIN_FAILED', {
      provider: endpoints.provider,
      reason: refusalReason(r).replace('token endpoint', 'device authorization endpoint'),
    });
  const b = r.body;
  const deviceCode = text(b.device_code, 16384);
  const userCode = userCodeOf(b.user_code);
  const verificationUri = httpsOrLoopback(text(b.verification_uri) ?? text(b.verification_url));
  const expiresIn = typeof b.expires_in === 'number' ? b.expires_in : Number(b.expires_in);
  if (!deviceCode || !userCode || !verificationUri || !(expiresIn > 0)) {
    throw new OpenSoulError('LOGIN_FAILED', {
      provider: endpoints.provider,
      reason: 'the device authorization endpoint answered without a usable device_code, user_code, verification_uri and expires_in',
    });
  }
  const interval = typeof b.interval === 'number' ? b.interval : Number(b.interval);
  return {
    deviceCode,
    userCode,
    verificationUri,
    verificationUriComplete: httpsOrLoopback(text(b.verification_uri_complete)),
    intervalMs: Number.isFinite(interval) && interval > 0 ? Math.max(MIN_INTERVAL_MS, interval * 1000) : DEFAULT_INTERVAL_MS,
    expiresAt: now() + Math.round(expiresIn * 1000),
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const cancelled = () => new Error('cancelled');
    if (signal.aborted) {
      reject(cancelled());
      return;
    }
    const onAbort = () => {
      clearTimeout(t);
      reject(cancelled());
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Polls the token endpoint until the person approves (tokens), refuses, or the code expires.
 * `signal` ends it (the login was cancelled or expired).
 */
export async function pollDeviceTokens(
  endpoints: OAuthEndpoints,
  device: DeviceAuthorization,
  opts: { now: () => number; signal: AbortSignal },
): Promise<TokenSet> {
  const fail = (reason: string) => new OpenSoulError('LOGIN_FAILED', { provider: endpoints.provider, reason });
  let intervalMs = device.intervalMs;
  /** Why the last poll got no answer, for the message when the code expires meanwhile. */
  let unanswered: string | null = null;
  for (;;) {
    const left = device.expiresAt - opts.now();
    if (left <= 0) throw fail(`the code expired before it was entered; start again${unanswered ? ` (the last poll: ${unanswered})` : ''}`);
    try {
      await sleep(Math.min(intervalMs, left), opts.signal);
    } catch {
      throw fail('the login was cancelled');
    }
    let outcome: PollOutcome;
    try {
      const r = await postToken(
        endpoints.tokenUrl,
        { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: device.deviceCode, client_id: endpoints.clientId },
        { provider: endpoints.provider, encoding: endpoints.tokenRequest, signal: opts.signal },
      );
      if (r.ok) return tokenSetOf(endpoints.provider, r.body, opts.now());
      const serverTrouble = r.error === null && isTransientStatus(r.status);
      if (serverTrouble) unanswered = `HTTP ${r.status}`;
      outcome = serverTrouble ? { kind: 'unavailable' } : { kind: 'error', error: r.error, interval: r.interval };
    } catch (err) {
      if (opts.signal.aborted || !(err instanceof OpenSoulError) || err.details.unreachable !== true) throw err;
      unanswered = typeof err.details.reason === 'string' ? err.details.reason : 'no answer';
      outcome = { kind: 'unavailable' };
    }
    const step = nextPoll(intervalMs, outcome);
    if (step.next === 'fail') throw fail(step.reason);
    if (step.next === 'poll') intervalMs = step.intervalMs;
  }
}
