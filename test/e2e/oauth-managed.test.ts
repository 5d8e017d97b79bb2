/**
 * Credentials another CLI manages, against a real daemon and the real CLI: `models auth login
 * --method cli` adopts Claude Code's and the Codex CLI's sign-in without copying a token; a
 * change of their file is picked up live; an expired one is never refreshed by us (the token
 * endpoint hears nothing) and status says to refresh it with that CLI; their files are never
 * written (same bytes, same mtime).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { methods } from '../../ipc/protocol.js';
import type { ModelsStatusResult } from '../../ipc/protocol.js';
import { assertNoSecrets, fakeSecret, startDaemon, tempDir, waitFor } from '../support/harness.js';
import { startFakeTokenServer } from '../support/fake-token-server.js';

function claudeFile(access: string, refresh: string, expiresAt: number): string {
  return JSON.stringify({
    claudeAiOauth: { accessToken: access, refreshToken: refresh, expiresAt, scopes: ['user:inference', 'user:profile'], subscriptionType: 'max' },
  });
}

/** A JWT-shaped token (unsigned: nobody verifies it here) with an `exp` claim, as Codex's access tokens are. */
function jwt(claims: Record<string, unknown>): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.${fakeSecret('sig', 40)}`;
}

async function setupHome() {
  const server = await startFakeTokenServer();
  const home = tempDir();
  const stateDir = path.join(home, 'state');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeFileSync(
    path.join(stateDir, 'opensoul.json'),
    JSON.stringify({
      models: {
        providers: { anthropic: { oauth: { tokenUrl: server.url, clientId: 'c' } }, 'openai-codex': { oauth: { tokenUrl: server.url, clientId: 'c' } } },
      },
    }),
  );
  return { server, home, stateDir };
}

describe('credentials another CLI manages (real daemon, real CLI)', function () {
  this.timeout(30_000);

  it(
    'adopts Claude Code credentials read-through, picks up a change live, never refreshes or writes them, ' + 'and says to refresh with `claude` once expired',
    async () => {
      const { server, home, stateDir } = await setupHome();
      const credFile = path.join(home, '.claude', '.credentials.json');
      mkdirSync(path.dirname(credFile), { recursive: true });
      const a1 = fakeSecret('sk-ant-oat01-', 80);
      const r1 = fakeSecret('sk-ant-ort01-', 80);
      writeFileSync(credFile, claudeFile(a1, r1, Date.now() + 8 * 3600_000));
      const d = await startDaemon({ stateDir });

      const login = await d.cli(['models', 'auth', 'login', '--provider', 'anthropic', '--method', 'cli']);
      assert.equal(login.code, 0, login.stderr);
      assert.match(login.stdout, /Stored anthropic:claude-cli \(oauth, managed by claude\)/);
      assert.match(login.stdout, /no token was copied/);
      const stored = readFileSync(d.paths.authProfiles('main'), 'utf8');
      assert.ok(!stored.includes(a1) && !stored.includes(r1), 'no token copied into our store');
      const entry = (JSON.parse(stored) as { profiles: Record<string, Record<string, unknown>> }).profiles['anthropic:claude-cli'];
      assert.deepEqual(entry, { type: 'oauth', provider: 'anthropic', managedBy: 'claude-cli', source: credFile });
      const again = await d.cli(['models', 'auth', 'login', '--provider', 'anthropic', '--method', 'cli']);
      assert.match(again.stdout, /Unchanged: anthropic:claude-cli/);

      assert.equal((await d.call(methods.authResolve, { provider: 'anthropic' })).secret, a1);

      // Claude Code refreshed its token: we see it without being told.
      const a2 = fakeSecret('sk-ant-oat01-', 80);
      const r2 = fakeSecret('sk-ant-ort01-', 80);
      writeFileSync(credFile, claudeFile(a2, r2, Date.now() + 2 * 60_000));
      await waitFor(async () => (await d.call(methods.authResolve, { provider: 'anthropic' })).secret === a2, 'the new token to be served');
      const status = await d.cli(['models', 'status', '--json']);
      const prof = (JSON.parse(status.stdout) as ModelsStatusResult).providers.find((p) => p.provider === 'anthropic')?.profiles[0];
      assert.equal(prof?.managedBy, 'claude-cli');
      assert.match(prof?.reason ?? '', /managed by claude/);

      // Expired: never refreshed by us, and the remedy names `claude`.
      writeFileSync(credFile, claudeFile(a2, r2, Date.now() - 60_000));
      const bytes = readFileSync(credFile);
      const mtime = statSync(credFile).mtimeMs;
      await waitFor(async () => (await d.cli(['models', 'status', '--check'])).code === 1, 'the expiry to be seen');
      await assert.rejects(
        d.call(methods.authResolve, { provider: 'anthropic' }),
        (err: Error & { kind?: string }) =>
          err.kind === 'NO_CREDENTIALS' && /anthropic:claude-cli is expired \(managed by claude: refresh it with `claude` and retry\)/.test(err.message),
      );
      const expired = await d.cli(['models', 'status']);
      assert.match(expired.stdout, /refresh it with `claude` and retry/);
      const doctor = await d.cli(['doctor']);
      assert.match(doctor.stdout, /refresh it with `claude` and retry/);
      assert.equal(server.requests(), 0, 'the token endpoint never heard from us');
      assert.ok(readFileSync(credFile).equals(bytes), 'its file is never written');
      assert.equal(statSync(credFile).mtimeMs, mtime);
      assertNoSecrets([a1, r1, a2, r2], {
        login: login.stdout + login.stderr,
        again: again.stdout,
        status: status.stdout,
        expired: expired.stdout + expired.stderr,
        doctor: doctor.stdout,
        log: d.log(),
        daemonStderr: d.stderr(),
      });
    },
  );

  it(
    'adopts the Codex CLI sign-in (expiry from the access token), refuses a missing file with the next step, ' +
      'and `--method` other than cli is a usage error',
    async () => {
      const { home, stateDir } = await setupHome();
      const d = await startDaemon({ stateDir });
      const missing = await d.cli(['models', 'auth', 'login', '--provider', 'openai-codex', '--method', 'cli']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /sign in with `codex` first/);

      const exp = Math.floor(Date.now() / 1000) + 3 * 24 * 3600;
      const access = jwt({ exp, 'https://api.openai.com/auth': { chatgpt_account_id: 'acct-1' } });
      const refresh = fakeSecret('rt_', 60);
      const idToken = jwt({ email: 'me@example.com' });
      const file = path.join(home, '.codex', 'auth.json');
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(
        file,
        JSON.stringify({
          OPENAI_API_KEY: null,
          tokens: { id_token: idToken, access_token: access, refresh_token: refresh, account_id: 'acct-1' },
          last_refresh: new Date().toISOString(),
        }),
      );
      const bytes = readFileSync(file);

      const r = await d.cli(['models', 'auth', 'login', '--provider', 'openai-codex', '--method', 'cli', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as { profileId: string; managedBy: string; source: string; expiresAt: number };
      assert.equal(doc.profileId, 'openai-codex:codex-cli');
      assert.equal(doc.managedBy, 'codex-cli');
      assert.equal(doc.source, file);
      assert.equal(doc.expiresAt, exp * 1000);
      assert.equal((await d.call(methods.authResolve, { provider: 'openai-codex' })).secret, access);
      const status = await d.cli(['models', 'status']);
      assert.match(status.stdout, /managed by codex/);

      const usage = await d.cli(['models', 'auth', 'login', '--provider', 'anthropic', '--method', 'browser']);
      assert.equal(usage.code, 64);
      assert.match(usage.stderr, /--method expects cli/);
      assert.ok(readFileSync(file).equals(bytes), 'its file is never written');

      // Half written by its CLI (or broken): the last good read is served, doctor says so, and nothing is rewritten.
      writeFileSync(file, bytes.subarray(0, 40));
      const doctor = await waitFor(async () => {
        const x = await d.cli(['doctor']);
        return /does not parse/.test(x.stdout) ? x : null;
      }, 'doctor to report the broken file');
      assert.match(doctor.stdout, /the gateway never edits that file/);
      assert.equal((await d.call(methods.authResolve, { provider: 'openai-codex' })).secret, access);
      assert.ok(readFileSync(file).equals(bytes.subarray(0, 40)));
      assertNoSecrets([access, refresh, idToken], {
        r: r.stdout + r.stderr,
        status: status.stdout,
        doctor: doctor.stdout,
        log: d.log(),
        daemonStderr: d.stderr(),
      });
    },
  );
});
