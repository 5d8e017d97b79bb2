/**
 * One POST to an OAuth token-like endpoint (RFC 6749 §4.1.3, §5, §6; RFC 8628 §3.4), for the
 * login's code exchange and device polling and for the refresher alike, so the rules are
 * written once: the parameters form-encoded as the RFC says, or JSON where a provider takes
 * only that (Anthropic); a timeout; redirects never followed (a token endpoint that redirects is
 * misconfigured or hijacked, and a 307 would re-send a code, verifier or refresh token
 * elsewhere); the answer read as untrusted data, at most 1 MiB. Never throws: what went wrong
 * is data, and callers word it (no response body ever reaches an error or a log line).
 */

/** What a token endpoint did with the request. */
export type TokenPost =
  | { kind: 'unreachable'; timedOut: boolean; cancelled: boolean }
  | { kind: 'redirect'; status: number }
  | { kind: 'answer'; status: number; ok: boolean; body: Record<string, unknown> | null };

/**
 * Whether a token endpoint's HTTP status without an OAuth error means "try again later" rather
 * than a refusal: a server error (5xx), rate limiting (429) or a request timeout (408). One rule
 * for the refresher's backoff and the device-code poll's.
 */
export function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** The longest access-token lifetime believed: a year. */
export const MAX_LIFETIME_MS = 365 * 24 * 3_600_000;

/**
 * An answer's `expires_in` (RFC 6749 §5.1: seconds; a numeric string is taken too) in ms, or
 * null when it names no usable lifetime: absent, not a number, zero or negative. The caller
 * decides what null means, never "expired already": that made every call refresh again. A
 * garbled huge value is cut to a year, or the expiry would lie past what a Date can hold and
 * the token would never be refreshed again.
 */
export function lifetimeMsOf(expiresIn: unknown): number | null {
  const seconds = typeof expiresIn === 'number' ? expiresIn : typeof expiresIn === 'string' && expiresIn.trim() !== '' ? Number(expiresIn) : Number.NaN;
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(Math.round(seconds * 1000), MAX_LIFETIME_MS) : null;
}

/** A token answer is a few KiB; more than this is not one, and is not read further. */
export const MAX_BODY_BYTES = 1024 * 1024;

function parseBody(text: string, contentType: string): Record<string, unknown> | null {
  if (/json/i.test(contentType) || /^\s*\{/.test(text)) {
    try {
      const v: unknown = JSON.parse(text);
      return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }
  // GitHub answers form-encoded unless asked for JSON; we ask, but accept either.
  if (/x-www-form-urlencoded/i.test(contentType)) return Object.fromEntries(new URLSearchParams(text));
  return null;
}

export async function sendTokenRequest(
  url: string,
  params: Record<string, string>,
  opts: { encoding: 'form' | 'json'; timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<TokenPost> {
  const signals = [AbortSignal.timeout(opts.timeoutMs), ...(opts.signal ? [opts.signal] : [])];
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': opts.encoding === 'json' ? 'application/json' : 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: opts.encoding === 'json' ? JSON.stringify(params) : new URLSearchParams(params).toString(),
      signal: AbortSignal.any(signals),
    });
  } catch (err) {
    // The exception may name the URL or the body: only its kind is kept.
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return { kind: 'unreachable', timedOut, cancelled: opts.signal?.aborted === true };
  }
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel().catch(() => undefined);
    return { kind: 'redirect', status: res.status };
  }
  let text: string | null;
  try {
    text = await readBounded(res);
  } catch {
    return { kind: 'unreachable', timedOut: false, cancelled: opts.signal?.aborted === true };
  }
  return { kind: 'answer', status: res.status, ok: res.ok, body: text === null ? null : parseBody(text, res.headers.get('content-type') ?? '') };
}

/**
 * The answer's text, or null when it is longer than MAX_BODY_BYTES. Read chunk by chunk and
 * cancelled at the limit: `res.text()` would first hold the whole answer, and a token endpoint
 * that streams gigabytes (hostile, or a wrong URL) must not take the daemon's memory with it.
 */
async function readBounded(res: Response): Promise<string | null> {
  if (!res.body) return '';
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
