/**
 * `opensoul chat` against what a careful user must not be hurt by, with a real daemon, the real
 * CLI and a fake Anthropic API on 127.0.0.1: a reply full of terminal escape sequences (on a
 * terminal they are shown, never obeyed: no title set, no clipboard written); a gateway restarted
 * between turns and during one (the next line reconnects); a line over the request size limit
 * (refused unsent, the REPL goes on); a long line that starts with `/`; `/EXIT` typed in
 * capitals. No key ever shows in the output, the screen or the log.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, assertNoSecrets, cleanEnv, fakeSecret, startDaemon, tempDir, track, waitFor } from '../support/harness.js';
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

  it('on a terminal, a --session with escape sequences is shown in caret notation in the banner, never obeyed, and refused', async () => {
    const { d, key } = await chatDaemon();
    const tty = runInTty([process.execPath, CLI, 'chat', '--session', 'a\u001b]0;PWNED\u0007b'], { ...d.env, TERM: 'xterm-256color' });
    await tty.waitFor(/^> /m, 'the prompt');
    assert.notEqual(tty.title(), 'PWNED', 'the banner set the terminal title');
    assert.match(tty.screen(), /session a\^\[\]0;PWNED\^Gb\./);
    tty.type('hello', { enter: true });
    await tty.waitFor(/^opensoul: invalid session: expected a session id without control characters$/m, 'the refusal');
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

  it('a gateway restarted between turns or during one: the turn in flight fails and says so, and the next line connects again', async () => {
    const { d, api, key } = await chatDaemon();
    api.answer('*', (req) => (JSON.stringify(req.body.messages).includes('slow') ? { kind: 'hang' } : { kind: 'ok', text: 'Hello.' }));
    const cli = track(
      spawn(process.execPath, [CLI, 'chat'], {
        env: cleanEnv({ HOME: path.dirname(d.stateDir), OPENSOUL_STATE_DIR: d.stateDir }),
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    );
    let stdout = '';
    let stderr = '';
    cli.stdout?.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    cli.stderr?.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
    const footers = () => stdout.split('\n').filter((l) => l.startsWith('— anthropic/')).length;
    cli.stdin?.write('hello\n');
    await waitFor(() => footers() === 1, `the first reply (stderr: ${stderr})`);
    // Between turns.
    await d.stop();
    let d2 = await startDaemon({ stateDir: d.stateDir });
    cli.stdin?.write('hello again\n');
    await waitFor(() => footers() === 2, `the reply after a restart (stderr: ${stderr})`);
    // During a turn.
    cli.stdin?.write('be slow\n');
    await waitFor(() => api.received.length === 3, 'the slow request to reach the provider');
    await d2.stop();
    await waitFor(() => /^opensoul: the gateway ended this turn before the reply was complete/m.test(stderr), `the cut turn to say so (stderr: ${stderr})`);
    d2 = await startDaemon({ stateDir: d.stateDir });
    cli.stdin?.write('hello once more\n');
    await waitFor(() => footers() === 3, `the reply after a restart mid-turn (stderr: ${stderr})`);
    cli.stdin?.end();
    assert.equal(await exited, 1, 'a script with a failed turn ends with 1');
    assert.equal(stderr.split('\n').filter((l) => l.startsWith('opensoul:')).length, 1, stderr);
    assertNoSecrets([key], { stdout, stderr, log: d2.log(), daemonStderr: d.stderr() + d2.stderr() });
  });

  it('a client killed mid-turn: the upstream request is aborted, and the session takes the next turn at once (no "already running")', async () => {
    const { d, api, key } = await chatDaemon();
    api.answer('*', (req) => (JSON.stringify(req.body.messages).includes('slow') ? { kind: 'hang' } : { kind: 'ok', text: 'Hello.' }));
    const cli = track(
      spawn(process.execPath, [CLI, 'chat', '--session', 'k'], {
        env: cleanEnv({ HOME: path.dirname(d.stateDir), OPENSOUL_STATE_DIR: d.stateDir }),
        stdio: ['pipe', 'ignore', 'ignore'],
      }),
    );
    const exited = new Promise((resolve) => cli.once('exit', resolve));
    cli.stdin?.write('be slow\n');
    await waitFor(() => api.received.length === 1, 'the request to reach the provider');
    cli.kill('SIGKILL');
    await exited;
    await waitFor(() => api.aborted === 1, 'the upstream request to be aborted');
    const next = await d.cli(['chat', '--session', 'k'], { input: 'hello\n' });
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stdout, /^Hello\.\n— anthropic\/claude-sonnet-4-5 via anthropic:a$/m);
    assertNoSecrets([key], { stdout: next.stdout, stderr: next.stderr, log: d.log(), daemonStderr: d.stderr() });
  });

  it('a line over the request size limit is refused unsent with a clear error; the connection stays and the next line is answered', async () => {
    const { d, key } = await chatDaemon();
    const r = await d.cli(['chat'], { input: `${'x'.repeat(1536 * 1024)}\nhello\n` });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^opensoul: Request refused: it is \d+ bytes, over the gateway's limit of 1048576; it was not sent$/m);
    assert.doesNotMatch(r.stderr, /closed the connection|Start it with/);
    assert.match(r.stdout, /^— anthropic\/claude-sonnet-4-5 via anthropic:a$/m);
    assertNoSecrets([key], { stdout: r.stdout, stderr: r.stderr, log: d.log() });
  });

  it('/EXIT or /Quit (commands are case-insensitive) leaves, as /exit does: never "Unknown command", and no line after it is sent', async () => {
    const { d, api, key } = await chatDaemon();
    for (const leave of ['/EXIT', '  /Quit  ']) {
      const r = await d.cli(['chat'], { input: `${leave}\nhello\n` });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(r.stdout + r.stderr, '', 'nothing said');
    }
    assert.equal(api.received.length, 0, 'no line after it reached the provider');
    assertNoSecrets([key], { log: d.log() });
  });

  it('a long message that starts with a path is sent to the model; a long /model line is answered, never sent', async () => {
    const { d, api, key } = await chatDaemon();
    const message = `/home/me/notes.txt says: ${'lorem ipsum '.repeat(1000)}`.trim();
    const r = await d.cli(['chat'], { input: `${message}\n/model ${'x'.repeat(5000)}\n` });
    assert.equal(r.code, 1, 'the refused /model fails the script');
    assert.match(r.stdout, /^— anthropic\/claude-sonnet-4-5 via anthropic:a$/m, r.stderr);
    assert.equal(api.received.length, 1);
    assert.ok(JSON.stringify(api.received[0]?.body.messages).includes('lorem ipsum lorem'), 'the message reached the provider');
    assert.match(r.stdout, /is not a model name/);
    assert.doesNotMatch(r.stderr, /expected at most/);
    assertNoSecrets([key], { stdout: r.stdout, stderr: r.stderr, log: d.log() });
  });
});
