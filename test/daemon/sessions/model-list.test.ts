/** daemon/sessions/model-list: the numbered models `/model` offers. */
import assert from 'node:assert/strict';
import { buildModelList, MAX_LIST_ITEMS } from '../../../daemon/sessions/model-list.js';
import { effectiveAliases } from '../../../daemon/sessions/model-ref.js';
import { dict } from '../../../ipc/dict.js';

const PROVIDERS = ['anthropic', 'openai', 'openrouter'];

describe('the numbered model list', () => {
  it('lists the default, the fallbacks, the aliases (with their names) and the session model, once each', () => {
    const items = buildModelList({
      defaultModel: 'sonnet',
      fallbacks: ['openai/gpt-5'],
      aliases: effectiveAliases(
        dict([
          ['fast', 'anthropic/claude-haiku-4-5'],
          ['odd', 'acme/x'],
        ]),
      ),
      current: 'openrouter/meta/llama-4',
      knownProviders: PROVIDERS,
    });
    assert.deepEqual(
      items.map((i) => [i.ref, i.aliases.join(','), i.isDefault, i.isFallback, i.isCurrent]),
      [
        ['anthropic/claude-sonnet-4-5', 'sonnet', true, false, false],
        ['openai/gpt-5', 'gpt', false, true, false],
        ['anthropic/claude-haiku-4-5', 'fast,haiku', false, false, false],
        ['anthropic/claude-opus-4-5', 'opus', false, false, false],
        ['openrouter/meta/llama-4', '', false, false, true],
      ],
    );
  });

  it('is bounded, but always shows the session model', () => {
    const aliases = effectiveAliases(dict(Array.from({ length: 60 }, (_, i) => [`m${i}`, `openai/model-${i}`] as const)));
    const items = buildModelList({ defaultModel: 'sonnet', fallbacks: [], aliases, current: 'openrouter/x/y', knownProviders: PROVIDERS });
    assert.equal(items.length, MAX_LIST_ITEMS + 1);
    assert.equal(items.at(-1)?.ref, 'openrouter/x/y');
    assert.equal(items.at(-1)?.isCurrent, true);
  });
});
