/** What status, doctor and the resolver say about an OAuth profile: managed, unrefreshable, failed refresh with its fix. */
import assert from 'node:assert/strict';
import { defaultConfig } from '../../../daemon/config/config.js';
import { oauthNote } from '../../../daemon/oauth/oauth-notes.js';
import { computeModelsStatus } from '../../../daemon/status/models-status.js';
import type { OAuthCredential } from '../../../daemon/stores/credentials.js';
import { H, NOW, input } from '../../support/status-input.js';

const oauth = (over: Partial<OAuthCredential> = {}): OAuthCredential => ({
  type: 'oauth',
  provider: 'anthropic',
  access: 'a'.repeat(40),
  refresh: 'r'.repeat(40),
  expires: NOW + 10 * H,
  ...over,
});

describe('OAuth notes', function () {
  const config = defaultConfig();

  it('a managed credential names its CLI, and when expired the remedy', () => {
    assert.equal(oauthNote(oauth({ managedBy: 'claude-cli', source: '/h/.claude/.credentials.json' }), undefined, config, false), 'managed by claude');
    assert.equal(
      oauthNote(oauth({ managedBy: 'codex-cli', provider: 'openai-codex' }), undefined, config, true),
      'managed by codex: refresh it with `codex` and retry',
    );
  });

  it('a refused refresh names the reason and the login command; a network failure says it is retried', () => {
    const failed = oauthNote(oauth(), { refreshFailedAt: NOW, refreshFailure: { reason: 'refresh_token_reused', at: NOW } }, config, true);
    assert.equal(failed, 'the refresh token was already used elsewhere (refresh_token_reused): run `opensoul models auth login --provider anthropic`');
    assert.match(oauthNote(oauth(), { refreshFailure: { reason: 'network', at: NOW } }, config, false) ?? '', /could not be reached; retrying/);
    assert.equal(oauthNote(oauth(), undefined, config, false), null, 'a healthy refreshable profile needs no note');
  });

  it('a provider without a token endpoint cannot be refreshed, and says what to configure', () => {
    assert.match(
      oauthNote(oauth({ provider: 'groq' }), undefined, config, false) ?? '',
      /cannot be refreshed: no OAuth token endpoint is known for groq \(set models\.providers\.groq\.oauth\.tokenUrl and clientId\)/,
    );
  });

  it('status: a failed refresh is expired with the reason and --check 1; a managed profile carries managedBy', () => {
    const r = computeModelsStatus(
      input({
        profiles: { 'anthropic:o': oauth() },
        usage: { lastGood: {}, usageStats: { 'anthropic:o': { refreshFailedAt: NOW - 1000, refreshFailure: { reason: 'invalid_grant', at: NOW - 1000 } } } },
      }),
    );
    const p = r.providers[0]?.profiles[0];
    assert.equal(p?.status, 'expired');
    assert.equal(p?.reason, 'the refresh token was refused (invalid_grant): run `opensoul models auth login --provider anthropic`');
    assert.equal(r.check, 1);
    const m = computeModelsStatus(input({ profiles: { 'anthropic:claude-cli': oauth({ managedBy: 'claude-cli', source: '/h/.claude/.credentials.json' }) } }));
    assert.equal(m.providers[0]?.profiles[0]?.managedBy, 'claude-cli');
    assert.equal(m.providers[0]?.profiles[0]?.reason, 'managed by claude');
    const gone = computeModelsStatus(
      input({
        profiles: { 'anthropic:claude-cli': oauth({ managedBy: 'claude-cli', source: '/h/.claude/.credentials.json', access: '', refresh: '', expires: 0 }) },
      }),
    );
    assert.equal(gone.providers[0]?.profiles[0]?.status, 'missing');
    assert.match(gone.providers[0]?.profiles[0]?.reason ?? '', /sign in with `claude`/);
  });
});
