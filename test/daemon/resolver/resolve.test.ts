/**
 * daemon/resolver/resolve.ts with a real GatewayState loaded from files in a temp state dir:
 * available profiles in order, then the provider's env key, then cooling-down profiles; a
 * session pin alone (and why it cannot be used); exclusions (failover); expired credentials
 * skipped; NO_CREDENTIALS naming what was tried.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ENV_CANDIDATE, resolveCredential } from '../../../daemon/resolver/resolve.js';
import { GatewayState } from '../../../daemon/state/gateway-state.js';
import { OpenSoulError } from '../../../ipc/errors.js';
import { statePaths } from '../../../ipc/paths.js';
import { tempDir } from '../../support/harness.js';

const NOW = 1_800_000_000_000;
const H = 3_600_000;

interface Files {
  profiles: Record<string, unknown>;
  order?: Record<string, string[]>;
  usageStats?: Record<string, unknown>;
  env?: Record<string, string>;
}

/** A GatewayState over a fresh state dir holding agent `main`'s stores (and `.env`). */
async function stateWith(files: Files): Promise<GatewayState> {
  const paths = statePaths(path.join(tempDir(), 'state'));
  mkdirSync(paths.agentDir('main'), { recursive: true });
  writeFileSync(paths.authProfiles('main'), JSON.stringify({ version: 1, profiles: files.profiles, ...(files.order ? { order: files.order } : {}) }));
  writeFileSync(paths.authState('main'), JSON.stringify({ version: 1, lastGood: {}, usageStats: files.usageStats ?? {} }));
  if (files.env)
    writeFileSync(
      paths.dotenv,
      Object.entries(files.env)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n') + '\n',
    );
  const state = new GatewayState({ paths, processEnv: {}, retainSecrets: () => undefined });
  await state.reload('start');
  return state;
}

async function resolve(state: GatewayState, provider: string, opts: Parameters<typeof resolveCredential>[4] = {}) {
  const view = state.agentView('main');
  assert.ok(view);
  return resolveCredential(state, view, provider, NOW, opts);
}

async function noCredentials(p: Promise<unknown>): Promise<OpenSoulError> {
  const err = await p.then(
    () => assert.fail('expected NO_CREDENTIALS'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof OpenSoulError && err.kind === 'NO_CREDENTIALS', String(err));
  return err;
}

const KEY_A = 'sk-proj-aaaaaaaaaaaaaaaaaaaaaaaa';
const KEY_B = 'sk-proj-bbbbbbbbbbbbbbbbbbbbbbbb';
const ENV_KEY = 'sk-proj-from-the-env-file-000000';

describe('daemon/resolver/resolve', () => {
  it('takes available profiles in the stored order, before the env key', async () => {
    const state = await stateWith({
      profiles: { 'openai:a': { type: 'api_key', provider: 'openai', key: KEY_A }, 'openai:b': { type: 'api_key', provider: 'openai', key: KEY_B } },
      order: { openai: ['openai:b', 'openai:a'] },
      env: { OPENAI_API_KEY: ENV_KEY },
    });
    const r = await resolve(state, 'openai');
    assert.deepEqual([r.profileId, r.secret, r.source, r.pinned], ['openai:b', KEY_B, 'profile', false]);
  });

  it('exclusions move on to the next profile, then to the env key, then NO_CREDENTIALS with the count tried', async () => {
    const state = await stateWith({
      profiles: { 'openai:a': { type: 'api_key', provider: 'openai', key: KEY_A }, 'openai:b': { type: 'api_key', provider: 'openai', key: KEY_B } },
      order: { openai: ['openai:a', 'openai:b'] },
      env: { OPENAI_API_KEY: ENV_KEY },
    });
    assert.equal((await resolve(state, 'openai', { exclude: new Set(['openai:a']) })).profileId, 'openai:b');
    const env = await resolve(state, 'openai', { exclude: new Set(['openai:a', 'openai:b']) });
    assert.deepEqual([env.profileId, env.source, env.envVar, env.secret], [null, 'env', 'OPENAI_API_KEY', ENV_KEY]);
    const err = await noCredentials(resolve(state, 'openai', { exclude: new Set(['openai:a', 'openai:b', ENV_CANDIDATE]) }));
    assert.equal(err.details.tried, 3);
  });

  it('prefers the env key to a cooling-down profile, and a cooling-down profile to nothing', async () => {
    const files: Files = {
      profiles: { 'openai:a': { type: 'api_key', provider: 'openai', key: KEY_A } },
      usageStats: { 'openai:a': { cooldownUntil: NOW + H, errorCount: 1 } },
      env: { OPENAI_API_KEY: ENV_KEY },
    };
    assert.equal((await resolve(await stateWith(files), 'openai')).source, 'env');
    const { env: _env, ...noEnv } = files;
    const r = await resolve(await stateWith(noEnv), 'openai');
    assert.deepEqual([r.profileId, r.secret], ['openai:a', KEY_A]);
  });

  it('a pin is used alone, even cooling down; an excluded or unknown-provider pin says why instead of handing out another', async () => {
    const state = await stateWith({
      profiles: { 'openai:a': { type: 'api_key', provider: 'openai', key: KEY_A }, 'openai:b': { type: 'api_key', provider: 'openai', key: KEY_B } },
      order: { openai: ['openai:a', 'openai:b'] },
      usageStats: { 'openai:b': { cooldownUntil: NOW + H, errorCount: 1 } },
      env: { OPENAI_API_KEY: ENV_KEY },
    });
    const r = await resolve(state, 'openai', { pin: 'openai:b' });
    assert.deepEqual([r.profileId, r.pinned], ['openai:b', true]);
    const err = await noCredentials(resolve(state, 'openai', { pin: 'openai:b', exclude: new Set(['openai:b']) }));
    assert.equal(err.details.pinned, 'openai:b');
    assert.equal(err.details.pinReason, 'it already failed for this call');
    // A pin to another provider's profile does not bind this provider's calls.
    assert.equal((await resolve(state, 'openai', { pin: 'anthropic:x' })).profileId, 'openai:a');
  });

  it('skips an expired token and an env ref to an unset variable; uses a token not yet expired', async () => {
    const state = await stateWith({
      profiles: {
        'openai:old': { type: 'token', provider: 'openai', token: 'tok-expired-000000000000000000', expires: NOW - 1 },
        'openai:ref': { type: 'api_key', provider: 'openai', keyRef: { source: 'env', provider: 'default', id: 'NOT_SET_ANYWHERE' } },
        'openai:new': { type: 'token', provider: 'openai', token: 'tok-valid-00000000000000000000', expires: NOW + H },
      },
      order: { openai: ['openai:old', 'openai:ref', 'openai:new'] },
    });
    assert.equal((await resolve(state, 'openai')).profileId, 'openai:new');
    const err = await noCredentials(resolve(state, 'openai', { exclude: new Set(['openai:new']) }));
    assert.equal(err.details.provider, 'openai');
    assert.ok(!JSON.stringify(err.details).includes('tok-expired'), 'no secret in the error');
  });

  it('NO_CREDENTIALS with the provider hint when there is nothing at all; PROVIDER_UNKNOWN for an unknown provider', async () => {
    const state = await stateWith({ profiles: {} });
    const err = await noCredentials(resolve(state, 'anthropic'));
    assert.equal(typeof err.details.hint, 'string');
    await assert.rejects(resolve(state, 'no-such-provider'), (e: unknown) => e instanceof OpenSoulError && e.kind === 'PROVIDER_UNKNOWN');
  });
});
