/** daemon/status/models-status: §7.1 as a pure function — per-profile status, effective source, check level. */
import assert from 'node:assert/strict';
import { displayUrl } from '../../../daemon/providers/registry.js';
import { computeModelsStatus } from '../../../daemon/status/models-status.js';
import type { Credential } from '../../../daemon/stores/credentials.js';
import { H, NOW, input } from '../../support/status-input.js';
import { plain } from '../../support/plain.js';

describe('models status (§7.1)', () => {
  it('quick start: an exported ANTHROPIC_API_KEY and no config at all reports OK', () => {
    const r = computeModelsStatus(input({ env: { ANTHROPIC_API_KEY: 'sk-ant-api03-0123456789abcdef' } }));
    assert.equal(r.check, 0);
    const a = r.providers.find((p) => p.provider === 'anthropic');
    assert.deepEqual(plain(a?.effective), { kind: 'env', detail: 'ANTHROPIC_API_KEY (process environment)' });
    assert.deepEqual(plain(a?.env), { var: 'ANTHROPIC_API_KEY', source: 'process', path: null, masked: 'sk-ant-a...cdef' });
  });

  it('missing provider in use → 1, with the provider listed', () => {
    const r = computeModelsStatus(
      input({ model: { primary: 'anthropic/claude-sonnet-4-5', fallbacks: ['openai/gpt-5'] }, env: { ANTHROPIC_API_KEY: 'k'.repeat(20) } }),
    );
    assert.equal(r.check, 1);
    assert.deepEqual(plain(r.missingProvidersInUse), ['openai']);
  });

  it('expiring within the window → 2; expired → 1 even when another credential covers the provider', () => {
    const key: Credential = { type: 'api_key', provider: 'anthropic', key: 'k'.repeat(30) };
    const soon = computeModelsStatus(
      input({ profiles: { 'anthropic:t': { type: 'token', provider: 'anthropic', token: 't'.repeat(90), expires: NOW + 3 * H }, 'anthropic:k': key } }),
    );
    assert.equal(soon.check, 2);
    assert.equal(soon.providers[0]?.profiles.find((p) => p.id === 'anthropic:t')?.status, 'expiring');
    assert.equal(soon.providers[0]?.profiles.find((p) => p.id === 'anthropic:t')?.remainingMs, 3 * H);
    const gone = computeModelsStatus(
      input({ profiles: { 'anthropic:t': { type: 'token', provider: 'anthropic', token: 't'.repeat(90), expires: NOW - 1 }, 'anthropic:k': key } }),
    );
    assert.equal(gone.check, 1);
    assert.equal(gone.providers[0]?.effective.detail, 'anthropic:k (api_key)', 'the expired token is skipped');
    const later = computeModelsStatus(
      input({ profiles: { 'anthropic:t': { type: 'token', provider: 'anthropic', token: 't'.repeat(90), expires: NOW + 30 * 24 * H } } }),
    );
    assert.equal(later.check, 0);
    const window = computeModelsStatus(
      input({
        config: { expiringWindowHours: 24 * 60 },
        profiles: { 'anthropic:t': { type: 'token', provider: 'anthropic', token: 't'.repeat(90), expires: NOW + 30 * 24 * H } },
      }),
    );
    assert.equal(window.check, 2, 'auth.expiringWindowHours widens the window');
  });

  it('an OAuth profile whose last refresh failed counts as expired', () => {
    const r = computeModelsStatus(
      input({
        profiles: { 'anthropic:o': { type: 'oauth', provider: 'anthropic', access: 'a'.repeat(40), refresh: 'r'.repeat(40), expires: NOW + 10 * H } },
        usage: { lastGood: {}, usageStats: { 'anthropic:o': { refreshFailedAt: NOW - 1000 } } },
      }),
    );
    assert.equal(r.providers[0]?.profiles[0]?.status, 'expired');
    assert.equal(r.check, 1);
  });

  it('shows refs masked by source; an env ref to an unset var is missing (1 for a token), and exec refs are never run', () => {
    const r = computeModelsStatus(
      input({
        profiles: {
          'openai:ref': { type: 'api_key', provider: 'openai', keyRef: { source: 'env', id: 'WORK_OPENAI' } },
          'anthropic:vault': { type: 'token', provider: 'anthropic', tokenRef: { source: 'exec', id: 'op read op://x' } },
          'groq:gone': { type: 'token', provider: 'groq', tokenRef: { source: 'env', id: 'NOPE' } },
        },
        env: { WORK_OPENAI: 'sk-proj-0123456789abcdef' },
      }),
    );
    const byId = new Map(r.providers.flatMap((p) => p.profiles).map((p) => [p.id, p]));
    assert.equal(byId.get('openai:ref')?.masked, 'ref(env:WORK_OPENAI)');
    assert.equal(byId.get('openai:ref')?.status, 'static');
    assert.equal(byId.get('anthropic:vault')?.masked, 'ref(exec)');
    assert.equal(byId.get('groq:gone')?.status, 'missing');
    assert.equal(r.check, 1);
  });

  it('reports cooldowns and disabled profiles with their reasons and the credential_scope remedy; next skips them', () => {
    const r = computeModelsStatus(
      input({
        profiles: {
          'anthropic:a': { type: 'token', provider: 'anthropic', token: 'a'.repeat(90) },
          'anthropic:b': { type: 'api_key', provider: 'anthropic', key: 'b'.repeat(40) },
          'anthropic:c': { type: 'api_key', provider: 'anthropic', key: 'c'.repeat(40) },
        },
        usage: {
          lastGood: { anthropic: 'anthropic:c' },
          usageStats: {
            'anthropic:a': { disabledUntil: NOW + 10 * H, disabledReason: 'credential_scope' },
            'anthropic:b': { cooldownUntil: NOW + 60_000, cooldownReason: 'rate_limit', lastUsed: 1 },
          },
        },
      }),
    );
    const ps = r.providers[0]?.profiles ?? [];
    assert.equal(ps.find((p) => p.id === 'anthropic:a')?.status, 'disabled');
    assert.match(ps.find((p) => p.id === 'anthropic:a')?.reason ?? '', /use an Anthropic API key instead/);
    assert.equal(ps.find((p) => p.id === 'anthropic:b')?.status, 'cooldown');
    assert.equal(ps.find((p) => p.id === 'anthropic:b')?.cooldownUntil, NOW + 60_000);
    assert.deepEqual(plain(ps.filter((p) => p.next).map((p) => p.id)), ['anthropic:c']);
    assert.ok(ps.find((p) => p.id === 'anthropic:c')?.lastGood);
    assert.equal(r.check, 0, 'cooldowns do not fail --check');
  });

  it('a needed provider whose every credential is disabled, with no env key, fails --check (1); a cooldown or an env key does not', () => {
    const profiles: Record<string, Credential> = {
      'anthropic:a': { type: 'api_key', provider: 'anthropic', key: 'a'.repeat(40) },
      'anthropic:b': { type: 'api_key', provider: 'anthropic', key: 'b'.repeat(40) },
    };
    const disabled = {
      'anthropic:a': { disabledUntil: NOW + 5 * H, disabledReason: 'billing' as const },
      'anthropic:b': { disabledUntil: NOW + 9 * H, disabledReason: 'auth_permanent' as const },
    };
    const blocked = computeModelsStatus(input({ profiles, usage: { lastGood: {}, usageStats: disabled } }));
    assert.equal(blocked.check, 1, 'calls fail now: a monitor must not read "ok"');
    assert.deepEqual(plain(blocked.disabledProvidersInUse), [{ provider: 'anthropic', until: NOW + 5 * H, reasons: ['billing', 'auth_permanent'] }]);
    assert.deepEqual(plain(blocked.missingProvidersInUse), [], 'a credential exists: not "missing"');

    const cooling = computeModelsStatus(
      input({ profiles, usage: { lastGood: {}, usageStats: { ...disabled, 'anthropic:b': { cooldownUntil: NOW + 60_000, cooldownReason: 'rate_limit' } } } }),
    );
    assert.equal(cooling.check, 0, 'one credential back within a minute: not an alert');
    assert.deepEqual(plain(cooling.disabledProvidersInUse), []);
    const withEnv = computeModelsStatus(input({ profiles, usage: { lastGood: {}, usageStats: disabled }, env: { ANTHROPIC_API_KEY: 'k'.repeat(30) } }));
    assert.equal(withEnv.check, 0, 'the env key serves the calls');
    const unused = computeModelsStatus(
      input({
        profiles,
        usage: { lastGood: {}, usageStats: disabled },
        model: { primary: 'openai/gpt-5', fallbacks: [] },
        env: { OPENAI_API_KEY: 'k'.repeat(30) },
      }),
    );
    assert.equal(unused.check, 0, 'a provider no model needs is not an alert');
  });

  it('shows a configured base URL without the credentials a proxy URL may carry', () => {
    const r = computeModelsStatus(
      input({
        env: { OPENAI_API_KEY: 'sk-proj-0123456789abcdef' },
        model: { primary: 'openai/gpt-5', fallbacks: [] },
        config: { providers: { openai: { baseUrl: 'https://user:urlpass-SECRET@proxy.example/v1?key=QUERYKEY-SECRET', envVars: [], api: null } } },
      }),
    );
    assert.equal(r.providers.find((p) => p.provider === 'openai')?.baseUrl, 'https://proxy.example/v1 (credentials hidden)');
    assert.ok(!JSON.stringify(r).includes('SECRET'));
    assert.deepEqual(
      plain(displayUrl('https://user:urlpass-SECRET@proxy.example/v1?key=QUERYKEY-SECRET').secrets.sort()),
      ['QUERYKEY-SECRET', 'urlpass-SECRET', 'user'].sort(),
    );
    assert.deepEqual(plain(displayUrl('http://127.0.0.1:9/v1')), { display: 'http://127.0.0.1:9/v1', secrets: [] });
  });

  it('uses the env key when every profile is cooling down, and config base URLs are shown', () => {
    const r = computeModelsStatus(
      input({
        profiles: { 'anthropic:b': { type: 'api_key', provider: 'anthropic', key: 'b'.repeat(40) } },
        usage: { lastGood: {}, usageStats: { 'anthropic:b': { cooldownUntil: NOW + 60_000 } } },
        dotenv: { ANTHROPIC_API_KEY: 'sk-ant-api03-dotenvdotenv1234' },
        config: { providers: { anthropic: { baseUrl: 'http://127.0.0.1:9', envVars: [], api: null } } },
      }),
    );
    assert.deepEqual(plain(r.providers[0]?.effective), { kind: 'env', detail: 'ANTHROPIC_API_KEY (/s/.env)' });
    assert.equal(r.providers[0]?.baseUrl, 'http://127.0.0.1:9');
  });

  it('a store or config that does not parse fails --check (1), though the last good state still serves', () => {
    const r = computeModelsStatus(
      input({
        env: { ANTHROPIC_API_KEY: 'sk-ant-api03-0123456789abcdef' },
        fileErrors: [{ path: '/s/agents/main/agent/auth-profiles.json', message: 'line 3, column 5: expected a value' }],
      }),
    );
    assert.equal(r.check, 1);
    assert.equal(r.providers[0]?.effective.kind, 'env', 'the provider is still covered');
  });

  it('names the provider keys the CLI has and the daemon does not (known names only, each once)', () => {
    const r = computeModelsStatus(
      input({ env: { OPENAI_API_KEY: 'sk-proj-0123456789abcdef' }, clientEnvNames: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'HOME', 'ANTHROPIC_API_KEY'] }),
    );
    assert.deepEqual(plain(r.envGap), ['ANTHROPIC_API_KEY']);
    assert.deepEqual(plain(computeModelsStatus(input()).envGap), [], 'nothing sent, nothing named');
    assert.equal(r.envFile, '/s/.env');
  });

  it("each profile carries its provider and OpenClaw's label (id, with the account when known)", () => {
    const r = computeModelsStatus(
      input({
        profiles: {
          'anthropic:work': { type: 'token', provider: 'anthropic', token: 't'.repeat(90), email: 'me@example.com' },
          'anthropic:key': { type: 'api_key', provider: 'anthropic', key: 'k'.repeat(40) },
        },
      }),
    );
    const ps = r.providers[0]?.profiles ?? [];
    assert.deepEqual(
      ps.map((p) => [p.id, p.provider, p.label]),
      [
        ['anthropic:key', 'anthropic', 'anthropic:key'],
        ['anthropic:work', 'anthropic', 'anthropic:work (me@example.com)'],
      ],
    );
  });
});
