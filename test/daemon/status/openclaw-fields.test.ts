/**
 * daemon/status/openclaw-fields: OpenClaw's `models status --json` fields, derived from
 * OpenSoul's status with OpenClaw's semantics (buildAuthHealthSummary,
 * resolveProviderAuthOverview), so its users' jq lines keep working.
 */
import assert from 'node:assert/strict';
import { UNTIL_REPLACED } from '../../../daemon/resolver/cooldowns.js';
import { computeModelsStatus } from '../../../daemon/status/models-status.js';
import { H, NOW, input } from '../../support/status-input.js';

const D = 24 * H;

describe("OpenClaw's models status fields", () => {
  const token = 'sk-ant-oat01-' + 'T'.repeat(90);
  const key = 'sk-ant-api03-' + 'K'.repeat(60);
  const r = computeModelsStatus(
    input({
      profiles: {
        'anthropic:sub': { type: 'token', provider: 'anthropic', token, expires: NOW - 1000 },
        'anthropic:soon': { type: 'token', provider: 'anthropic', token: token + 'x', expires: NOW + 3 * H },
        'anthropic:key': { type: 'api_key', provider: 'anthropic', key },
        'anthropic:scoped': { type: 'token', provider: 'anthropic', token: token + 'y' },
        'openai:o': { type: 'oauth', provider: 'openai', access: 'a'.repeat(40), refresh: 'r'.repeat(40), expires: NOW + 30 * D, email: 'me@example.com' },
      },
      usage: {
        lastGood: {},
        usageStats: {
          'anthropic:scoped': { disabledUntil: UNTIL_REPLACED, disabledReason: 'credential_scope' },
          'openai:o': { cooldownUntil: NOW + 5 * 60_000, cooldownReason: 'rate_limit' },
        },
      },
      env: { OPENROUTER_API_KEY: 'sk-or-v1-' + 'o'.repeat(40), ANTHROPIC_OAUTH_TOKEN: 'sk-ant-oat01-' + 'E'.repeat(80) },
      config: { aliases: { sonnet: 'anthropic/claude-sonnet-4-5' } },
      model: { primary: 'sonnet', fallbacks: ['groq/llama'] },
    }),
  );

  it('keeps OpenSoul fields and adds configPath, agentDir, resolvedDefault, aliases', () => {
    assert.equal(r.agent, 'main');
    assert.equal(r.defaultModel, 'sonnet');
    assert.equal(r.resolvedDefault, 'anthropic/claude-sonnet-4-5');
    assert.deepEqual(r.aliases, { sonnet: 'anthropic/claude-sonnet-4-5' });
    assert.equal(r.configPath, '/s/opensoul.json');
    assert.equal(r.agentDir, '/s/agents/main/agent');
    assert.equal(r.auth.storePath, '/s/agents/main/agent/auth-profiles.json');
    assert.deepEqual(r.auth.shellEnvFallback, { enabled: false, appliedKeys: [] });
    assert.deepEqual(r.auth.missingProvidersInUse, ['groq']);
  });

  it('`.auth.oauth.profiles[]|select(.status=="expired")` finds the expired token; statuses are about expiry only', () => {
    const byId = new Map(r.auth.oauth.profiles.map((p) => [p.profileId, p]));
    assert.deepEqual(
      r.auth.oauth.profiles.filter((p) => p.status === 'expired').map((p) => p.profileId),
      ['anthropic:sub'],
    );
    assert.equal(byId.get('anthropic:soon')?.status, 'expiring');
    assert.equal(byId.get('anthropic:soon')?.remainingMs, 3 * H);
    assert.equal(byId.get('anthropic:soon')?.expiresAt, NOW + 3 * H);
    assert.equal(byId.get('anthropic:key')?.status, 'static');
    assert.equal(byId.get('anthropic:scoped')?.status, 'static', 'a token without expiry is static even while disabled');
    assert.equal(byId.get('openai:o')?.status, 'ok', 'a cooldown is not an expiry status');
    assert.equal(byId.get('openai:o')?.label, 'openai:o (me@example.com)');
    assert.equal(byId.get('openai:o')?.source, 'store');
    assert.ok(!('expiresAt' in (byId.get('anthropic:key') ?? {})), 'absent, as in OpenClaw, when there is no expiry');
    assert.equal(r.auth.oauth.warnAfterMs, 24 * H);
  });

  it('rolls providers up as OpenClaw does, with the profiles a call can use now as effectiveProfiles', () => {
    const anthropic = r.auth.oauth.providers.find((p) => p.provider === 'anthropic');
    assert.equal(anthropic?.status, 'expired');
    assert.equal(anthropic?.expiresAt, NOW - 1000);
    assert.deepEqual(anthropic?.effectiveProfiles.map((p) => p.profileId).sort(), ['anthropic:key', 'anthropic:soon']);
    assert.equal(r.auth.oauth.providers.find((p) => p.provider === 'openai')?.status, 'ok');
    assert.deepEqual(r.auth.oauth.providers.find((p) => p.provider === 'openai')?.effectiveProfiles, [], 'cooling down');
    assert.equal(r.auth.oauth.providers.find((p) => p.provider === 'groq')?.status, 'missing');
  });

  it('auth.providers: effective kind, counts, labels with masked secrets and waits, env with its source', () => {
    const a = r.auth.providers.find((p) => p.provider === 'anthropic');
    assert.deepEqual(a?.effective, { kind: 'profiles', detail: '/s/agents/main/agent/auth-profiles.json' });
    assert.deepEqual({ ...a?.profiles, labels: undefined }, { count: 4, oauth: 0, token: 3, apiKey: 1, labels: undefined });
    assert.ok(a?.profiles.labels.includes('anthropic:key=sk-ant-a...KKKK'));
    assert.ok(a?.profiles.labels.includes('anthropic:scoped=token:sk-ant-o...TTTy [disabled:credential_scope until replaced]'), a?.profiles.labels.join('\n'));
    assert.deepEqual(a?.env, { value: 'OAuth (env)', source: 'env: ANTHROPIC_OAUTH_TOKEN' });
    const o = r.auth.providers.find((p) => p.provider === 'openai');
    assert.deepEqual(o?.profiles.labels, ['openai:o=OAuth (me@example.com) [cooldown 5m]']);
    const or = r.auth.providers.find((p) => p.provider === 'openrouter');
    assert.deepEqual(or?.effective, { kind: 'env', detail: 'sk-or-v1...oooo' });
    assert.deepEqual(or?.env, { value: 'sk-or-v1...oooo', source: 'env: OPENROUTER_API_KEY' });
    assert.equal(
      r.auth.providers.find((p) => p.provider === 'groq'),
      undefined,
      'a provider with nothing is only in missingProvidersInUse',
    );
    assert.deepEqual(r.auth.providersWithOAuth, ['anthropic (4)', 'openai (1)']);
  });

  it('unusableProfiles lists cooldowns and disables, soonest first, with their raw reason', () => {
    assert.deepEqual(
      r.auth.unusableProfiles.map((u) => [u.profileId, u.kind, u.reason, u.remainingMs]),
      [
        ['openai:o', 'cooldown', 'rate_limit', 5 * 60_000],
        ['anthropic:scoped', 'disabled', 'credential_scope', UNTIL_REPLACED - NOW],
      ],
    );
  });

  it('carries no secret whole', () => {
    const text = JSON.stringify(r);
    for (const secret of [token, key, 'a'.repeat(40), 'r'.repeat(40), 'o'.repeat(40), 'E'.repeat(80)]) assert.ok(!text.includes(secret));
  });
});
