/**
 * The OpenAI-compatible Chat Completions client (§9): `POST <baseUrl>/chat/completions` with a
 * bearer key, for openai, openrouter, groq, deepseek, mistral, xai, Gemini's OpenAI endpoint and
 * any proxy that speaks it. Streams are `data: {chunk}` lines ending with `data: [DONE]`; some
 * routers (OpenRouter) report an upstream failure as an `error` object inside a 200 stream.
 */
import { VERSION } from '../../ipc/version.js';
import { classifyErrorEvent } from './classify.js';
import { MAX_REPLY_TEXT } from './limits.js';
import type { SseEvent } from './sse.js';
import { ProviderCallError } from './types.js';
import type { HttpRequestSpec, ProviderClient, ProviderCredential, ProviderReply, ProviderRequest, StreamAccumulator } from './types.js';
import { asArray, asNumber, asRecord, asString, at, parseJson } from './untrusted-json.js';

// Mistral's API refuses unknown fields (422 "Extra inputs are not permitted" on
// stream_options); it sends usage in the last chunk anyway.
const NO_STREAM_OPTIONS: ReadonlySet<string> = new Set(['mistral']);

/** `<base>/chat/completions`. */
export function chatCompletionsUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/chat/completions`;
}

/** How a credential travels to an OpenAI-compatible API: always a bearer (the client and the local proxy both use this). */
export function bearerAuthHeaders(credential: ProviderCredential): Record<string, string> {
  return { authorization: `Bearer ${credential.secret}` };
}

function buildRequest(req: ProviderRequest): HttpRequestSpec {
  const messages = [
    ...(req.system !== undefined && req.system !== '' ? [{ role: 'system', content: req.system }] : []),
    ...req.messages.map((m) => ({ role: m.role, content: m.content })),
  ];
  // OpenAI itself refuses max_tokens for its reasoning models (o-series, gpt-5) and accepts
  // max_completion_tokens for every chat model; compatible providers know only max_tokens.
  const limit = req.provider === 'openai' ? { max_completion_tokens: req.maxTokens } : { max_tokens: req.maxTokens };
  const body = {
    model: req.model,
    messages,
    ...limit,
    stream: req.stream,
    ...(req.stream && !NO_STREAM_OPTIONS.has(req.provider) ? { stream_options: { include_usage: true } } : {}),
  };
  return {
    url: chatCompletionsUrl(req.baseUrl),
    headers: {
      'content-type': 'application/json',
      accept: req.stream ? 'text/event-stream' : 'application/json',
      ...bearerAuthHeaders(req.credential),
      'user-agent': `opensoul/${VERSION}`,
    },
    body: JSON.stringify(body),
  };
}

function errorOf(error: unknown, model: string, streamed: boolean): ProviderCallError {
  const code = at(error, 'code');
  const c = classifyErrorEvent({
    type: asString(at(error, 'type')),
    code: typeof code === 'number' || typeof code === 'string' ? code : undefined,
    message: asString(at(error, 'message')),
    model,
  });
  return new ProviderCallError({ outcome: c.outcome, message: c.message, modelScoped: c.modelScoped, streamed });
}

function notAReply(what: string): ProviderCallError {
  return new ProviderCallError({ outcome: 'unknown', message: `the provider's answer was not a Chat Completions ${what}` });
}

/** A message's content: a string, or (some providers) an array of text parts. */
function contentText(content: unknown): string {
  const s = asString(content);
  if (s !== undefined) return s;
  return (asArray(content) ?? []).map((p) => asString(at(p, 'text')) ?? '').join('');
}

function usageOf(body: unknown): { inputTokens: number | null; outputTokens: number | null } {
  return { inputTokens: asNumber(at(body, 'usage', 'prompt_tokens')) ?? null, outputTokens: asNumber(at(body, 'usage', 'completion_tokens')) ?? null };
}

function parseReply(body: unknown, status: number, req: ProviderRequest): ProviderReply {
  if (asRecord(at(body, 'error'))) throw errorOf(at(body, 'error'), req.model, false);
  const choice = asArray(at(body, 'choices'))?.[0];
  if (!asRecord(choice)) throw notAReply('reply');
  return {
    text: contentText(at(choice, 'message', 'content')),
    model: asString(at(body, 'model')) ?? req.model,
    stopReason: asString(at(choice, 'finish_reason')) ?? null,
    usage: usageOf(body),
    status,
  };
}

function startStream(req: ProviderRequest, onText: (delta: string) => void): StreamAccumulator {
  let text = '';
  let model = req.model;
  let stopReason: string | null = null;
  let usage: { inputTokens: number | null; outputTokens: number | null } = { inputTokens: null, outputTokens: null };
  let done = false;
  return {
    onEvent(ev: SseEvent): boolean {
      if (ev.data.trim() === '[DONE]') {
        done = true;
        return true;
      }
      const chunk = parseJson(ev.data);
      if (!asRecord(chunk)) throw notAReply('stream chunk');
      if (asRecord(at(chunk, 'error'))) throw errorOf(at(chunk, 'error'), req.model, text.length > 0);
      model = asString(at(chunk, 'model')) || model;
      if (asRecord(at(chunk, 'usage'))) usage = usageOf(chunk);
      const choice = asArray(at(chunk, 'choices'))?.[0];
      const delta = contentText(at(choice, 'delta', 'content'));
      if (delta !== '') {
        if (text.length + delta.length > MAX_REPLY_TEXT)
          throw new ProviderCallError({ outcome: 'unknown', message: 'the streamed reply exceeded its size bound', streamed: text.length > 0 });
        text += delta;
        onText(delta);
      }
      stopReason = asString(at(choice, 'finish_reason')) ?? stopReason;
      return false;
    },
    finish(status: number): ProviderReply {
      if (!done && stopReason === null) {
        throw new ProviderCallError({ outcome: 'network', message: 'the stream ended before the reply was complete', streamed: text.length > 0 });
      }
      return { text, model, stopReason, usage, status };
    },
  };
}

/** The OpenAI-compatible Chat Completions family. */
export const openaiChat: ProviderClient = { buildRequest, parseReply, startStream };
