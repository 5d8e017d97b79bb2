/** daemon/providers/anthropic-messages through callProvider, against a real HTTP server standing in for Anthropic. */
import assert from 'node:assert/strict';
import type http from 'node:http';
import { callProvider } from '../../../daemon/providers/call.js';
import { ProviderCallError } from '../../../daemon/providers/types.js';
import type { ProviderRequest } from '../../../daemon/providers/types.js';
import type { CallOutcome } from '../../../ipc/protocol.js';
import { assertNoSecrets, fakeSecret } from '../../support/harness.js';
import { json, sse, startFakeProvider, writeSlowly } from '../../support/scenario-provider.js';
import type { FakeProvider, Scenario } from '../../support/scenario-provider.js';

const KEY = fakeSecret('sk-ant-api03-');
const TOKEN = fakeSecret('sk-ant-oat01-', 90);

const okMessage = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-test-1',
  content: [
    { type: 'text', text: 'Hello ' },
    { type: 'tool_use', id: 't', name: 'x', input: {} },
    { type: 'text', text: 'there' },
  ],
  stop_reason: 'end_turn',
  usage: { input_tokens: 12, output_tokens: 3 },
};
const anthropicError = (type: string, message: string) => ({ type: 'error', error: { type, message } });

// Sent 3 bytes at a time: the 4-byte "🦀" is always split, and CRLF ends some lines.
const STREAM_TEXT = ['Grüße ', '€ and 🦀', ' done'];
const streamBody =
  ': keep-alive comment\n' +
  sse([
    { event: 'message_start', data: { type: 'message_start', message: { model: 'claude-test-1', usage: { input_tokens: 20, output_tokens: 1 } } } },
    { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
    { event: 'ping', data: { type: 'ping' } },
    ...STREAM_TEXT.map((t) => ({ event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: t } } })),
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
    { event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 9 } } },
    { event: 'message_stop', data: { type: 'message_stop' } },
  ]).replace(/\n\n/g, '\r\n\r\n');

const failures: Record<
  string,
  { status: number; body: unknown; headers?: Record<string, string>; outcome: CallOutcome; modelScoped?: boolean; retryAfterMs?: number }
> = {
  'fail-401-plain': { status: 401, body: anthropicError('authentication_error', `invalid x-api-key ${KEY}`), outcome: 'auth' },
  'fail-401-revoked': { status: 401, body: anthropicError('authentication_error', 'This API key has been revoked.'), outcome: 'auth_permanent' },
  'fail-403-billing': {
    status: 403,
    body: anthropicError('permission_error', 'Your credit balance is too low to access the Anthropic API.'),
    outcome: 'billing',
  },
  'fail-402': { status: 402, body: anthropicError('billing_error', 'Payment required'), outcome: 'billing' },
  'fail-429-retry': {
    status: 429,
    body: anthropicError('rate_limit_error', 'Number of requests has exceeded your rate limit'),
    headers: { 'retry-after': '17' },
    outcome: 'rate_limit',
    modelScoped: true,
    retryAfterMs: 17_000,
  },
  'fail-429-quota': {
    status: 429,
    body: {
      error: {
        type: 'insufficient_quota',
        code: 'insufficient_quota',
        message: 'You exceeded your current quota, please check your plan and billing details.',
      },
    },
    outcome: 'billing',
  },
  'fail-529': { status: 529, body: anthropicError('overloaded_error', 'Overloaded'), outcome: 'overloaded' },
  'fail-503-overloaded': { status: 503, body: { error: { message: 'The server is overloaded, try later' } }, outcome: 'overloaded' },
  'fail-500': { status: 500, body: anthropicError('api_error', 'Internal server error'), outcome: 'timeout' },
  'fail-404': { status: 404, body: anthropicError('not_found_error', 'model: fail-404'), outcome: 'model_not_found', modelScoped: true },
  'fail-400-scope': {
    status: 400,
    body: anthropicError('invalid_request_error', 'This credential is only authorized for use with Claude Code and cannot be used for other API requests.'),
    outcome: 'credential_scope',
  },
  'fail-400-other': { status: 400, body: anthropicError('invalid_request_error', 'messages: field required'), outcome: 'format' },
  'fail-422': { status: 422, body: { detail: 'Unprocessable' }, outcome: 'format' },
};

