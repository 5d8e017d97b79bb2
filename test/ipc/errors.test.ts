/** ipc/errors: how an error kind is worded for people (`describe`). */
import assert from 'node:assert/strict';
import { OpenSoulError, describe as describeError } from '../../ipc/errors.js';
import { PROVIDERS, secretShapeProblem } from '../../ipc/providers.js';

const SCOPE_REASON =
  'the provider allows this credential only in its own client (HTTP 400): ' +
  'This credential is only authorized for use with Claude Code and cannot be used for other API requests.';
const SCOPE_REMEDY = "this credential only works in the provider's own client: use an Anthropic API key instead";

describe('PROVIDER_FAILED wording', () => {
  it('a pinned profile refused for its scope: the status once, one full stop per sentence, the remedy, then the pin', () => {
    const message = new OpenSoulError('PROVIDER_FAILED', {
      provider: 'anthropic',
      model: 'anthropic/claude-sonnet-4-5',
      profileId: 'anthropic:manual',
      outcome: 'credential_scope',
      status: 400,
      reason: SCOPE_REASON,
      remedy: SCOPE_REMEDY,
      pinned: true,
      tried: 1,
    }).message;
    assert.equal(
      message,
      'anthropic refused the call: profile anthropic:manual failed with credential_scope: ' +
        `${SCOPE_REASON} ${SCOPE_REMEDY[0]?.toUpperCase()}${SCOPE_REMEDY.slice(1)}. ` +
        'It is pinned for this session, so no other credential was tried: `/model anthropic/claude-sonnet-4-5` unpins it.',
    );
  });

  it('a remedy the reason already carries (an attempt that failed over) is not repeated', () => {
    const message = new OpenSoulError('PROVIDER_FAILED', {
      provider: 'anthropic',
      model: 'anthropic/claude-sonnet-4-5',
      profileId: 'anthropic:b',
      outcome: 'credential_scope',
      status: 400,
      reason: `${SCOPE_REASON} — ${SCOPE_REMEDY}`,
      remedy: SCOPE_REMEDY,
      pinned: false,
      tried: 2,
    }).message;
    assert.equal(message.split(SCOPE_REMEDY).length, 2, message);
    assert.match(message, /^anthropic refused the call after trying 2 credentials: profile anthropic:b failed with credential_scope: /);
    assert.ok(message.endsWith(`${SCOPE_REMEDY}.`), message);
  });

  it('without a reason the HTTP status is said once, after the outcome', () => {
    const message = new OpenSoulError('PROVIDER_FAILED', {
      provider: 'openai',
      model: 'openai/gpt-5',
      envVar: 'OPENAI_API_KEY',
      outcome: 'rate_limit',
      status: 429,
      pinned: false,
      tried: 1,
    }).message;
    assert.equal(message, 'openai refused the call: env key OPENAI_API_KEY failed with rate_limit (HTTP 429).');
  });

  it('a reason that does not give the status (a network error) keeps it after the outcome', () => {
    const message = new OpenSoulError('PROVIDER_FAILED', {
      provider: 'openai',
      profileId: 'openai:work',
      outcome: 'format',
      status: 400,
      reason: 'the request was malformed',
      pinned: false,
      tried: 1,
    }).message;
    assert.equal(message, 'openai refused the call: profile openai:work failed with format (HTTP 400): the request was malformed.');
  });
});

describe('SECRET_SHAPE wording', () => {
  it('a wrong prefix names the provider without an article that cannot fit every id (never "a openai")', () => {
    const worded = (provider: string, kind: 'api_key' | 'token') => {
      const problem = secretShapeProblem(provider, kind, 'abcdefghijklmnopqrstuvwxyz0123');
      return problem?.problem === 'prefix' ? describeError('SECRET_SHAPE', problem) : null;
    };
    assert.match(worded('openai', 'api_key') ?? '', /^Refused: an API key for openai must start with sk-; /);
    assert.match(worded('openrouter', 'api_key') ?? '', /^Refused: an API key for openrouter must start with sk-or-; /);
    assert.match(worded('anthropic', 'token') ?? '', /^Refused: a token for anthropic must start with sk-ant-oat01-; /);
    const messages = PROVIDERS.flatMap((p) => [worded(p.id, 'api_key'), worded(p.id, 'token')]).filter((m): m is string => m !== null);
    assert.ok(messages.length >= 6, `every provider with a prefix rule: ${messages.length}`);
    for (const m of messages) assert.doesNotMatch(m, /\ba [aeiou]/i, m);
  });
});
