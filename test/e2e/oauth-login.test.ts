/**
 * `opensoul models auth login` end to end: a real daemon, the real CLI, and an authorization
 * server on 127.0.0.1 that checks PKCE. The test plays the browser (it follows the authorize
 * URL the CLI prints and brings the redirect back, or pastes it). Every code, verifier and
 * token of these flows is grepped for in the CLI's output and the daemon's log.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { methods } from '../../ipc/protocol.js';
import { CLI, assertNoSecrets, startDaemon, tempDir, track, waitFor } from '../support/harness.js';
import type { Daemon } from '../support/harness.js';
import { startFakeAuthServer } from '../support/fake-auth-server.js';
import { runInTty } from '../support/tty.js';
import type { FakeAuthOptions, FakeAuthServer } from '../support/fake-auth-server.js';

interface Running {
  out: () => string;
  err: () => string;
  write: (text: string) => void;
  end: () => void;
  signal: (sig: NodeJS.Signals) => void;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** The CLI with live output and an open stdin. */
function spawnCli(d: Daemon, args: string[]): Running {
  const child = track(spawn(process.execPath, [CLI, ...args], { env: { ...d.env, DISPLAY: '', WAYLAND_DISPLAY: '' }, stdio: ['pipe', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (x: string) => (stdout += x));
  child.stderr?.setEncoding('utf8').on('data', (x: string) => (stderr += x));
  child.stdin?.on('error', () => undefined);
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { out: () => stdout, err: () => stderr, write: (t) => child.stdin?.write(t), end: () => child.stdin?.end(), signal: (sig) => child.kill(sig), done };
}

/** A daemon whose opensoul.json points the provider's OAuth endpoints at the fake server. */
async function setup(
  provider: string,
  fakeOpts: FakeAuthOptions,
  oauth: (url: string) => Record<string, unknown>,
): Promise<{ d: Daemon; fake: FakeAuthServer }> {
  const fake = await startFakeAuthServer(fakeOpts);
  const stateDir = path.join(tempDir(), 'state');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeFileSync(
    path.join(stateDir, 'opensoul.json'),
    JSON.stringify({ models: { providers: { [provider]: { oauth: { clientId: 'test-client', ...oauth(fake.url) } } } } }),
    { mode: 0o600 },
  );
  return { d: await startDaemon({ stateDir }), fake };
}

const codexOAuth = (url: string) => ({ authorizeUrl: `${url}/authorize`, tokenUrl: `${url}/token` });
const store = (d: Daemon) =>
  JSON.parse(readFileSync(d.paths.authProfiles('main'), 'utf8')) as { profiles: Record<string, Record<string, unknown>>; order?: Record<string, string[]> };

/** The TCP ports a process listens on: its socket inodes matched against the LISTEN rows of /proc/net/tcp{,6} (Linux). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    } catch {
      /* closed meanwhile */
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const row of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = row.trim().split(/\s+/);
      if (f[3] === '0A' && inodes.has(f[9] ?? '')) ports.push(parseInt(f[1]?.split(':')[1] ?? '', 16));
    }
  }
  return ports;
}

/** The authorize URL the CLI printed. */
async function printedUrl(run: Running, fake: FakeAuthServer): Promise<string> {
  return waitFor(() => new RegExp(`${fake.url.replace(/[.]/g, '\\.')}/authorize\\?\\S+`).exec(run.out())?.[0], 'the CLI to print the authorize URL');
}

/** Plays the browser up to the redirect: the authorization server answers 302 to the redirect URI with code and state. */
async function authorize(url: string): Promise<URL> {
  const res = await fetch(url, { redirect: 'manual' });
  assert.equal(res.status, 302);
  return new URL(res.headers.get('location') ?? '');
}

