/**
 * `models status --probe` against fake providers on 127.0.0.1: one minimal request per profile
 * and env key, results in the human view and JSON, outcomes fed to cooldowns, the timeout
 * honoured for real, and no secret in any output or the log.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { methods } from '../../ipc/protocol.js';
import type { ModelsStatusResult } from '../../ipc/protocol.js';
import { assertNoSecrets, fakeSecret, startDaemon, tempDir } from '../support/harness.js';
import { startFakeProvider } from '../support/fake-provider.js';

describe('models status --probe', function () {
  this.timeout(30_000);

  async function setup(env: Record<string, string> = {}) {
    const anthropic = await startFakeProvider('anthropic');
    const openai = await startFakeProvider('openai');
    const stateDir = path.join(tempDir(), 'state');
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    writeFileSync(
      path.join(stateDir, 'opensoul.json'),
      JSON.stringify({ models: { providers: { anthropic: { baseUrl: anthropic.url }, openai: { baseUrl: openai.url } } } }),
      { mode: 0o600 },
    );
    const envKey = fakeSecret('sk-proj-');
    writeFileSync(path.join(stateDir, '.env'), `OPENAI_API_KEY=${envKey}\n`, { mode: 0o600 });
    const daemon = await startDaemon({ stateDir, env });
    const good = fakeSecret('sk-ant-api03-');
    const revoked = fakeSecret('sk-ant-api03-');
    await daemon.call(methods.authUpsert, { profileId: 'anthropic:good', credential: { type: 'api_key', key: good } });
    await daemon.call(methods.authUpsert, { profileId: 'anthropic:revoked', credential: { type: 'api_key', key: revoked } });
    anthropic.answer(revoked, { kind: 'status', status: 401, body: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } } });
    return { daemon, anthropic, openai, secrets: [good, revoked, envKey] };
  }

  it('probes every profile and the env key, reports each outcome, and feeds cooldowns', async () => {
    const s = await setup();
    const r = await s.daemon.cli(['models', 'status', '--probe', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const status = JSON.parse(r.stdout) as ModelsStatusResult;
    assert.ok(status.probes);
    const byId = new Map(status.probes.map((p) => [p.profileId ?? `env:${p.envVar}`, p]));
    assert.equal(byId.get('anthropic:good')?.status, 'ok');
    assert.equal(byId.get('anthropic:revoked')?.status, 'auth');
    assert.equal(byId.get('env:OPENAI_API_KEY')?.status, 'ok');
    for (const p of status.probes) assert.equal(typeof p.latencyMs, 'number');
    assert.equal(s.anthropic.received.length, 2, 'one request per Anthropic profile');
    assert.equal(s.openai.received.length, 1, 'one request for the env key');
    const after = await s.daemon.call(methods.modelsStatus, {});
    const revoked = after.providers.flatMap((p) => p.profiles).find((p) => p.id === 'anthropic:revoked');
    assert.equal(revoked?.status, 'cooldown', 'the probe outcome set the profile aside');
    const human = await s.daemon.cli(['models', 'status', '--probe', '--probe-provider', 'anthropic']);
    assert.match(human.stdout, /anthropic:good/);
    assert.match(human.stdout, /ok/);
    assertNoSecrets(s.secrets, { json: r.stdout + r.stderr, human: human.stdout + human.stderr, log: s.daemon.log() });
  });

  it('--probe-profile narrows to those profiles; an unknown one is refused', async () => {
    const s = await setup();
    const r = await s.daemon.cli(['models', 'status', '--probe-profile', 'anthropic:good', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const status = JSON.parse(r.stdout) as ModelsStatusResult;
    assert.deepEqual(
      status.probes?.map((p) => p.profileId),
      ['anthropic:good'],
    );
    const bad = await s.daemon.cli(['models', 'status', '--probe-profile', 'anthropic:nope', '--json']);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /PROFILE_NOT_FOUND/);
  });

  it('a provider that never answers ends within --probe-timeout + 1 s', async () => {
    const s = await setup();
    s.anthropic.answer('*', { kind: 'hang' });
    s.anthropic.answer(s.secrets[1] as string, { kind: 'hang' });
    s.openai.answer('*', { kind: 'stall-after-headers' });
    const started = Date.now();
    const r = await s.daemon.cli(['models', 'status', '--probe', '--probe-timeout', '1000', '--json']);
    const took = Date.now() - started;
    assert.equal(r.code, 0, r.stderr);
    const status = JSON.parse(r.stdout) as ModelsStatusResult;
    assert.ok(status.probes && status.probes.length === 3);
    for (const p of status.probes) assert.equal(p.status, 'timeout', `${p.profileId ?? p.envVar} timed out`);
    assert.ok(took < 1000 + 1000, `took ${took} ms`);
    // A timeout does not count against a profile.
    const after = await s.daemon.call(methods.modelsStatus, {});
    for (const p of after.providers.flatMap((x) => x.profiles)) assert.notEqual(p.status, 'cooldown');
  });
});
