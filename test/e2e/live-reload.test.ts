/**
 * Live reload, end to end: a real daemon on a temp state dir, the real CLI, files changed the
 * ways people and tools change them. Every case must converge on the final content without a
 * restart (SPEC §3, §4; STYLE "Watching files, carefully").
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { methods } from '../../ipc/protocol.js';
import type { ModelsStatusResult } from '../../ipc/protocol.js';
import { maskSecret } from '../../daemon/status/masking.js';
import { assertNoSecrets, fakeSecret, startDaemon, waitFor } from '../support/harness.js';
import type { Daemon } from '../support/harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function status(d: Daemon, agent?: string): Promise<ModelsStatusResult> {
  return d.call(methods.modelsStatus, agent ? { agent } : {});
}

/** The masked ANTHROPIC_API_KEY the daemon sees, or null. */
async function anthropicEnvMasked(d: Daemon): Promise<string | null> {
  const s = await status(d);
  return s.providers.find((p) => p.provider === 'anthropic')?.env?.masked ?? null;
}

async function waitForEnvKey(d: Daemon, key: string | null, what: string): Promise<void> {
  const want = key === null ? null : maskSecret(key);
  await waitFor(async () => (await anthropicEnvMasked(d)) === want, what);
}

/** Distinct fake keys whose masks differ (the mask shows the last 4 characters). */
function keys(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${fakeSecret('sk-ant-api03-', 48)}${String(1000 + i)}`);
}

describe('live reload (real daemon, real CLI)', function () {
  it('models status --check goes 1 → 0 → 1 as an API key is written to and removed from .env, without a restart', async () => {
    const d = await startDaemon();
    const [key] = keys(1) as [string];
    const before = await d.cli(['models', 'status', '--check']);
    assert.equal(before.code, 1, 'no key at all: the default model (anthropic) has no credential');
    assert.match(before.stdout, /Missing auth/);
    assert.match(before.stdout, /ANTHROPIC_API_KEY/, 'the recovery hint names the env var');

    writeFileSync(d.paths.dotenv, `# provider keys for the gateway\nOTHER=1\nANTHROPIC_API_KEY=${key}\n`);
    await waitForEnvKey(d, key, 'the key written to .env to be seen');
    const withKey = await d.cli(['models', 'status', '--check', '--json']);
    assert.equal(withKey.code, 0);
    const parsed = JSON.parse(withKey.stdout) as ModelsStatusResult;
    const anthropic = parsed.providers.find((p) => p.provider === 'anthropic');
    assert.deepEqual(anthropic?.effective.kind, 'env');
    assert.equal(anthropic?.env?.source, 'dotenv');
    assert.equal(anthropic?.env?.path, d.paths.dotenv);
    assert.equal(anthropic?.env?.masked, maskSecret(key));
    assert.equal(parsed.check, 0);

    writeFileSync(d.paths.dotenv, '# provider keys for the gateway\nOTHER=1\n');
    await waitForEnvKey(d, null, 'the removed key to disappear');
    const after = await d.cli(['models', 'status', '--check']);
    assert.equal(after.code, 1);
    assert.equal(d.proc.exitCode, null, 'the same daemon served all three');
    assertNoSecrets([key], {
      before: before.stdout + before.stderr,
      withKey: withKey.stdout + withKey.stderr,
      after: after.stdout + after.stderr,
      log: d.log(),
      daemonStderr: d.stderr(),
    });
  });

  it('converges on an edit in place, a tmp+rename, and a delete-and-recreate', async () => {
    const d = await startDaemon();
    const [k1, k2, k3, k4] = keys(4) as [string, string, string, string];
    writeFileSync(d.paths.dotenv, `ANTHROPIC_API_KEY=${k1}\n`);
    await waitForEnvKey(d, k1, 'the first write');

    writeFileSync(d.paths.dotenv, `ANTHROPIC_API_KEY=${k2}\n`); // same inode, truncated and rewritten
    await waitForEnvKey(d, k2, 'an edit in place');

    const tmp = path.join(d.stateDir, '.env.tmp-editor');
    writeFileSync(tmp, `ANTHROPIC_API_KEY=${k3}\n`);
    renameSync(tmp, d.paths.dotenv);
    await waitForEnvKey(d, k3, 'a tmp file renamed over .env');

    unlinkSync(d.paths.dotenv);
    await sleep(150); // long enough for chokidar to report the unlink on its own
    writeFileSync(d.paths.dotenv, `ANTHROPIC_API_KEY=${k4}\n`);
    await waitForEnvKey(d, k4, 'a delete and recreate');
    assertNoSecrets([k1, k2, k3, k4], { log: d.log(), stderr: d.stderr() });
  });

  it('converges on the last of a burst of saves 10 ms apart, and stays there', async () => {
    const d = await startDaemon();
    const burst = keys(30);
    for (const k of burst) {
      writeFileSync(d.paths.dotenv, `ANTHROPIC_API_KEY=${k}\n`);
      await sleep(10);
    }
    const last = burst[burst.length - 1] as string;
    await waitForEnvKey(d, last, 'the last save of the burst');
    await sleep(300);
    assert.equal(await anthropicEnvMasked(d), maskSecret(last), 'no later reload went back to an earlier version');
    assertNoSecrets(burst, { log: d.log(), stderr: d.stderr() });
  });

  it('converges on a burst of tmp+rename saves (the way editors and write-file-atomic save)', async () => {
    const d = await startDaemon();
    const burst = keys(15);
    for (const [i, k] of burst.entries()) {
      const tmp = path.join(d.stateDir, `.env.${i}.tmp`);
      writeFileSync(tmp, `ANTHROPIC_API_KEY=${k}\n`);
      renameSync(tmp, d.paths.dotenv);
      await sleep(10);
    }
    await waitForEnvKey(d, burst[burst.length - 1] as string, 'the last renamed save');
  });

  it('picks up an agent dir created after start, with its store', async () => {
    const d = await startDaemon();
    const token = fakeSecret('sk-ant-oat01-', 90);
    await assert.rejects(status(d, 'work'), /Agent "work" not found/);
    const agentDir = d.paths.agentDir('work');
    mkdirSync(agentDir, { recursive: true });
    writeFileSync(
      d.paths.authProfiles('work'),
      JSON.stringify({ version: 1, profiles: { 'anthropic:work': { type: 'token', provider: 'anthropic', token } } }),
    );
    const s = await waitFor(async () => {
      const r = await status(d, 'work');
      return r.providers.some((p) => p.profiles.some((pr) => pr.id === 'anthropic:work')) ? r : null;
    }, 'the new agent and its profile');
    assert.equal(s.check, 0);
    const out = await d.cli(['models', 'status', '--agent', 'work']);
    assert.equal(out.code, 0);
    assert.match(out.stdout, /anthropic:work/);
    assertNoSecrets([token], { out: out.stdout + out.stderr, log: d.log() });
  });

  it('survives the state dir being removed and recreated: it answers again and reads the new files', async () => {
    const d = await startDaemon();
    const [k1, k2] = keys(2) as [string, string];
    writeFileSync(d.paths.dotenv, `ANTHROPIC_API_KEY=${k1}\n`);
    await waitForEnvKey(d, k1, 'the first key');
    rmSync(d.stateDir, { recursive: true, force: true });
    // The daemon puts run/ back (its socket went with the dir) and re-arms its watcher.
    await waitFor(async () => (await status(d)) !== undefined, 'the daemon to answer again after its dir was removed', 15_000);
    await waitForEnvKey(d, null, 'the removed .env to be forgotten');
    mkdirSync(d.stateDir, { recursive: true, mode: 0o700 });
    writeFileSync(d.paths.dotenv, `ANTHROPIC_API_KEY=${k2}\n`);
    await waitForEnvKey(d, k2, 'the recreated .env');
    assert.equal(d.proc.exitCode, null);
    assertNoSecrets([k1, k2], { log: d.log(), stderr: d.stderr() });
  });

  it('keeps the last good state of a store that stops parsing, reports it by position only, never rewrites it, and recovers', async () => {
    const d = await startDaemon();
    const good = fakeSecret('sk-ant-api03-', 60);
    const inBroken = fakeSecret('sk-ant-api03-', 60);
    const store = d.paths.authProfiles('main');
    mkdirSync(path.dirname(store), { recursive: true });
    writeFileSync(store, JSON.stringify({ version: 1, profiles: { 'anthropic:good': { type: 'api_key', provider: 'anthropic', key: good } } }));
    await waitFor(async () => (await status(d)).providers.some((p) => p.profiles.some((pr) => pr.id === 'anthropic:good')), 'the good store');

    const broken = `{"version":1,"profiles":{"anthropic:new":{"type":"api_key","key":"${inBroken}"}`; // unterminated
    writeFileSync(store, broken);
    const s = await waitFor(async () => {
      const r = await status(d);
      return r.fileErrors.length > 0 ? r : null;
    }, 'the parse error to be reported');
    assert.equal(s.fileErrors[0]?.path, store);
    assert.match(s.fileErrors[0]?.message ?? '', /^line 1, column \d+: /);
    assert.ok(
      s.providers.some((p) => p.profiles.some((pr) => pr.id === 'anthropic:good')),
      'the last good profiles are still served',
    );
    assert.ok(!s.providers.some((p) => p.profiles.some((pr) => pr.id === 'anthropic:new')));

    const human = await d.cli(['models', 'status']);
    assert.match(human.stdout, /File errors/);
    assert.match(human.stdout, /line 1, column \d+/);
    const gw = await d.cli(['gateway', 'status', '--json']);
    const files = (JSON.parse(gw.stdout) as { daemon: { files: { path: string; ok: boolean; error: string | null }[] } }).daemon.files;
    assert.equal(files.find((f) => f.path === store)?.ok, false);
    await sleep(300);
    assert.equal(readFileSync(store, 'utf8'), broken, 'the broken file is never rewritten');

    writeFileSync(store, JSON.stringify({ version: 1, profiles: { 'anthropic:fixed': { type: 'api_key', provider: 'anthropic', key: good } } }));
    await waitFor(async () => {
      const r = await status(d);
      return r.fileErrors.length === 0 && r.providers.some((p) => p.profiles.some((pr) => pr.id === 'anthropic:fixed'));
    }, 'the fixed store');
    assertNoSecrets([good, inBroken], { human: human.stdout + human.stderr, gw: gw.stdout, log: d.log(), stderr: d.stderr() });
  });

  it('keeps the last good config when opensoul.json stops parsing', async () => {
    const d = await startDaemon();
    writeFileSync(d.paths.config, '// my config\n{ "agents": { "defaults": { "model": { "primary": "openai/gpt-5", }, }, }, }\n');
    await waitFor(async () => (await status(d)).defaultModel === 'openai/gpt-5', 'the JSONC config');
    writeFileSync(d.paths.config, '{ "agents": { "defaults": { "model": { "primary": "anthropic/x" ');
    const s = await waitFor(async () => {
      const r = await status(d);
      return r.fileErrors.some((f) => f.path === d.paths.config) ? r : null;
    }, 'the config error');
    assert.equal(s.defaultModel, 'openai/gpt-5');
    const plain = await d.cli(['models', 'status', '--plain']);
    assert.equal(plain.stdout, 'openai/gpt-5\n');
  });

  it('reloads on SIGHUP and on `opensoul gateway reload`', async () => {
    const d = await startDaemon();
    const before = await d.call(methods.gatewayStatus, {});
    d.proc.kill('SIGHUP');
    await waitFor(async () => (await d.call(methods.gatewayStatus, {})).reloads.checks > before.reloads.checks, 'a SIGHUP reload');
    const out = await d.cli(['gateway', 'reload']);
    assert.equal(out.code, 0);
    assert.match(out.stdout, /Reloaded/);
    const after = await d.call(methods.gatewayStatus, {});
    assert.ok(after.reloads.checks > before.reloads.checks + 1);
    assert.equal(d.proc.exitCode, null);
  });
});
