/** daemon/sessions/model-ref: what a typed model name means. */
import assert from 'node:assert/strict';
import { BUILTIN_ALIASES, effectiveAliases, resolveModelRef } from '../../../daemon/sessions/model-ref.js';
import { dict } from '../../../ipc/dict.js';

const PROVIDERS = ['anthropic', 'openai', 'openrouter'];

describe('model ref resolution', () => {
  it('resolves the built-in aliases', () => {
    const aliases = effectiveAliases({});
    assert.equal(BUILTIN_ALIASES.opus, 'anthropic/claude-opus-4-5');
    for (const [alias, ref] of [
      ['opus', 'anthropic/claude-opus-4-5'],
      ['sonnet', 'anthropic/claude-sonnet-4-5'],
      ['haiku', 'anthropic/claude-haiku-4-5'],
      ['gpt', 'openai/gpt-5'],
    ] as const) {
      const r = resolveModelRef(alias, aliases, PROVIDERS);
      assert.ok(r.ok);
      assert.deepEqual(r.model, { ref, provider: ref.split('/')[0], model: ref.slice(ref.indexOf('/') + 1), alias });
    }
  });

  it('lets config aliases win over the built-ins, and folds case', () => {
    const aliases = effectiveAliases(dict([['opus', 'openrouter/anthropic/claude-opus-4-5']]));
    const r = resolveModelRef('Opus', aliases, PROVIDERS);
    assert.ok(r.ok);
    assert.equal(r.model.ref, 'openrouter/anthropic/claude-opus-4-5');
    assert.equal(r.model.provider, 'openrouter');
    assert.equal(r.model.model, 'anthropic/claude-opus-4-5');
  });

  it('takes provider/model as is (provider folded to lower case)', () => {
    const r = resolveModelRef('Anthropic/claude-3-7', effectiveAliases({}), PROVIDERS);
    assert.ok(r.ok);
    assert.equal(r.model.ref, 'anthropic/claude-3-7');
    assert.equal(r.model.alias, null);
  });

  it('refuses a bare model that is not an alias, naming the way to write it', () => {
    const r = resolveModelRef('claude-opus-4-5', effectiveAliases({}), PROVIDERS);
    assert.ok(!r.ok);
    assert.match(r.reply, /neither an alias nor provider\/model/);
    assert.match(r.reply, /\/model anthropic\/claude-opus-4-5/);
    assert.match(r.reply, /opus/);
  });

  it('refuses an unknown provider, naming the known ones', () => {
    const r = resolveModelRef('acme/big-1', effectiveAliases({}), PROVIDERS);
    assert.ok(!r.ok);
    assert.equal(r.reply, 'Unknown provider "acme". Known providers: anthropic, openai, openrouter.');
  });

  it('refuses an alias that points to something that is not provider/model', () => {
    const r = resolveModelRef('fast', effectiveAliases(dict([['fast', 'flash']])), PROVIDERS);
    assert.ok(!r.ok);
    assert.match(r.reply, /alias "fast" points to "flash"/);
  });

  it('refuses a name with any control character (C1 such as U+009B too) or line separator, and echoes none of them', () => {
    for (const text of ['anthropic/x\u009b2J', '\u009b2J', 'opus\u0085', 'anthropic/x\u2028y', 'anthropic/x\u001b[2J', 'anthropic/x\u007f']) {
      const r = resolveModelRef(text, effectiveAliases({}), PROVIDERS);
      assert.ok(!r.ok, JSON.stringify(text));
      assert.match(r.reply, /is not a model name/);
      assert.doesNotMatch(r.reply, /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/); // eslint-disable-line no-control-regex -- what must not be echoed
    }
  });

  it('does not mistake Object.prototype names for aliases', () => {
    const r = resolveModelRef('constructor', effectiveAliases({}), PROVIDERS);
    assert.ok(!r.ok);
    assert.match(r.reply, /neither an alias/);
  });
});
