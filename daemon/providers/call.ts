/**
 * One provider call (§9), whatever the API family: build the request with the family's client,
 * send it with Node's fetch, read the answer within bounds, and turn every way it can fail into
 * a `ProviderCallError` with the §8.2 outcome to report (or `ProviderCancelledError` when the
 * caller gave up).
 *
 * The deadline is real: one timer aborts the request whether it is waiting for headers or for
 * the rest of a body that stalled. The secret only ever travels in a request header; every
 * message that leaves here is built by us or scrubbed of it (providers echo keys).
 */
import type { ProviderApi } from '../../ipc/providers.js';
import { anthropicMessages } from './anthropic-messages.js';
import { classifyHttpFailure, classifyNetworkError, errorCodesOf, retryAfterMs } from './classify.js';
import { removeWholeSecrets, scrubSecrets } from './error-text.js';
import { DEFAULT_TIMEOUT_MS, MAX_ERROR_BODY_BYTES, MAX_REPLY_BODY_BYTES } from './limits.js';
import { openaiChat } from './openai-chat.js';
import { SseLimitError, SseParser } from './sse.js';
import { ProviderCallError, ProviderCancelledError } from './types.js';
import type { ProviderClient, ProviderReply, ProviderRequest } from './types.js';
import { parseJson } from './untrusted-json.js';

const CLIENTS: Readonly<Record<ProviderApi, ProviderClient>> = {
  'anthropic-messages': anthropicMessages,
  'openai-chat': openaiChat,
};

/** Visible ASCII only: anything else cannot be a header value, and fetch's refusal would quote it. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/** A response body as the byte stream it is (Node's typings leave its chunks `any`). */
function bytesOf(res: Response): ReadableStream<Uint8Array> {
  return res.body as ReadableStream<Uint8Array>;
}

/** A body read past its bound (for a reply; an error body is cut instead). */
class BodyTooLarge extends Error {}

/**
 * The body as text, at most `max` bytes: beyond it, `truncate` keeps the first `max` bytes and
 * `fail` throws BodyTooLarge. The rest is never read; the connection is released.
 */
async function readBody(res: Response, max: number, mode: 'truncate' | 'fail'): Promise<string> {
  if (!res.body) return '';
  const reader = bytesOf(res).getReader();
  const decoder = new TextDecoder('utf-8');
  let text = '';
  let total = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return text + decoder.decode();
    total += value.byteLength;
    if (total > max) {
      void reader.cancel().catch(() => undefined);
      if (mode === 'fail') throw new BodyTooLarge();
      return text + decoder.decode(value.subarray(0, value.byteLength - (total - max)));
    }
    text += decoder.decode(value, { stream: true });
  }
}

/** The short transport code worth showing (`ECONNREFUSED`), if any. */
function transportCode(err: unknown): string | null {
  return errorCodesOf(err).find((c) => /^[A-Z][A-Z0-9_]{2,40}$/.test(c)) ?? null;
}

/** The request's host for messages: never its user, password, path or query (proxies put keys there). */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Calls the provider once. Resolves with the reply; rejects with `ProviderCallError` (carrying the
 * outcome, HTTP status, retry-after and whether text was already streamed) or
 * `ProviderCancelledError` when `req.signal` aborted. An exception thrown by `req.onText` ends the
 * call and is rethrown as it is.
 */
