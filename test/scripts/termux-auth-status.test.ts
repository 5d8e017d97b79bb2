/**
 * scripts/termux-auth-status.sh with stand-ins for `ssh` (runs the remote command here, against a
 * real daemon and the real CLI) and `termux-notification` (records what would be shown).
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, REPO, cleanEnv, fakeSecret, run, startDaemon, tempDir, waitFor, assertNoSecrets } from '../support/harness.js';

const SCRIPT = path.join(REPO, 'scripts', 'termux-auth-status.sh');

function phone(stateDir: string) {
  const dir = tempDir();
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  const write = (name: string, text: string) => {
    writeFileSync(path.join(bin, name), text);
    chmodSync(path.join(bin, name), 0o755);
  };
  // ssh stand-in: records its argv; "down" is a host it cannot reach; else runs the remote command here.
  write(
    'ssh',
    `#!/bin/sh\nprintf '%s\\n' "$*" >> '${dir}/ssh.log'\nfor a; do case "$a" in down) exit 255;; esac; done\nfor last; do :; done\nexec sh -c "$last"\n`,
  );
  write('opensoul', `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
  write('termux-notification', `#!/bin/sh\nprintf '%s\\n' "$*" >> '${dir}/notifications.log'\n`);
  const read = (f: string) => (existsSync(path.join(dir, f)) ? readFileSync(path.join(dir, f), 'utf8').trim().split('\n') : []);
  return {
    run: (host: string) =>
      run(SCRIPT, [host], { env: cleanEnv({ HOME: path.dirname(stateDir), OPENSOUL_STATE_DIR: stateDir, PATH: `${bin}:${process.env.PATH ?? ''}` }) }),
    ssh: () => read('ssh.log'),
    notifications: () => read('notifications.log'),
  };
}

describe('scripts/termux-auth-status.sh', function () {
  it("shows ok / EXPIRED / not reachable / ssh failed as a notification and exits with the remote check's code", async () => {
    const d = await startDaemon();
    const p = phone(d.stateDir);
    const key = fakeSecret('sk-ant-api03-', 70);
    const token = fakeSecret('sk-ant-oat01-', 90);
    mkdirSync(path.dirname(d.paths.authProfiles('main')), { recursive: true });
    writeFileSync(d.paths.authProfiles('main'), JSON.stringify({ version: 1, profiles: { 'anthropic:key': { type: 'api_key', provider: 'anthropic', key } } }));
    await waitFor(async () => (await d.cli(['models', 'status', '--check'])).code === 0, 'the key');

    const ok = await p.run('me@box');
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(p.ssh()[0]!, /-o BatchMode=yes .*me@box opensoul models status --check --plain$/);
    assert.match(p.notifications()[0]!, /--id opensoul-auth --title OpenSoul auth: me@box --content ok — default model anthropic\/claude-sonnet-4-5/);

    writeFileSync(
      d.paths.authProfiles('main'),
      JSON.stringify({
        version: 1,
        profiles: {
          'anthropic:key': { type: 'api_key', provider: 'anthropic', key },
          'anthropic:sub': { type: 'token', provider: 'anthropic', token, expires: Date.now() - 1000 },
        },
      }),
    );
    await waitFor(async () => (await d.cli(['models', 'status', '--check'])).code === 1, 'the expired token');
    const expired = await p.run('me@box');
    assert.equal(expired.code, 1);
    assert.match(p.notifications()[1]!, /EXPIRED or missing credentials/);

    await d.stop();
    const down = await p.run('me@box');
    assert.equal(down.code, 3);
    assert.match(p.notifications()[2]!, /gateway not reachable on me@box/);

    const noSsh = await p.run('down');
    assert.equal(noSsh.code, 255);
    assert.match(p.notifications()[3]!, /ssh to down failed/);
    assertNoSecrets([key, token], { notifications: p.notifications().join('\n'), out: [ok, expired, down].map((r) => r.stdout + r.stderr).join('\n') });
  });

  it('shows a hostile remote answer (escape sequences, extra lines, $(…)) with its controls as "?" (stand-ins: ssh, termux-notification)', async () => {
    const dir = tempDir();
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    // The remote side answers 0 with a login script's line, then escapes that set the title and clear the screen.
    writeFileSync(path.join(bin, 'ssh'), `#!/bin/sh\nprintf 'motd line\\n\\033]0;owned\\007\\033[2J$(id)\\r\\n'\nexit 0\n`);
    writeFileSync(path.join(bin, 'termux-notification'), `#!/bin/sh\nfor a; do printf '%s\\n' "$a"; done >> '${dir}/notification'\n`);
    chmodSync(path.join(bin, 'ssh'), 0o755);
    chmodSync(path.join(bin, 'termux-notification'), 0o755);
    const r = await run(SCRIPT, ['me@box'], { env: cleanEnv({ HOME: dir, PATH: `${bin}:${process.env.PATH ?? ''}` }) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'OpenSoul auth: me@box: ok — default model ??0?owned???2J??id??\n');
    const shown = readFileSync(path.join(dir, 'notification'), 'utf8');
    assert.match(shown, /^--content\nok — default model \?\?0\?owned\?\?\?2J\?\?id\?\?\n$/m);
    // eslint-disable-next-line no-control-regex -- no control character may reach the terminal or the notification
    assert.doesNotMatch(r.stdout + shown, /[\u0000-\u0009\u000b-\u001f\u007f]/);
    assert.doesNotMatch(r.stdout + shown, /motd/);
  });

  it('keeps a dropped network from hanging the run: ssh gets ServerAlive options (stand-in ssh records its argv)', async () => {
    const d = await startDaemon();
    const p = phone(d.stateDir);
    await p.run('me@box');
    assert.match(p.ssh()[0]!, /-o ServerAliveInterval=15 -o ServerAliveCountMax=3 /);
  });

  it('prints its usage and exits 64 without a host', async () => {
    const r = await run(SCRIPT, [], { env: cleanEnv({}) });
    assert.equal(r.code, 64);
    assert.match(r.stdout, /termux-auth-status\.sh \[user@\]host/);
  });
});
