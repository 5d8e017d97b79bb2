/**
 * One daemon per state dir, stale leftovers of a killed daemon, clean shutdown, and the cases
 * where the daemon cannot start at all (exit 78) — SPEC §5.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { methods } from '../../ipc/protocol.js';
import { CLI, cleanEnv, cli, run, startDaemon, tempDir, waitFor } from '../support/harness.js';

describe('one gateway per state dir (real daemons)', function () {
  it('refuses a second `opensoul gateway` while the first runs, naming its pid; after kill -9 a new one starts', async () => {
    const first = await startDaemon();
    const second = await run(process.execPath, [CLI, 'gateway'], { env: first.env, timeoutMs: 20_000 });
    assert.equal(second.code, 1);
    assert.match(second.stderr, new RegExp(`already running .*pid ${first.proc.pid}`));
    assert.equal(first.proc.exitCode, null, 'the first one is untouched');
    assert.equal((await first.call(methods.gatewayStatus, {})).pid, first.proc.pid);

    first.proc.kill('SIGKILL');
    await first.exited;
    assert.ok(existsSync(first.socketPath), 'kill -9 leaves the socket behind');
    const down = await cli(['models', 'status'], { stateDir: first.stateDir });
    assert.equal(down.code, 3);
    assert.match(down.stderr, /stale socket/);

    const next = await startDaemon({ stateDir: first.stateDir });
    assert.equal((await next.call(methods.gatewayStatus, {})).pid, next.proc.pid);
    assert.match(next.log(), /cleaned up stale pid file/);
    assert.match(next.log(), /cleaned up stale socket/);
  });

  it('two starts at the same moment: exactly one wins', async () => {
    const stateDir = path.join(tempDir(), 'state');
    const env = cleanEnv({ HOME: path.dirname(stateDir), OPENSOUL_STATE_DIR: stateDir });
    const a = run(process.execPath, [CLI, 'gateway'], { env, timeoutMs: 25_000 });
    const b = run(process.execPath, [CLI, 'gateway'], { env, timeoutMs: 25_000 });
    const loser = await Promise.race([a, b]);
    assert.equal(loser.code, 1, loser.stderr);
    assert.match(loser.stderr, /already running/);
    const status = await waitFor(async () => {
      const s = JSON.parse((await cli(['gateway', 'status', '--json'], { stateDir })).stdout) as { daemon: { reachable: boolean; pid: number } };
      return s.daemon.reachable && s;
    }, 'the winner');
    assert.ok(status.daemon.pid > 0);
  });

  it('stops cleanly on SIGTERM and removes its socket, token and pid file', async () => {
    const d = await startDaemon();
    for (const f of [d.socketPath, d.paths.token, d.paths.pid]) assert.ok(existsSync(f), f);
    const { code } = await d.stop();
    assert.equal(code, 0);
    for (const f of [d.socketPath, d.paths.token, d.paths.pid]) assert.ok(!existsSync(f), `${f} is removed`);
    assert.match(d.log(), /gateway stopped.*SIGTERM/);
  });

  it('stops on `gateway.shutdown` over the socket', async () => {
    const d = await startDaemon();
    const r = await d.call(methods.gatewayShutdown, { reason: 'test' });
    assert.deepEqual(r, { stopping: true });
    assert.equal((await d.exited).code, 0);
    assert.ok(!existsSync(d.socketPath));
  });

  it('exits 78 when other users can write to the state dir, and says how to fix it', async () => {
    const stateDir = path.join(tempDir(), 'state');
    mkdirSync(stateDir, { mode: 0o775 });
    chmodSync(stateDir, 0o775);
    const r = await run(process.execPath, [CLI, 'gateway'], { env: cleanEnv({ OPENSOUL_STATE_DIR: stateDir, HOME: path.dirname(stateDir) }) });
    assert.equal(r.code, 78);
    assert.match(r.stderr, /mode 0775.*chmod 700/);
  });

  it('exits 78 when the state dir belongs to another user', async () => {
    const stateDir = path.join(tempDir(), 'state');
    mkdirSync(stateDir, { mode: 0o700 });
    chownSync(stateDir, 65534, 65534);
    const r = await run(process.execPath, [CLI, 'gateway'], { env: cleanEnv({ OPENSOUL_STATE_DIR: stateDir, HOME: path.dirname(stateDir) }) });
    assert.equal(r.code, 78);
    assert.match(r.stderr, /owned by uid 65534/);
  });

  it('exits 78 and leaves the file alone when the socket path is taken by a regular file', async () => {
    const dir = tempDir();
    const stateDir = path.join(dir, 'state');
    const precious = path.join(dir, 'precious.txt');
    writeFileSync(precious, 'keep me');
    const r = await run(process.execPath, [CLI, 'gateway'], { env: cleanEnv({ OPENSOUL_STATE_DIR: stateDir, HOME: dir, OPENSOUL_SOCKET: precious }) });
    assert.equal(r.code, 78);
    assert.match(r.stderr, /not a socket/);
    assert.equal(readFileSync(precious, 'utf8'), 'keep me');
  });

  it('uses /tmp/opensoul-<uid>/<hash>.sock when the state dir is too deep for a socket path, and the CLI finds it', async () => {
    const deep = path.join(tempDir(), 'a'.repeat(60), 'b'.repeat(60), 'state');
    const d = await startDaemon({ stateDir: deep });
    assert.match(d.socketPath, new RegExp(`^/tmp/opensoul-${process.getuid?.() ?? 0}/[0-9a-f]{16}\\.sock$`));
    const r = await d.cli(['gateway', 'status', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { daemon: { socket: string } }).daemon.socket, d.socketPath);
    await d.stop();
    assert.ok(!existsSync(d.socketPath));
  });
});
