/**
 * OAuth refresh against a real daemon, the real CLI and a token endpoint on 127.0.0.1: one
 * token request however many callers (and agents) want the credential, the rotated refresh
 * token on disk before anyone gets the new access token, a refused refresh shown as expired with
 * its fix, a network failure that changes nothing while the access token works, the
 * ahead-of-time timer, and the `token.expiring` event. No token ever reaches output or logs.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connect } from '../../ipc/client.js';
import { methods } from '../../ipc/protocol.js';
import type { AuthResolveResult, EventNotification, ModelsStatusResult } from '../../ipc/protocol.js';
import { assertNoSecrets, fakeSecret, startDaemon, tempDir, waitFor } from '../support/harness.js';
import type { Daemon } from '../support/harness.js';
import { startFakeTokenServer } from '../support/fake-token-server.js';
import type { FakeTokenServer } from '../support/fake-token-server.js';

const PROFILE = 'anthropic:sub';

interface Setup {
  d: Daemon;
  server: FakeTokenServer;
  access: string;
  refresh: string;
  store: string;
}

/** A state dir with one OAuth profile in `main` expiring in `expiresInMs`, config pointing at the fake server; agents `extra` made too. */
async function setup(expiresInMs: number, opts: { env?: Record<string, string>; agents?: string[]; windowHours?: number } = {}): Promise<Setup> {
  const server = await startFakeTokenServer();
  const stateDir = path.join(tempDir(), 'state');
  const store = path.join(stateDir, 'agents', 'main', 'agent', 'auth-profiles.json');
  mkdirSync(path.dirname(store), { recursive: true, mode: 0o700 });
  for (const a of opts.agents ?? []) mkdirSync(path.join(stateDir, 'agents', a, 'agent'), { recursive: true, mode: 0o700 });
  const access = fakeSecret('sk-ant-oat01-', 80);
  const refresh = fakeSecret('sk-ant-ort01-', 80);
  server.accept(refresh);
  writeFileSync(
    store,
    JSON.stringify({
      version: 1,
      profiles: { [PROFILE]: { type: 'oauth', provider: 'anthropic', access, refresh, expires: Date.now() + expiresInMs, email: 'me@example.com' } },
    }),
    { mode: 0o600 },
  );
  const config = {
    auth: { expiringWindowHours: opts.windowHours ?? 1 },
    models: { providers: { anthropic: { oauth: { tokenUrl: server.url, clientId: 'test-client' } } } },
  };
  writeFileSync(path.join(stateDir, 'opensoul.json'), JSON.stringify(config), { mode: 0o600 });
  const d = await startDaemon({ stateDir, ...(opts.env ? { env: opts.env } : {}) });
  return { d, server, access, refresh, store };
}

function storedProfile(store: string): { access: string; refresh: string; expires: number; email?: string } {
  return (JSON.parse(readFileSync(store, 'utf8')) as { profiles: Record<string, { access: string; refresh: string; expires: number }> }).profiles[PROFILE] as {
    access: string;
    refresh: string;
    expires: number;
  };
}

async function postRefresh(url: string, refreshToken: string): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'test-client' }),
  });
  await res.text();
  return res.status;
}

