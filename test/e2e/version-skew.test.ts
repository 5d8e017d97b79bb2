/**
 * Version skew (§5): a daemon of another build is not refused; the CLI says so on stderr on
 * every command until they match, and stdout stays clean. The "other build" is a real one:
 * the same sources bundled with another version number.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { PKG_VERSION, REPO, repoTempDir, run, startDaemon } from '../support/harness.js';

describe('version skew between the CLI and the daemon', function () {
  it('prints the one-line notice on stderr for every command while the versions differ, and nothing when they match', async () => {
    const out = path.join(repoTempDir(), 'dist');
    const build = await run(process.execPath, ['build.mjs'], {
      cwd: REPO,
      env: { ...process.env, OPENSOUL_BUILD_OUTDIR: out, OPENSOUL_BUILD_VERSION: '9.9.9' },
      timeoutMs: 60_000,
    });
    assert.equal(build.code, 0, build.stderr);
    const old = await startDaemon({ entry: path.join(out, 'opensoul.cjs') });
    const notice = `daemon v9.9.9 is running, this CLI is v${PKG_VERSION}: restart it with \`opensoul gateway restart\``;

    const human = await old.cli(['models', 'status']);
    assert.equal(human.stderr.trim(), notice);
    const json = await old.cli(['models', 'status', '--json']);
    assert.equal(json.stderr.trim(), notice);
    assert.equal((JSON.parse(json.stdout) as { agent: string }).agent, 'main', 'stdout is still one clean JSON document');
    const gw = await old.cli(['gateway', 'status']);
    assert.equal(gw.stderr.trim(), notice);
    assert.match(gw.stdout, /v9\.9\.9/);
    await old.stop();

    const same = await startDaemon({ stateDir: old.stateDir });
    const r = await same.cli(['models', 'status']);
    assert.equal(r.stderr, '');
  });
});
