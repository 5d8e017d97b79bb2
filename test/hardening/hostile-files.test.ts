/**
 * Hostile files (SPEC §5: a broken credential or config file is never a reason to exit; §3: a
 * file that does not parse is reported, its last good state served, writes to it refused): valid
 * JSON nested deeper than any parser's stack, at start and saved while running.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OpenSoulError } from '../../ipc/errors.js';
import { methods } from '../../ipc/protocol.js';
import { startDaemon, tempDir, waitFor } from '../support/harness.js';

/** Valid JSON, nested `depth` levels deep inside an otherwise ordinary document. */
const deepJson = (depth: number) => `{"version":1,"profiles":{},"deep":${'['.repeat(depth)}${']'.repeat(depth)}}`;

describe('hostile files (real daemon)', function () {
  this.timeout(60_000);

  it('a store saved while running with JSON nested 20,000 deep is a file error: reported, writes refused, the daemon stays up', async () => {
    const d = await startDaemon();
    await d.call(methods.authUpsert, { profileId: 'openai:before', credential: { type: 'api_key', key: `sk-${'b'.repeat(48)}` } });
    const store = d.paths.authProfiles('main');
    writeFileSync(store, deepJson(20_000), { mode: 0o600 });
    await waitFor(
      async () => (await d.call(methods.gatewayStatus, {})).files.some((f) => f.path === store && !f.ok && f.error),
      'the deep store to be reported as a file error',
    );
    const listed = await d.call(methods.authList, {});
    assert.ok(
      listed.profiles.some((p) => p.id === 'openai:before'),
      'the last good state is still served',
    );
    await assert.rejects(
      d.call(methods.authUpsert, { profileId: 'openai:after', credential: { type: 'api_key', key: `sk-${'a'.repeat(48)}` } }),
      (err: unknown) => err instanceof OpenSoulError && err.kind === 'STORE_INVALID',
    );
    assert.equal(d.proc.exitCode, null);
  });

  it('a daemon starting on a config nested 20,000 deep starts, and reports the file', async () => {
    const stateDir = path.join(tempDir(), 'state');
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const config = path.join(stateDir, 'opensoul.json');
    writeFileSync(config, deepJson(20_000), { mode: 0o600 });
    const d = await startDaemon({ stateDir });
    const status = await d.call(methods.gatewayStatus, {});
    const file = status.files.find((f) => f.path === config);
    assert.ok(file && !file.ok && file.error, 'the config is reported as a file error');
    const models = await d.call(methods.modelsStatus, {});
    assert.ok(models.fileErrors.some((e) => e.path === config));
  });
});