describe('OAuth refresh (real daemon, real CLI, token endpoint on 127.0.0.1)', function () {
  this.timeout(30_000);

  it(
    '20 concurrent resolves from two agents sharing the profile make exactly one token request; ' +
      'the rotated refresh token is on disk before the first caller has the new access token',
    async () => {
      const { d, server, access, refresh, store } = await setup(60_000, { agents: ['work'] });
      server.mode.expiresIn = 8 * 3600;
      let diskAtFirstAnswer: string | null = null;
      const calls = Array.from({ length: 20 }, (_, i) =>
        d.call(methods.authResolve, { provider: 'anthropic', ...(i % 2 ? { agent: 'work' } : {}) }).then((r: AuthResolveResult) => {
          diskAtFirstAnswer ??= storedProfile(store).refresh;
          return r;
        }),
      );
      const results = await Promise.all(calls);
      assert.equal(server.requests(), 1, 'one token request for all 20 callers of both agents');
      const [newAccess, newRefresh] = server.issued as [string, string];
      for (const r of results) {
        assert.equal(r.profileId, PROFILE);
        assert.equal(r.secret, newAccess, 'every caller got the refreshed access token');
      }
      assert.equal(diskAtFirstAnswer, newRefresh, 'the rotated refresh token was on disk when the first caller got its answer');
      const onDisk = storedProfile(store);
      assert.equal(onDisk.access, newAccess);
      assert.ok(onDisk.expires > Date.now() + 30 * 60_000, 'the new expiry is stored');
      assert.equal(onDisk.email, 'me@example.com', 'other fields of the profile are kept');
      // Only main's store holds the profile: the inheriting agent got no copy.
      assert.throws(() => readFileSync(path.join(d.stateDir, 'agents', 'work', 'agent', 'auth-profiles.json'), 'utf8'));

      const again = await d.call(methods.authResolve, { provider: 'anthropic', agent: 'work' });
      assert.equal(again.secret, newAccess);
      assert.equal(server.requests(), 1, 'a fresh token is not refreshed again');
      assert.equal(await postRefresh(server.url, refresh), 400, 'the old refresh token is refused afterwards, as real providers do');
      const status = await d.cli(['models', 'status', '--json']);
      const doc = JSON.parse(status.stdout) as ModelsStatusResult;
      assert.equal(doc.providers.find((p) => p.provider === 'anthropic')?.profiles[0]?.status, 'ok');
      assertNoSecrets([access, refresh, ...server.issued], { stdout: status.stdout, stderr: status.stderr, log: d.log(), daemonStderr: d.stderr() });
    },
  );

  it(
    'a refused refresh (invalid_grant) marks the profile expired with the reason and the fix: ' + 'status, --check 1, doctor, and a token.expiring event',
    async () => {
      const { d, server, access, refresh } = await setup(60_000);
      server.mode.refuseWith = 'invalid_grant';
      const events: EventNotification[] = [];
      const sub = await connect({ socketPath: d.socketPath, tokenPath: d.paths.token, onNotification: (event) => events.push(event) });
      try {
        await sub.call(methods.eventsSubscribe, { events: ['token.expiring'] });
        await assert.rejects(
          d.call(methods.authResolve, { provider: 'anthropic' }),
          (err: Error & { kind?: string }) => err.kind === 'NO_CREDENTIALS' && err.message.includes('run `opensoul models auth login --provider anthropic`'),
        );
        assert.equal(server.requests(), 1);
        const state = JSON.parse(readFileSync(d.paths.authState('main'), 'utf8')) as {
          usageStats: Record<string, { refreshFailedAt?: number; refreshFailure?: { reason: string } }>;
        };
        assert.equal(state.usageStats[PROFILE]?.refreshFailure?.reason, 'invalid_grant');
        assert.ok(state.usageStats[PROFILE]?.refreshFailedAt, 'OpenClaw-compatible refreshFailedAt is set');

        const check = await d.cli(['models', 'status', '--check']);
        assert.equal(check.code, 1, check.stdout + check.stderr);
        const json = JSON.parse((await d.cli(['models', 'status', '--json'])).stdout) as ModelsStatusResult;
        const prof = json.providers.find((p) => p.provider === 'anthropic')?.profiles[0];
        assert.equal(prof?.status, 'expired');
        assert.match(prof?.reason ?? '', /invalid_grant/);
        assert.match(prof?.reason ?? '', /opensoul models auth login --provider anthropic/);
        const doctor = await d.cli(['doctor']);
        assert.match(doctor.stdout, /opensoul models auth login --provider anthropic/);

        await waitFor(() => events.some((e) => e.event === 'token.expiring' && e.data.reason === 'invalid_grant'), 'the token.expiring event');
        const ev = events.find((e) => e.data.reason === 'invalid_grant');
        assert.deepEqual(
          { ...ev?.data, expiresAt: typeof ev?.data.expiresAt },
          { agent: 'main', profileId: PROFILE, provider: 'anthropic', expiresAt: 'number', reason: 'invalid_grant' },
        );

        // Not asked again: only a new login helps.
        await assert.rejects(d.call(methods.authResolve, { provider: 'anthropic' }));
        assert.equal(server.requests(), 1);
        assertNoSecrets([access, refresh], {
          check: check.stdout + check.stderr,
          doctor: doctor.stdout + doctor.stderr,
          log: d.log(),
          daemonStderr: d.stderr(),
          events: JSON.stringify(events),
        });
      } finally {
        sub.close();
      }
    },
  );

  it('a refused refresh token stops marking the profile once the store holds another (a login by OpenClaw, a hand edit)', async () => {
    const { d, server, access, refresh, store } = await setup(60_000);
    server.mode.refuseWith = 'invalid_grant';
    await assert.rejects(d.call(methods.authResolve, { provider: 'anthropic' }), (err: Error & { kind?: string }) => err.kind === 'NO_CREDENTIALS');
    assert.equal(server.requests(), 1);
    const state = JSON.parse(readFileSync(d.paths.authState('main'), 'utf8')) as { usageStats: Record<string, { refreshRefusedFor?: string }> };
    assert.match(state.usageStats[PROFILE]?.refreshRefusedFor ?? '', /^[0-9a-f]{16}$/, 'names the refused token by a short hash');
    assert.ok(!readFileSync(d.paths.authState('main'), 'utf8').includes(refresh), 'never the token itself');

    // Another program signs in again and writes its tokens into the shared store, without our lock
    // or our auth-state.json: the new refresh token is not the refused one.
    server.mode.refuseWith = null;
    const access2 = fakeSecret('sk-ant-oat01-', 80);
    const refresh2 = fakeSecret('sk-ant-ort01-', 80);
    server.accept(refresh2);
    const doc = JSON.parse(readFileSync(store, 'utf8')) as { profiles: Record<string, Record<string, unknown>> };
    doc.profiles[PROFILE] = { ...doc.profiles[PROFILE], access: access2, refresh: refresh2, expires: Date.now() + 60_000 };
    writeFileSync(store, JSON.stringify(doc), { mode: 0o600 });

    // Due (it expires within 5 minutes): refreshed with the new refresh token, served, and the mark gone.
    const r = await waitFor(async () => d.call(methods.authResolve, { provider: 'anthropic' }).catch(() => null), 'the profile to be usable again');
    assert.equal(r.profileId, PROFILE);
    assert.equal(server.requests(), 2, 'one refresh, with the new token');
    assert.equal(r.secret, storedProfile(store).access, 'the access token of that refresh, as stored');
    const json = JSON.parse((await d.cli(['models', 'status', '--json'])).stdout) as ModelsStatusResult;
    const prof = json.providers.find((p) => p.provider === 'anthropic')?.profiles[0];
    assert.notEqual(prof?.status, 'expired');
    const after = JSON.parse(readFileSync(d.paths.authState('main'), 'utf8')) as { usageStats: Record<string, Record<string, unknown>> };
    assert.equal(after.usageStats[PROFILE]?.refreshFailedAt, undefined);
    assert.equal(after.usageStats[PROFILE]?.refreshRefusedFor, undefined);
    assertNoSecrets([access, refresh, access2, refresh2, r.secret], { log: d.log(), daemonStderr: d.stderr(), status: JSON.stringify(json) });
  });

  it('a network failure (the token endpoint is down) does not mark the profile expired while its access token works', async () => {
    const { d, server, access, refresh } = await setup(60_000);
    await server.close();
    const r = await d.call(methods.authResolve, { provider: 'anthropic' });
    assert.equal(r.secret, access, 'the still-valid access token is used');
    const state = JSON.parse(readFileSync(d.paths.authState('main'), 'utf8')) as {
      usageStats: Record<string, { refreshFailedAt?: number; refreshFailure?: { reason: string } }>;
    };
    assert.equal(state.usageStats[PROFILE]?.refreshFailure?.reason, 'network');
    assert.equal(state.usageStats[PROFILE]?.refreshFailedAt, undefined);
    const json = JSON.parse((await d.cli(['models', 'status', '--json'])).stdout) as ModelsStatusResult;
    const prof = json.providers.find((p) => p.provider === 'anthropic')?.profiles[0];
    assert.notEqual(prof?.status, 'expired');
    assert.match(prof?.reason ?? '', /could not be reached/);
    const check = await d.cli(['models', 'status', '--check']);
    assert.notEqual(check.code, 1, 'not expired for --check either');
    assertNoSecrets([access, refresh], { log: d.log(), check: check.stdout });
  });

  it('two profiles of one account take turns: one request at a time, and each is refreshed with its own refresh token', async () => {
    const { d, server, store } = await setup(60_000);
    server.mode.expiresIn = 8 * 3600;
    const doc = JSON.parse(readFileSync(store, 'utf8')) as { profiles: Record<string, Record<string, unknown>> };
    const second = fakeSecret('sk-ant-ort01-', 80);
    server.accept(second);
    doc.profiles['anthropic:second'] = {
      type: 'oauth',
      provider: 'anthropic',
      access: fakeSecret('sk-ant-oat01-', 80),
      refresh: second,
      expires: Date.now() + 60_000,
      email: 'me@example.com',
    };
    writeFileSync(store, JSON.stringify(doc));
    await waitFor(async () => (await d.call(methods.authList, {})).profiles.length === 2, 'the second profile to load');
    await Promise.all(Array.from({ length: 6 }, () => d.call(methods.authResolve, { provider: 'anthropic' })));
    assert.equal(server.requests(), 2, 'one request per profile');
    const after = JSON.parse(readFileSync(store, 'utf8')) as { profiles: Record<string, { refresh: string }> };
    assert.ok(
      server.issued.includes(after.profiles[PROFILE]?.refresh ?? '') && server.issued.includes(after.profiles['anthropic:second']?.refresh ?? ''),
      'both rotated',
    );
    assert.doesNotMatch(readFileSync(d.paths.authState('main'), 'utf8'), /refreshFail/, 'no failure recorded');
  });

  it(
    'when the rotated token cannot be written (the store does not parse), the log says so once, ' + 'and the kept tokens are written once the file is fixed',
    async () => {
      const { d, server, access, refresh, store } = await setup(60_000);
      const good = readFileSync(store, 'utf8');
      writeFileSync(store, good.slice(0, -5));
      await waitFor(async () => (await d.call(methods.gatewayStatus, undefined)).files.some((f) => f.path === store && !f.ok), 'the broken store to be seen');
      assert.equal((await d.call(methods.authResolve, { provider: 'anthropic' })).secret, access, 'the last good state still serves');
      assert.match(d.log(), /rotated refresh token could not be written/);
      await d.call(methods.authResolve, { provider: 'anthropic' });
      assert.equal(server.requests(), 1, 'asked once; the tokens are kept, not asked for again');
      assert.equal(d.log().match(/rotated refresh token could not be written/g)?.length, 1, 'said once');
      writeFileSync(store, good);
      await waitFor(async () => (await d.call(methods.gatewayStatus, undefined)).files.some((f) => f.path === store && f.ok), 'the fixed store to be seen');
      assert.equal((await d.call(methods.authResolve, { provider: 'anthropic' })).secret, server.issued[0], 'the kept tokens are written, then served');
      assert.equal(storedProfile(store).refresh, server.issued[1]);
      assert.equal(server.requests(), 1);
      assertNoSecrets([access, refresh, ...server.issued], { log: d.log(), daemonStderr: d.stderr() });
    },
  );

  it('a 503 from the token endpoint is retried with backoff: the next calls do not hammer it, and the valid access token is served meanwhile', async () => {
    const { d, server, access } = await setup(60_000);
    server.mode.refuseWith = 'temporarily_unavailable';
    server.mode.status = 503;
    for (let i = 0; i < 3; i++) assert.equal((await d.call(methods.authResolve, { provider: 'anthropic' })).secret, access);
    assert.equal(server.requests(), 1, 'backing off (30 s) after the first failure');
    assert.match(d.log(), /retrying with backoff/);
  });

  it(
    'while OpenClaw holds the store lock and refreshes the profile itself, the gateway waits for the lock, sends no request with the ' +
      'refresh token OpenClaw spent, and serves the tokens OpenClaw wrote',
    async () => {
      const { d, server, access, refresh, store } = await setup(60_000);
      // OpenClaw's lock protocol (§3): a live pid (this test process stands in for OpenClaw), createdAt in ms.
      writeFileSync(`${store}.lock`, JSON.stringify({ pid: process.pid, createdAt: Date.now() }), { flag: 'wx', mode: 0o600 });
      let answered = false;
      const resolving = d.call(methods.authResolve, { provider: 'anthropic' }).finally(() => (answered = true));
      await new Promise((r) => setTimeout(r, 800));
      assert.equal(server.requests(), 0, 'no token request while another program holds the store lock');
      assert.equal(answered, false, 'the call waits for the lock');

      // OpenClaw, holding the lock: re-read, refresh with the refresh token, write, unlock.
      const res = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: refresh, client_id: 'test-client' }),
      });
      assert.equal(res.status, 200, 'OpenClaw’s refresh works: its refresh token was not spent by the gateway');
      const theirs = (await res.json()) as { access_token: string; refresh_token: string; expires_in: number };
      const doc = JSON.parse(readFileSync(store, 'utf8')) as { profiles: Record<string, Record<string, unknown>> };
      doc.profiles[PROFILE] = { ...doc.profiles[PROFILE], access: theirs.access_token, refresh: theirs.refresh_token, expires: Date.now() + 3600_000 };
      writeFileSync(store, JSON.stringify(doc));
      unlinkSync(`${store}.lock`);

      const r = await resolving;
      assert.equal(r.secret, theirs.access_token, 'the call gets the access token OpenClaw wrote');
      assert.equal(server.requests(), 1, 'one token request in all: OpenClaw’s');
      assert.equal(storedProfile(store).refresh, theirs.refresh_token, 'OpenClaw’s rotated refresh token stays on disk');
      assert.doesNotMatch(readFileSync(d.paths.authState('main'), 'utf8').toString(), /refreshFail/, 'no failure recorded');
      assertNoSecrets([access, refresh, ...server.issued], { log: d.log(), daemonStderr: d.stderr() });
    },
  );

  it('a store lock left by a dead program does not stop the refresh, and the refreshed store is 0600', async () => {
    const { d, server, store } = await setup(60_000);
    writeFileSync(`${store}.lock`, JSON.stringify({ pid: 2 ** 22 + 12345, createdAt: Date.now() }), { mode: 0o600 });
    assert.equal((await d.call(methods.authResolve, { provider: 'anthropic' })).secret, server.issued[0]);
    assert.equal(server.requests(), 1);
    assert.equal(statSync(store).mode & 0o777, 0o600);
  });

  it('a token endpoint that answers expires_in 0 is not asked again at every call: the new token counts for an hour', async () => {
    const { d, server, store } = await setup(60_000);
    server.mode.expiresIn = 0;
    for (let i = 0; i < 3; i++) assert.equal((await d.call(methods.authResolve, { provider: 'anthropic' })).secret, server.issued[0]);
    assert.equal(server.requests(), 1);
    assert.ok(storedProfile(store).expires > Date.now() + 50 * 60_000, 'stored with an hour to go');
  });

  it('the ahead-of-time check refreshes an idle profile that nobody resolves', async () => {
    const { d, server, refresh } = await setup(2 * 60_000, { env: { OPENSOUL_OAUTH_CHECK_MS: '200' } });
    await waitFor(
      () => storedProfile(path.join(d.stateDir, 'agents', 'main', 'agent', 'auth-profiles.json')).refresh !== refresh,
      'the timer to refresh the profile',
      10_000,
    );
    assert.equal(server.requests(), 1);
    assert.equal(storedProfile(path.join(d.stateDir, 'agents', 'main', 'agent', 'auth-profiles.json')).refresh, server.issued[1]);
    assertNoSecrets([refresh, ...server.issued], { log: d.log() });
  });

  it(
    'token.expiring reaches an events.subscribe connection when a token the gateway cannot refresh enters the window ' + '(not for one it refreshes itself)',
    async () => {
      // 30 minutes left, a 1 h window: expiring, not yet due for refresh. openai has no OAuth
      // endpoints here, so nobody but the person can renew its token; anthropic's is refreshed by us.
      const server = await startFakeTokenServer();
      const stateDir = path.join(tempDir(), 'state');
      const store = path.join(stateDir, 'agents', 'main', 'agent', 'auth-profiles.json');
      mkdirSync(path.dirname(store), { recursive: true, mode: 0o700 });
      writeFileSync(
        path.join(stateDir, 'opensoul.json'),
        JSON.stringify({ auth: { expiringWindowHours: 1 }, models: { providers: { anthropic: { oauth: { tokenUrl: server.url, clientId: 'c' } } } } }),
      );
      const d = await startDaemon({ stateDir, env: { OPENSOUL_OAUTH_CHECK_MS: '200' } });
      const events: EventNotification[] = [];
      const sub = await connect({ socketPath: d.socketPath, tokenPath: d.paths.token, onNotification: (event) => events.push(event) });
      try {
        await sub.call(methods.eventsSubscribe, { events: ['token.expiring'] });
        const expires = Date.now() + 30 * 60_000;
        writeFileSync(
          store,
          JSON.stringify({
            version: 1,
            profiles: {
              [PROFILE]: { type: 'oauth', provider: 'anthropic', access: fakeSecret('sk-ant-oat01-', 80), refresh: fakeSecret('sk-ant-ort01-', 80), expires },
              'openai:sub': { type: 'oauth', provider: 'openai', access: fakeSecret('oat-', 60), refresh: fakeSecret('ort-', 60), expires },
            },
          }),
          { mode: 0o600 },
        );
        await waitFor(() => events.find((e) => e.event === 'token.expiring'), 'token.expiring', 10_000);
        await new Promise((r) => setTimeout(r, 600));
        const mine = events.filter((e) => e.event === 'token.expiring');
        assert.equal(mine.length, 1, 'once per token, and only for the one nobody refreshes');
        assert.deepEqual(mine[0]?.data, { agent: 'main', profileId: 'openai:sub', provider: 'openai', expiresAt: expires });
        assert.equal(server.requests(), 0, 'not refreshed: 30 minutes are left');
        const status = await d.call(methods.modelsStatus, {});
        const byId = new Map(status.providers.flatMap((p) => p.profiles).map((p) => [p.id, p.status]));
        assert.equal(byId.get(PROFILE), 'ok', 'a token the gateway refreshes itself is not "expiring"');
        assert.equal(byId.get('openai:sub'), 'expiring');
      } finally {
        sub.close();
      }
    },
  );
});