describe('Anthropic Messages client', () => {
  let fake: FakeProvider;
  const scenarios: Record<string, Scenario> = {
    ok: (res) => json(res, 200, okMessage),
    stream: async (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      await writeSlowly(res, streamBody, 3, 1);
    },
    'stream-error': async (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      await writeSlowly(
        res,
        sse([
          { event: 'message_start', data: { type: 'message_start', message: { model: 'claude-test-1', usage: { input_tokens: 5 } } } },
          { event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'partial' } } },
          { event: 'error', data: { type: 'error', error: { type: 'overloaded_error', message: `Overloaded (key ${KEY})` } } },
        ]),
        64,
        2,
      );
    },
    'stream-cut': async (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      await writeSlowly(res, sse([{ data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'half' } } }]), 64, 1);
    },
  };
  for (const [model, f] of Object.entries(failures)) scenarios[model] = (res: http.ServerResponse) => json(res, f.status, f.body, f.headers);

  before(async () => {
    fake = await startFakeProvider(scenarios);
  });
  after(async () => {
    await fake.close();
  });

  const request = (over: Partial<ProviderRequest> = {}): ProviderRequest => ({
    api: 'anthropic-messages',
    provider: 'anthropic',
    baseUrl: fake.url,
    credential: { type: 'api_key', secret: KEY },
    model: 'ok',
    messages: [{ role: 'user', content: 'Hi' }],
    maxTokens: 64,
    stream: false,
    timeoutMs: 5000,
    ...over,
  });
  const last = () => fake.received[fake.received.length - 1]!;

  it('sends an API key as x-api-key, with the API version and our own user-agent, and reads the text blocks', async () => {
    const reply = await callProvider(request({ system: 'Be brief.' }));
    assert.deepEqual(reply, { text: 'Hello there', model: 'claude-test-1', stopReason: 'end_turn', usage: { inputTokens: 12, outputTokens: 3 }, status: 200 });
    const r = last();
    assert.equal(r.method, 'POST');
    assert.equal(r.path, '/v1/messages');
    assert.equal(r.headers['x-api-key'], KEY);
    assert.equal(r.headers.authorization, undefined);
    assert.equal(r.headers['anthropic-beta'], undefined);
    assert.equal(r.headers['anthropic-version'], '2023-06-01');
    assert.match(String(r.headers['user-agent']), /^opensoul\//);
    assert.deepEqual(r.body, { model: 'ok', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }], system: 'Be brief.' });
  });

  it('sends a setup-token as a bearer token with the OAuth beta flag, and does not pose as Claude Code', async () => {
    for (const type of ['token', 'oauth'] as const) {
      await callProvider(request({ credential: { type, secret: TOKEN } }));
      const r = last();
      assert.equal(r.headers.authorization, `Bearer ${TOKEN}`);
      assert.equal(r.headers['anthropic-beta'], 'oauth-2025-04-20');
      assert.equal(r.headers['x-api-key'], undefined);
      assert.doesNotMatch(String(r.headers['user-agent']), /claude/i);
      assert.equal(r.body.system, undefined, 'no system prompt is added');
    }
  });

  it('joins the path to a base URL with a trailing slash or an explicit /v1', async () => {
    await callProvider(request({ baseUrl: `${fake.url}/` }));
    assert.equal(last().path, '/v1/messages');
    await callProvider(request({ baseUrl: `${fake.url}/v1/` }));
    assert.equal(last().path, '/v1/messages');
  });

  it('streams text deltas as they arrive, across chunk splits inside UTF-8 characters and CRLF frames', async () => {
    const deltas: string[] = [];
    const reply = await callProvider(request({ model: 'stream', stream: true, onText: (d) => deltas.push(d) }));
    assert.deepEqual(deltas, STREAM_TEXT);
    assert.equal(reply.text, STREAM_TEXT.join(''));
    assertNoSecrets([KEY], { reply: JSON.stringify(reply) });
    assert.equal(reply.stopReason, 'end_turn');
    assert.deepEqual(reply.usage, { inputTokens: 20, outputTokens: 9 });
    assert.equal(last().body.stream, true);
    assert.equal(last().headers.accept, 'text/event-stream');
  });

  it('classifies each HTTP failure, with retry-after, model scope, and no secret in the message', async () => {
    for (const [model, f] of Object.entries(failures)) {
      const err = await callProvider(request({ model })).then(
        () => assert.fail(`${model} should fail`),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ProviderCallError, model);
      assert.equal(err.outcome, f.outcome, model);
      assert.equal(err.status, f.status, model);
      assert.equal(err.modelScoped, f.modelScoped ?? false, model);
      if (f.retryAfterMs !== undefined) assert.equal(err.retryAfterMs, f.retryAfterMs, model);
      assert.equal(err.streamed, false);
      assert.ok(err.message.length < 400, `${model}: a short message`);
      assertNoSecrets([KEY], { [model]: err.message });
    }
  });

  it('an error event mid-stream is classified by its type and says that text already went out', async () => {
    const deltas: string[] = [];
    const err = await callProvider(request({ model: 'stream-error', stream: true, onText: (d) => deltas.push(d) })).catch((e: unknown) => e);
    assert.ok(err instanceof ProviderCallError);
    assert.equal(err.outcome, 'overloaded');
    assert.equal(err.streamed, true);
    assert.deepEqual(deltas, ['partial']);
    assertNoSecrets([KEY], { message: err.message });
  });

  it('a stream that ends before message_stop is a network failure, not a reply', async () => {
    const err = await callProvider(request({ model: 'stream-cut', stream: true })).catch((e: unknown) => e);
    assert.ok(err instanceof ProviderCallError);
    assert.equal(err.outcome, 'network');
    assert.equal(err.streamed, true);
  });
});
