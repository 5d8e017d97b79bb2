/**
 * `gateway install` when a path is not UTF-8. Node reads such bytes (in HOME, the state dir or
 * the node binary's path) as U+FFFD, so a service file would name a path that does not exist,
 * and install would write into a directory the service manager never reads. The real CLI with
 * a HOME holding the byte 0xff, passed through sh (Node's spawn takes the environment as
 * strings); OPENSOUL_SERVICE_MANAGER names the manager, and nothing here reaches it: every case
 * is refused before a file is written or a command is run.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { CLI, cleanEnv, run, tempDir } from '../support/harness.js';

/** Runs the CLI with HOME = `<base>/h\xff` (a real non-UTF-8 byte) and `extra` in its environment. */
function cliWithLatin1Home(base: string, args: string[], extra: Record<string, string | undefined>) {
  const script = 'HOME="$1/$(printf "h\\377")"; export HOME; mkdir -p "$HOME"; shift; exec "$@"';
  return run('sh', ['-c', script, 'sh', base, process.execPath, CLI, ...args], {
    env: cleanEnv({ XDG_CONFIG_HOME: undefined, OPENSOUL_STATE_DIR: undefined, ...extra }),
  });
}

/** Every file under `dir`, recursively. */
const filesUnder = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' }).map(String);

describe('gateway install with a path that is not UTF-8 (service manager named by OPENSOUL_SERVICE_MANAGER, never run)', function () {
  for (const manager of ['systemd', 'launchd']) {
    it(`${manager}: a state dir under a non-UTF-8 HOME is refused, naming it; --dry-run too, and nothing is written`, async () => {
      const base = tempDir();
      for (const args of [
        ['gateway', 'install', '--dry-run'],
        ['gateway', 'install'],
      ]) {
        const r = await cliWithLatin1Home(base, args, { OPENSOUL_SERVICE_MANAGER: manager });
        assert.notEqual(r.code, 0, `${args.join(' ')}: ${r.stdout}`);
        assert.match(r.stderr, /stateDir ".*\/h\ufffd\/\.opensoul" has bytes that are not UTF-8 \(shown as U\+FFFD\)/);
      }
      assert.ok(!filesUnder(base).some((f) => /\.service$|\.plist$/.test(f)), filesUnder(base).join('\n'));
    });

    it(`${manager}: with a UTF-8 state dir, the unit dir under that HOME is refused (it would be a new dir nobody reads)`, async () => {
      const base = tempDir();
      const stateDir = path.join(base, 'state');
      mkdirSync(stateDir, { mode: 0o700 });
      const r = await cliWithLatin1Home(base, ['gateway', 'install'], { OPENSOUL_SERVICE_MANAGER: manager, OPENSOUL_STATE_DIR: stateDir });
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(r.stderr, /service file ".*\/h\ufffd\/.*" has bytes that are not UTF-8/);
      assert.ok(!filesUnder(base).some((f) => /\.service$|\.plist$/.test(f)), filesUnder(base).join('\n'));
    });
  }

  it('gateway status still answers under such a HOME (it writes nothing): the service is not installed there', async () => {
    const r = await cliWithLatin1Home(tempDir(), ['gateway', 'status', '--json'], { OPENSOUL_SERVICE_MANAGER: 'systemd' });
    assert.equal(r.code, 3, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { service: { installed: boolean } }).service.installed, false);
  });
});
