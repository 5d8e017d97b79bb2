/**
 * A failed provider call as a §8.2 outcome, pure over what came back: the HTTP status, the body
 * and the headers of a refusal, an error event's type inside a stream, or the exception `fetch`
 * threw. Also when to come back (`retryAfterMs`), from the three header dialects in use.
 * The outcome decides what happens to the credential, so the text rules only ever make an
 * outcome *more* specific when the provider's own words are unambiguous.
 */
import type { CallOutcome } from '../../ipc/protocol.js';
import { providerCodesOf, readableProviderMessage } from './error-text.js';
import { parseJson } from './untrusted-json.js';

/** Response headers: a fetch `Headers` or a plain record (any key case). */
export type HeaderSource = Headers | Readonly<Record<string, string | undefined>>;

/**
 * Outcomes another credential of the same provider may not share, so the call is worth retrying
 * with the next one (§8.2): chat turns and the proxy fail over on exactly these.
 */
export const FAILOVER_OUTCOMES: ReadonlySet<CallOutcome> = new Set(['rate_limit', 'overloaded', 'auth', 'auth_permanent', 'billing', 'credential_scope']);

/** What `classifyHttpFailure` decided. */
export interface Classification {
  outcome: CallOutcome;
  /** Whether only the model asked is concerned (a per-model rate limit, an unknown model). */
  modelScoped: boolean;
  /** A short reason for people, with at most the provider's own (cleaned, truncated) message. */
  message: string;
}

/** The input of `classifyHttpFailure`: a non-2xx answer. */
export interface HttpFailure {
  status: number;
  /** The body, or its first part; the caller removes the secret before (see error-text). */
  bodyText: string;
  headers: HeaderSource;
  /** The model asked, when the call named one: a 429 or 404 then concerns that model only. */
  model?: string;
}

/** The most of a body the text rules look at: error bodies are short, and matching must stay cheap. */
const HAYSTACK_MAX = 16_384;

/** One header, case-insensitively, from either kind of source. */
export function headerOf(headers: HeaderSource, name: string): string | null {
  if (typeof (headers as Headers).get === 'function' && typeof (headers as Headers).has === 'function') return (headers as Headers).get(name);
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers as Record<string, string | undefined>)) if (k.toLowerCase() === lower && typeof v === 'string') return v;
  return null;
}

// Anthropic: "This credential is only authorized for use with Claude Code and cannot be used for
// other API requests." The general wording catches the same policy for other clients.
const SCOPE = /only authorized for use with/;
// Only words that mean the credential is gone for good: a plain "invalid x-api-key" is a typo or a
// rotated key as far as we can tell, and stays `auth` (shorter wait). Any of them matching is enough.
const REVOKED = [
  /\brevoked\b|has been (?:disabled|deactivated|deleted|suspended|blocked)|\bdeactivated\b/,
  /account (?:is |has been )?(?:disabled|suspended)|\bkey (?:is )?disabled\b/,
];
const BILLING = /credit balance|billing|insufficient_quota|quota exceeded|exceeded your current quota|payment|insufficient (?:credits?|funds|balance)/;
// On a 429 or 400 "billing" and "exceeded your current quota" are not enough: Gemini's per-minute
// RESOURCE_EXHAUSTED says "exceeded your current quota, please check your plan and billing" and
// is a rate limit; only the codes and phrases of real exhaustion disable a profile for hours.
const BILLING_STRICT = /credit balance|insufficient_quota|insufficient (?:credits?|funds|balance)|billing_hard_limit|payment required/;
const OVERLOADED = /overloaded/;

/** The wording of each outcome, before the provider's own message. */
const REASON: Readonly<Record<CallOutcome, string>> = {
  ok: 'the provider answered',
  auth: 'the provider refused the credential',
  auth_permanent: 'the provider says the credential is revoked or disabled',
  billing: 'the provider refused for billing or quota',
  rate_limit: 'the provider rate-limited the call',
  overloaded: 'the provider is overloaded',
  timeout: 'the provider failed to answer',
  model_not_found: 'the provider does not know the model',
  credential_scope: 'the provider allows this credential only in its own client',
  format: 'the provider refused the request as malformed',
  network: 'the provider could not be reached',
  unknown: 'the provider answered with an unexpected status',
};