export async function callProvider(req: ProviderRequest): Promise<ProviderReply> {
  const secret = req.credential.secret;
  const now = req.now ?? Date.now;
  const client = Object.hasOwn(CLIENTS, req.api) ? CLIENTS[req.api] : undefined;
  if (!client) throw new ProviderCallError({ outcome: 'unknown', message: 'this provider has no client for its API family' });
  if (!HEADER_SAFE.test(secret))
    throw new ProviderCallError({ outcome: 'auth', message: 'the credential holds characters an HTTP header cannot carry (a line break or space?)' });
  if (req.signal?.aborted) throw new ProviderCancelledError(false);

  const spec = client.buildRequest(req);
  let protocol = '';
  try {
    protocol = new URL(spec.url).protocol;
  } catch {
    // handled below: the message must not quote the URL, which may carry a proxy's key
  }
  if (protocol !== 'https:' && protocol !== 'http:') {
    throw new ProviderCallError({ outcome: 'network', message: 'the provider base URL is not a valid http(s) URL (models.providers.<id>.baseUrl)' });
  }

  const timeoutMs = Math.max(1, req.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const deadline = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    deadline.abort();
  }, timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, deadline.signal]) : deadline.signal;

  let streamed = false;
  let callbackError: { error: unknown } | null = null;
  const onText = (delta: string): void => {
    streamed = true;
    try {
      req.onText?.(delta);
    } catch (error) {
      callbackError = { error };
      throw error;
    }
  };

  const failure = (err: unknown): unknown => {
    if (callbackError && callbackError.error === err) return err;
    if (req.signal?.aborted) return new ProviderCancelledError(streamed);
    if (timedOut) return new ProviderCallError({ outcome: 'timeout', message: `no complete answer from ${hostOf(spec.url)} within ${timeoutMs} ms`, streamed });
    if (err instanceof ProviderCallError) {
      const clean = scrubSecrets(err.message, [secret]);
      const e =
        clean === err.message
          ? err
          : new ProviderCallError({
              outcome: err.outcome,
              message: clean,
              status: err.status,
              retryAfterMs: err.retryAfterMs,
              modelScoped: err.modelScoped,
              streamed: err.streamed,
            });
      return e.withStreamed(streamed || e.streamed);
    }
    if (err instanceof BodyTooLarge)
      return new ProviderCallError({ outcome: 'unknown', message: `the reply from ${hostOf(spec.url)} exceeded ${MAX_REPLY_BODY_BYTES} bytes`, streamed });
    if (err instanceof SseLimitError) return new ProviderCallError({ outcome: 'unknown', message: err.message, streamed });
    const outcome = classifyNetworkError(err);
    const code = transportCode(err);
    const what = outcome === 'timeout' ? 'timed out talking to' : outcome === 'network' ? 'could not talk to' : 'the call failed talking to';
    return new ProviderCallError({ outcome, message: `${what} ${hostOf(spec.url)}${code ? ` (${code})` : ''}`, streamed });
  };

  try {
    // redirect: 'manual': fetch drops `authorization` on a cross-origin redirect but not
    // `x-api-key`; a base URL that redirects must be fixed, not followed with the key.
    const res = await (req.fetchImpl ?? fetch)(spec.url, { method: 'POST', headers: spec.headers, body: spec.body, signal, redirect: 'manual' });
    if (res.status < 200 || res.status >= 300) {
      const body = removeWholeSecrets(await readBody(res, MAX_ERROR_BODY_BYTES, 'truncate'), [secret]);
      const c = classifyHttpFailure({ status: res.status, bodyText: body, headers: res.headers, model: req.model });
      throw new ProviderCallError({
        outcome: c.outcome,
        message: c.message,
        status: res.status,
        retryAfterMs: retryAfterMs(res.headers, now()),
        modelScoped: c.modelScoped,
      });
    }
    if (req.stream && /^text\/event-stream\b/i.test(res.headers.get('content-type') ?? '')) return await readStream(client, req, res, onText, secret);
    const text = await readBody(res, MAX_REPLY_BODY_BYTES, 'fail');
    const parsed = parseJson(text);
    if (parsed === undefined)
      throw new ProviderCallError({ outcome: 'unknown', message: `the answer from ${hostOf(spec.url)} was not JSON (HTTP ${res.status})`, status: res.status });
    const reply = client.parseReply(parsed, res.status, req);
    // A proxy that ignored `stream: true` answered in one piece: the caller still gets its text.
    if (req.stream && reply.text !== '') onText(reply.text);
    return reply;
  } catch (err) {
    throw failure(err);
  } finally {
    clearTimeout(timer);
    // Releases the connection when we stopped reading early (a complete stream, an error).
    deadline.abort();
  }
}

/** Reads an event stream into the family's accumulator until its reply is complete or the body ends. */
async function readStream(
  client: ProviderClient,
  req: ProviderRequest,
  res: Response,
  onText: (delta: string) => void,
  secret: string,
): Promise<ProviderReply> {
  const acc = client.startStream(req, onText);
  const parser = new SseParser();
  const reader = res.body ? bytesOf(res).getReader() : undefined;
  let complete = false;
  const take = (events: ReturnType<SseParser['push']>): void => {
    for (const ev of events) {
      // An error event may echo the key; it is removed before any classification reads it.
      const event = ev.data.includes(secret) ? { ...ev, data: removeWholeSecrets(ev.data, [secret]) } : ev;
      if (acc.onEvent(event)) {
        complete = true;
        return;
      }
    }
  };
  if (reader) {
    try {
      while (!complete) {
        const { value, done } = await reader.read();
        if (done) {
          take(parser.end());
          break;
        }
        take(parser.push(value));
      }
    } finally {
      if (complete) void reader.cancel().catch(() => undefined);
    }
  }
  return acc.finish(res.status);
}
