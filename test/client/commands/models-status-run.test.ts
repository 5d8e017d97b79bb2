/** `models status --probe …` flags into the RPC params, and a request time limit that outlasts the probes. */
import assert from 'node:assert/strict';
import { modelsStatusParams, statusRequestTimeoutMs } from '../../../client/commands/models-status-run.js';

describe('models status params', () => {
  it('every probe flag reaches probe.{provider, profiles, timeoutMs, concurrency, maxTokens}', () => {
    const p = modelsStatusParams(
      {
        agent: 'work',
        probe: true,
        probeProvider: 'anthropic',
        probeProfile: ['anthropic:a', 'anthropic:b'],
        probeTimeout: 5000,
        probeConcurrency: 2,
        probeMaxTokens: 16,
      },
      {},
    );
    assert.deepEqual(p, {
      agent: 'work',
      probe: { provider: 'anthropic', profiles: ['anthropic:a', 'anthropic:b'], timeoutMs: 5000, concurrency: 2, maxTokens: 16 },
    });
    assert.deepEqual(modelsStatusParams({ probe: true }, {}), { probe: {} });
    assert.deepEqual(modelsStatusParams({}, {}), {});
  });

  it('the request waits at least 10 minutes when probing, longer when the probes could take longer', () => {
    assert.equal(statusRequestTimeoutMs({}), 300_000);
    assert.equal(statusRequestTimeoutMs({ probe: {} }), 600_000);
    assert.equal(statusRequestTimeoutMs({ probe: { timeoutMs: 400_000, profiles: ['a', 'b', 'c'], concurrency: 2 } }), 815_000);
  });
});