function decide(status: number, text: string, modelKnown: boolean): { outcome: CallOutcome; modelScoped: boolean } {
  const is = (outcome: CallOutcome, modelScoped = false) => ({ outcome, modelScoped });
  if ((status === 400 || status === 401 || status === 403) && SCOPE.test(text)) return is('credential_scope');
  if (status === 401 || status === 403) return is(REVOKED.some((r) => r.test(text)) ? 'auth_permanent' : BILLING.test(text) ? 'billing' : 'auth');
  if (status === 402) return is('billing');
  // OpenAI answers an exhausted quota with 429 insufficient_quota: waiting 30 s would not help.
  if (status === 429) return BILLING_STRICT.test(text) ? is('billing') : is('rate_limit', modelKnown);
  if (status === 404) return is('model_not_found', modelKnown);
  if (status === 529 || (status === 503 && OVERLOADED.test(text))) return is('overloaded');
  if (status === 408 || (status >= 500 && status <= 599)) return is('timeout');
  // Anthropic answers a low credit balance with 400 invalid_request_error.
  if (status === 400) return is(BILLING_STRICT.test(text) ? 'billing' : 'format');
  if (status === 413 || status === 422) return is('format');
  return is('unknown');
}

/** A non-2xx answer as an outcome, whether it concerns only the model, and a short reason. */
export function classifyHttpFailure(f: HttpFailure): Classification {
  const body = f.bodyText.slice(0, HAYSTACK_MAX);
  const parsed = parseJson(body);
  const text = [body, ...(parsed === undefined ? [] : providerCodesOf(parsed))].join(' ').toLowerCase();
  const { outcome, modelScoped } = decide(f.status, text, f.model !== undefined && f.model !== '');
  const own = readableProviderMessage(body, headerOf(f.headers, 'content-type'));
  const reason =
    f.status >= 300 && f.status < 400
      ? 'the base URL redirects; configure the final address'
      : outcome === 'model_not_found' && f.model
        ? `${REASON[outcome]} "${f.model}"`
        : REASON[outcome];
  return { outcome, modelScoped, message: `${reason} (HTTP ${f.status})${own ? `: ${own}` : ''}` };
}

/** The HTTP status each provider error type stands for, so that one rule table serves both. */
const TYPE_STATUS: Readonly<Record<string, number>> = {
  // Anthropic's error event types
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
  // OpenAI-compatible error codes seen inside 200 streams (OpenRouter, proxies)
  invalid_api_key: 401,
  insufficient_quota: 429,
  model_not_found: 404,
  rate_limit_exceeded: 429,
  server_error: 500,
};

/**
 * An error that came inside a 200 answer (an Anthropic `error` event, an OpenAI-compatible
 * `error` chunk): by its numeric code when it is an HTTP status, else by its type word.
 */
export function classifyErrorEvent(e: {
  type?: string | undefined;
  code?: string | number | undefined;
  message?: string | undefined;
  model?: string | undefined;
}): Classification {
  const numeric = typeof e.code === 'number' ? e.code : typeof e.code === 'string' && /^[1-5]\d\d$/.test(e.code) ? Number(e.code) : undefined;
  const word = [e.type, typeof e.code === 'string' ? e.code : undefined].find((w) => w !== undefined && Object.hasOwn(TYPE_STATUS, w));
  const status = numeric !== undefined && numeric >= 400 ? numeric : word !== undefined ? (TYPE_STATUS[word] ?? 0) : 0;
  const bodyText = JSON.stringify({ error: { type: e.type, code: e.code, message: e.message } });
  if (status === 0) {
    const own = readableProviderMessage(bodyText, 'application/json');
    return { outcome: 'unknown', modelScoped: false, message: `the provider reported an error mid-reply${own ? `: ${own}` : ''}` };
  }
  const c = classifyHttpFailure({ status, bodyText, headers: {}, ...(e.model !== undefined ? { model: e.model } : {}) });
  return { ...c, message: c.message.replace(` (HTTP ${status})`, ' (mid-reply)') };
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
  'EPIPE',
  'ECONNABORTED',
  'EPROTO',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RESPONSE_STATUS_CODE',
  'ERR_INVALID_URL',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** The `code`s and `name`s along an error's cause chain (fetch wraps the socket error as `cause`). */
export function errorCodesOf(err: unknown): string[] {
  const out: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; depth < 6 && typeof cur === 'object' && cur !== null; depth++) {
    const { code, name } = cur as { code?: unknown; name?: unknown };
    if (typeof code === 'string') out.push(code);
    if (typeof name === 'string') out.push(name);
    const errors = (cur as { errors?: unknown }).errors;
    // Happy Eyeballs gives an AggregateError of one error per address.
    if (Array.isArray(errors)) for (const e of errors as unknown[]) out.push(...errorCodesOf(e));
    cur = (cur as { cause?: unknown }).cause;
  }
  return out;
}

/**
 * A thrown error (no HTTP answer) as an outcome: refused, reset, DNS and TLS failures are
 * `network`; socket and undici timeouts are `timeout`. The caller's abort and our own deadline
 * are decided before this, by whose signal fired (see call.ts), not by the error's shape.
 */
