/**
 * A file is never a reason to exit (§5): valid JSON nested thousands deep used to overflow the
 * stack — the daemon exited 1 at start, and saved while running it was reported `ok`, ignored,
 * and writes answered INTERNAL. Now it is a file error with its reason, like any file that does
 * not parse: last good state kept, writes refused with STORE_INVALID, file untouched.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { methods } from '../../ipc/protocol.js';
import { assertNoSecrets, fakeSecret, startDaemon, tempDir, waitFor } from '../support/harness.js';

const deep = (n: number) => `{"version": 1, "profiles": {}, "x": ${'['.repeat(n)}${']'.repeat(n)}}\n`;

describe('deeply nested JSON files (real daemon, real CLI)', function () {
  this.timeout(60_000);

  it('starts with a 5,000-deep auth-profiles.json and opensoul.json: stays up, status names each file and why', async () => {
    const stateDir = path.join(tempDir(), 'state');
    const store = path.join(stateDir, 'agents', 'main', 'agent', 'auth-profiles.json');
    mkdirSync(path.dirname(store), { recursive: true, mode: 0o700 });
    writeFileSync(store, deep(5_000), { mode: 0o600 });
    writeFileSync(path.join(stateDir, 'opensoul.json'), deep(50_000), { mode: 0o600 });
    const d = await startDaemon({ stateDir });
    const status = await d.call(methods.gatewayStatus, {});
    for (const file of [store, d.paths.config]) {
      const f = status.files.find((x) => x.path === file);
      assert.equal(f?.ok, false, file);
      assert.match(f.error ?? '', /nested deeper than 64 levels/);
    }
    const r = await d.cli(['models', 'status', '--json']);
    const doc = JSON.parse(r.stdout) as { fileErrors: { path: string; message: string }[] };
    assert.ok(
      doc.fileErrors.some((e) => e.path === store && /nested deeper/.test(e.message)),
      r.stdout,
    );
    assert.equal(d.proc.exitCode, null, 'the daemon is still running');
  });

  it('saved while running: status shows the error, the last good profiles stay, writes answer STORE_INVALID and the file is untouched', async () => {
    const d = await startDaemon();
    const key = fakeSecret('sk-proj-', 40);
    await d.call(methods.authUpsert, { profileId: 'openai:kept', credential: { type: 'api_key', key } });
    const store = d.paths.authProfiles('main');
    const text = deep(5_000);
    writeFileSync(store, text);
    await waitFor(
      async () => (await d.call(methods.gatewayStatus, {})).files.find((f) => f.path === store && /nested deeper/.test(f.error ?? '')),
      'the file error in status',
    );
    const listed = await d.call(methods.authList, { provider: 'openai' });
    assert.deepEqual(
      listed.profiles.map((p) => p.id),
      ['openai:kept'],
      'the last good state is served',
    );
    const w = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--profile-id', 'openai:new', '--json'], {
      input: fakeSecret('sk-proj-', 40),
    });
    assert.equal(w.code, 1);
    const err = (JSON.parse(w.stdout) as { error: { code: string; message: string } }).error;
    assert.equal(err.code, 'STORE_INVALID');
    assert.match(err.message, /nested deeper than 64 levels/);
    const report = await d.cli(['models', 'auth', 'order', 'set', '--provider', 'openai', 'openai:kept', '--json']);
    assert.equal((JSON.parse(report.stdout) as { error: { code: string } }).error.code, 'STORE_INVALID');
    assert.equal(readFileSync(store, 'utf8'), text, 'byte-identical');
    assert.equal(d.proc.exitCode, null);
    assertNoSecrets([key], { log: d.log(), stderr: d.stderr() });
  });
});
