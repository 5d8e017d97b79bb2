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
    assert.match(
      byId.get('anthropic:revoked')?.remedy ?? '',
      /`opensoul models auth paste-api-key --provider anthropic --profile-id anthropic:revoked --force`/,
    );
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

  it("a refused profile's remedy replaces it in the agent that holds it: its own agent's, or the default agent's for an inherited one", async () => {
    const s = await setup();
    const own = fakeSecret('sk-ant-api03-');
    await s.daemon.call(methods.authUpsert, { agent: 'work', profileId: 'anthropic:mine', credential: { type: 'api_key', key: own } });
    s.anthropic.answer(own, { kind: 'status', status: 401, body: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } } });
    const r = await s.daemon.cli(['models', 'status', '--agent', 'work', '--probe', '--probe-provider', 'anthropic', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const remedies = new Map((JSON.parse(r.stdout) as ModelsStatusResult).probes?.map((p) => [p.profileId, p.remedy]));
    assert.match(
      remedies.get('anthropic:mine') ?? '',
      /`opensoul models auth paste-api-key --provider anthropic --profile-id anthropic:mine --agent work --force`/,
    );
    assert.match(remedies.get('anthropic:revoked') ?? '', /`opensoul models auth paste-api-key --provider anthropic --profile-id anthropic:revoked --force`/);
    assertNoSecrets([...s.secrets, own], { out: r.stdout + r.stderr, log: s.daemon.log() });
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

describe('the remedy of a refused env key (models status --probe)', function () {
  this.timeout(30_000);

  const REFUSED = { kind: 'status', status: 401, body: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } } } as const;

  /** A daemon whose openai (built in) and echo (declared, ECHO_KEY) go to one fake provider that refuses `bad`. */
  async function setup(opts: { dotenv?: string; configEnv?: Record<string, string>; processEnv?: Record<string, string> }) {
    const fake = await startFakeProvider('openai');
    const stateDir = path.join(tempDir(), 'state');
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const providers = { openai: { baseUrl: fake.url }, echo: { baseUrl: fake.url, api: 'openai-chat', envVars: ['ECHO_KEY'] } };
    const config = { models: { providers }, agents: { defaults: { model: { primary: 'echo/m1', fallbacks: ['openai/gpt-4o-mini'] } } } };
    writeFileSync(path.join(stateDir, 'opensoul.json'), JSON.stringify({ ...config, ...(opts.configEnv ? { env: { vars: opts.configEnv } } : {}) }), {
      mode: 0o600,
    });
    if (opts.dotenv !== undefined) writeFileSync(path.join(stateDir, '.env'), opts.dotenv, { mode: 0o600 });
    const daemon = await startDaemon({ stateDir, ...(opts.processEnv ? { env: opts.processEnv } : {}) });
    return { daemon, fake };
  }

  async function probe(d: Awaited<ReturnType<typeof setup>>['daemon'], envVar: string) {
    const r = await d.cli(['models', 'status', '--probe', '--json']);
    const found = (JSON.parse(r.stdout) as ModelsStatusResult).probes?.find((p) => p.envVar === envVar);
    assert.ok(found, `a probe of ${envVar}: ${r.stdout}${r.stderr}`);
    return found;
  }

  it('a key from .env: the remedy replaces it in .env (`--target env --force`), and following it word for word fixes the probe', async () => {
    const bad = fakeSecret('sk-proj-');
    const good = fakeSecret('sk-proj-');
    const { daemon: d, fake } = await setup({ dotenv: `OPENAI_API_KEY=${bad}\n` });
    fake.answer(bad, REFUSED);
    const refused = await probe(d, 'OPENAI_API_KEY');
    assert.equal(refused.status, 'auth');
    assert.match(refused.remedy ?? '', /^the provider refused the credential: replace OPENAI_API_KEY in ~\/state\/\.env \(`([^`]+)`\) or remove it there$/);
    const command = /\(`([^`]+)`\)/.exec(refused.remedy ?? '')?.[1] ?? '';
    assert.equal(command, 'opensoul models auth paste-api-key --provider openai --target env --force', 'a new profile would leave the refused key in .env');
    const followed = await d.cli(command.split(' ').slice(1), { input: good });
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal((await probe(d, 'OPENAI_API_KEY')).status, 'ok');
    assertNoSecrets([bad, good], { remedy: refused.remedy ?? '', followed: followed.stdout + followed.stderr, log: d.log() });
  });

  it('a key of a declared provider from .env: the remedy names the variable and the file, not a profile write (`chat` says the same)', async () => {
    const bad = fakeSecret('ek-', 40);
    const { daemon: d, fake } = await setup({ dotenv: `ECHO_KEY=${bad}\n` });
    fake.answer(bad, REFUSED);
    const refused = await probe(d, 'ECHO_KEY');
    assert.equal(refused.status, 'auth');
    assert.equal(
      refused.remedy,
      'the provider refused the credential: replace ECHO_KEY in ~/state/.env, or remove it there (the gateway reloads the file live)',
    );
    const chat = await d.cli(['chat'], { input: 'hi\n' });
    assert.equal(chat.code, 1);
    assert.match(
      chat.stderr,
      /env key ECHO_KEY failed with auth.* The provider refused the credential: replace ECHO_KEY in ~\/state\/\.env, or remove it there/,
    );
    for (const text of [refused.remedy ?? '', chat.stderr]) assert.doesNotMatch(text, /paste-api-key --provider echo --force/);
    assertNoSecrets([bad], { chat: chat.stdout + chat.stderr, log: d.log() });
  });

  it("a key from the gateway's own environment: the remedy says it wins over .env, and indeed a key pasted into .env does not replace it", async () => {
    const bad = fakeSecret('sk-proj-');
    const good = fakeSecret('sk-proj-');
    const { daemon: d, fake } = await setup({ processEnv: { OPENAI_API_KEY: bad } });
    fake.answer(bad, REFUSED);
    const refused = await probe(d, 'OPENAI_API_KEY');
    assert.match(refused.remedy ?? '', /OPENAI_API_KEY is set in the gateway's own environment, which wins over ~\/state\/\.env and opensoul\.json/);
    assert.doesNotMatch(refused.remedy ?? '', /paste-api-key/);
    const pasted = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--target', 'env'], { input: good });
    assert.equal(pasted.code, 0, pasted.stderr);
    assert.equal((await probe(d, 'OPENAI_API_KEY')).status, 'auth', 'the process environment still wins');
    assertNoSecrets([bad, good], { log: d.log() });
  });

  it("a key from opensoul.json's env: the remedy offers .env, which wins over it, and following it fixes the probe", async () => {
    const bad = fakeSecret('sk-proj-');
    const good = fakeSecret('sk-proj-');
    const { daemon: d, fake } = await setup({ configEnv: { OPENAI_API_KEY: bad } });
    fake.answer(bad, REFUSED);
    const refused = await probe(d, 'OPENAI_API_KEY');
    assert.match(refused.remedy ?? '', /OPENAI_API_KEY is set in the env of ~\/state\/opensoul\.json: replace it there, or put the new key in ~\/state\/\.env/);
    const command = /\(`([^`]+)`\)$/.exec(refused.remedy ?? '')?.[1] ?? '';
    assert.equal(command, 'opensoul models auth paste-api-key --provider openai --target env');
    const followed = await d.cli(command.split(' ').slice(1), { input: good });
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal((await probe(d, 'OPENAI_API_KEY')).status, 'ok');
    assertNoSecrets([bad, good], { log: d.log() });
  });
});
