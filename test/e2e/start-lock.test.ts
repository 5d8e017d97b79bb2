/**
 * The start lock (`run/gateway.pid.lock`) held by a live process that is not a gateway — a pid
 * reused since a gateway was killed holding it. The daemon used to wait 15 s and then say
 * "already running (pid 0)"; now it takes such a lock over at once and says so in its log, and
 * when it does give up it names the holder truthfully.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startLockHolder } from '../../daemon/instance.js';
import { methods } from '../../ipc/protocol.js';
import { startDaemon, tempDir, track, waitFor } from '../support/harness.js';

/** A live process whose command line is (or is not) a gateway's. */
async function liveProcess(gatewayLike: boolean): Promise<number> {
  const args = ['-e', 'setInterval(() => {}, 1000)', ...(gatewayLike ? ['gateway'] : [])];
  const child = track(spawn(process.execPath, args, { stdio: 'ignore' }));
  await waitFor(() => child.pid !== undefined, 'the process');
  return child.pid!;
}

describe('the start lock held by a live pid (real daemon)', function () {
  it('takes over a start lock whose live holder is not a gateway, at once, and logs it', async () => {
    const stateDir = path.join(tempDir(), 'state');
    const runDir = path.join(stateDir, 'run');
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    const holder = await liveProcess(false);
    writeFileSync(path.join(runDir, 'gateway.pid.lock'), JSON.stringify({ pid: holder, createdAt: Date.now() }), { mode: 0o600 });
    const d = await startDaemon({ stateDir });
    assert.equal((await d.call(methods.gatewayStatus, {})).pid, d.proc.pid);
    assert.match(d.log(), new RegExp(`cleaned up a start lock held by pid ${holder}, which is not a gateway`));
    process.kill(holder, 0); // the holder itself is left alone
  });

  it('names the holder when it gives up: a gateway starting, a process that is not one, or no pid at all', async () => {
    const gateway = await liveProcess(true);
    const other = await liveProcess(false);
    const lock = '/state/run/gateway.pid.lock';
    const g = startLockHolder(lock, gateway, '/s.sock');
    assert.equal(g.pid, gateway);
    assert.match(g.message, new RegExp(`another OpenSoul gateway \\(pid ${gateway}\\) is starting .*${lock}`));
    const o = startLockHolder(lock, other, '/s.sock');
    assert.match(o.message, new RegExp(`held by pid ${other}, which is not an OpenSoul gateway`));
    const n = startLockHolder(lock, null, '/s.sock');
    assert.match(n.message, /has not written its pid/);
    for (const e of [g, o, n]) assert.ok(!/pid 0\b/.test(e.message), 'never "pid 0"');
  });
});
