/**
 * What the running daemon puts back by itself (SPEC §5): a deleted `run/gateway.token` (without
 * it every CLI call said "not running" while a second start refused), and a socket that was
 * removed or replaced — replaced, it does not exit (under systemd that meant down for good) and
 * does not fight a live listener for the path; it listens again once the path is free.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { methods } from '../../ipc/protocol.js';
import { onCleanup, startDaemon, tempDir, waitFor } from '../support/harness.js';

describe('the daemon heals its token and socket (real daemon)', function () {
  it('writes a deleted token file again, and new clients can connect', async () => {
    const d = await startDaemon();
    const token = readFileSync(d.paths.token, 'utf8');
    rmSync(d.paths.token);
    const down = await d.cli(['models', 'status']);
    assert.equal(down.code, 3, 'without the token no client gets in');
    await waitFor(() => existsSync(d.paths.token), 'the token file to come back');
    assert.equal(readFileSync(d.paths.token, 'utf8'), token, 'the same token: connections made with it stay valid');
    const up = await d.cli(['gateway', 'status']);
    assert.equal(up.code, 0, up.stderr);
    assert.match(d.log(), /the token file disappeared; writing it again/);
    assert.ok(!d.log().includes(token.trim()), 'the token never reaches the log');
  });

  it('does not exit when its socket is replaced by a live listener, and listens again once that is gone', async () => {
    const d = await startDaemon();
    // Its start done (a hello comes as soon as the socket is bound, before the daemon notes which
    // file it bound): an impostor that took the path within that moment is a start-up race,
    // which test/daemon/server/socket-server.test.ts covers; here the daemon is running.
    await waitFor(() => /opensoul gateway \S+ listening/.test(d.log()), 'the daemon to finish starting');
    unlinkSync(d.socketPath);
    const impostor = net.createServer((c) => c.destroy());
    await new Promise<void>((resolve) => impostor.listen(d.socketPath, resolve));
    onCleanup(() => new Promise<void>((resolve) => impostor.close(() => resolve())));
    await waitFor(() => /another process of this user is listening on the socket path/.test(d.log()), 'the daemon to notice');
    assert.equal(d.proc.exitCode, null, 'it keeps running');
    await new Promise<void>((resolve) => impostor.close(() => resolve()));
    await waitFor(async () => (await d.call(methods.gatewayStatus, {})).pid === d.proc.pid, 'the daemon to listen again');
    assert.match(d.log(), /the socket file disappeared or was replaced; listening again/);
  });

  it('with its socket in /tmp (a deep state dir), puts run/ back — token and pid file — when run/ is removed', async () => {
    const deep = path.join(tempDir(), 'a'.repeat(60), 'b'.repeat(60), 'state');
    const d = await startDaemon({ stateDir: deep });
    assert.match(d.socketPath, /^\/tmp\/opensoul-/);
    rmSync(d.paths.runDir, { recursive: true });
    await waitFor(() => existsSync(d.paths.token) && existsSync(d.paths.pid), 'run/ to come back');
    assert.equal(readFileSync(d.paths.pid, 'utf8').trim(), String(d.proc.pid));
    const up = await d.cli(['gateway', 'status']);
    assert.equal(up.code, 0, up.stderr);
  });

  it('listens again when its socket file is removed', async () => {
    const d = await startDaemon();
    unlinkSync(d.socketPath);
    await waitFor(async () => (await d.call(methods.gatewayStatus, {})).pid === d.proc.pid, 'the daemon to listen again');
    assert.equal(d.proc.exitCode, null);
  });
});
