/** What `opensoul chat` prints around a reply: failover notes and the footer naming the credential. */
import assert from 'node:assert/strict';
import { FailoverNotes, credentialName, modelRef, turnFooter } from '../../../client/render/chat-turn.js';
import type { ChatSendResult } from '../../../ipc/protocol.js';

const result = (over: Partial<ChatSendResult>): ChatSendResult => ({
  turnId: 't1',
  reply: 'hi',
  provider: 'anthropic',
  model: 'claude-sonnet-4-5',
  profileId: 'anthropic:b',
  envVar: null,
  attempts: [{ profileId: 'anthropic:b', envVar: null, outcome: 'ok', status: 200, message: null }],
  usage: { inputTokens: 3, outputTokens: 1 },
  stopReason: 'end_turn',
  cancelled: false,
  session: { id: 'main', agent: 'main', model: 'anthropic/claude-sonnet-4-5', provider: 'anthropic', pin: null },
  ...over,
});

describe('chat turn (footer and notes)', () => {
  it('the footer names the model and the profile that answered', () => {
    assert.equal(turnFooter(result({})), '— anthropic/claude-sonnet-4-5 via anthropic:b');
  });

  it('…and the credentials that failed before it', () => {
    const r = result({
      attempts: [
        { profileId: 'anthropic:a', envVar: null, outcome: 'rate_limit', status: 429, message: 'slow down' },
        { profileId: 'anthropic:b', envVar: null, outcome: 'ok', status: 200, message: null },
      ],
    });
    assert.equal(turnFooter(r), '— anthropic/claude-sonnet-4-5 via anthropic:b (after anthropic:a: rate_limit)');
  });

  it('an env key is named by its variable; a model already carrying its provider is not doubled; a cancel says so', () => {
    const r = result({ profileId: null, envVar: 'ANTHROPIC_API_KEY', model: 'anthropic/claude-sonnet-4-5', cancelled: true, attempts: [] });
    assert.equal(turnFooter(r), '— anthropic/claude-sonnet-4-5 via env ANTHROPIC_API_KEY (cancelled)');
    assert.equal(modelRef('openai', 'gpt-4o'), 'openai/gpt-4o');
    assert.equal(credentialName(null, 'OPENAI_API_KEY'), 'env OPENAI_API_KEY');
  });

  it('a failover and the next attempt read as one note; the first attempt says nothing', () => {
    const n = new FailoverNotes();
    assert.equal(n.onEvent({ turnId: 't', type: 'attempt', profileId: 'anthropic:a', envVar: null, model: 'm' }), null);
    assert.equal(n.onEvent({ turnId: 't', type: 'delta', text: 'x' }), null);
    assert.equal(n.onEvent({ turnId: 't', type: 'failover', profileId: 'anthropic:a', outcome: 'rate_limit', message: null }), null);
    assert.equal(
      n.onEvent({ turnId: 't', type: 'attempt', profileId: null, envVar: 'ANTHROPIC_API_KEY', model: 'm' }),
      'anthropic:a answered rate_limit; trying env ANTHROPIC_API_KEY',
    );
    assert.equal(n.flush(), null);
  });

  it('a failover no attempt followed is flushed with its reason; the env key is named from its attempt', () => {
    const n = new FailoverNotes();
    n.onEvent({ turnId: 't', type: 'attempt', profileId: null, envVar: 'ANTHROPIC_API_KEY', model: 'm' });
    n.onEvent({ turnId: 't', type: 'failover', profileId: null, outcome: 'auth', message: 'HTTP 401' });
    assert.equal(n.flush(), 'env ANTHROPIC_API_KEY answered auth (HTTP 401)');
  });
});
