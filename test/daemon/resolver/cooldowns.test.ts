/** daemon/resolver/cooldowns: §8.2's arithmetic, pure over the stats, the outcome and a clock. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CALL_OUTCOMES } from '../../../ipc/protocol.js';
import type { CallOutcome } from '../../../ipc/protocol.js';
import { UNTIL_REPLACED, applyOutcome } from '../../../daemon/resolver/cooldowns.js';
import type { UsageStats } from '../../../daemon/stores/credentials.js';

const cfg = { stepsMs: [30_000, 60_000, 300_000], failureWindowMs: 3_600_000 };
const H = 3_600_000;
const MIN = 60_000;

/** Applies outcomes one after another, `gapMs` apart, and returns every effect. */
function run(outcomes: CallOutcome[], gapMs = 1000, start = 1_000_000) {
  let stats: UsageStats | undefined;
  return outcomes.map((o, i) => {
    const now = start + i * gapMs;
    const e = applyOutcome(stats, o, now, cfg);
    stats = e.stats;
    return { ...e, now };
  });
}

describe('daemon/resolver/cooldowns', () => {
  it('rate_limit, overloaded, auth, format, unknown: 30 s, 60 s, then 5 min by errors in the window', () => {
    for (const o of ['rate_limit', 'overloaded', 'auth', 'format', 'unknown'] as const) {
      const waits = run([o, o, o, o]).map((e) => (e.stats.cooldownUntil ?? 0) - e.now);
      assert.deepEqual(waits, [30_000, 60_000, 300_000, 300_000], o);
    }
  });

  it('the count starts again after the failure window', () => {
    const [first, second] = run(['rate_limit', 'rate_limit'], cfg.failureWindowMs + 1);
    assert.equal((second?.stats.cooldownUntil ?? 0) - (second?.now ?? 0), 30_000);
    assert.equal(first?.stats.errorCount, 1);
  });

  it('billing disables 5 h, doubling to 24 h', () => {
    const waits = run(['billing', 'billing', 'billing', 'billing']).map((e) => (e.stats.disabledUntil ?? 0) - e.now);
    assert.deepEqual(waits, [5 * H, 10 * H, 20 * H, 24 * H]);
  });

  it('auth_permanent disables 10 min, doubling to 60 min', () => {
    const waits = run(['auth_permanent', 'auth_permanent', 'auth_permanent', 'auth_permanent']).map((e) => (e.stats.disabledUntil ?? 0) - e.now);
    assert.deepEqual(waits, [10 * MIN, 20 * MIN, 40 * MIN, 60 * MIN]);
  });

  it('credential_scope disables until the credential is replaced', () => {
    const [e] = run(['credential_scope']);
    assert.equal(e?.stats.disabledUntil, UNTIL_REPLACED);
    assert.equal(e?.cooling?.disabled, true);
  });

  it('timeout, network and model_not_found never count against the profile', () => {
    for (const o of ['timeout', 'network', 'model_not_found'] as const) {
      const [e] = run([o]);
      assert.equal(e?.cooling, null, o);
      assert.equal(e?.stats.errorCount, undefined, o);
      assert.equal(e?.stats.cooldownUntil, undefined, o);
    }
  });

  it('ok clears the counters and makes the profile lastGood', () => {
    const effects = run(['rate_limit', 'billing', 'ok']);
    const ok = effects[2];
    assert.equal(ok?.lastGood, true);
    for (const k of ['errorCount', 'failureCounts', 'cooldownUntil', 'disabledUntil', 'lastFailureAt'] as const) assert.equal(ok?.stats[k], undefined, k);
  });

  it("a provider's Retry-After sets the cooldown's length (bounded to 24 h)", () => {
    const e = applyOutcome(undefined, 'rate_limit', 1000, cfg, undefined, 7000);
    assert.equal(e.stats.cooldownUntil, 8000);
    const huge = applyOutcome(undefined, 'rate_limit', 0, cfg, undefined, 1e12);
    assert.equal(huge.stats.cooldownUntil, 24 * H);
  });

  it('a rate limit with a model cools only that model', () => {
    const e = applyOutcome(undefined, 'rate_limit', 0, cfg, 'claude-opus-4-5');
    assert.equal(e.stats.cooldownModel, 'claude-opus-4-5');
    const other = applyOutcome(e.stats, 'overloaded', 1, cfg, 'claude-opus-4-5');
    assert.equal(other.stats.cooldownModel, undefined, 'an overload is not model-scoped');
  });

  it('never sets a time in the past, and never mutates the stats it was given (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...CALL_OUTCOMES), { maxLength: 20 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.option(fc.integer({ min: -1000, max: 2 ** 31 })),
        (outcomes, now, retry) => {
          let stats: UsageStats | undefined;
          for (const o of outcomes) {
            const frozen = stats ? JSON.stringify(stats) : undefined;
            const e = applyOutcome(stats, o, now, cfg, 'm', retry ?? undefined);
            if (stats) assert.equal(JSON.stringify(stats), frozen);
            if (e.stats.cooldownUntil !== undefined) assert.ok(e.stats.cooldownUntil >= now);
            if (e.stats.disabledUntil !== undefined) assert.ok(e.stats.disabledUntil > now);
            stats = e.stats;
          }
        },
      ),
    );
  });
});
