/**
 * `gateway stop` says "stopped" only once the process is gone. A detached daemon's parent is
 * this machine's pid 1, which reaps late: the daemon stayed a zombie ~1.7 s after it exited,
 * and a script checking `kill -0 <pid>` right after "stopped" still found it.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { cli, killAfterTest, tempDir } from '../support/harness.js';

/** Whether the pid exists at all, zombie included (what `kill -0` tells a script). */
function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

describe('gateway stop (detached daemon, no service manager)', function () {
  it('prints "stopped" only when the pid no longer exists, zombie included', async () => {
    const home = path.join(tempDir('opensoul-stop-'), 'home');
    mkdirSync(home);
    const stateDir = path.join(home, '.opensoul');
    const env = { HOME: home, OPENSOUL_SERVICE_MANAGER: 'none', XDG_RUNTIME_DIR: undefined, DBUS_SESSION_BUS_ADDRESS: undefined };
    const start = await cli(['gateway', 'start'], { stateDir, env });
    assert.equal(start.code, 0, start.stderr);
    const pid = Number(/started \(pid (\d+)\)/.exec(start.stdout)?.[1]);
    killAfterTest(pid);
    assert.ok(pid > 0 && pidExists(pid));
    const stop = await cli(['gateway', 'stop'], { stateDir, env });
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, new RegExp(`stopped \\(pid ${pid}\\)`));
    assert.equal(pidExists(pid), false, 'kill -0 finds nothing once "stopped" is printed');
  });
});
