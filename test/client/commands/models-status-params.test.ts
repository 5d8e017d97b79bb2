/** models.status params: the CLI's environment crosses the socket as names only. */
import assert from 'node:assert/strict';
import { modelsStatusParams } from '../../../client/commands/models-status-run.js';
import { methods } from '../../../ipc/protocol.js';
import { ValidationError } from '../../../ipc/validate.js';

describe('models.status clientEnvNames', () => {
  it('the CLI sends the names of the provider keys it has, never their values, and nothing else of its environment', () => {
    const value = 'sk-ant-api03-FAKEvalueFAKEvalueFAKEvalue';
    const params = modelsStatusParams({ agent: 'work' }, { ANTHROPIC_API_KEY: value, OPENAI_API_KEY: '  ', HOME: '/home/x', GROQ_API_KEY: 'gsk_FAKE' });
    assert.deepEqual(params, { agent: 'work', clientEnvNames: ['ANTHROPIC_API_KEY', 'GROQ_API_KEY'] });
    assert.ok(!JSON.stringify(params).includes('FAKE'));
    assert.deepEqual(modelsStatusParams({}, {}), {}, 'nothing set, nothing sent');
  });

  it('the daemon takes only environment variable names there, and its refusal does not repeat what it was sent', () => {
    const value = 'sk-ant-api03-FAKEvalueFAKEvalueFAKEvalue';
    assert.deepEqual(methods.modelsStatus.params({ clientEnvNames: ['ANTHROPIC_API_KEY'] }, 'params'), { clientEnvNames: ['ANTHROPIC_API_KEY'] });
    for (const bad of [`ANTHROPIC_API_KEY=${value}`, value, '']) {
      assert.throws(
        () => methods.modelsStatus.params({ clientEnvNames: [bad] }, 'params'),
        (err: unknown) => err instanceof ValidationError && !err.message.includes('FAKE'),
      );
    }
  });

  it('probe options carry comma lists and max tokens', () => {
    const params = modelsStatusParams({ probeProfile: ['anthropic:a', 'anthropic:b'], probeMaxTokens: 8 }, {});
    assert.deepEqual(params, { probe: { profiles: ['anthropic:a', 'anthropic:b'], maxTokens: 8 } });
    assert.deepEqual(methods.modelsStatus.params(params, 'params'), params);
  });
});
