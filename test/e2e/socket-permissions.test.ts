/**
 * Another uid cannot reach the daemon (SPEC §5; OpenSSH's regress/agent-getpeereid.sh). The
 * test opens every parent dir to 0711 first, so that what refuses `nobody` is the state dir's
 * and the socket's own mode, not a private temp dir made by root; and a second case puts the
 * socket (OPENSOUL_SOCKET) in a traversable dir, so the socket's 0600 alone must refuse.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { run, startDaemon, tempDir } from '../support/harness.js';

const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];

/** Connects to `socketPath` as nobody, with node's own net module; prints the outcome. */
async function connectAsNobody(socketPath: string, tokenPath: string): Promise<{ connect: string; token: string }> {
  const script = `
    const net = require('node:net'); const fs = require('node:fs');
    let token; try { fs.readFileSync(${JSON.stringify(tokenPath)}); token = 'READ'; } catch (e) { token = e.code; }
    const s = net.connect(${JSON.stringify(socketPath)});
    s.on('connect', () => { console.log(JSON.stringify({ connect: 'CONNECTED', token })); s.destroy(); });
    s.on('error', (e) => console.log(JSON.stringify({ connect: e.code, token })));`;
  const r = await run('setpriv', [...NOBODY, process.execPath, '-e', script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.trim()) as { connect: string; token: string };
}

const mode = (p: string) => statSync(p).mode & 0o777;

describe('another uid cannot connect (setpriv to nobody)', function () {
  it('is refused by the state dir and socket modes, with every parent dir opened to 0711', async () => {
    const top = tempDir();
    chmodSync(top, 0o711);
    const d = await startDaemon({ stateDir: path.join(top, 'state') });
    assert.equal(mode(d.stateDir), 0o700);
    assert.equal(mode(d.paths.runDir), 0o700);
    assert.equal(mode(d.socketPath), 0o600);
    assert.equal(mode(d.paths.token), 0o600);
    assert.equal(mode(d.paths.pid), 0o600);
    assert.equal(mode(d.paths.log), 0o600);
    assert.equal(mode(d.paths.logsDir), 0o700);
    const r = await connectAsNobody(d.socketPath, d.paths.token);
    assert.equal(r.connect, 'EACCES');
    assert.equal(r.token, 'EACCES');
    // The CLI as nobody reports "permission", exit 3 — and root still gets in.
    const ok = await d.cli(['gateway', 'status']);
    assert.equal(ok.code, 0);
  });

  it("is refused by the socket's own 0600 when the socket sits in a dir anyone can traverse", async () => {
    const top = tempDir();
    chmodSync(top, 0o711);
    const sockDir = path.join(top, 'sock');
    mkdirSync(sockDir, { mode: 0o711 });
    chmodSync(sockDir, 0o711);
    const d = await startDaemon({ stateDir: path.join(top, 'state'), env: { OPENSOUL_SOCKET: path.join(sockDir, 'gw.sock') } });
    assert.equal(d.socketPath, path.join(sockDir, 'gw.sock'));
    assert.equal(mode(d.socketPath), 0o600);
    const r = await connectAsNobody(d.socketPath, d.paths.token);
    assert.equal(r.connect, 'EACCES', 'only the socket mode stands between nobody and the daemon here');
    assert.equal((await d.cli(['gateway', 'status'])).code, 0);
  });
});
