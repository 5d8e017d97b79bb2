/**
 * Sessions and `/model` (§8.3) with a real daemon, the real CLI and a fake Anthropic API:
 * `/model status` after a switch, pins across a restart, a pin whose profile was removed, and a
 * sessions file that would outgrow the size limit. No key ever shows in the output or the log.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { assertNoSecrets, fakeSecret, startDaemon, tempDir } from '../support/harness.js';
import type { Daemon } from '../support/harness.js';
import { startFakeProvider } from '../support/fake-provider.js';

/** A daemon whose Anthropic endpoint is the fake, with API key profiles anthropic:a and anthropic:b. */
async function sessionsDaemon(): Promise<{ d: Daemon; keys: string[] }> {
  const api = await startFakeProvider('anthropic');
  api.answer('*', { kind: 'ok', text: 'Hello.' });
  const keys = [fakeSecret('sk-ant-api03-', 80), fakeSecret('sk-ant-api03-', 80)];
  const stateDir = path.join(tempDir(), 'state');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeFileSync(path.join(stateDir, 'opensoul.json'), JSON.stringify({ models: { providers: { anthropic: { baseUrl: api.url } } } }), { mode: 0o600 });
  const store = path.join(stateDir, 'agents', 'main', 'agent', 'auth-profiles.json');
  mkdirSync(path.dirname(store), { recursive: true, mode: 0o700 });
  const profiles = {
    'anthropic:a': { type: 'api_key', provider: 'anthropic', key: keys[0] },
    'anthropic:b': { type: 'api_key', provider: 'anthropic', key: keys[1] },
  };
  writeFileSync(store, JSON.stringify({ version: 1, profiles }), { mode: 0o600 });
  return { d: await startDaemon({ stateDir }), keys };
}

