/**
 * `opensoul exec --proxy`: the run's proxy key lives exactly as long as the run. A real daemon
 * with the proxy on a fixed port, a fake Anthropic on 127.0.0.1, the real CLI running a child
 * that makes a request each time the test asks it to (a numbered file appears) and writes the
 * status it got. The key must not expire under a long run (it has no expiry), must die soon
 * after its CLI is killed (SIGKILL: no chance to revoke it), and must survive a daemon restart
 * under a running child (the CLI holds it again on a new connection).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { methods } from '../../ipc/protocol.js';
import type { ProxyKeyInfo } from '../../ipc/protocol.js';
import { CLI, assertNoSecrets, cleanEnv, fakeSecret, freePort, killAfterTest, startDaemon, tempDir, track, waitFor } from '../support/harness.js';
import type { Daemon } from '../support/harness.js';
import { startFakeProvider } from '../support/fake-provider.js';
import type { FakeProvider } from '../support/fake-provider.js';

/**
 * The child: each time `<dir>/go-<n>` appears it asks Anthropic through the proxy and writes the
 * status to `<dir>/res-<n>`; it ends when `<dir>/stop` appears (or after 50 s, should the test fail first).
 */
const CHILD = `
import { existsSync, renameSync, writeFileSync } from 'node:fs';
const dir = process.argv[2];
const deadline = Date.now() + 50_000;
let n = 1;
for (;;) {
  if (existsSync(dir + '/stop') || Date.now() > deadline) break;
  if (existsSync(dir + '/go-' + n)) {
    const r = await fetch(process.env.ANTHROPIC_BASE_URL + '/v1/messages', { method: 'POST',
      headers: { 'x-api-key': process.env.ANTHROPIC_API_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }) });
    await r.arrayBuffer();
    writeFileSync(dir + '/res.tmp', String(r.status));
    renameSync(dir + '/res.tmp', dir + '/res-' + n); // whole, never seen empty
    n++;
  }
  await new Promise((r) => setTimeout(r, 50));
}
`;

interface Setup {
  daemon: Daemon;
  anthropic: FakeProvider;
  stateDir: string;
  env: Record<string, string>;
  secret: string;
  /** Where the child's go/res files live. */
  dir: string;
}

async function setup(graceMs: number): Promise<Setup> {
  const anthropic = await startFakeProvider('anthropic');
  const stateDir = path.join(tempDir(), 'state');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const port = await freePort();
  const config = {
    agents: { defaults: { model: 'anthropic/claude-sonnet-4-5' } },
    models: { providers: { anthropic: { baseUrl: anthropic.url } } },
    proxy: { enabled: true, port },
  };
  writeFileSync(path.join(stateDir, 'opensoul.json'), JSON.stringify(config), { mode: 0o600 });
  const env = { OPENSOUL_PROXY_HOLD_GRACE_MS: String(graceMs) };
  const daemon = await startDaemon({ stateDir, env });
  const secret = fakeSecret('sk-ant-api03-');
  await daemon.call(methods.authUpsert, { profileId: 'anthropic:a', credential: { type: 'api_key', key: secret } });
  const dir = tempDir();
  return { daemon, anthropic, stateDir, env, secret, dir };
}

/** Starts `opensoul exec --proxy -- node <child>` in the background; its output is collected. */
function startRun(s: Setup) {
  const childFile = path.join(s.dir, 'child.mjs');
  writeFileSync(childFile, CHILD);
  const proc = track(
    spawn(process.execPath, [CLI, 'exec', '--proxy', '--provider', 'anthropic', '--', process.execPath, childFile, s.dir], {
      env: cleanEnv({ HOME: path.dirname(s.stateDir), OPENSOUL_STATE_DIR: s.stateDir, ...s.env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let out = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, output: () => out, exited };
}

/** Has the child make request `n`; resolves with the HTTP status it got. */
async function requestFromChild(s: Setup, n: number): Promise<number> {
  writeFileSync(path.join(s.dir, `go-${n}`), '');
  const res = path.join(s.dir, `res-${n}`);
  return Number(await waitFor(() => existsSync(res) && readFileSync(res, 'utf8'), `the child's request ${n}`));
}

async function runKey(d: Daemon): Promise<ProxyKeyInfo | undefined> {
  return (await d.call(methods.proxyKeyList, {})).keys.find((k) => k.label === 'exec --proxy');
}

/** The pid of the child our run started: the one process whose parent is the CLI. */
function childPid(cliPid: number): number | null {
  try {
    const children = readFileSync(`/proc/${cliPid}/task/${cliPid}/children`, 'utf8').trim();
    return children === '' ? null : Number(children.split(' ')[0]);
  } catch {
    return null;
  }
}

describe('exec --proxy: the run holds its key', function () {
  this.timeout(60_000);

  it('the key has no expiry while the run lasts, and is revoked within the grace once its CLI is killed (SIGKILL)', async () => {
    const s = await setup(300);
    const run = startRun(s);
    const key = await waitFor(() => runKey(s.daemon), 'the run to make its key');
    assert.equal(key.held, true);
    assert.equal(key.expiresAt, null, 'a held key has no expiry of its own: a run may last for hours');
    const listed = await s.daemon.cli(['proxy', 'key', 'list']);
    assert.match(listed.stdout, /while its run lasts/);
    assert.equal(await requestFromChild(s, 1), 200);
    assert.equal(s.anthropic.received.at(-1)?.key, s.secret, 'the provider got the real key');

    // The child outlives the killed CLI (it is not in a process group of its own to be killed with it).
    const child = await waitFor(() => childPid(run.proc.pid as number), 'the child to start');
    killAfterTest(child);
    run.proc.kill('SIGKILL');
    await run.exited;
    await waitFor(async () => (await runKey(s.daemon)) === undefined, 'the killed run’s key to be revoked');
    assert.equal(await requestFromChild(s, 2), 401, "the orphaned child's requests are refused");
    assert.match(s.daemon.log(), /revoked the key of an exec --proxy run whose opensoul exec is gone/);
    assertNoSecrets([s.secret], { out: run.output() + listed.stdout + listed.stderr, log: s.daemon.log(), stderr: s.daemon.stderr() });
  });

  it('a daemon restart under a running child: the CLI holds the key again, which outlives the grace; it ends with the run', async () => {
    const s = await setup(3000);
    const run = startRun(s);
    const key = await waitFor(() => runKey(s.daemon), 'the run to make its key');
    assert.equal(await requestFromChild(s, 1), 200);

    await s.daemon.stop();
    const again = await startDaemon({ stateDir: s.stateDir, env: s.env });
    // Past the grace (3 s; the CLI tries every 2 s): only a key held again is still there.
    await new Promise((r) => setTimeout(r, 4500));
    assert.equal((await runKey(again))?.id, key.id, 'the key of the running child is still there');
    assert.equal(await requestFromChild(s, 2), 200, "the child's requests still work after the restart");
    assert.equal(s.anthropic.received.at(-1)?.key, s.secret);

    writeFileSync(path.join(s.dir, 'stop'), '');
    assert.equal(await run.exited, 0, run.output());
    assert.equal(await runKey(again), undefined, 'the key is revoked once the child ended');
    assert.doesNotMatch(run.output(), /warning/, 'no warning: the key was never lost');
    assertNoSecrets([s.secret], { out: run.output(), log: s.daemon.log() + again.log(), stderr: again.stderr() });
  });
});