export function classifyNetworkError(err: unknown): CallOutcome {
  const codes = errorCodesOf(err);
  if (codes.some((c) => TIMEOUT_CODES.has(c) || c === 'TimeoutError')) return 'timeout';
  if (codes.some((c) => NETWORK_CODES.has(c) || c.startsWith('ERR_TLS_') || c.startsWith('ERR_SSL_') || c.startsWith('CERT_'))) return 'network';
  // fetch signals every transport failure as a TypeError ("fetch failed", "terminated"), known code or not.
  if (err instanceof TypeError) return 'network';
  return 'unknown';
}

/** The longest wait any provider header may impose: a day. */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;
const IMF_DATE = /^[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

function clamp(ms: number): number {
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Math.round(ms)));
}

/** The response's `Date` (the provider's clock when it answered), or null when absent or not an HTTP date. */
function providerNow(headers: HeaderSource): number | null {
  const v = headerOf(headers, 'date')?.trim();
  if (v === undefined || !IMF_DATE.test(v)) return null;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : null;
}

/** `Retry-After`: delay-seconds or an HTTP date. */
function parseRetryAfter(value: string, now: number): number | null {
  const v = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(v)) return Number(v) * 1000;
  if (IMF_DATE.test(v)) {
    const t = Date.parse(v);
    return Number.isFinite(t) ? t - now : null;
  }
  return null;
}

/** An RFC 3339 time as ms from now. */
function parseResetTime(value: string, now: number): number | null {
  const v = value.trim();
  if (!RFC3339.test(v)) return null;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t - now : null;
}

/** OpenAI's reset durations: `6m0s`, `1s`, `20ms`, `1h2m3.5s`. */
export function parseGoDuration(value: string): number | null {
  const v = value.trim();
  if (v === '' || v.length > 64) return null;
  const unit: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };
  let total = 0;
  let consumed = 0;
  for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/g)) {
    if (m.index !== consumed) return null;
    total += Number(m[1]) * (unit[m[2] ?? ''] ?? 0);
    consumed += m[0].length;
  }
  return consumed === v.length && Number.isFinite(total) ? total : null;
}

/**
 * Among reset headers: when some window is exhausted (`-remaining` is 0) the call can only go
 * through once the last of those resets; when none says so, the soonest reset is the best guess.
 */
function pickReset(headers: HeaderSource, pairs: readonly (readonly [reset: string, remaining: string])[], parse: (v: string) => number | null): number | null {
  const all: number[] = [];
  const exhausted: number[] = [];
  for (const [resetName, remainingName] of pairs) {
    const raw = headerOf(headers, resetName);
    const ms = raw === null ? null : parse(raw);
    if (ms === null || !Number.isFinite(ms)) continue;
    all.push(ms);
    if (headerOf(headers, remainingName)?.trim() === '0') exhausted.push(ms);
  }
  if (exhausted.length > 0) return Math.max(...exhausted);
  return all.length > 0 ? Math.min(...all) : null;
}

const ANTHROPIC_WINDOWS = ['requests', 'tokens', 'input-tokens', 'output-tokens'].map(
  (w) => [`anthropic-ratelimit-${w}-reset`, `anthropic-ratelimit-${w}-remaining`] as const,
);
const OPENAI_WINDOWS = ['requests', 'tokens'].map((w) => [`x-ratelimit-reset-${w}`, `x-ratelimit-remaining-${w}`] as const);

/**
 * How long the provider asks us to wait, in ms within [0, 24 h], or null when it does not say:
 * `retry-after-ms`, then `Retry-After` (seconds or HTTP date), then Anthropic's
 * `anthropic-ratelimit-*-reset` (RFC 3339), then OpenAI's `x-ratelimit-reset-*` (durations).
 * Never throws, whatever the headers hold.
 */
export function retryAfterMs(headers: HeaderSource, now: number): number | null {
  const ms = headerOf(headers, 'retry-after-ms');
  if (ms !== null && /^\s*\d+(?:\.\d+)?\s*$/.test(ms)) return clamp(Number(ms));
  // An absolute time is the provider's clock: read against its own `Date`, not ours. A host
  // whose clock runs minutes fast (a home server without NTP) would otherwise see every reset in
  // the past and call again at once, and one running slow would wait minutes too long.
  const base = providerNow(headers) ?? now;
  const ra = headerOf(headers, 'retry-after');
  const fromRetryAfter = ra === null ? null : parseRetryAfter(ra, base);
  if (fromRetryAfter !== null && Number.isFinite(fromRetryAfter)) return clamp(fromRetryAfter);
  const anthropic = pickReset(headers, ANTHROPIC_WINDOWS, (v) => parseResetTime(v, base));
  if (anthropic !== null) return clamp(anthropic);
  const openai = pickReset(headers, OPENAI_WINDOWS, parseGoDuration);
  return openai !== null ? clamp(openai) : null;
}
