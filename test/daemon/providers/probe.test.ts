/** daemon/providers/probe: live probes against a real HTTP server — concurrency, order, real timeouts, no secrets. */
import assert from 'node:assert/strict';
import { PROBE_PROMPT, runProbes } from '../../../daemon/providers/probe.js';
import type { ProbeTarget } from '../../../daemon/providers/probe.js';
import { probeModelFor, PROVIDERS } from '../../../ipc/providers.js';
import { assertNoSecrets, fakeSecret } from '../../support/harness.js';
import { json, startFakeProvider } from '../../support/scenario-provider.js';
import type { FakeProvider } from '../../support/scenario-provider.js';

const KEYS = Array.from({ length: 8 }, () => fakeSecret('sk-ant-api03-'));
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('runProbes', () => {
  let fake: FakeProvider;
  before(async () => {
    fake = await startFakeProvider({
      ok: async (res) => {
        await delay(40);
        json(res, 200, {
          type: 'message',
          model: 'ok',
          content: [{ type: 'text', text: 'OK' }],
          stop_reason: 'end_turn',
          usage: { input_tokens: 3, output_tokens: 1 },
        });
      },
      'ok-openai': async (res) => {
        await delay(40);
        json(res, 200, { model: 'ok-openai', choices: [{ message: { content: 'OK' }, finish_reason: 'stop' }] });
      },
      revoked: async (res, rec) => {
        await delay(20);
        json(res, 401, { type: 'error', error: { type: 'authentication_error', message: `key ${String(rec.headers['x-api-key'])} has been revoked` } });
      },
      limited: (res) => json(res, 429, { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }, { 'retry-after': '12' }),
      silent: () => undefined,
    });
  });
  after(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.maxInFlight = 0;
  });

  const target = (i: number, model: string, over: Partial<ProbeTarget> = {}): ProbeTarget => ({
    profileId: `anthropic:p${i}`,
    envVar: null,
    provider: 'anthropic',
    api: 'anthropic-messages',
    baseUrl: fake.url,
    model,
    credential: () => Promise.resolve({ type: 'api_key', secret: KEYS[i]! }),
    ...over,
  });

  it('runs at most `concurrency` at once, keeps the order of the targets, and classifies each', async () => {
    const targets = [
      target(0, 'ok'),
      target(1, 'revoked'),
      target(2, 'ok'),
      target(3, 'limited'),
      target(4, 'ok-openai', { profileId: null, envVar: 'OPENAI_API_KEY', provider: 'openai', api: 'openai-chat' }),
      target(5, 'ok'),
      target(6, 'ok'),
      target(7, 'ok', { credential: () => Promise.reject(new Error('No credentials found for provider "anthropic"')) }),
    ];
    const results = await runProbes(targets, { timeoutMs: 5000, concurrency: 2, maxTokens: 8 });
    assert.ok(fake.maxInFlight <= 2, `max in flight ${fake.maxInFlight}`);
    assert.equal(fake.maxInFlight, 2, 'and it did run two at once');
    assert.deepEqual(
      results.map((r) => [r.profileId ?? r.envVar, r.status]),
      [
        ['anthropic:p0', 'ok'],
        ['anthropic:p1', 'auth_permanent'],
        ['anthropic:p2', 'ok'],
        ['anthropic:p3', 'rate_limit'],
        ['OPENAI_API_KEY', 'ok'],
        ['anthropic:p5', 'ok'],
        ['anthropic:p6', 'ok'],
        ['anthropic:p7', 'unknown'],
      ],
    );
    assert.equal(results[3]!.retryAfterMs, 12_000);
    assert.equal(results[3]!.modelScoped, true);
    assert.equal(results[0]!.error, null);
    assert.match(results[7]!.error ?? '', /No credentials found/);
    for (const r of results) assert.ok(r.latencyMs >= 0);
    assertNoSecrets(KEYS, { results: JSON.stringify(results) });
  });

  it('sends one minimal non-streamed request with max_tokens from the options', async () => {
    const before = fake.received.length;
    await runProbes([target(0, 'ok')], { timeoutMs: 5000, concurrency: 4, maxTokens: 5 });
    const rec = fake.received[before]!;
    assert.deepEqual(rec.body, { model: 'ok', max_tokens: 5, messages: [{ role: 'user', content: PROBE_PROMPT }] });
  });

  it('a server that never answers ends as timeout within timeoutMs + 1 s, and the others still finish', async () => {
    const t0 = Date.now();
    const results = await runProbes([target(0, 'silent'), target(1, 'ok'), target(2, 'silent')], { timeoutMs: 700, concurrency: 3, maxTokens: 8 });
    assert.ok(Date.now() - t0 < 1700, `took ${Date.now() - t0} ms`);
    assert.deepEqual(
      results.map((r) => r.status),
      ['timeout', 'ok', 'timeout'],
    );
  });

  it('a credential resolver that hangs is cut off by the same bound', async () => {
    const t0 = Date.now();
    const [r] = await runProbes([target(0, 'ok', { credential: () => new Promise(() => undefined) })], { timeoutMs: 500, concurrency: 1, maxTokens: 8 });
    assert.equal(r!.status, 'timeout');
    assert.ok(Date.now() - t0 < 1500);
  });

  it('no targets, no probes', async () => {
    assert.deepEqual(await runProbes([], { timeoutMs: 100, concurrency: 0, maxTokens: 1 }), []);
  });

  it('every built-in provider with a client has a default probe model', () => {
    assert.equal(probeModelFor('anthropic'), 'claude-haiku-4-5');
    assert.equal(probeModelFor('openrouter'), 'openai/gpt-4o-mini');
    assert.equal(probeModelFor('nope'), undefined);
    for (const p of PROVIDERS) if (p.id !== 'github-copilot') assert.ok(probeModelFor(p.id), p.id);
  });
});
