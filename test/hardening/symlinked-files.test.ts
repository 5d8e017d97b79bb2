/**
 * Dotfiles kept as symlinks into a dotfiles repo: the daemon reads through the link and writes
 * through it to the target (atomically, in the target's dir), never replacing the link with a
 * copy; a link to a file owned by another user is refused, nothing written.
 */
import assert from 'node:assert/strict';
import { chownSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OpenSoulError } from '../../ipc/errors.js';
import { methods } from '../../ipc/protocol.js';
import { assertNoSecrets, fakeSecret, startDaemon, tempDir } from '../support/harness.js';

describe('symlinked .env and stores (real daemon, real CLI)', function () {
  this.timeout(60_000);

  it('writes .env and auth-profiles.json through their links; the links stay links, no lock or temp in the repo', async () => {
    const root = tempDir();
    const repo = path.join(root, 'dotfiles');
    mkdirSync(repo, { mode: 0o700 });
    const stateDir = path.join(root, 'state');
    const agentDir = path.join(stateDir, 'agents', 'main', 'agent');
    mkdirSync(agentDir, { recursive: true, mode: 0o700 });
    writeFileSync(path.join(repo, 'env'), '# from my dotfiles\nOTHER=1\n', { mode: 0o600 });
    writeFileSync(path.join(repo, 'auth-profiles.json'), '{"version": 1, "profiles": {}}\n', { mode: 0o600 });
    symlinkSync(path.join(repo, 'env'), path.join(stateDir, '.env'));
    symlinkSync('../../../../dotfiles/auth-profiles.json', path.join(agentDir, 'auth-profiles.json'));
    const d = await startDaemon({ stateDir });

    const key = fakeSecret('sk-proj-', 50);
    const r = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--target', 'env'], { input: `${key}\n` });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(lstatSync(d.paths.dotenv).isSymbolicLink(), '.env is still a link');
    assert.equal(readFileSync(path.join(repo, 'env'), 'utf8'), `# from my dotfiles\nOTHER=1\nOPENAI_API_KEY=${key}\n`);

    const token = fakeSecret('tok-', 40);
    const t = await d.cli(['models', 'auth', 'paste-token', '--provider', 'openai', '--profile-id', 'openai:linked'], { input: token });
    assert.equal(t.code, 0, t.stderr);
    assert.ok(lstatSync(d.paths.authProfiles('main')).isSymbolicLink(), 'auth-profiles.json is still a link');
    const doc = JSON.parse(readFileSync(path.join(repo, 'auth-profiles.json'), 'utf8')) as { profiles: Record<string, { token?: string }> };
    assert.equal(doc.profiles['openai:linked']?.token, token);
    assert.deepEqual(readdirSync(repo).sort(), ['auth-profiles.json', 'env'], 'no lock, temp or aside file in the dotfiles repo');
    const listed = await d.call(methods.authList, { provider: 'openai' });
    assert.ok(listed.profiles.some((p) => p.id === 'openai:linked'));
    assertNoSecrets([key, token], { out: r.stdout + r.stderr + t.stdout + t.stderr, log: d.log(), stderr: d.stderr() });
  });

  it('refuses to write through a link to a file owned by another user, changing nothing', async () => {
    const root = tempDir();
    const stateDir = path.join(root, 'state');
    mkdirSync(stateDir, { mode: 0o700 });
    const foreign = path.join(root, 'someone-elses.env');
    writeFileSync(foreign, 'THEIRS=1\n', { mode: 0o644 });
    // Root here makes the file another user's; otherwise a root-owned file is the other user's.
    const target = process.getuid?.() === 0 ? foreign : '/etc/hostname';
    if (target === foreign) chownSync(foreign, 65534, 65534);
    const before = readFileSync(target, 'utf8');
    symlinkSync(target, path.join(stateDir, '.env'));
    const d = await startDaemon({ stateDir });
    const err = await d.call(methods.envSet, { key: 'OPENAI_API_KEY', value: 'sk-proj-abcdefabcdefabcdefabcdefabcd' }).then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e as OpenSoulError,
    );
    assert.ok(err instanceof OpenSoulError);
    assert.equal(err.kind, 'UNSAFE_LINK');
    assert.match(err.message, /owned by another user/);
    assert.equal(readFileSync(target, 'utf8'), before);
    assert.ok(lstatSync(d.paths.dotenv).isSymbolicLink());
    const r = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--target', 'env'], { input: 'sk-proj-abcdefabcdefabcdefabcdefabcd\n' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /symbolic link/);
  });
});
