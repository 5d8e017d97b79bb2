/** daemon/providers/openai-chat through callProvider, against a real HTTP server standing in for an OpenAI-compatible API. */
import assert from 'node:assert/strict';
import { callProvider } from '../../../daemon/providers/call.js';
import { ProviderCallError } from '../../../daemon/providers/types.js';
import type { ProviderRequest } from '../../../daemon/providers/types.js';
import { assertNoSecrets, fakeSecret } from '../../support/harness.js';
import { json, sse, startFakeProvider, writeSlowly } from '../../support/scenario-provider.js';
import type { FakeProvider } from '../../support/scenario-provider.js';

const KEY = fakeSecret('sk-proj-');

const chunk = (content: string | null, finish: string | null = null) => ({
  id: 'c1',
  object: 'chat.completion.chunk',
  model: 'gpt-test',
  choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }],
  usage: null,
});
const STREAM_TEXT = ['Bonjour ', 'à ', 'vous 👋'];

describe('OpenAI-compatible Chat Completions client', () => {
  let fake: FakeProvider;
  before(async () => {
    fake = await startFakeProvider({
      ok: (res) =>
        json(res, 200, {
          id: 'x',
          object: 'chat.completion',
          model: 'gpt-test-2025',
          choices: [{ index: 0, message: { role: 'assistant', content: 'OK' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 9, completion_tokens: 1 },
        }),
      stream: async (res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
        const body =
          ': OPENROUTER PROCESSING\n\n' +
          sse([
            ...STREAM_TEXT.map((t) => ({ data: chunk(t) })),
            { data: chunk(null, 'stop') },
            { data: { id: 'c1', model: 'gpt-test', choices: [], usage: { prompt_tokens: 11, completion_tokens: 4 } } },
            { data: '[DONE]' },
          ]);
        await writeSlowly(res, body, 3, 1);
      },
      'stream-error': async (res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        await writeSlowly(
          res,
          sse([
            { data: chunk('Par') },
            {
              data: {
                id: 'c1',
                object: 'chat.completion.chunk',
                error: { code: 502, message: `Provider returned error for ${KEY}` },
                choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }],
              },
            },
          ]),
          64,
          2,
        );
      },
      'stream-rate': async (res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        await writeSlowly(res, sse([{ data: { error: { code: 'rate_limit_exceeded', message: 'slow down' } } }]), 64, 2);
      },
      'not-streamed': (res) => json(res, 200, { model: 'gpt-test', choices: [{ message: { content: 'whole' }, finish_reason: 'stop' }] }),
      quota: (res) =>
        json(res, 429, {
          error: {
            message: 'You exceeded your current quota, please check your plan and billing details.',
            type: 'insufficient_quota',
            code: 'insufficient_quota',
          },
        }),
      rate: (res) =>
        json(
          res,
          429,
          { error: { message: 'Rate limit reached for gpt-4o-mini on tokens per min', type: 'tokens', code: 'rate_limit_exceeded' } },
          {
            'x-ratelimit-remaining-tokens': '0',
            'x-ratelimit-reset-tokens': '6m0s',
            'x-ratelimit-remaining-requests': '99',
            'x-ratelimit-reset-requests': '20ms',
          },
        ),
      'bad-key': (res) =>
        json(res, 401, {
          error: {
            message: `Incorrect API key provided: ${KEY}. You can find your API key at https://platform.openai.com/account/api-keys.`,
            type: 'invalid_request_error',
            code: 'invalid_api_key',
          },
        }),
      'gemini-rate': (res) =>
        json(res, 429, [
          { error: { code: 429, message: 'You exceeded your current quota, please check your plan and billing details.', status: 'RESOURCE_EXHAUSTED' } },
        ]),
    });
  });
  after(async () => {
    await fake.close();
  });

  const request = (over: Partial<ProviderRequest> = {}): ProviderRequest => ({
    api: 'openai-chat',
    provider: 'groq',
    baseUrl: `${fake.url}/openai/v1`,
    credential: { type: 'api_key', secret: KEY },
    model: 'ok',
    messages: [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello' },
      { role: 'user', content: 'Again' },
    ],
    maxTokens: 32,
    stream: false,
    timeoutMs: 5000,
    ...over,
  });
  const last = () => fake.received[fake.received.length - 1]!;
  const failure = async (over: Partial<ProviderRequest>): Promise<ProviderCallError> => {
    const err = await callProvider(request(over)).then(
      () => assert.fail('should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ProviderCallError);
    assertNoSecrets([KEY], { message: err.message });
    return err;
  };

  it('posts to <base>/chat/completions with a bearer key and the system prompt as the first message', async () => {
    const reply = await callProvider(request({ system: 'Be brief.' }));
    assert.deepEqual(reply, { text: 'OK', model: 'gpt-test-2025', stopReason: 'stop', usage: { inputTokens: 9, outputTokens: 1 }, status: 200 });
    const r = last();
    assert.equal(r.path, '/openai/v1/chat/completions');
    assert.equal(r.headers.authorization, `Bearer ${KEY}`);
    assert.match(String(r.headers['user-agent']), /^opensoul\//);
    assert.deepEqual(r.body, {
      model: 'ok',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
        { role: 'user', content: 'Again' },
      ],
      max_tokens: 32,
      stream: false,
    });
  });

  it('asks OpenAI itself with max_completion_tokens (its reasoning models refuse max_tokens)', async () => {
    await callProvider(request({ provider: 'openai', baseUrl: `${fake.url}/v1/` }));
    assert.equal(last().path, '/v1/chat/completions');
    assert.equal(last().body.max_completion_tokens, 32);
    assert.equal(last().body.max_tokens, undefined);
  });

  it('streams content deltas with usage from the last chunk, across splits inside UTF-8 characters', async () => {
    const deltas: string[] = [];
    const reply = await callProvider(request({ model: 'stream', stream: true, onText: (d) => deltas.push(d) }));
    assert.deepEqual(deltas, STREAM_TEXT);
    assert.deepEqual(reply, { text: STREAM_TEXT.join(''), model: 'gpt-test', stopReason: 'stop', usage: { inputTokens: 11, outputTokens: 4 }, status: 200 });
    assert.equal(last().body.stream, true);
    assert.deepEqual(last().body.stream_options, { include_usage: true });
  });

  it('leaves stream_options out for Mistral, which refuses unknown fields', async () => {
    await callProvider(request({ provider: 'mistral', model: 'stream', stream: true }));
    assert.equal(last().body.stream_options, undefined);
  });

  it('an error object inside a 200 stream (OpenRouter) is classified, with streamed set after text', async () => {
    const deltas: string[] = [];
    const err = await failure({ model: 'stream-error', stream: true, onText: (d) => deltas.push(d) });
    assert.equal(err.outcome, 'timeout', 'code 502: the upstream failed');
    assert.equal(err.streamed, true);
    assert.deepEqual(deltas, ['Par']);
    const rate = await failure({ model: 'stream-rate', stream: true });
    assert.equal(rate.outcome, 'rate_limit');
    assert.equal(rate.streamed, false);
  });

  it('a proxy that ignores stream: true still gives its text to onText', async () => {
    const deltas: string[] = [];
    const reply = await callProvider(request({ model: 'not-streamed', stream: true, onText: (d) => deltas.push(d) }));
    assert.equal(reply.text, 'whole');
    assert.deepEqual(deltas, ['whole']);
  });

  it('429 insufficient_quota is billing; a plain 429 is a model-scoped rate limit waiting for the exhausted window', async () => {
    assert.equal((await failure({ model: 'quota' })).outcome, 'billing');
    const rate = await failure({ model: 'rate' });
    assert.equal(rate.outcome, 'rate_limit');
    assert.equal(rate.modelScoped, true);
    assert.equal(rate.retryAfterMs, 360_000);
    const gemini = await failure({ model: 'gemini-rate' });
    assert.equal(gemini.outcome, 'rate_limit', "Gemini's per-minute quota words are not billing");
  });

  it('an echoed key is scrubbed from the message', async () => {
    const err = await failure({ model: 'bad-key' });
    assert.equal(err.outcome, 'auth');
    assert.match(err.message, /Incorrect API key provided: \[redacted\]/);
  });
});
