/** daemon/resolver/order: §8.1's order as a pure function of stores, config and a clock. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { modelScope, orderCandidates } from '../../../daemon/resolver/order.js';
import type { Credential, UsageState } from '../../../daemon/stores/credentials.js';

const NOW = 1_800_000_000_000;
const key = (provider = 'anthropic'): Credential => ({ type: 'api_key', provider, key: 'k' });
const token = (provider = 'anthropic', expires?: number): Credential => ({ type: 'token', provider, token: 't', ...(expires ? { expires } : {}) });
const oauth = (provider = 'anthropic'): Credential => ({ type: 'oauth', provider, access: 'a', refresh: 'r', expires: NOW + 3_600_000 });
const usage = (stats: UsageState['usageStats'] = {}): UsageState => ({ lastGood: {}, usageStats: stats });
const usable = () => null;

describe('credential order (§8.1)', () => {
  const profiles = { 'anthropic:k': key(), 'anthropic:t': token(), 'anthropic:o': oauth(), 'openai:x': key('openai') };

  it('round robin: oauth, then token, then api_key; least recently used first within a type', () => {
    const r = orderCandidates({
      provider: 'anthropic',
      profiles: { ...profiles, 'anthropic:k2': key() },
      usage: usage({ 'anthropic:k': { lastUsed: NOW - 10 }, 'anthropic:k2': { lastUsed: NOW - 1000 } }),
      now: NOW,
      unusableReason: usable,
    });
    assert.equal(r.source, 'round-robin');
    assert.deepEqual(
      r.candidates.map((c) => c.id),
      ['anthropic:o', 'anthropic:t', 'anthropic:k2', 'anthropic:k'],
    );
  });

  it('pin > agent order > config order > round robin; unknown ids in an order are ignored', () => {
    const base = { provider: 'anthropic', profiles, usage: usage(), now: NOW, unusableReason: usable };
    assert.deepEqual(
      orderCandidates({ ...base, configOrder: ['anthropic:k', 'anthropic:t'] }).candidates.map((c) => c.id),
      ['anthropic:k', 'anthropic:t'],
    );
    const agent = orderCandidates({ ...base, configOrder: ['anthropic:k'], agentOrder: ['anthropic:t', 'ghost:x', 'anthropic:o'] });
    assert.equal(agent.source, 'agent');
    assert.deepEqual(
      agent.candidates.map((c) => c.id),
      ['anthropic:t', 'anthropic:o'],
    );
    const pinned = orderCandidates({ ...base, agentOrder: ['anthropic:t'], pin: 'anthropic:k' });
    assert.equal(pinned.source, 'pin');
    assert.deepEqual(
      pinned.candidates.map((c) => c.id),
      ['anthropic:k'],
    );
    assert.equal(orderCandidates({ ...base, agentOrder: ['ghost:x'] }).source, 'round-robin', 'an order naming nothing that exists does not apply');
  });

  it('moves cooling and disabled profiles to the end, soonest available first, and skips unusable ones', () => {
    const r = orderCandidates({
      provider: 'anthropic',
      profiles,
      usage: usage({
        'anthropic:o': { cooldownUntil: NOW + 60_000, cooldownReason: 'rate_limit' },
        'anthropic:t': { disabledUntil: NOW + 30_000, disabledReason: 'billing' },
      }),
      now: NOW,
      unusableReason: (id) => (id === 'anthropic:k' ? 'expired' : null),
    });
    assert.deepEqual(
      r.candidates.map((c) => [c.id, c.state]),
      [
        ['anthropic:t', 'disabled'],
        ['anthropic:o', 'cooldown'],
      ],
    );
    assert.deepEqual(
      r.skipped.map((c) => c.id),
      ['anthropic:k'],
    );
  });

  it('a cooldown scoped to one model does not apply to another', () => {
    const stats = usage({ 'anthropic:k': { cooldownUntil: NOW + 60_000, cooldownModel: 'anthropic/claude-opus-4-5' } });
    const base = { provider: 'anthropic', profiles: { 'anthropic:k': key() }, usage: stats, now: NOW, unusableReason: usable };
    assert.equal(orderCandidates({ ...base, model: 'anthropic/claude-opus-4-5' }).candidates[0]?.state, 'cooldown');
    assert.equal(orderCandidates({ ...base, model: 'anthropic/claude-sonnet-4-5' }).candidates[0]?.state, 'available');
    // A chat turn names the model as the provider knows it, config as provider/model: the same scope.
    assert.equal(orderCandidates({ ...base, model: 'claude-opus-4-5' }).candidates[0]?.state, 'cooldown');
  });

  it("a model scope drops only the provider's own prefix", () => {
    assert.equal(modelScope('anthropic/claude-opus-4-5', 'anthropic'), 'claude-opus-4-5');
    assert.equal(modelScope('claude-opus-4-5', 'anthropic'), 'claude-opus-4-5');
    assert.equal(modelScope('openrouter/meta/llama-3', 'openrouter'), 'meta/llama-3');
    assert.equal(modelScope('meta/llama-3', 'openrouter'), 'meta/llama-3');
  });

  it('returns each usable profile of the provider exactly once, available before waiting (property)', () => {
    const arb = fc.dictionary(
      fc.stringMatching(/^[a-z]{1,6}$/).map((s) => `anthropic:${s}`),
      fc.record({ type: fc.constantFrom('api_key', 'token', 'oauth'), lastUsed: fc.nat(1000), cooldown: fc.integer({ min: -100, max: 100 }) }),
      { maxKeys: 8 },
    );
    fc.assert(
      fc.property(arb, fc.array(fc.string(), { maxLength: 4 }), (spec, order) => {
        const ps: Record<string, Credential> = {};
        const stats: UsageState['usageStats'] = {};
        for (const [id, s] of Object.entries(spec)) {
          ps[id] = s.type === 'api_key' ? key() : s.type === 'token' ? token() : oauth();
          stats[id] = { lastUsed: s.lastUsed, cooldownUntil: NOW + s.cooldown * 1000 };
        }
        const r = orderCandidates({ provider: 'anthropic', profiles: ps, configOrder: order, usage: usage(stats), now: NOW, unusableReason: usable });
        const ids = r.candidates.map((c) => c.id);
        assert.equal(new Set(ids).size, ids.length);
        if (r.source === 'round-robin') assert.deepEqual([...ids].sort(), Object.keys(ps).sort());
        const firstWaiting = r.candidates.findIndex((c) => c.state !== 'available');
        if (firstWaiting >= 0) assert.ok(r.candidates.slice(firstWaiting).every((c) => c.state !== 'available'));
      }),
      { numRuns: 300 },
    );
  });
});
