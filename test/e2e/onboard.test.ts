/**
 * `opensoul onboard` (§7): keys from the calling environment stored for the daemon (names
 * printed, never values), one key from stdin, the interactive wizard in a pseudo-terminal, and
 * the daemon being down.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { maskSecret } from '../../daemon/status/masking.js';
import { methods } from '../../ipc/protocol.js';
import { CLI, assertNoSecrets, cli, fakeSecret, startDaemon, tempDir } from '../support/harness.js';
import { runInTty } from '../support/tty.js';

/**
 * A PATH whose `systemctl` cannot reach a user manager, as in a container or an SSH session
 * without lingering (the real one does not run here either, but a host's might).
 */
function noUserBus(): Record<string, string> {
  const bin = tempDir();
  writeFileSync(path.join(bin, 'systemctl'), '#!/bin/sh\necho "Failed to connect to bus: No medium found" >&2\nexit 1\n', { mode: 0o755 });
  return { PATH: `${bin}:${process.env.PATH ?? ''}`, XDG_RUNTIME_DIR: '', DBUS_SESSION_BUS_ADDRESS: '' };
}

/** The wizard's words without clack's frame and the line breaks it wraps them at. */
const words = (screen: string): string => screen.replace(/[\u2500-\u257f◇●◆▲■]/g, ' ').replace(/\s+/g, ' ');

