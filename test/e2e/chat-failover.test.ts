/**
 * A chat turn against real fake providers (an HTTP server on 127.0.0.1 the test starts): the
 * credential each call uses, failover on a failover-worthy answer, what each outcome does to
 * the profile (§8.2), pins (§8.3), and that no secret is ever in a reply, an error or the log.
 */
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { OpenSoulError } from '../../ipc/errors.js';
import { methods } from '../../ipc/protocol.js';
import { assertNoSecrets, fakeSecret, startDaemon, tempDir, waitFor } from '../support/harness.js';
import type { Daemon } from '../support/harness.js';
import { startFakeProvider } from '../support/fake-provider.js';
import type { FakeProvider } from '../support/fake-provider.js';

interface Setup {
  daemon: Daemon;
  fake: FakeProvider;
  a: string;
  b: string;
}

async function setup(config: Record<string, unknown> = {}): Promise<Setup> {
  const fake = await startFakeProvider('anthropic');
  const stateDir = path.join(tempDir(), 'state');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeFileSync(
    path.join(stateDir, 'opensoul.json'),
    JSON.stringify({ agents: { defaults: { model: 'anthropic/claude-sonnet-4-5' } }, models: { providers: { anthropic: { baseUrl: fake.url } } }, ...config }),
    { mode: 0o600 },
  );
  const daemon = await startDaemon({ stateDir });
  const a = fakeSecret('sk-ant-api03-');
  const b = fakeSecret('sk-ant-api03-');
  await daemon.call(methods.authUpsert, { profileId: 'anthropic:a', credential: { type: 'api_key', key: a } });
  await daemon.call(methods.authUpsert, { profileId: 'anthropic:b', credential: { type: 'api_key', key: b } });
  // A fixed order makes "A first" certain; round robin is tested on its own in the unit tests.
  await daemon.call(methods.authOrderSet, { provider: 'anthropic', order: ['anthropic:a', 'anthropic:b'] });
  return { daemon, fake, a, b };
}

async function send(d: Daemon, message: string, session = 's1') {
  return d.call(methods.chatSend, { session, message });
}

async function profileState(d: Daemon, id: string) {
  const status = await d.call(methods.modelsStatus, {});
  const p = status.providers.flatMap((x) => x.profiles).find((x) => x.id === id);
  assert.ok(p, `profile ${id} in status`);
  return p;
}

/**
 * The profile once its status is `want`: a failed turn waits for its usage write at most 250 ms
 * (daemon/resolver/usage.ts) before it answers, so on a busy machine the write may land just after.
 */
async function profileStateWhen(d: Daemon, id: string, want: string) {
  return waitFor(async () => {
    const p = await profileState(d, id);
    return p.status === want ? p : false;
  }, `${id} to be ${want}`);
}

function leakCheck(s: Setup, texts: Record<string, string>): void {
  assertNoSecrets([s.a, s.b], { ...texts, log: s.daemon.log(), stderr: s.daemon.stderr() });
}

