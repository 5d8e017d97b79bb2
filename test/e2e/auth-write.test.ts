/**
 * Writing credentials through the real CLI and the real daemon (SPEC §3 "Writes", §7): stdin
 * handling, file modes, expiry, comments kept in opensoul.json and .env, order rules, removal,
 * refusals that change nothing. Every fake secret is grepped for in outputs, argv and the log.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { methods } from '../../ipc/protocol.js';
import { CLI, assertNoSecrets, fakeSecret, startDaemon, tempDir, track, waitFor } from '../support/harness.js';
import type { Daemon } from '../support/harness.js';

const mode = (p: string) => statSync(p).mode & 0o777;
const setupToken = () => fakeSecret('sk-ant-oat01-', 90);
const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as { profiles: Record<string, Record<string, unknown>>; order?: Record<string, string[]> };

describe('writing credentials (real daemon, real CLI)', function () {
  it('paste-token: a token split over two lines on stdin is stored whole, 0600 in a 0700 dir, and is in no argv, output or log', async () => {
    const d = await startDaemon();
    const token = setupToken();
    // Keep stdin open while we look at the CLI's argv in /proc: the token must not be there.
    const child = track(
      spawn(process.execPath, [CLI, 'models', 'auth', 'paste-token', '--provider', 'anthropic', '--expires-in', '1h'], {
        env: d.env,
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    );
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (x: string) => (out += x));
    child.stderr?.setEncoding('utf8').on('data', (x: string) => (out += x));
    const cmdline = await waitFor(() => readFileSync(`/proc/${child.pid}/cmdline`, 'utf8'), 'the CLI to start');
    child.stdin?.end(`${token.slice(0, 45)}\n  ${token.slice(45)}\r\n`);
    const code = await new Promise<number | null>((r) => child.once('close', r));
    assert.equal(code, 0, out);
    assert.match(out, /Stored anthropic:manual \(token, expires .*\) in .*auth-profiles\.json/);

    const store = d.paths.authProfiles('main');
    assert.equal(readJson(store).profiles['anthropic:manual']?.token, token);
    assert.equal(mode(store), 0o600);
    assert.equal(mode(path.dirname(store)), 0o700);
    const check = await d.cli(['models', 'status', '--check']);
    assert.equal(check.code, 2, 'a token expiring within 1 h makes --check exit 2');
    const json = await d.cli(['models', 'status', '--json']);
    assertNoSecrets([token, token.slice(0, 45), token.slice(45)], {
      argv: cmdline,
      out,
      check: check.stdout + check.stderr,
      json: json.stdout,
      log: d.log(),
      daemonStderr: d.stderr(),
    });
  });

  it('refuses a truncated or non-setup Anthropic token, and an unknown provider, with a clear error, writing nothing', async () => {
    const d = await startDaemon();
    const short = 'sk-ant-oat01-tooShort';
    const r1 = await d.cli(['models', 'auth', 'paste-token', '--provider', 'anthropic'], { input: short });
    assert.equal(r1.code, 1);
    assert.match(r1.stderr, /looks truncated/);
    const r2 = await d.cli(['models', 'auth', 'paste-token', '--provider', 'anthropic'], { input: fakeSecret('sk-ant-xyz-', 90) });
    assert.match(r2.stderr, /must start with sk-ant-oat01-/);
    const r3 = await d.cli(['models', 'auth', 'paste-token', '--provider', 'nosuch'], { input: 'x'.repeat(40) });
    assert.equal(r3.code, 1);
    assert.match(r3.stderr, /Unknown provider "nosuch"/);
    const r4 = await d.cli(['models', 'auth', 'paste-token', '--provider', 'openai'], { input: '' });
    assert.equal(r4.code, 1);
    assert.match(r4.stderr, /no token on stdin/);
    const r5 = await d.cli(['models', 'auth', 'paste-token', '--provider', 'openai', '--expires-in', 'soon'], { input: 'x'.repeat(40) });
    assert.equal(r5.code, 64);
    assert.throws(() => readFileSync(d.paths.authProfiles('main')), /ENOENT/, 'nothing was written');
    assertNoSecrets([short], { out: r1.stdout + r1.stderr, log: d.log() });
  });

  it('the daemon itself refuses a token with a line break (RPC), whatever the client', async () => {
    const d = await startDaemon();
    const c = await d.connect();
    try {
      await assert.rejects(
        c.call(methods.authUpsert, { profileId: 'openai:x', credential: { type: 'token', token: 'abc\ndef-ghijklmnop' } }),
        (err: Error) => /line breaks/.test(err.message) && !err.message.includes('ghijklmnop'),
      );
    } finally {
      c.close();
    }
    assert.equal(d.proc.exitCode, null);
  });

  it('records the profile in an opensoul.json full of comments, keeping every comment and the formatting', async () => {
    const d = await startDaemon();
    const config = `// OpenSoul config — hand-written
{
  /* models I use */
  "agents": {
    "defaults": { "model": { "primary": "anthropic/claude-sonnet-4-5" } }, // trailing comment
  },
  // auth metadata below
  "auth": {
    "order": { "anthropic": ["anthropic:manual"] }, // keep me
  },
}
`;
    writeFileSync(d.paths.config, config);
    const token = setupToken();
    const r = await d.cli(['models', 'auth', 'paste-token', '--provider', 'anthropic'], { input: token });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Stored anthropic:manual \(token, no expiry\) in .*auth-profiles\.json\n {2}also changed .*opensoul\.json \(auth\.profiles/);
    const again = await d.cli(['models', 'auth', 'paste-token', '--provider', 'anthropic'], { input: token });
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stdout, /also changed/, 'an unchanged write changed no file');
    const after = readFileSync(d.paths.config, 'utf8');
    for (const comment of ['// OpenSoul config — hand-written', '/* models I use */', '// trailing comment', '// auth metadata below', '// keep me']) {
      assert.ok(after.includes(comment), `kept: ${comment}`);
    }
    assert.match(after, /"anthropic:manual": \{\s*"provider": "anthropic",\s*"mode": "token"\s*\}/);
    assert.ok(!after.includes(token));

    const removed = await d.cli(['models', 'auth', 'remove', 'anthropic:manual']);
    assert.equal(removed.code, 0, removed.stderr);
    const final = readFileSync(d.paths.config, 'utf8');
    assert.ok(!final.includes('anthropic:manual'), 'remove also drops it from auth.profiles and auth.order');
    assert.ok(final.includes('// keep me') && final.includes('/* models I use */'));
  });

  it('leaves a config that does not parse alone and still stores the profile, with a warning', async () => {
    const d = await startDaemon();
    const broken = '{ "auth": { "profiles": { ';
    writeFileSync(d.paths.config, broken);
    const r = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai'], { input: fakeSecret('sk-proj-', 50) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: opensoul\.json was not updated/);
    assert.equal(readFileSync(d.paths.config, 'utf8'), broken);
    assert.ok(readJson(d.paths.authProfiles('main')).profiles['openai:manual']);
  });

  it('refuses writes to a store that does not parse (STORE_INVALID, with path and position) and never rewrites it', async () => {
    const d = await startDaemon();
    const store = d.paths.authProfiles('main');
    mkdirSync(path.dirname(store), { recursive: true });
    writeFileSync(store, '{"version":1,"profiles":{\n  "x": }');
    await waitFor(async () => (await d.call(methods.modelsStatus, {})).fileErrors.length > 0, 'the file error');
    const r = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--json'], { input: fakeSecret('sk-proj-', 50) });
    assert.equal(r.code, 1);
    const err = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
    assert.equal(err.code, 'STORE_INVALID');
    assert.ok(err.message.includes(store) && /line 2, column 8/.test(err.message), err.message);
    assert.equal(readFileSync(store, 'utf8'), '{"version":1,"profiles":{\n  "x": }');
  });

  it('paste-api-key --target env --force edits .env in place, keeping comments and other lines; unset removes only that key', async () => {
    const d = await startDaemon();
    const before = '# my keys\nexport OTHER=keep   # inline comment\n\nOPENAI_API_KEY=old-value-to-replace\n# end\n';
    writeFileSync(d.paths.dotenv, before);
    const key = fakeSecret('sk-proj-', 50);
    const r = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--target', 'env', '--force'], { input: `${key}\n` });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(d.paths.dotenv, 'utf8'), `# my keys\nexport OTHER=keep   # inline comment\n\nOPENAI_API_KEY=${key}\n# end\n`);
    assert.equal(mode(d.paths.dotenv), 0o600);
    const s = await d.call(methods.modelsStatus, {});
    assert.equal(s.providers.find((p) => p.provider === 'openai')?.env?.source, 'dotenv');
    await d.call(methods.envUnset, { key: 'OPENAI_API_KEY' });
    assert.equal(readFileSync(d.paths.dotenv, 'utf8'), '# my keys\nexport OTHER=keep   # inline comment\n\n# end\n');
    assertNoSecrets([key], { out: r.stdout + r.stderr, log: d.log() });
  });

  it('order set refuses an unknown id and an id of another provider, changing nothing; set/get/clear work', async () => {
    const d = await startDaemon();
    for (const [provider, id] of [
      ['anthropic', 'anthropic:a'],
      ['anthropic', 'anthropic:b'],
      ['openai', 'openai:x'],
    ]) {
      const r = await d.cli(['models', 'auth', 'paste-api-key', '--provider', provider as string, '--profile-id', id as string], {
        input: fakeSecret(provider === 'anthropic' ? 'sk-ant-api03-' : 'sk-', 40),
      });
      assert.equal(r.code, 0, r.stderr);
    }
    const store = d.paths.authProfiles('main');
    const before = readFileSync(store, 'utf8');
    const unknown = await d.cli(['models', 'auth', 'order', 'set', '--provider', 'anthropic', 'anthropic:b', 'anthropic:ghost']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /anthropic:ghost" not found/);
    const other = await d.cli(['models', 'auth', 'order', 'set', '--provider', 'anthropic', 'openai:x']);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /openai:x is a profile of openai, not of anthropic/);
    assert.equal(readFileSync(store, 'utf8'), before, 'nothing changed');

    const set = await d.cli(['models', 'auth', 'order', 'set', '--provider', 'anthropic', 'anthropic:b', 'anthropic:a', '--json']);
    assert.equal(set.code, 0, set.stderr);
    assert.deepEqual((JSON.parse(set.stdout) as { order: string[] }).order, ['anthropic:b', 'anthropic:a']);
    assert.deepEqual(readJson(store).order, { anthropic: ['anthropic:b', 'anthropic:a'] });
    const got = await d.cli(['models', 'auth', 'order', 'get', '--provider', 'anthropic', '--json']);
    assert.deepEqual((JSON.parse(got.stdout) as { effective: string[] }).effective, ['anthropic:b', 'anthropic:a']);
    const resolved = await d.call(methods.authResolve, { provider: 'anthropic' });
    assert.equal(resolved.profileId, 'anthropic:b', 'the override decides which credential a call uses');
    await d.cli(['models', 'auth', 'order', 'clear', '--provider', 'anthropic']);
    assert.equal(readJson(store).order, undefined);
  });

  it('list shows masked profiles; remove (and its alias logout) deletes a profile and its state; an unknown one is PROFILE_NOT_FOUND', async () => {
    const d = await startDaemon();
    const k1 = fakeSecret('sk-proj-', 50);
    const k2 = fakeSecret('sk-proj-', 50);
    await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--profile-id', 'openai:one'], { input: k1 });
    await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--profile-id', 'openai:two'], { input: k2 });
    await d.call(methods.authReport, { profileId: 'openai:one', outcome: 'rate_limit' });
    const list = await d.cli(['models', 'auth', 'list', '--provider', 'openai']);
    assert.match(list.stdout, /openai:one .*cooldown/);
    assert.match(list.stdout, new RegExp(`${k2.slice(0, 8)}\\.\\.\\.${k2.slice(-4)}`));
    const rm = await d.cli(['models', 'auth', 'logout', 'openai:one']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual(Object.keys(readJson(d.paths.authProfiles('main')).profiles), ['openai:two']);
    const state = JSON.parse(readFileSync(d.paths.authState('main'), 'utf8')) as { usageStats: Record<string, unknown> };
    assert.equal(state.usageStats['openai:one'], undefined);
    const again = await d.cli(['models', 'auth', 'remove', 'openai:one', '--json']);
    assert.equal(again.code, 1);
    assert.equal((JSON.parse(again.stdout) as { error: { code: string } }).error.code, 'PROFILE_NOT_FOUND');
    assertNoSecrets([k1, k2], { list: list.stdout, log: d.log() });
  });

  it("list --provider p shows p's order only, in the human view and --json; without --provider every provider's", async () => {
    const d = await startDaemon();
    const keys: Record<string, string> = {
      'anthropic:a': fakeSecret('sk-ant-api03-', 50),
      'anthropic:b': fakeSecret('sk-ant-api03-', 50),
      'openai:one': fakeSecret('sk-proj-', 50),
      'openai:two': fakeSecret('sk-proj-', 50),
    };
    for (const [profileId, key] of Object.entries(keys)) await d.call(methods.authUpsert, { profileId, credential: { type: 'api_key', key } });
    await d.call(methods.authOrderSet, { provider: 'anthropic', order: ['anthropic:b', 'anthropic:a'] });
    const openai = await d.cli(['models', 'auth', 'list', '--provider', 'openai']);
    assert.equal(openai.code, 0, openai.stderr);
    assert.match(openai.stdout, /openai:one/);
    assert.doesNotMatch(openai.stdout, /anthropic/, "no other provider's profiles or order");
    const openaiJson = JSON.parse((await d.cli(['models', 'auth', 'list', '--provider', 'openai', '--json'])).stdout) as { order: Record<string, string[]> };
    assert.deepEqual(openaiJson.order, {});
    await d.call(methods.authOrderSet, { provider: 'openai', order: ['openai:two', 'openai:one'] });
    const both = await d.cli(['models', 'auth', 'list', '--provider', 'openai']);
    assert.match(both.stdout, /^ {2}order openai: openai:two, openai:one$/m);
    assert.doesNotMatch(both.stdout, /order anthropic/);
    const json = JSON.parse((await d.cli(['models', 'auth', 'list', '--provider', 'anthropic', '--json'])).stdout) as { order: Record<string, string[]> };
    assert.deepEqual(json.order, { anthropic: ['anthropic:b', 'anthropic:a'] });
    const all = await d.cli(['models', 'auth', 'list']);
    assert.match(all.stdout, /^ {2}order anthropic: anthropic:b, anthropic:a$/m);
    assert.match(all.stdout, /^ {2}order openai: openai:two, openai:one$/m);
    assertNoSecrets(Object.values(keys), { out: openai.stdout + both.stdout + all.stdout, log: d.log() });
  });

  it('writes to a new agent create it (reads of an unknown agent stay AGENT_NOT_FOUND)', async () => {
    const d = await startDaemon();
    const r = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--agent', 'work'], { input: fakeSecret('sk-proj-', 40) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /agents\/work\/agent\/auth-profiles\.json/);
    assert.equal((await d.cli(['models', 'auth', 'list', '--agent', 'work'])).code, 0);
    assert.equal((await d.cli(['models', 'auth', 'list', '--agent', 'ghost'])).code, 1);
  });

  it("auth.resolve runs an exec SecretRef without the gateway's provider keys in its environment", async () => {
    const processKey = fakeSecret('sk-ant-api03-', 50);
    const d = await startDaemon({ env: { ANTHROPIC_API_KEY: processKey } });
    // A resolver that prints the secret itself (jsonOnly false); passEnv asks for our key in vain.
    const resolver = path.join(tempDir(), 'vault.sh');
    writeFileSync(resolver, '#!/bin/sh\nprintf "%s" "${ANTHROPIC_API_KEY:-not-visible}-from-vault"\n', { mode: 0o700 });
    const secrets = { providers: { vault: { source: 'exec', command: resolver, passEnv: ['ANTHROPIC_API_KEY'], jsonOnly: false } } };
    writeFileSync(d.paths.config, JSON.stringify({ secrets }), { mode: 0o600 });
    await d.call(methods.gatewayReload, {});
    await d.call(methods.authUpsert, {
      profileId: 'openai:vault',
      credential: { type: 'api_key', keyRef: { source: 'exec', provider: 'vault', id: 'value' } },
    });
    const r = await d.call(methods.authResolve, { provider: 'openai' });
    assert.equal(r.profileId, 'openai:vault');
    assert.equal(r.secret, 'not-visible-from-vault');
    assert.equal((await d.call(methods.authList, { provider: 'openai' })).profiles[0]?.masked, 'ref(exec)');
    assertNoSecrets([processKey], { log: d.log() });
  });

  it('auth.report cools a profile down (30 s, then 60 s) and the next resolve uses another; ok clears it', async () => {
    const d = await startDaemon();
    for (const id of ['openai:a', 'openai:b'])
      await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--profile-id', id], { input: fakeSecret('sk-', 40) });
    const first = await d.call(methods.authResolve, { provider: 'openai' });
    assert.ok(first.profileId);
    const other = first.profileId === 'openai:a' ? 'openai:b' : 'openai:a';
    const t0 = Date.now();
    await d.call(methods.authReport, { profileId: first.profileId, outcome: 'rate_limit' });
    const s1 = await d.call(methods.authList, { provider: 'openai' });
    const cooled = s1.profiles.find((p) => p.id === first.profileId);
    assert.equal(cooled?.status, 'cooldown');
    assert.ok((cooled?.cooldownUntil ?? 0) >= t0 + 30_000 && (cooled?.cooldownUntil ?? 0) <= Date.now() + 30_000);
    assert.equal((await d.call(methods.authResolve, { provider: 'openai' })).profileId, other);
    await d.call(methods.authReport, { profileId: first.profileId, outcome: 'rate_limit' });
    const s2 = await d.call(methods.authList, { provider: 'openai' });
    assert.ok((s2.profiles.find((p) => p.id === first.profileId)?.cooldownUntil ?? 0) >= t0 + 60_000, 'the second error in the window cools for 60 s');
    await d.call(methods.authReport, { profileId: first.profileId, outcome: 'ok' });
    const s3 = await d.call(methods.authList, { provider: 'openai' });
    assert.equal(s3.profiles.find((p) => p.id === first.profileId)?.status, 'static');
    assert.ok(s3.profiles.find((p) => p.id === first.profileId)?.lastGood);
  });
});

export type { Daemon };
