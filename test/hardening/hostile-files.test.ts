/**
 * Hostile files (SPEC §5: a broken credential or config file is never a reason to exit; §3: a
 * file that does not parse is reported, its last good state served, writes to it refused): valid
 * JSON nested deeper than any parser's stack, at start and saved while running; a FIFO in a
 * store's or its lock's place.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
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

  for (const where of ['store', 'lock'] as const) {
    it(`a FIFO put in the ${where}'s place: writes are refused or go on, never wait for a writer; the daemon still stops on SIGTERM`, async () => {
      const d = await startDaemon();
      await d.call(methods.authUpsert, { profileId: 'openai:before', credential: { type: 'api_key', key: `sk-${'b'.repeat(48)}` } });
      const store = d.paths.authProfiles('main');
      const fifo = where === 'store' ? store : `${store}.lock`;
      if (where === 'store') rmSync(store);
      execFileSync('mkfifo', ['-m', '600', fifo]);
      // Four writes at once: as many as libuv's I/O threads, which blocked opens would all hold.
      const writes = [1, 2, 3, 4].map((i) =>
        d.call(methods.authUpsert, { profileId: `openai:w${i}`, credential: { type: 'api_key', key: `sk-${String(i).repeat(48)}` } }).then(
          () => 'stored',
          (err: unknown) => (err instanceof OpenSoulError ? err : new Error(String(err))),
        ),
      );
      const outcomes = await Promise.race([Promise.all(writes), new Promise<null>((r) => setTimeout(() => r(null), 20_000))]);
      assert.ok(outcomes !== null, 'every write answered (none waits on the FIFO)');
      for (const o of outcomes) {
        if (where === 'store') {
          assert.ok(o instanceof OpenSoulError && o.kind === 'STORE_INVALID', `refused: ${String(o)}`);
          assert.match(o.message, /not a regular file/);
        } else assert.ok(o === 'stored' || (o instanceof OpenSoulError && o.kind === 'LOCKED'), `stored, or the lock reported: ${String(o)}`);
      }
      // Other files are still served and written: no I/O thread is stuck.
      await d.call(methods.envSet, { key: 'OPENAI_API_KEY', value: `sk-${'e'.repeat(48)}` });
      assert.deepEqual(await d.stop(), { code: 0, signal: null }, 'SIGTERM still stops it');
    });
  }

  it("a FIFO put in sessions.json's place: a chat line is answered, never waits for a writer; the daemon still stops on SIGTERM", async () => {
    const d = await startDaemon();
    const sessions = d.paths.sessions('main');
    mkdirSync(path.dirname(sessions), { recursive: true, mode: 0o700 });
    execFileSync('mkfifo', ['-m', '600', sessions]);
    const answered = d.call(methods.sessionCommand, { session: 'fifo-check', line: '/model' }).then(
      () => 'answered',
      (err: unknown) => (err instanceof OpenSoulError ? err.kind : String(err)),
    );
    const outcome = await Promise.race([answered, new Promise<null>((r) => setTimeout(() => r(null), 20_000))]);
    assert.ok(outcome !== null, 'the chat line is answered (the daemon does not wait on the FIFO)');
    assert.deepEqual(await d.stop(), { code: 0, signal: null }, 'SIGTERM still stops it');
  });

  it("a FIFO put in proxy-keys.json's place: the daemon starts and answers", async () => {
    const stateDir = path.join(tempDir(), 'state');
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    execFileSync('mkfifo', ['-m', '600', path.join(stateDir, 'proxy-keys.json')]);
    const d = await startDaemon({ stateDir });
    const listed = await d.call(methods.proxyKeyList, {});
    assert.deepEqual(listed.keys, []);
    assert.deepEqual(await d.stop(), { code: 0, signal: null }, 'SIGTERM still stops it');
  });

  it("a FIFO in Claude Code's credentials file: login --method cli is refused at once, four at a time, and other writes go on", async () => {
    const d = await startDaemon();
    const creds = path.join(path.dirname(d.stateDir), '.claude', '.credentials.json');
    mkdirSync(path.dirname(creds), { recursive: true, mode: 0o700 });
    execFileSync('mkfifo', ['-m', '600', creds]);
    // Four at once: as many as libuv's I/O threads, which blocked opens would all hold.
    const adopts = [1, 2, 3, 4].map((i) =>
      d.call(methods.authAdopt, { provider: 'anthropic', method: 'cli', profileId: `anthropic:cli${i}` }).then(
        () => 'stored',
        (err: unknown) => (err instanceof OpenSoulError ? err.kind : String(err)),
      ),
    );
    const outcomes = await Promise.race([Promise.all(adopts), new Promise<null>((r) => setTimeout(() => r(null), 20_000))]);
    assert.deepEqual(outcomes, ['INVALID_INPUT', 'INVALID_INPUT', 'INVALID_INPUT', 'INVALID_INPUT'], 'each is refused, none waits on the FIFO');
    await d.call(methods.envSet, { key: 'OPENAI_API_KEY', value: `sk-${'e'.repeat(48)}` });
    assert.deepEqual(await d.stop(), { code: 0, signal: null }, 'SIGTERM still stops it');
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