describe('chat turns: credentials, failover and what each outcome does', function () {
  this.timeout(30_000);

  it('streams a reply through profile A and sends the key the way the Messages API takes it', async () => {
    const s = await setup();
    s.fake.answer('*', { kind: 'ok', chunks: ['Hel', 'lo ', 'there'] });
    const r = await send(s.daemon, 'hi');
    assert.equal(r.reply, 'Hello there');
    assert.equal(r.profileId, 'anthropic:a');
    assert.equal(r.attempts.length, 1);
    const req = s.fake.received[0];
    assert.ok(req);
    assert.equal(req.path, '/v1/messages');
    assert.equal(req.authHeader, 'x-api-key');
    assert.equal(req.key, s.a);
    assert.equal(req.body.model, 'claude-sonnet-4-5');
    leakCheck(s, { reply: JSON.stringify(r) });
  });

  it('a 429 on A moves the call to B at once; after the cooldown A is used again', async () => {
    const s = await setup();
    let limited = true;
    s.fake.answer('*', (req) =>
      req.key === s.a && limited
        ? {
            kind: 'status',
            status: 429,
            headers: { 'retry-after': '1' },
            body: { type: 'error', error: { type: 'rate_limit_error', message: 'Number of requests has exceeded your rate limit' } },
          }
        : { kind: 'ok', text: 'fine' },
    );
    const r = await send(s.daemon, 'hi');
    assert.equal(r.profileId, 'anthropic:b', 'answered by B');
    assert.deepEqual(
      r.attempts.map((x) => [x.profileId, x.outcome]),
      [
        ['anthropic:a', 'rate_limit'],
        ['anthropic:b', 'ok'],
      ],
    );
    await profileStateWhen(s.daemon, 'anthropic:a', 'cooldown');
    // The rate limit was scoped to the session's model, and /model status reads it the same way.
    const view = await s.daemon.call(methods.sessionCommand, { session: 's1', line: '/model status' });
    assert.match(view.reply, /Next call: anthropic:b/);
    assert.match(view.reply, /anthropic:a .*cooldown/);
    // The next call skips A while it cools (Retry-After: 1 s set the length) …
    const r2 = await send(s.daemon, 'again');
    assert.equal(r2.profileId, 'anthropic:b');
    assert.equal(r2.attempts.length, 1);
    // … and uses it again once the cooldown is over.
    limited = false;
    await new Promise((res) => setTimeout(res, 1200));
    const r3 = await send(s.daemon, 'later');
    assert.equal(r3.profileId, 'anthropic:a');
    leakCheck(s, { r: JSON.stringify([r, r2, r3]) });
  });

  it('a timeout does not count against the profile', async () => {
    const s = await setup();
    s.fake.answer('*', (req) => (req.key === s.a ? { kind: 'status', status: 504 } : { kind: 'ok' }));
    await assert.rejects(send(s.daemon, 'hi'), (err: unknown) => err instanceof OpenSoulError && err.kind === 'PROVIDER_FAILED' && /timeout/.test(err.message));
    const p = await profileState(s.daemon, 'anthropic:a');
    assert.equal(p.status, 'static', 'A is not cooling down after a timeout');
    assert.equal(p.cooldownUntil, null);
  });

  it('a 402 disables the profile for hours and the call goes to B', async () => {
    const s = await setup();
    s.fake.answer(s.a, { kind: 'status', status: 402, body: { type: 'error', error: { type: 'billing_error', message: 'Your credit balance is too low' } } });
    const before = Date.now();
    const r = await send(s.daemon, 'hi');
    assert.equal(r.profileId, 'anthropic:b');
    const p = await profileStateWhen(s.daemon, 'anthropic:a', 'disabled');
    assert.ok(p.disabledUntil !== null && p.disabledUntil - before >= 4.9 * 3_600_000, 'disabled for about 5 hours');
  });

  it('the Claude Code text gives credential_scope, disables until replaced, and says to use an API key', async () => {
    const s = await setup();
    const tok = fakeSecret('sk-ant-oat01-', 90);
    await s.daemon.call(methods.authUpsert, { profileId: 'anthropic:sub', credential: { type: 'token', token: tok } });
    await s.daemon.call(methods.authOrderSet, { provider: 'anthropic', order: ['anthropic:sub'] });
    s.fake.answer(tok, {
      kind: 'status',
      status: 400,
      body: {
        type: 'error',
        error: {
          type: 'invalid_request_error',
          message: 'This credential is only authorized for use with Claude Code and cannot be used for other API requests.',
        },
      },
    });
    let message = '';
    await assert.rejects(send(s.daemon, 'hi'), (err: unknown) => {
      message = err instanceof Error ? err.message : '';
      return err instanceof OpenSoulError && err.kind === 'PROVIDER_FAILED';
    });
    assert.match(message, /credential_scope/);
    assert.match(message, /use an Anthropic API key instead/);
    const req = s.fake.received.find((x) => x.key === tok);
    assert.ok(req, 'the token was sent');
    assert.equal(req.authHeader, 'bearer', 'a setup-token goes as a bearer token');
    const p = await profileStateWhen(s.daemon, 'anthropic:sub', 'disabled');
    assert.match(p.reason ?? '', /use an Anthropic API key instead/);
    const doctor = await s.daemon.cli(['doctor', '--json']);
    assert.match(doctor.stdout, /use an Anthropic API key instead/);
    assertNoSecrets([tok, s.a, s.b], { message, doctor: doctor.stdout + doctor.stderr, log: s.daemon.log() });
  });

  it('a user pin never fails over: the failure names the pinned profile', async () => {
    const s = await setup();
    s.fake.answer(s.a, { kind: 'status', status: 429, body: { type: 'error', error: { type: 'rate_limit_error', message: 'rate limited' } } });
    const pin = await s.daemon.call(methods.sessionCommand, { session: 'p', line: '/model anthropic/claude-sonnet-4-5@anthropic:a' });
    assert.equal(pin.session.pin, 'anthropic:a');
    assert.equal(pin.ok, true);
    const refused = await s.daemon.call(methods.sessionCommand, { session: 'p', line: '/model anthropic/claude-sonnet-4-5@openai:nope' });
    assert.equal(refused.ok, false);
    assert.equal(refused.reply, 'Auth profile "openai:nope" not found.');
    assert.equal(refused.session.pin, 'anthropic:a', 'a refused pin changes nothing');
    let message = '';
    await assert.rejects(send(s.daemon, 'hi', 'p'), (err: unknown) => {
      message = err instanceof Error ? err.message : '';
      return err instanceof OpenSoulError && err.kind === 'PROVIDER_FAILED';
    });
    assert.match(message, /anthropic:a/);
    assert.match(message, /pinned/);
    // auth.resolve for the session honours the pin too, even while it cools down.
    const resolved = await s.daemon.call(methods.authResolve, { provider: 'anthropic', session: 'p' });
    assert.equal(resolved.profileId, 'anthropic:a');
    assert.equal(resolved.pinned, true);
    const unpinned = await s.daemon.call(methods.authResolve, { provider: 'anthropic' });
    assert.equal(unpinned.profileId, 'anthropic:b', 'without the session, the cooling A goes to the end');
    assert.equal(s.fake.received.filter((x) => x.key === s.b).length, 0, 'B was never tried');
    leakCheck(s, { message });
  });

  it('pins survive a restart; a pin whose profile is removed is dropped with a note', async () => {
    const s = await setup();
    await s.daemon.call(methods.sessionCommand, { session: 'keep', line: '/model anthropic/claude-sonnet-4-5@anthropic:b' });
    await s.daemon.stop();
    const again = await startDaemon({ stateDir: s.daemon.stateDir });
    const view = await again.call(methods.sessionCommand, { session: 'keep', line: '/model status' });
    assert.equal(view.session.pin, 'anthropic:b');
    s.fake.answer('*', { kind: 'ok', text: 'ok' });
    const r = await again.call(methods.chatSend, { session: 'keep', message: 'hi' });
    assert.equal(r.profileId, 'anthropic:b');
    await again.call(methods.authRemove, { profileId: 'anthropic:b' });
    const after = await again.call(methods.sessionCommand, { session: 'keep', line: '/model status' });
    assert.equal(after.session.pin, null);
    assert.match(after.reply, /anthropic:b/);
  });

  it('chat.cancel aborts the upstream request', async () => {
    const s = await setup();
    s.fake.answer('*', { kind: 'ok', chunks: Array.from({ length: 200 }, () => 'word '), chunkDelayMs: 50 });
    const conn = await s.daemon.connect();
    const turn = conn.call(methods.chatSend, { session: 'c', message: 'long', turnId: 'turn1' });
    await new Promise((res) => setTimeout(res, 400));
    const cancelled = await s.daemon.call(methods.chatCancel, { session: 'c', turnId: 'turn1' });
    assert.equal(cancelled.cancelled, true);
    const r = await turn;
    conn.close();
    assert.equal(r.cancelled, true);
    assert.ok(r.reply.length < 200 * 5);
    const { waitFor } = await import('../support/harness.js');
    await waitFor(() => s.fake.aborted >= 1, 'the fake provider to see its request aborted', 5000);
  });
});
