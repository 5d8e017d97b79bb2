/** The pure rules of OAuth refresh: when it is due, the single-flight key, failure classes, backoff. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BACKOFF_BASE_MS,
  BACKOFF_CAP_MS,
  REFRESH_AHEAD_MS,
  backoffMs,
  classifyRefreshFailure,
  isPermanentFailure,
  refreshDue,
  singleFlightKey,
} from '../../../daemon/oauth/refresh-policy.js';

describe('refresh policy', function () {
  it('is due within 5 minutes of expiry, or after it', () => {
    const now = 1_000_000_000_000;
    assert.equal(refreshDue({ expires: now + REFRESH_AHEAD_MS + 1 }, now), false);
    assert.equal(refreshDue({ expires: now + REFRESH_AHEAD_MS }, now), true);
    assert.equal(refreshDue({ expires: now - 1 }, now), true);
    assert.equal(refreshDue({ expires: 0 }, now), true, 'no expiry named: refreshed');
  });

  it('keys a refresh by provider and account, not by where the profile is stored; the refresh token only hashed', () => {
    const base = { provider: 'anthropic', refresh: 'sk-ant-ort01-SECRETVALUE' };
    assert.equal(singleFlightKey({ ...base, accountId: 'acct' }), 'anthropic|account:acct');
    assert.equal(singleFlightKey({ ...base, email: 'Me@Example.com' }), 'anthropic|email:me@example.com');
    assert.notEqual(singleFlightKey({ ...base, email: 'a@x' }), singleFlightKey({ ...base, provider: 'openai-codex', email: 'a@x' }));
    const hashed = singleFlightKey(base);
    assert.ok(!hashed.includes('SECRETVALUE'), 'the refresh token never appears in the key');
    assert.equal(hashed, singleFlightKey({ ...base }), 'stable');
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b) => {
        fc.pre(a !== b);
        return singleFlightKey({ provider: 'p', refresh: a }) !== singleFlightKey({ provider: 'p', refresh: b });
      }),
    );
  });

  it('classifies refusals: invalid_grant, refresh_token_reused (and "already used" text), revoked, network, rejected', () => {
    assert.equal(classifyRefreshFailure({ kind: 'http', status: 400, error: 'invalid_grant' }), 'invalid_grant');
    assert.equal(classifyRefreshFailure({ kind: 'http', status: 401, error: 'refresh_token_reused' }), 'refresh_token_reused');
    assert.equal(
      classifyRefreshFailure({
        kind: 'http',
        status: 400,
        error: 'invalid_grant',
        description: 'Your refresh token has already been used to generate a new access token',
      }),
      'refresh_token_reused',
    );
    assert.equal(classifyRefreshFailure({ kind: 'http', status: 400, error: 'invalid_grant', description: 'token was reused' }), 'refresh_token_reused');
    assert.equal(classifyRefreshFailure({ kind: 'http', status: 401, error: 'invalid_client' }), 'revoked');
    assert.equal(classifyRefreshFailure({ kind: 'http', status: 400, error: 'unauthorized_client' }), 'revoked');
    assert.equal(classifyRefreshFailure({ kind: 'http', status: 400, error: 'invalid_grant', description: 'Refresh token revoked' }), 'revoked');
    assert.equal(classifyRefreshFailure({ kind: 'network' }), 'network');
    for (const status of [500, 502, 503, 504, 429, 408]) assert.equal(classifyRefreshFailure({ kind: 'http', status }), 'network', `HTTP ${status}`);
    assert.equal(classifyRefreshFailure({ kind: 'http', status: 400, error: 'invalid_request' }), 'rejected');
    assert.equal(classifyRefreshFailure({ kind: 'http', status: 302 }), 'rejected', 'a redirect is not followed, and not retried');
    assert.equal(isPermanentFailure('network'), false);
    for (const r of ['invalid_grant', 'refresh_token_reused', 'revoked', 'rejected'] as const) assert.equal(isPermanentFailure(r), true);
  });

  it('every 5xx is transient whatever its body says; every other 4xx is permanent', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 500, max: 599 }),
        fc.option(fc.string()),
        fc.option(fc.string()),
        (status, error, description) =>
          classifyRefreshFailure({ kind: 'http', status, error: error ?? undefined, description: description ?? undefined }) === 'network',
      ),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 400, max: 499 }).filter((s) => s !== 429 && s !== 408),
        fc.option(fc.string()),
        (status, error) => isPermanentFailure(classifyRefreshFailure({ kind: 'http', status, error: error ?? undefined })),
      ),
    );
  });

  it('backs off 30 s, 1 min, 2 min, … capped at 10 min, never shrinking', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 100].map(backoffMs), [30_000, 60_000, 120_000, 240_000, 480_000, 600_000, 600_000]);
    assert.equal(backoffMs(0), BACKOFF_BASE_MS);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), (n) => {
        const w = backoffMs(n);
        return w >= BACKOFF_BASE_MS && w <= BACKOFF_CAP_MS && backoffMs(n + 1) >= w;
      }),
    );
  });
});
