/**
 * The shapes every provider client shares (§9): one request, one reply, and the two ways a call
 * ends badly — a `ProviderCallError` carrying the §8.2 outcome to report, or a
 * `ProviderCancelledError` when the caller gave up (which is no outcome: it says nothing about
 * the credential and must not be reported).
 */
import type { CallOutcome, ProfileType } from '../../ipc/protocol.js';
import type { ProviderApi } from '../../ipc/providers.js';
import type { SseEvent } from './sse.js';

/** One turn of a conversation. The system prompt travels apart (`ProviderRequest.system`). */
export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

/** The credential a call is made with: the secret and how the provider expects it. */
export interface ProviderCredential {
  type: ProfileType;
  secret: string;
}

/** One call to a provider. */
export interface ProviderRequest {
  api: ProviderApi;
  /** The provider id (`anthropic`, `openai`, …): a few provider-specific body choices depend on it. */
  provider: string;
  /** The provider's base URL, as `ResolvedProvider.baseUrl` gives it (a trailing `/` is fine). */
  baseUrl: string;
  credential: ProviderCredential;
  /** The provider's own model id, without the `provider/` prefix. */
  model: string;
  messages: ChatMessage[];
  system?: string;
  maxTokens: number;
  stream: boolean;
  /** The caller's abort: ends the call with a `ProviderCancelledError`. */
  signal?: AbortSignal;
  /** A hard bound on the whole call, headers and body (default `DEFAULT_TIMEOUT_MS`). */
  timeoutMs?: number;
  /** Each piece of streamed text as it arrives. */
  onText?: (delta: string) => void;
  /** For tests and proxies; the global `fetch` otherwise. */
  fetchImpl?: typeof fetch;
  /** The clock for `Retry-After` dates; `Date.now` otherwise. */
  now?: () => number;
}

/** What a successful call answered. */
export interface ProviderReply {
  text: string;
  /** The model the provider says answered (may differ from the one asked, e.g. an alias). */
  model: string;
  stopReason: string | null;
  usage: { inputTokens: number | null; outputTokens: number | null };
  /** The HTTP status of the answer. */
  status: number;
}

/** The fields of a `ProviderCallError`. */
export interface ProviderCallErrorFields {
  outcome: CallOutcome;
  /** A short reason for people: never a secret, never a raw body. */
  message: string;
  status?: number | null;
  retryAfterMs?: number | null;
  modelScoped?: boolean;
  streamed?: boolean;
}

/** A call that failed, with the §8.2 outcome to report for the credential it used. */
export class ProviderCallError extends Error {
  override readonly name = 'ProviderCallError';
  readonly outcome: CallOutcome;
  /** The HTTP status, or null when no response came (network, timeout). */
  readonly status: number | null;
  /** When the provider said to come back, in ms from now (bounded to 24 h). */
  readonly retryAfterMs: number | null;
  /** Whether the failure concerns only the model asked (a per-model rate limit, an unknown model). */
  readonly modelScoped: boolean;
  /** Whether some text already reached `onText`: a caller must not silently retry elsewhere. */
  readonly streamed: boolean;
  /** Always false here; see `ProviderCancelledError`. */
  readonly cancelled = false;

  constructor(f: ProviderCallErrorFields) {
    super(f.message);
    this.outcome = f.outcome;
    this.status = f.status ?? null;
    this.retryAfterMs = f.retryAfterMs ?? null;
    this.modelScoped = f.modelScoped ?? false;
    this.streamed = f.streamed ?? false;
  }

  /** The same error, with `streamed` set: the stream reader knows that, the thrower may not. */
  withStreamed(streamed: boolean): ProviderCallError {
    if (streamed === this.streamed) return this;
    return new ProviderCallError({
      outcome: this.outcome,
      message: this.message,
      status: this.status,
      retryAfterMs: this.retryAfterMs,
      modelScoped: this.modelScoped,
      streamed,
    });
  }
}

/** The caller aborted the call. Not an outcome: nothing about the credential is learnt. */
export class ProviderCancelledError extends Error {
  override readonly name = 'ProviderCancelledError';
  readonly cancelled = true;
  /** Whether some text already reached `onText`. */
  readonly streamed: boolean;

  constructor(streamed: boolean) {
    super('the call was cancelled');
    this.streamed = streamed;
  }
}

/** The HTTP request a client builds; the secret is only ever in `headers`. */
export interface HttpRequestSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Gathers a streamed reply event by event. */
export interface StreamAccumulator {
  /** Takes one SSE event; throws `ProviderCallError` on an error event; true once the reply is complete. */
  onEvent(event: SseEvent): boolean;
  /** The reply so far; throws `ProviderCallError` if the stream ended before it was complete. */
  finish(status: number): ProviderReply;
}

/** One API family: how to build its request and read its replies. */
export interface ProviderClient {
  buildRequest(req: ProviderRequest): HttpRequestSpec;
  /** A non-streamed reply's parsed JSON body; throws `ProviderCallError` when it is not a reply. */
  parseReply(body: unknown, status: number, req: ProviderRequest): ProviderReply;
  /** A new accumulator for one streamed reply; `onText` gets each text delta. */
  startStream(req: ProviderRequest, onText: (delta: string) => void): StreamAccumulator;
}
