/** The provider shape check (ipc/providers.ts), pure: both the CLI and the daemon use it. */
import assert from 'node:assert/strict';
import { MIN_SECRET_LENGTH, secretShapeProblem } from '../../ipc/providers.js';

const problem = (provider: string, kind: 'api_key' | 'token', secret: string) => secretShapeProblem(provider, kind, secret)?.problem ?? null;

describe('secretShapeProblem', function () {
  it('accepts well-formed keys of every provider with a known prefix', function () {
    const cases: [string, string][] = [
      ['anthropic', 'sk-ant-api03-'],
      ['openai', 'sk-proj-'],
      ['openai', 'sk-'],
      ['openrouter', 'sk-or-v1-'],
      ['groq', 'gsk_'],
      ['xai', 'xai-'],
      ['deepseek', 'sk-'],
    ];
    for (const [provider, prefix] of cases) assert.equal(problem(provider, 'api_key', prefix + 'a'.repeat(40)), null, `${provider} ${prefix}`);
  });

  it('refuses a wrong prefix, naming the expected one', function () {
    assert.deepEqual(secretShapeProblem('openrouter', 'api_key', `sk-proj-${'a'.repeat(40)}`)?.expected, ['sk-or-']);
    assert.equal(problem('groq', 'api_key', `gsk-${'a'.repeat(40)}`), 'prefix');
    assert.equal(problem('anthropic', 'api_key', `sk-${'a'.repeat(40)}`), 'prefix');
  });

  it('tells an Anthropic setup-token given as an API key from an API key given as a token', function () {
    assert.equal(problem('anthropic', 'api_key', `sk-ant-oat01-${'a'.repeat(80)}`), 'setup-token-as-api-key');
    assert.equal(problem('anthropic', 'token', `sk-ant-api03-${'a'.repeat(80)}`), 'api-key-as-token');
    assert.equal(problem('anthropic', 'token', `sk-ant-oat01-${'a'.repeat(80)}`), null);
    assert.equal(problem('anthropic', 'token', `sk-ant-oat01-${'a'.repeat(20)}`), 'too-short', 'setup-tokens are at least 80');
  });

  it(`holds every secret of every provider, known or not, to ${MIN_SECRET_LENGTH} characters; a 1-character key never passes`, function () {
    for (const provider of ['openai', 'mistral', 'github-copilot', 'some-custom-gateway']) {
      for (const kind of ['api_key', 'token'] as const) {
        assert.notEqual(problem(provider, kind, 'x'), null, `${provider} ${kind}`);
        const prefix = provider === 'openai' && kind === 'api_key' ? 'sk-' : '';
        assert.equal(problem(provider, kind, prefix + 'a'.repeat(MIN_SECRET_LENGTH - prefix.length - 1)), 'too-short');
        assert.equal(problem(provider, kind, prefix + 'a'.repeat(MIN_SECRET_LENGTH - prefix.length)), null);
      }
    }
  });
});
