/** `opensoul chat --model ref`: telling a switch the daemon made from one it refused, by the session it returns. */
import assert from 'node:assert/strict';
import { modelAccepted, splitModelRef } from '../../../client/chat/model-switch.js';
import type { SessionView } from '../../../ipc/protocol.js';

const session = (model: string, pin: string | null = null): SessionView => ({ id: 'main', agent: 'main', model, provider: model.split('/')[0] ?? '', pin });

describe('chat --model', () => {
  it('splits the pin at the first @ after the last /', () => {
    assert.deepEqual(splitModelRef('sonnet@anthropic:work'), { model: 'sonnet', pin: 'anthropic:work' });
    assert.deepEqual(splitModelRef('openrouter/meta@x/llama@openrouter:a'), { model: 'openrouter/meta@x/llama', pin: 'openrouter:a' });
    assert.deepEqual(splitModelRef('anthropic/claude-sonnet-4-5'), { model: 'anthropic/claude-sonnet-4-5', pin: null });
  });

  it('accepted: the model changed, or reads like the ask, with the pin asked for', () => {
    const before = session('openai/gpt-4o');
    assert.equal(modelAccepted('sonnet', before, session('anthropic/claude-sonnet-4-5')), true);
    assert.equal(modelAccepted('sonnet', session('anthropic/claude-sonnet-4-5'), session('anthropic/claude-sonnet-4-5')), true);
    assert.equal(modelAccepted('sonnet@anthropic:work', before, session('anthropic/claude-sonnet-4-5', 'anthropic:work')), true);
  });

  it('refused: the session as it was (unknown model, unknown profile)', () => {
    const before = session('anthropic/claude-sonnet-4-5');
    assert.equal(modelAccepted('bogus-model', before, before), false);
    assert.equal(modelAccepted('sonnet@x', before, before), false);
  });
});
