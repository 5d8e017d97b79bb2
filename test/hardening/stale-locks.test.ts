/**
 * Stale sidecar locks against the real daemon: an empty lock abandoned by a writer killed
 * between `open(wx)` and its write, and a lock dated in the future with a live pid, neither
 * block writes for ever nor survive a restart; usage writes (auth.resolve, auth.report) never
 * make a call wait on a lock another tool holds.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { acquireLock, lockPathOf } from '../../daemon/fs/lock-file.js';
import { methods } from '../../ipc/protocol.js';
import { assertNoSecrets, fakeSecret, startDaemon, tempDir, waitFor } from '../support/harness.js';

describe('stale locks (real daemon, real CLI)', function () {
  this.timeout(60_000);

  it('an abandoned empty lock on auth-profiles.json is taken over: paste-token succeeds', async () => {
    const d = await startDaemon();
    const store = d.paths.authProfiles('main');
    mkdirSync(path.dirname(store), { recursive: true });
    writeFileSync(lockPathOf(store), '');
    const token = fakeSecret('tok-', 40);
    const r = await d.cli(['models', 'auth', 'paste-token', '--provider', 'openai', '--profile-id', 'openai:after-empty-lock'], { input: token });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(readFileSync(store, 'utf8')) as { profiles: Record<string, { token?: string }> };
    assert.equal(doc.profiles['openai:after-empty-lock']?.token, token);
    assert.ok(!existsSync(lockPathOf(store)), 'the lock is released');
    assertNoSecrets([token], { stdout: r.stdout, stderr: r.stderr, log: d.log() });
  });

  it('a lock of a live pid dated 2099 (file 31 s old) does not survive a restart and does not block writes', async () => {
    const stateDir = path.join(tempDir(), 'state');
    const store = path.join(stateDir, 'agents', 'main', 'agent', 'auth-profiles.json');
    mkdirSync(path.dirname(store), { recursive: true, mode: 0o700 });
    const futureLock = JSON.stringify({ pid: 1, createdAt: '2099-01-01T00:00:00.000Z' });
    writeFileSync(lockPathOf(store), futureLock);
    const past = new Date(Date.now() - 31_000);
    utimesSync(lockPathOf(store), past, past);
    const d = await startDaemon({ stateDir });
    assert.ok(!existsSync(lockPathOf(store)), 'cleaned at start');
    // And while running: the same lock, planted again, is taken over by the next write.
    writeFileSync(lockPathOf(store), JSON.stringify({ pid: 1, createdAt: Date.now() + 365 * 86_400_000 }));
    utimesSync(lockPathOf(store), past, past);
    const key = fakeSecret('sk-proj-', 40);
    const r = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--profile-id', 'openai:after-future-lock'], { input: key });
    assert.equal(r.code, 0, r.stderr);
    assertNoSecrets([key], { stdout: r.stdout, stderr: r.stderr, log: d.log() });
  });

  it('auth.resolve and auth.report answer while another tool holds the usage-state lock; the report lands once it is released', async () => {
    const d = await startDaemon();
    const key = fakeSecret('sk-proj-', 40);
    await d.call(methods.authUpsert, { profileId: 'openai:busy', credential: { type: 'api_key', key } });
    await d.call(methods.authReport, { profileId: 'openai:busy', outcome: 'ok' });
    const statePath = d.paths.authState('main');
    const held = await acquireLock(statePath, { timeoutMs: 5000 });
    let released = false;
    // A safety valve below the daemon's 10 s lock timeout: a daemon that waits on the lock
    // would answer only after this, and the assertions below say so.
    const valve = setTimeout(() => void held.release().then(() => (released = true)), 8_000);
    try {
      const resolved = await d.call(methods.authResolve, { provider: 'openai' });
      assert.equal(resolved.profileId, 'openai:busy');
      assert.equal(released, false, 'auth.resolve answered while the lock was held');
      await d.call(methods.authReport, { profileId: 'openai:busy', outcome: 'rate_limit' });
      assert.equal(released, false, 'auth.report answered while the lock was held');
    } finally {
      clearTimeout(valve);
      if (!released) await held.release();
    }
    const landed = await waitFor(() => {
      const doc = JSON.parse(readFileSync(statePath, 'utf8')) as { usageStats: Record<string, { cooldownUntil?: number }> };
      return doc.usageStats['openai:busy']?.cooldownUntil;
    }, 'the queued usage write to land');
    assert.ok(landed > 0);
    assertNoSecrets([key], { log: d.log(), stderr: d.stderr() });
  });
});
