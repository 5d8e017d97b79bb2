/** daemon/resolver/cooldowns: which outcomes count against a profile (§8.2). */
import assert from 'node:assert/strict';
import { applyOutcome } from '../../daemon/resolver/cooldowns.js';
import { methods } from '../../ipc/protocol.js';

const NOW = 1_800_000_000_000;
const CFG = { stepsMs: [30_000, 60_000, 300_000], failureWindowMs: 3_600_000 };

describe('cooldowns', () => {
  it('a model the provider does not know (model_not_found) never counts against the profile, like timeout and network', () => {
    for (const outcome of ['model_not_found', 'timeout', 'network'] as const) {
      const e = applyOutcome({ errorCount: 1, lastFailureAt: NOW - 1000 }, outcome, NOW, CFG, 'anthropic/claude-nope');
      assert.equal(e.cooling, null, outcome);
      assert.equal(e.stats.errorCount, 1, `${outcome} leaves the error count`);
      assert.equal(e.stats.failureCounts, undefined);
      assert.equal(e.lastGood, false);
    }
  });

  it('auth.report accepts model_not_found', () => {
    assert.deepEqual(methods.authReport.params({ profileId: 'anthropic:a', outcome: 'model_not_found', model: 'anthropic/x' }, 'params'), { profileId: 'anthropic:a', outcome: 'model_not_found', model: 'anthropic/x' });
  });

  it('a rate limit still cools the profile for that model', () => {
    const e = applyOutcome(undefined, 'rate_limit', NOW, CFG, 'anthropic/claude-x');
    assert.deepEqual(e.cooling, { until: NOW + 30_000, reason: 'rate_limit', disabled: false });
    assert.equal(e.stats.cooldownModel, 'anthropic/claude-x');
  });
});