describe('models auth login (real daemon, real CLI, an authorization server on 127.0.0.1)', function () {
  this.timeout(60_000);

  it('browser flow: PKCE S256, the loopback callback on 127.0.0.1 (a wrong state is refused there), an oauth profile named by the id_token', async () => {
    const { d, fake } = await setup('openai-codex', {}, codexOAuth);
    const before = Date.now();
    const run = spawnCli(d, ['models', 'auth', 'login', '--provider', 'openai-codex', '--no-browser']);
    run.end();
    const url = new URL(await printedUrl(run, fake));
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(url.searchParams.get('response_type'), 'code');
    assert.equal(url.searchParams.get('client_id'), 'test-client');
    assert.equal(url.searchParams.get('scope'), 'openid profile email offline_access');
    assert.match(url.searchParams.get('redirect_uri') ?? '', /^http:\/\/127\.0\.0\.1:\d+\/callback$/);

    const callback = await authorize(url.toString());
    // A redirect whose state is not this login's: 400, and the login goes on waiting.
    const forged = new URL(callback);
    forged.searchParams.set('state', 'someone-elses-state');
    const refused = await fetch(forged);
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /does not match/);
    const page = await fetch(callback);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /You can close this tab/);

    const r = await run.done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Signed in to openai-codex as alice@example\.com/);
    assert.match(r.stdout, /Stored openai-codex:alice@example\.com \(oauth, access token expires .*\) in .*auth-profiles\.json/);

    // The token request carried the verifier of the challenge in the URL (the server checked it too).
    const tokenReq = fake.tokenRequests[0];
    assert.ok(tokenReq);
    assert.equal(
      createHash('sha256')
        .update(tokenReq.code_verifier ?? '')
        .digest('base64url'),
      url.searchParams.get('code_challenge'),
    );
    assert.match(tokenReq.code_verifier ?? '', /^[A-Za-z0-9\-._~]{43,128}$/);
    assert.equal(tokenReq.redirect_uri, url.searchParams.get('redirect_uri'));

    const issued = fake.issued[0];
    const p = store(d).profiles['openai-codex:alice@example.com'];
    assert.ok(p && issued);
    assert.equal(p.type, 'oauth');
    assert.equal(p.access, issued.access);
    assert.equal(p.refresh, issued.refresh);
    assert.equal(p.email, 'alice@example.com');
    assert.equal(p.accountId, 'acct-42');
    const expires = p.expires as number;
    assert.ok(expires >= before + 3600_000 && expires <= Date.now() + 3600_000, 'expires = now + expires_in');
    // The listener is gone once used.
    await assert.rejects(fetch(callback));
    assertNoSecrets(fake.secrets, { stdout: r.stdout, stderr: r.stderr, html, log: d.log(), daemonStderr: d.stderr() });
  });

  it(
    'headless: with the provider’s https callback page, the pasted code#state on stdin completes it (JSON token request with state); ' +
      '--set-default orders it first',
    async () => {
      const { d, fake } = await setup('anthropic', { emailIn: 'account', email: 'bob@example.com' }, (u) => ({
        authorizeUrl: `${u}/authorize`,
        tokenUrl: `${u}/token`,
        redirectUri: 'https://console.example.test/oauth/code/callback',
      }));
      const run = spawnCli(d, ['models', 'auth', 'login', '--provider', 'anthropic', '--no-browser', '--set-default']);
      const url = await printedUrl(run, fake);
      // The instruction is the line after the URL, a write of its own: waited for, not raced.
      await waitFor(() => /paste/.test(run.out()), 'the CLI to say where to paste');
      const callback = await authorize(url);
      assert.equal(callback.origin, 'https://console.example.test');
      run.write(`${callback.searchParams.get('code') ?? ''}#${callback.searchParams.get('state') ?? ''}\n`);
      const r = await run.done;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Stored anthropic:bob@example\.com \(oauth/);
      assert.match(r.stdout, /anthropic:bob@example\.com is now first in anthropic's order for agent main/);
      const tokenReq = fake.tokenRequests[0];
      assert.equal(tokenReq?.state, callback.searchParams.get('state'));
      assert.equal(tokenReq?.redirect_uri, 'https://console.example.test/oauth/code/callback');
      const s = store(d);
      assert.equal(s.profiles['anthropic:bob@example.com']?.type, 'oauth');
      assert.equal(s.profiles['anthropic:bob@example.com']?.accountId, 'acct-anthropic-1');
      assert.deepEqual(s.order?.anthropic, ['anthropic:bob@example.com']);
      assertNoSecrets(fake.secrets, { stdout: r.stdout, stderr: r.stderr, log: d.log(), daemonStderr: d.stderr() });
    },
  );

  it('refuses a pasted redirect whose state is another login’s: exit 1, no token request, nothing stored', async () => {
    const { d, fake } = await setup('openai-codex', {}, codexOAuth);
    const run = spawnCli(d, ['models', 'auth', 'login', '--provider', 'openai-codex', '--no-browser']);
    const callback = await authorize(await printedUrl(run, fake));
    callback.searchParams.set('state', 'state-of-another-login');
    run.write(`${callback.toString()}\n`);
    const r = await run.done;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the state does not match: this code is from another login; start again/);
    assert.equal(fake.tokenRequests.length, 0);
    assert.equal(existsSync(d.paths.authProfiles('main')), false);
    assertNoSecrets(fake.secrets, { stdout: r.stdout, stderr: r.stderr, log: d.log() });
  });

  it('device code (--json): prints the user code, polls at the interval, 5 s slower after slow_down; no refresh token → a token profile', async () => {
    const { d, fake } = await setup(
      'github-copilot',
      { deviceScript: ['authorization_pending', 'slow_down'], refresh: false, emailIn: 'none', deviceInterval: 1 },
      (u) => ({
        deviceAuthorizationUrl: `${u}/device/code`,
        tokenUrl: `${u}/token`,
      }),
    );
    const run = spawnCli(d, ['models', 'auth', 'login', '--provider', 'github-copilot', '--device-code', '--no-browser', '--json']);
    run.end();
    const r = await run.done;
    assert.equal(r.code, 0, r.stderr);
    // --json: the instructions go to stderr, stdout holds one document.
    assert.match(r.stderr, /WDJB-MJHT/);
    assert.match(r.stderr, new RegExp(`${fake.url.replace(/[.]/g, '\\.')}/device`));
    const doc = JSON.parse(r.stdout) as { status: string; profileId: string; credentialType: string; changed: boolean };
    assert.deepEqual([doc.status, doc.profileId, doc.credentialType, doc.changed], ['done', 'github-copilot:default', 'token', true]);
    assert.equal(fake.devicePolls.length, 3);
    const [a = 0, b = 0, c = 0] = fake.devicePolls;
    // pending keeps the 1 s interval; slow_down makes it 6 s (lower bounds only).
    assert.ok(b - a >= 900, `pending kept the interval (${b - a} ms)`);
    assert.ok(c - b >= 5900, `slow_down added 5 s (${c - b} ms)`);
    const p = store(d).profiles['github-copilot:default'];
    assert.equal(p?.type, 'token');
    assert.equal(p?.token, fake.issued[0]?.access);
    assertNoSecrets(fake.secrets, { stdout: r.stdout, stderr: r.stderr, log: d.log(), daemonStderr: d.stderr() });
  });

  it('a different credential at that id: CONFLICT without --force (stored one kept), replaced with --force', async () => {
    const { d, fake } = await setup('openai-codex', {}, codexOAuth);
    const old = { type: 'oauth' as const, access: 'old-access-FAKE-0123456789', refresh: 'old-refresh-FAKE-0123456789', expires: Date.now() + 60_000 };
    await d.call(methods.authUpsert, { profileId: 'openai-codex:alice@example.com', credential: old });

    const loginOnce = async (args: string[]) => {
      const run = spawnCli(d, ['models', 'auth', 'login', '--provider', 'openai-codex', '--no-browser', ...args]);
      run.end();
      const callback = await authorize(await printedUrl(run, fake));
      assert.equal((await fetch(callback)).status, 200);
      return run.done;
    };
    const refused = await loginOnce([]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Conflict: openai-codex:alice@example\.com .*already holds a different oauth/);
    assert.match(refused.stderr, /--force/);
    assert.equal(store(d).profiles['openai-codex:alice@example.com']?.access, old.access);

    const forced = await loginOnce(['--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /Replaced openai-codex:alice@example\.com \(was oauth /);
    assert.equal(store(d).profiles['openai-codex:alice@example.com']?.access, fake.issued[1]?.access);
    assertNoSecrets([...fake.secrets, old.access, old.refresh], {
      refused: refused.stdout + refused.stderr,
      forced: forced.stdout + forced.stderr,
      log: d.log(),
      daemonStderr: d.stderr(),
    });
  });

  it('Ctrl-C cancels the login in the daemon: its callback listener closes and a late redirect stores nothing', async () => {
    const { d, fake } = await setup('openai-codex', {}, codexOAuth);
    const run = spawnCli(d, ['models', 'auth', 'login', '--provider', 'openai-codex', '--no-browser']);
    run.end();
    const url = await printedUrl(run, fake);
    await waitFor(() => /Waiting for the browser/.test(run.out()), 'the CLI to wait');
    run.signal('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 130);
    assert.match(r.stderr, /Cancelled; nothing was stored/);
    const callback = await authorize(url);
    await waitFor(
      async () =>
        fetch(callback).then(
          () => false,
          () => true,
        ),
      'the listener to close',
    );
    assert.equal(fake.tokenRequests.length, 0);
    assert.equal(existsSync(d.paths.authProfiles('main')), false);
  });

  it('the provider’s refusal (error=access_denied with the right state): exit 1 saying so, the port closed, nothing stored', async () => {
    const { d, fake } = await setup('openai-codex', {}, codexOAuth);
    const run = spawnCli(d, ['models', 'auth', 'login', '--provider', 'openai-codex', '--no-browser']);
    run.end();
    const callback = await authorize(await printedUrl(run, fake));
    const refusal = new URL(callback.origin + callback.pathname);
    refusal.searchParams.set('error', 'access_denied');
    refusal.searchParams.set('error_description', '<script>alert(1)</script>');
    refusal.searchParams.set('state', callback.searchParams.get('state') ?? '');
    const page = await fetch(refusal);
    const html = await page.text();
    assert.ok(!html.includes('<script>') && !html.includes('alert(1)'), 'nothing of the redirect is reflected in the page');
    assert.equal(page.headers.get('access-control-allow-origin'), null);
    const r = await run.done;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /did not grant access \(access_denied\)/);
    assert.deepEqual(listeningPorts(d.proc.pid as number), [], 'no callback port left open');
    assert.equal(fake.tokenRequests.length, 0);
    assert.equal(existsSync(d.paths.authProfiles('main')), false);
  });

  it('an authorize URL that does not parse is refused before any callback port opens, naming the setting to fix', async () => {
    const { d } = await setup('openai-codex', {}, (u) => ({ authorizeUrl: 'https://[not-a-host', tokenUrl: `${u}/token` }));
    const r = await d.cli(['models', 'auth', 'login', '--provider', 'openai-codex', '--no-browser']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /models\.providers\.openai-codex\.oauth\.authorizeUrl/);
    assert.deepEqual(listeningPorts(d.proc.pid as number), [], 'no callback port left open');
  });

  it('in a terminal: the paste prompt takes the redirect URL, then a CONFLICT is confirmed (Yes) and the profile replaced', async () => {
    const { d, fake } = await setup('openai-codex', {}, codexOAuth);
    const old = { type: 'oauth' as const, access: 'old-access-FAKE-tty-0123456789', refresh: 'old-refresh-FAKE-tty-0123456789', expires: Date.now() + 60_000 };
    await d.call(methods.authUpsert, { profileId: 'openai-codex:alice@example.com', credential: old });
    const tty = runInTty([process.execPath, CLI, 'models', 'auth', 'login', '--provider', 'openai-codex'], {
      ...d.env,
      TERM: 'xterm-256color',
      SSH_CONNECTION: '10.0.0.1 50000 10.0.0.2 22',
    });
    const screen = await tty.waitFor(/or paste the redirect URL/, 'the paste prompt');
    const url = new RegExp(`${fake.url.replace(/[.]/g, '\\.')}/authorize\\?\\S+`).exec(screen)?.[0];
    assert.ok(url, screen);
    const callback = await authorize(url);
    tty.type(callback.toString(), { enter: true });
    await tty.waitFor(/already holds oauth .*Replace it/, 'the confirmation');
    tty.key('Left');
    tty.key('Enter');
    assert.equal(await tty.exitCode(30_000), 0, tty.screen());
    assert.match(tty.screen(), /Replaced openai-codex:alice@example\.com \(was oauth /);
    assert.equal(store(d).profiles['openai-codex:alice@example.com']?.access, fake.issued[0]?.access);
    // The person pasted the code, so the terminal shows it; no verifier or token is ever shown.
    const code = callback.searchParams.get('code') ?? '';
    assertNoSecrets([...fake.secrets.filter((x) => x !== code), old.access, old.refresh], { screen: tty.screen(), log: d.log() });
    assertNoSecrets([code], { log: d.log() });
  });

  it(
    'exit codes: --method cli without Claude Code signed in (1, with the next step), ' +
      'a provider without OAuth is refused (1), a foreign --profile-id is a usage error (64), no daemon (3)',
    async () => {
      const d = await startDaemon();
      const m = await d.cli(['models', 'auth', 'login', '--provider', 'anthropic', '--method', 'cli']);
      assert.equal(m.code, 1);
      assert.match(m.stderr, /sign in with `claude` first/);
      const none = await d.cli(['models', 'auth', 'login', '--provider', 'openai', '--no-browser']);
      assert.equal(none.code, 1);
      assert.match(none.stderr, /openai has no OAuth login here/);
      const foreign = await d.cli(['models', 'auth', 'login', '--provider', 'anthropic', '--profile-id', 'openai:x']);
      assert.equal(foreign.code, 64);
      await d.stop();
      const down = await d.cli(['models', 'auth', 'login', '--provider', 'anthropic', '--no-browser']);
      assert.equal(down.code, 3, down.stderr);
    },
  );
});