describe('onboard (real daemon, real CLI)', function () {
  it('--non-interactive --from-env stores the provider keys of the calling environment in .env, naming them only', async () => {
    const d = await startDaemon();
    const anthropic = fakeSecret('sk-ant-api03-', 60);
    const groq = fakeSecret('gsk_', 50);
    const r = await d.cli(['onboard', '--non-interactive', '--from-env'], {
      env: { ANTHROPIC_API_KEY: anthropic, GROQ_API_KEY: groq, UNRELATED_SECRET: 'not-a-provider-key-123456' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Stored ANTHROPIC_API_KEY \(anthropic\) in .*\.env/);
    assert.match(r.stdout, /Stored GROQ_API_KEY \(groq\)/);
    const dotenv = readFileSync(d.paths.dotenv, 'utf8');
    assert.match(dotenv, new RegExp(`^ANTHROPIC_API_KEY=${anthropic}$`, 'm'));
    assert.ok(!dotenv.includes('UNRELATED_SECRET'));
    const s = await d.call(methods.modelsStatus, {});
    assert.equal(s.check, 0, 'the daemon now sees the key the shell had');
    const again = await d.cli(['onboard', '--non-interactive', '--from-env', '--json'], { env: { ANTHROPIC_API_KEY: anthropic } });
    assert.deepEqual(
      (JSON.parse(again.stdout) as { stored: { changed: boolean }[] }).stored.map((x) => x.changed),
      [false],
      'idempotent',
    );
    assertNoSecrets([anthropic, groq], { out: r.stdout + r.stderr, again: again.stdout, log: d.log() });
  });

  it('--install-service that fails (no service manager): the keys are stored, then exit 1, saying the service is not installed', async () => {
    const d = await startDaemon();
    const anthropic = fakeSecret('sk-ant-api03-', 60);
    const r = await d.cli(['onboard', '--non-interactive', '--from-env', '--install-service'], {
      env: { ANTHROPIC_API_KEY: anthropic, OPENSOUL_SERVICE_MANAGER: 'none' },
    });
    assert.equal(r.code, 1, 'a setup script must see that the gateway will not come back after a reboot');
    assert.match(r.stdout, /Stored ANTHROPIC_API_KEY \(anthropic\)/);
    assert.match(r.stderr, /the service was not installed/);
    assertNoSecrets([anthropic], { out: r.stdout + r.stderr, log: d.log() });
  });

  it('--provider p --key-stdin --target profile stores one key as <provider>:default', async () => {
    const d = await startDaemon();
    const key = fakeSecret('sk-proj-', 60);
    const r = await d.cli(['onboard', '--non-interactive', '--provider', 'openai', '--key-stdin', '--target', 'profile'], { input: `${key}\n` });
    assert.equal(r.code, 0, r.stderr);
    const store = JSON.parse(readFileSync(d.paths.authProfiles('main'), 'utf8')) as { profiles: Record<string, { key: string }> };
    assert.equal(store.profiles['openai:default']?.key, key);
    assert.match(r.stdout, /^Stored openai:default \(openai\) in .*auth-profiles\.json\n {2}also changed .*opensoul\.json/, 'every file it wrote');
    assertNoSecrets([key], { out: r.stdout + r.stderr, log: d.log() });
  });

  it('refuses usage mistakes (exit 64) and says when the daemon is down (exit 3)', async () => {
    const stateDir = path.join(tempDir(), 'state');
    assert.equal((await cli(['onboard', '--non-interactive'], { stateDir })).code, 3, 'the daemon is the only writer: down → 3');
    const d = await startDaemon();
    assert.equal((await d.cli(['onboard', '--non-interactive'])).code, 64);
    assert.equal((await d.cli(['onboard', '--non-interactive', '--key-stdin'])).code, 64);
    assert.equal((await d.cli(['onboard', '--non-interactive', '--from-env', '--target', 'nowhere'])).code, 64);
  });

  it(
    'the wizard asks before its key replaces a different credential at <provider>:default (an expired token), ' + 'and says what it replaced (pseudo-terminal)',
    async () => {
      const d = await startDaemon();
      const expired = fakeSecret('sk-ant-oat01-', 90);
      const key = fakeSecret('sk-ant-api03-', 60);
      assert.equal(
        (
          await d.cli(['models', 'auth', 'paste-token', '--provider', 'anthropic', '--profile-id', 'anthropic:default', '--expires-in', '1s'], {
            input: expired,
          })
        ).code,
        0,
      );
      await new Promise((r) => setTimeout(r, 1500));
      // A service manager is named, so the install is offered whatever this host has (the answer is No).
      const tty = runInTty([process.execPath, CLI, 'onboard', '--target', 'profile'], {
        ...d.env,
        ANTHROPIC_API_KEY: key,
        OPENSOUL_SERVICE_MANAGER: 'systemd',
        TERM: 'xterm-256color',
      });
      await tty.waitFor(/Store it for the gateway/, 'the offer to store the key');
      tty.key('Enter');
      const screen = await tty.waitFor(/anthropic:default already holds token .*Replace it/, 'the confirmation');
      assert.ok(screen.includes(maskSecret(expired)) && screen.includes(maskSecret(key)), screen);
      tty.key('Left'); // the default is No
      tty.key('Enter');
      await tty.waitFor(/Add keys for more providers/, 'the provider picker');
      tty.key('Enter');
      await tty.waitFor(/Install the gateway as a service/, 'the offer to install');
      tty.key('Right'); // No
      tty.key('Enter');
      assert.equal(await tty.exitCode(), 0, tty.screen());
      assert.ok(tty.screen().includes(`Replaced anthropic:default (was token ${maskSecret(expired)})`), tty.screen());
      const store = JSON.parse(readFileSync(d.paths.authProfiles('main'), 'utf8')) as { profiles: Record<string, unknown> };
      assert.deepEqual(store.profiles['anthropic:default'], { type: 'api_key', provider: 'anthropic', key });
      assertNoSecrets([expired, key], { screen: tty.screen(), log: d.log() });
    },
  );

  it('the interactive wizard offers the keys the gateway does not see, stores them, and asks for more (pseudo-terminal)', async () => {
    const d = await startDaemon();
    const anthropic = fakeSecret('sk-ant-api03-', 60);
    const openai = fakeSecret('sk-proj-', 60);
    const tty = runInTty([process.execPath, CLI, 'onboard'], {
      ...d.env,
      ANTHROPIC_API_KEY: anthropic,
      OPENSOUL_SERVICE_MANAGER: 'systemd',
      TERM: 'xterm-256color',
    });
    await tty.waitFor(/ANTHROPIC_API_KEY \(anthropic\)/, 'the key found in the environment');
    await tty.waitFor(/Store it for the gateway/, 'the offer to store it');
    tty.key('Enter');
    await tty.waitFor(/Add keys for more providers/, 'the provider picker');
    tty.key('Space'); // the first missing provider: OpenAI
    tty.key('Enter');
    await tty.waitFor(/OPENAI_API_KEY/, 'the masked prompt for the chosen provider');
    tty.type(openai, { enter: true });
    await tty.waitFor(/Install the gateway as a service/, 'the offer to install');
    tty.key('Right'); // No
    tty.key('Enter');
    assert.equal(await tty.exitCode(), 0, tty.screen());
    const dotenv = readFileSync(d.paths.dotenv, 'utf8');
    assert.match(dotenv, new RegExp(`^ANTHROPIC_API_KEY=${anthropic}$`, 'm'));
    assert.match(dotenv, new RegExp(`^OPENAI_API_KEY=${openai}$`, 'm'));
    assert.ok(!tty.screen().includes(openai), 'the typed key was masked');
    assertNoSecrets([anthropic, openai], { log: d.log() });
  });

  it('without a service manager the wizard does not offer the install; it says how the gateway runs there, and exits 0 (pseudo-terminal)', async () => {
    const d = await startDaemon();
    const tty = runInTty([process.execPath, CLI, 'onboard'], { ...d.env, ...noUserBus(), TERM: 'xterm-256color' });
    await tty.waitFor(/Add keys for more providers/, 'the provider picker');
    tty.key('Enter');
    const screen = words(await tty.waitFor(/cannot be installed as a service here|Install the gateway as a service/, 'what the wizard says about the service'));
    assert.doesNotMatch(screen, /Install the gateway as a service/, 'an install that can only fail is not offered');
    assert.match(screen, /The gateway cannot be installed as a service here No user systemd bus is available here/);
    assert.match(screen, /`opensoul gateway start` runs the daemon detached instead/);
    assert.equal(await tty.exitCode(), 0, tty.screen());
    assert.match(words(tty.screen()), /Done\. Check with `opensoul models status`/);
  });

  it('an install the wizard offered that fails ends it as --install-service does: no "Done", exit 1 (pseudo-terminal)', async () => {
    const d = await startDaemon();
    // systemd is named, so the install is offered and tried; its systemctl fails. Units go to a temp dir.
    const tty = runInTty([process.execPath, CLI, 'onboard'], {
      ...d.env,
      ...noUserBus(),
      OPENSOUL_SERVICE_MANAGER: 'systemd',
      XDG_CONFIG_HOME: path.join(tempDir(), 'config'),
      TERM: 'xterm-256color',
    });
    await tty.waitFor(/Add keys for more providers/, 'the provider picker');
    tty.key('Enter');
    await tty.waitFor(/Install the gateway as a service/, 'the offer to install');
    tty.key('Enter'); // Yes, the default
    assert.equal(await tty.exitCode(), 1, tty.screen());
    const screen = words(tty.screen());
    assert.match(screen, /systemctl --user daemon-reload/, 'the install ran and failed');
    assert.match(screen, /the service was not installed/);
    assert.doesNotMatch(screen, /Done\./);
  });
});
