/**
 * Interactive credential commands in a real pseudo-terminal (tmux): setup-token, with a
 * stand-in `claude` on PATH (the real one needs a browser sign-in and a subscription), and
 * `models auth add`. Without a terminal both refuse with exit 64 and point to paste-token.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { maskSecret } from '../../daemon/status/masking.js';
import { CLI, assertNoSecrets, fakeSecret, startDaemon, tempDir } from '../support/harness.js';
import { runInTty } from '../support/tty.js';

const readProfiles = (p: string) => (JSON.parse(readFileSync(p, 'utf8')) as { profiles: Record<string, Record<string, unknown>> }).profiles;

describe('interactive credential commands in a pseudo-terminal (tmux)', function () {
  it('setup-token runs a stand-in `claude setup-token` with the terminal handed over, then stores what it printed (masked input, 365-day expiry)', async () => {
    const d = await startDaemon();
    const token = fakeSecret('sk-ant-oat01-', 90);
    const bin = path.join(tempDir(), 'bin');
    mkdirSync(bin);
    // Stand-in for Claude Code's `claude setup-token`: it prints a token, as the real one does after sign-in.
    writeFileSync(path.join(bin, 'claude'), `#!/bin/sh\n[ "$1" = setup-token ] || exit 2\necho "Your OAuth token (valid for 1 year):"\necho "${token}"\n`);
    chmodSync(path.join(bin, 'claude'), 0o755);
    const tty = runInTty([process.execPath, CLI, 'models', 'auth', 'setup-token', '--provider', 'anthropic'], {
      ...d.env,
      PATH: `${bin}:${d.env.PATH ?? ''}`,
      TERM: 'xterm-256color',
    });
    await tty.waitFor(/Run `claude setup-token` now\?/, 'the offer to run claude');
    tty.key('Enter'); // the default answer: yes
    const screen = await tty.waitFor(/Paste the setup-token/, 'the masked prompt after claude ran');
    assert.ok(screen.includes(token), 'the stand-in claude printed its token to the terminal');
    tty.type(token, { enter: true });
    assert.equal(await tty.exitCode(), 0, tty.screen());
    const after = tty.screen();
    assert.match(after, /Stored anthropic:default \(token, expires/);
    // After the stand-in's own output, the token never appears again (the prompt masks it).
    assert.equal(after.split(token).length - 1, 1, 'the token is shown once, by claude, and masked in our prompt');
    const stored = readProfiles(d.paths.authProfiles('main'))['anthropic:default'];
    assert.equal(stored?.token, token);
    const expires = stored?.expires as number;
    assert.ok(Math.abs(expires - (Date.now() + 365 * 86_400_000)) < 120_000, 'expires in 365 days');
    assertNoSecrets([token], { log: d.log(), daemonStderr: d.stderr() });
  });

  it('setup-token without claude on PATH explains where to run it, and checks what is pasted', async () => {
    const d = await startDaemon();
    const token = fakeSecret('sk-ant-oat01-', 90);
    const tty = runInTty([process.execPath, CLI, 'models', 'auth', 'setup-token', '--provider', 'anthropic', '--expires-in', '30d'], {
      ...d.env,
      PATH: '/usr/bin:/bin',
      TERM: 'xterm-256color',
    });
    await tty.waitFor(/not on PATH here.*\n.*Claude Pro\/Max/, 'the explanation');
    await tty.waitFor(/Paste the setup-token/, 'the prompt');
    tty.type('sk-ant-oat01-short', { enter: true });
    await tty.waitFor(/looks truncated/, 'the validation message');
    tty.key('C-u');
    tty.type(token, { enter: true });
    assert.equal(await tty.exitCode(), 0, tty.screen());
    assert.ok(!tty.screen().includes(token), 'the pasted token is masked');
    assert.equal(readProfiles(d.paths.authProfiles('main'))['anthropic:default']?.token, token);
  });

  it('add walks through provider, kind, id, expiry and a masked secret', async () => {
    const d = await startDaemon();
    const key = fakeSecret('sk-proj-', 60);
    const tty = runInTty([process.execPath, CLI, 'models', 'auth', 'add'], { ...d.env, TERM: 'xterm-256color' });
    await tty.waitFor(/Provider/, 'the provider picker');
    tty.key('Down'); // Anthropic → OpenAI
    tty.key('Enter');
    await tty.waitFor(/Kind/, 'the kind picker');
    tty.key('Enter'); // API key
    await tty.waitFor(/Profile id/, 'the id prompt');
    tty.key('C-u');
    tty.type('openai:work', { enter: true });
    await tty.waitFor(/Paste the API key/, 'the secret prompt');
    tty.type(key, { enter: true });
    assert.equal(await tty.exitCode(), 0, tty.screen());
    assert.match(tty.screen(), /Stored openai:work \(api_key\)/);
    assert.ok(!tty.screen().includes(key));
    assert.deepEqual(readProfiles(d.paths.authProfiles('main'))['openai:work'], { type: 'api_key', provider: 'openai', key });
    assertNoSecrets([key], { log: d.log() });
  });

  it('setup-token over a different stored token asks, showing both masked, and replaces only on yes', async () => {
    const d = await startDaemon();
    const old = fakeSecret('sk-ant-oat01-', 90);
    const token = fakeSecret('sk-ant-oat01-', 90);
    assert.equal((await d.cli(['models', 'auth', 'paste-token', '--provider', 'anthropic', '--profile-id', 'anthropic:default'], { input: old })).code, 0);
    const tty = runInTty([process.execPath, CLI, 'models', 'auth', 'setup-token', '--provider', 'anthropic'], {
      ...d.env,
      PATH: '/usr/bin:/bin',
      TERM: 'xterm-256color',
    });
    await tty.waitFor(/Paste the setup-token/, 'the prompt');
    tty.type(token, { enter: true });
    const screen = await tty.waitFor(/already holds token .*Replace it/, 'the confirmation');
    assert.ok(screen.includes(maskSecret(old)) && screen.includes(maskSecret(token)), screen);
    tty.key('Left'); // the default is No
    tty.key('Enter');
    assert.equal(await tty.exitCode(), 0, tty.screen());
    assert.ok(tty.screen().includes(`Replaced anthropic:default (was token ${maskSecret(old)})`), tty.screen());
    assert.equal(readProfiles(d.paths.authProfiles('main'))['anthropic:default']?.token, token);
    assertNoSecrets([old, token], { screen: tty.screen(), log: d.log() });
  });

  it('paste-token in a terminal over a different stored token: Enter (No) keeps the old one, exit 1, the store byte-identical', async () => {
    const d = await startDaemon();
    const old = fakeSecret('sk-proj-', 50);
    assert.equal((await d.cli(['models', 'auth', 'paste-token', '--provider', 'openai'], { input: old })).code, 0);
    const before = readFileSync(d.paths.authProfiles('main'), 'utf8');
    const fresh = fakeSecret('sk-proj-', 50);
    const tty = runInTty([process.execPath, CLI, 'models', 'auth', 'paste-token', '--provider', 'openai'], { ...d.env, TERM: 'xterm-256color' });
    await tty.waitFor(/Paste the token/, 'the masked prompt');
    tty.type(fresh, { enter: true });
    await tty.waitFor(/openai:manual already holds token .*Replace it/, 'the confirmation');
    tty.key('Enter');
    assert.equal(await tty.exitCode(), 1, tty.screen());
    assert.match(tty.screen(), /Not replaced: openai:manual keeps token/);
    assert.equal(readFileSync(d.paths.authProfiles('main'), 'utf8'), before);
    assertNoSecrets([old, fresh], { screen: tty.screen(), log: d.log() });
  });

  it('add never offers an id the agent already holds as its default', async () => {
    const d = await startDaemon();
    const existing = fakeSecret('sk-proj-', 60);
    const key = fakeSecret('sk-proj-', 60);
    assert.equal((await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--profile-id', 'openai:default'], { input: existing })).code, 0);
    const tty = runInTty([process.execPath, CLI, 'models', 'auth', 'add'], { ...d.env, TERM: 'xterm-256color' });
    await tty.waitFor(/Provider/, 'the provider picker');
    tty.key('Down'); // Anthropic → OpenAI
    tty.key('Enter');
    await tty.waitFor(/Kind/, 'the kind picker');
    tty.key('Enter'); // API key
    await tty.waitFor(/Profile id[\s\S]*openai:2/, 'the id prompt, offering a free id');
    tty.key('Enter');
    await tty.waitFor(/Paste the API key/, 'the secret prompt');
    tty.type(key, { enter: true });
    assert.equal(await tty.exitCode(), 0, tty.screen());
    assert.match(tty.screen(), /Stored openai:2 \(api_key\)/);
    const stored = readProfiles(d.paths.authProfiles('main'));
    assert.equal(stored['openai:default']?.key, existing, 'the existing profile is untouched');
    assert.equal(stored['openai:2']?.key, key);
    assertNoSecrets([existing, key], { screen: tty.screen(), log: d.log() });
  });

  it('setup-token, add and onboard refuse without a terminal: exit 64, pointing to the non-interactive way', async () => {
    const d = await startDaemon();
    for (const args of [['models', 'auth', 'setup-token', '--provider', 'anthropic'], ['models', 'auth', 'add'], ['onboard']]) {
      const r = await d.cli(args);
      assert.equal(r.code, 64, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /needs a terminal; without one, use .*(paste-token|non-interactive)/);
    }
  });
});
