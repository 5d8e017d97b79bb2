/**
 * `opensoul chat` against what a careful user must not be hurt by, with a real daemon, the real
 * CLI and a fake Anthropic API on 127.0.0.1: a reply full of terminal escape sequences (on a
 * terminal they are shown, never obeyed: no title set, no clipboard written). No key ever shows
 * in the output, the screen or the daemon's log.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, assertNoSecrets, fakeSecret, startDaemon, tempDir } from '../support/harness.js';
import type { Daemon } from '../support/harness.js';
import { startFakeProvider } from '../support/fake-provider.js';
import type { FakeProvider } from '../support/fake-provider.js';
import { runInTty } from '../support/tty.js';

/** A daemon whose Anthropic endpoint is the fake, with one API key profile. */
async function chatDaemon(): Promise<{ d: Daemon; api: FakeProvider; key: string }> {
  const api = await startFakeProvider('anthropic');
  const key = fakeSecret('sk-ant-api03-', 80);
  const stateDir = path.join(tempDir(), 'state');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeFileSync(path.join(stateDir, 'opensoul.json'), JSON.stringify({ models: { providers: { anthropic: { baseUrl: api.url } } } }), { mode: 0o600 });
  const store = path.join(stateDir, 'agents', 'main', 'agent', 'auth-profiles.json');
  mkdirSync(path.dirname(store), { recursive: true, mode: 0o700 });
  writeFileSync(store, JSON.stringify({ version: 1, profiles: { 'anthropic:a': { type: 'api_key', provider: 'anthropic', key } } }), { mode: 0o600 });
  return { d: await startDaemon({ stateDir }), api, key };
}

/** A reply that tries to set the window title, write the clipboard, clear the screen and hide a line's start, split across deltas. */
const HOSTILE = ['Hi \u001b]0;PWNED\u0007', '\u001b]52;c;ZWNobyBwd25lZA==\u0007 \u001b[2J\u001b[31mred\u001b[0m', ' \u009b7m c1\r\nsafe\rhidden'];

describe('opensoul chat with a hostile model or peer (real daemon, real CLI, fake Anthropic API)', function () {
  this.timeout(60_000);

  it('on a terminal, escape sequences in a reply are shown in caret notation, never obeyed (no title, no clipboard write)', async () => {
    const { d, api, key } = await chatDaemon();
    api.answer('*', { kind: 'ok', chunks: HOSTILE });
    const tty = runInTty([process.execPath, CLI, 'chat'], { ...d.env, TERM: 'xterm-256color' });
    await tty.waitFor(/^> /m, 'the prompt');
    const title = tty.title();
    tty.type('hello', { enter: true });
    const screen = await tty.waitFor(/^— anthropic\/claude-sonnet-4-5 via anthropic:a$/m, 'the footer');
    assert.equal(tty.title(), title, 'the reply set the terminal title');
    assert.ok(screen.includes('Hi ^[]0;PWNED^G^[]52;c;ZWNobyBwd25lZA==^G ^[[2J^[[31mred^[[0m M-^[7m c1\nsafe^Mhidden'), screen);
    tty.type('/exit', { enter: true });
    assert.equal(await tty.exitCode(), 0);
    assertNoSecrets([key], { screen: tty.screen(), log: d.log(), daemonStderr: d.stderr() });
  });

  it('off a terminal a reply is passed on as written; --json lines escape every control character', async () => {
    const { d, api, key } = await chatDaemon();
    api.answer('*', { kind: 'ok', chunks: HOSTILE });
    const plain = await d.cli(['chat'], { input: 'hello\n' });
    assert.equal(plain.code, 0, plain.stderr);
    assert.ok(plain.stdout.startsWith(HOSTILE.join('')), 'a pipe gets the reply byte for byte');
    const json = await d.cli(['chat', '--json'], { input: 'hello\n' });
    assert.equal(json.code, 0, json.stderr);
    assert.doesNotMatch(json.stdout, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/); // eslint-disable-line no-control-regex -- what must not remain
    assert.equal((JSON.parse(json.stdout) as { reply: string }).reply, HOSTILE.join(''));
    assertNoSecrets([key], { stdout: plain.stdout + json.stdout, stderr: plain.stderr + json.stderr, log: d.log() });
  });
});
