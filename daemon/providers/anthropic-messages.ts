/**
 * The Anthropic Messages API client (§9): `POST <baseUrl>/v1/messages`, streamed or not.
 *
 * Credentials: an API key goes in `x-api-key`; a setup-token (`sk-ant-oat01-…`, from
 * `claude setup-token`) or an OAuth access token goes in `Authorization: Bearer` with the
 * `anthropic-beta: oauth-2025-04-20` flag that the API requires for OAuth tokens. We say who we
 * are (`user-agent: opensoul/<version>`) and do NOT impersonate Claude Code (no Claude Code
 * user-agent, no "You are Claude Code" system prompt): when Anthropic refuses a token for use
 * outside Claude Code, the call fails as `credential_scope` and the remedy is an API key.
 */
import { VERSION } from '../../ipc/version.js';
import { classifyErrorEvent } from './classify.js';
import { MAX_REPLY_TEXT } from './limits.js';
import type { SseEvent } from './sse.js';
import { ProviderCallError } from './types.js';
import type { HttpRequestSpec, ProviderClient, ProviderCredential, ProviderReply, ProviderRequest, StreamAccumulator } from './types.js';
import { asArray, asNumber, asRecord, asString, at, parseJson } from './untrusted-json.js';

/** The API version every request names. */
export const ANTHROPIC_VERSION = '2023-06-01';

/** The beta flag without which the API refuses an OAuth bearer token. */
export const ANTHROPIC_OAUTH_BETA = 'oauth-2025-04-20';

/** `<base>/v1/messages`; a base URL that already ends in `/v1` (a common proxy setting) is not doubled. */
export function messagesUrl(baseUrl: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  return /\/v1$/.test(base) ? `${base}/messages` : `${base}/v1/messages`;
}

/**
 * How a credential travels to the Messages API: an API key in `x-api-key`; a setup-token or an
 * OAuth access token as a bearer with the OAuth beta flag. The one place this rule is written
 * (the client here and the local proxy both use it).
 */
export function anthropicAuthHeaders(credential: ProviderCredential): Record<string, string> {
  if (credential.type === 'api_key') return { 'x-api-key': credential.secret };
  return { authorization: `Bearer ${credential.secret}`, 'anthropic-beta': ANTHROPIC_OAUTH_BETA };
}

function buildRequest(req: ProviderRequest): HttpRequestSpec {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: req.stream ? 'text/event-stream' : 'application/json',
    'anthropic-version': ANTHROPIC_VERSION,
    'user-agent': `opensoul/${VERSION}`,
    ...anthropicAuthHeaders(req.credential),
  };
  const body = {
    model: req.model,
    max_tokens: req.maxTokens,
    messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
    ...(req.system !== undefined && req.system !== '' ? { system: req.system } : {}),
    ...(req.stream ? { stream: true } : {}),
  };
  return { url: messagesUrl(req.baseUrl), headers, body: JSON.stringify(body) };
}

function errorOf(error: unknown, model: string, streamed: boolean): ProviderCallError {
  const c = classifyErrorEvent({ type: asString(at(error, 'type')), message: asString(at(error, 'message')), model });
  return new ProviderCallError({ outcome: c.outcome, message: c.message, modelScoped: c.modelScoped, streamed });
}

function notAReply(what: string): ProviderCallError {
  return new ProviderCallError({ outcome: 'unknown', message: `the provider's answer was not a Messages API ${what}` });
}

function parseReply(body: unknown, status: number, req: ProviderRequest): ProviderReply {
  if (asString(at(body, 'type')) === 'error') throw errorOf(at(body, 'error'), req.model, false);
  const content = asArray(at(body, 'content'));
  if (!content) throw notAReply('reply');
  const text = content
    .filter((b) => asString(at(b, 'type')) === 'text')
    .map((b) => asString(at(b, 'text')) ?? '')
    .join('');
  return {
    text,
    model: asString(at(body, 'model')) ?? req.model,
    stopReason: asString(at(body, 'stop_reason')) ?? null,
    usage: { inputTokens: asNumber(at(body, 'usage', 'input_tokens')) ?? null, outputTokens: asNumber(at(body, 'usage', 'output_tokens')) ?? null },
    status,
  };
}

function startStream(req: ProviderRequest, onText: (delta: string) => void): StreamAccumulator {
  let text = '';
  let model = req.model;
  let stopReason: string | null = null;
  let inputTokens: number | null = null;
  let outputTokens: number | null = null;
  let done = false;
  return {
    onEvent(ev: SseEvent): boolean {
      const data = parseJson(ev.data);
      if (!asRecord(data)) throw notAReply('stream event');
      const type = asString(at(data, 'type')) ?? ev.event;
      switch (type) {
        case 'message_start':
          model = asString(at(data, 'message', 'model')) ?? model;
          inputTokens = asNumber(at(data, 'message', 'usage', 'input_tokens')) ?? inputTokens;
          outputTokens = asNumber(at(data, 'message', 'usage', 'output_tokens')) ?? outputTokens;
          break;
        case 'content_block_delta': {
          const delta = asString(at(data, 'delta', 'text'));
          if (asString(at(data, 'delta', 'type')) !== 'text_delta' || !delta) break;
          if (text.length + delta.length > MAX_REPLY_TEXT)
            throw new ProviderCallError({ outcome: 'unknown', message: 'the streamed reply exceeded its size bound', streamed: text.length > 0 });
          text += delta;
          onText(delta);
          break;
        }
        case 'message_delta':
          stopReason = asString(at(data, 'delta', 'stop_reason')) ?? stopReason;
          inputTokens = asNumber(at(data, 'usage', 'input_tokens')) ?? inputTokens;
          outputTokens = asNumber(at(data, 'usage', 'output_tokens')) ?? outputTokens;
          break;
        case 'message_stop':
          done = true;
          break;
        case 'error':
          throw errorOf(at(data, 'error'), req.model, text.length > 0);
        default: // ping, content_block_start/stop, and event types added later
          break;
      }
      return done;
    },
    finish(status: number): ProviderReply {
      if (!done && stopReason === null) {
        throw new ProviderCallError({ outcome: 'network', message: 'the stream ended before the reply was complete', streamed: text.length > 0 });
      }
      return { text, model, stopReason, usage: { inputTokens, outputTokens }, status };
    },
  };
}

/** The Anthropic Messages API family. */
export const anthropicMessages: ProviderClient = { buildRequest, parseReply, startStream };