describe('sessions and /model (real daemon, real CLI, fake Anthropic API)', function () {
  this.timeout(60_000);

  it("/model status names the agent's default as Default after the session switched model; model and pin survive a restart", async () => {
    const { d, keys } = await sessionsDaemon();
    const r = await d.cli(['chat', '--session', 's'], { input: '/model haiku@anthropic:b\n/model status\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Current: anthropic\/claude-haiku-4-5$/m);
    assert.match(r.stdout, /^Credential: anthropic:b \(pinned\)$/m);
    assert.match(r.stdout, /^Default: anthropic\/claude-sonnet-4-5$/m, r.stdout);
    await d.stop();
    const d2 = await startDaemon({ stateDir: d.stateDir });
    const after = await d2.cli(['chat', '--session', 's'], { input: '/model status\nhello\n' });
    assert.equal(after.code, 0, after.stderr);
    assert.match(after.stdout, /^Current: anthropic\/claude-haiku-4-5$/m);
    assert.match(after.stdout, /^Credential: anthropic:b \(pinned\)$/m);
    assert.match(after.stdout, /^— anthropic\/claude-haiku-4-5 via anthropic:b$/m);
    assertNoSecrets(keys, { stdout: r.stdout + after.stdout, stderr: r.stderr + after.stderr, log: d2.log(), daemonStderr: d.stderr() + d2.stderr() });
  });

  it("a pin whose profile was removed: the next message and exec --session say so once, and use the agent's order", async () => {
    const { d, keys } = await sessionsDaemon();
    for (const session of ['c', 'e']) {
      const pin = await d.cli(['chat', '--session', session], { input: '/model sonnet@anthropic:b\n' });
      assert.equal(pin.code, 0, pin.stderr);
    }
    const removed = await d.cli(['models', 'auth', 'remove', 'anthropic:b']);
    assert.equal(removed.code, 0, removed.stderr);
    const NOTE = "The pinned profile anthropic:b was removed; using the agent's order again.";
    const chat = await d.cli(['chat', '--session', 'c'], { input: 'hello\nhello again\n' });
    assert.equal(chat.code, 0, chat.stderr);
    assert.equal(chat.stderr, `${NOTE}\n`, 'said once, for the first message');
    assert.match(chat.stdout, /^— anthropic\/claude-sonnet-4-5 via anthropic:a$/m);
    const exec = await d.cli(['exec', '--session', 'e', '--', process.execPath, '-e', '']);
    assert.equal(exec.code, 0, exec.stderr);
    assert.equal(exec.stderr, `opensoul: warning: ${NOTE}\n`);
    assertNoSecrets(keys, { stdout: chat.stdout + exec.stdout, stderr: chat.stderr + exec.stderr, log: d.log() });
  });

  it('a sessions file that cannot be written: /model says nothing changed and why, messages are still answered, the daemon stays up', async () => {
    const { d, keys } = await sessionsDaemon();
    // A regular file where the sessions dir should be: every write fails with ENOTDIR, for root too, as a full disk fails with ENOSPC.
    const dir = path.dirname(d.paths.sessions('main'));
    mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
    writeFileSync(dir, 'not a dir\n', { mode: 0o600 });
    const r = await d.cli(['chat', '--session', 's'], { input: '/model haiku@anthropic:b\n/model\nhello\n' });
    assert.equal(r.code, 1, 'a refused /model fails the script');
    assert.match(r.stdout, /^Nothing changed: the session could not be saved\. .*sessions\.json cannot be written: .* \(ENOTDIR\)\.$/m, r.stdout + r.stderr);
    assert.match(r.stdout, /^\(The numbers could not be saved, so \/model <n> will not work: .*sessions\.json cannot be written: .* \(ENOTDIR\)\.\)$/m);
    assert.match(r.stdout, /^— anthropic\/claude-sonnet-4-5 via anthropic:[ab]$/m, r.stderr);
    assert.doesNotMatch(r.stderr, /Internal error/);
    assert.doesNotMatch(d.log(), /handler failed/);
    assert.match(d.log(), /"level":"warn","message":"[^"]*sessions\.json cannot be written[^"]*\(ENOTDIR\)/);
    assert.equal(d.proc.exitCode, null, 'the daemon is up');
    assertNoSecrets(keys, { stdout: r.stdout, stderr: r.stderr, log: d.log(), daemonStderr: d.stderr() });
  });

  it('thousands of pinned sessions (never pruned): a pin past the 1 MiB limit is refused with a reply; the pins hold across a restart', async () => {
    const { d, keys } = await sessionsDaemon();
    const entry = (id: string) => ({ sessionId: id, updatedAt: 1, authProfileOverride: 'anthropic:b', authProfileOverrideSource: 'user' });
    const doc: Record<string, unknown> = {};
    let n = 0;
    for (const step of [256, 16, 1]) {
      for (;;) {
        const ids = Array.from({ length: step }, (_, i) => `telegram:${1e9 + n + i}`);
        for (const id of ids) doc[id] = entry(id);
        if (JSON.stringify(doc, null, 2).length > 1024 * 1024 - 100) {
          for (const id of ids) delete doc[id];
          break;
        }
        n += step;
      }
    }
    const file = d.paths.sessions('main');
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
    const refused = await d.cli(['chat', '--session', 'x'.repeat(200)], { input: '/model sonnet@anthropic:a\n' });
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(
      refused.stdout,
      /^Nothing changed: the session could not be saved\. Refused: .*sessions\.json would grow past its 1 MiB limit \(\d+ sessions\)/m,
    );
    await d.stop();
    const d2 = await startDaemon({ stateDir: d.stateDir });
    const status = await d2.cli(['chat', '--session', 'telegram:1000000000'], { input: '/model status\n' });
    assert.match(status.stdout, /^Credential: anthropic:b \(pinned\)$/m, status.stdout.slice(0, 300));
    assertNoSecrets(keys, {
      stdout: refused.stdout + status.stdout,
      stderr: refused.stderr + status.stderr,
      log: d2.log(),
      daemonStderr: d.stderr() + d2.stderr(),
    });
  });

  it('a sessions.json grown near 1 MiB: a new session pins a profile, the old pin stays, and the log says what was pruned', async () => {
    const { d, keys } = await sessionsDaemon();
    // Months of `/model` lists: each session keeps its last picker list of 100 refs (about 4 KiB).
    const list = Array.from({ length: 100 }, (_, i) => `openrouter/vendor-${i}/some-model-name-${i}`);
    const doc: Record<string, unknown> = {
      'telegram:pinned': {
        sessionId: 'telegram:pinned',
        updatedAt: 1,
        authProfileOverride: 'anthropic:b',
        authProfileOverrideSource: 'user',
        modelPickerList: list,
      },
    };
    // The text is 3 bytes plus, per entry, its lines and 2. Filled with lists, then topped up with small entries to
    // within 200 bytes of the limit, so the new session's entry (about 250 bytes) does not fit without pruning.
    let size = Buffer.byteLength(`${JSON.stringify(doc, null, 2)}\n`);
    for (const withList of [true, false]) {
      for (let i = 0; ; i++) {
        const id = `telegram:${withList ? 1e9 + i : `small-${i}`}`;
        const model = { providerOverride: 'anthropic', modelOverride: 'claude-haiku-4-5', modelPickerList: list };
        const entry = { sessionId: id, updatedAt: 1_700_000_000_000 + i, ...(withList ? model : {}) };
        const add = Buffer.byteLength(JSON.stringify({ [id]: entry }, null, 2)) - 2;
        if (size + add > 1024 * 1024 - 100) break;
        doc[id] = entry;
        size += add;
      }
    }
    const file = d.paths.sessions('main');
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
    const r = await d.cli(['chat', '--session', 'new'], { input: '/model haiku@anthropic:a\n' });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^Pinned to anthropic:a/m, r.stdout);
    const old = await d.cli(['chat', '--session', 'telegram:pinned'], { input: '/model status\n' });
    assert.match(old.stdout, /^Credential: anthropic:b \(pinned\)$/m, old.stdout.slice(0, 300));
    const oldest = await d.cli(['chat', '--session', 'telegram:1000000000'], { input: '/model status\n' });
    assert.match(oldest.stdout, /^Current: anthropic\/claude-haiku-4-5$/m, 'the sessions stay; only their lists went');
    const pruned = d
      .log()
      .split('\n')
      .filter((l) => l.includes('sessions file pruned'));
    assert.equal(pruned.length, 1, d.log().slice(-2000));
    assert.match(pruned[0]!, /"level":"info","message":"sessions file pruned to stay under its limit: \d+ \/model picker lists"/);
    assert.match(pruned[0]!, /"pickerLists":\d+,"sessionsWithoutModelOrPin":0,"unpinnedSessionsWithModel":0/);
    assert.ok(!pruned[0]!.includes('telegram:'), 'no session id in the log');
    assertNoSecrets(keys, { stdout: r.stdout + old.stdout, stderr: r.stderr + old.stderr, log: d.log(), daemonStderr: d.stderr() });
  });
});
