/**
 * The local credential proxy end to end: a real daemon with `proxy.port: 0`, fake providers on
 * 127.0.0.1 that record which key each request carried, and the official SDKs as clients. The
 * proxy must hand the provider the resolved credential (never the tool's proxy key), stream
 * untouched, fail over on a 429, refuse what it must before any provider is contacted, follow a
 * key rotated in .env, stop upstream work when the client leaves, and leak neither sockets nor
 * secrets.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { OpenSoulError } from '../../ipc/errors.js';
import { methods } from '../../ipc/protocol.js';
import { count, procStats } from '../support/hardening.js';
import { CLI, assertNoSecrets, cleanEnv, fakeSecret, freePort, onCleanup, run, startDaemon, tempDir, waitFor } from '../support/harness.js';
import type { Daemon } from '../support/harness.js';
import { startFakeProvider } from '../support/fake-provider.js';
import type { FakeProvider } from '../support/fake-provider.js';
import { startIdleClosingProvider } from '../support/idle-closing-provider.js';
import { streamed } from '../support/proxy-stream.js';
import type { ModelsStatusResult } from '../../ipc/protocol.js';

interface Setup {
  daemon: Daemon;
  anthropic: FakeProvider;
  openai: FakeProvider;
  url: string;
  port: number;
  key: string;
  a: string;
  b: string;
  o: string;
  stateDir: string;
}

function writeConfig(stateDir: string, value: Record<string, unknown>): void {
  writeFileSync(path.join(stateDir, 'opensoul.json'), JSON.stringify(value), { mode: 0o600 });
}

function baseConfig(s: { anthropic: { url: string }; openai: { url: string } }, proxy: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    agents: { defaults: { model: 'anthropic/claude-sonnet-4-5' } },
    models: { providers: { anthropic: { baseUrl: s.anthropic.url }, openai: { baseUrl: s.openai.url } } },
    proxy: { enabled: true, port: 0, ...proxy },
  };
}

async function proxyStatus(d: Daemon) {
  const st = await d.call(methods.gatewayStatus, {});
  return st.proxy;
}

async function setup(opts: { proxy?: Record<string, unknown>; env?: Record<string, string>; profiles?: boolean; anthropicUrl?: string } = {}): Promise<Setup> {
  const anthropic = await startFakeProvider('anthropic');
  const openai = await startFakeProvider('openai');
  const stateDir = path.join(tempDir(), 'state');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeConfig(stateDir, baseConfig({ anthropic: { url: opts.anthropicUrl ?? anthropic.url }, openai }, opts.proxy));
  const daemon = await startDaemon({ stateDir, ...(opts.env ? { env: opts.env } : {}) });
  const a = fakeSecret('sk-ant-api03-');
  const b = fakeSecret('sk-ant-api03-');
  const o = fakeSecret('sk-proj-');
  if (opts.profiles !== false) {
    await daemon.call(methods.authUpsert, { profileId: 'anthropic:a', credential: { type: 'api_key', key: a } });
    await daemon.call(methods.authUpsert, { profileId: 'anthropic:b', credential: { type: 'api_key', key: b } });
    await daemon.call(methods.authOrderSet, { provider: 'anthropic', order: ['anthropic:a', 'anthropic:b'] });
    await daemon.call(methods.authUpsert, { profileId: 'openai:a', credential: { type: 'api_key', key: o } });
  }
  const p = await proxyStatus(daemon);
  assert.ok(p?.url, `the proxy listens (${p?.error ?? 'no error'})`);
  const created = await daemon.call(methods.proxyKeyCreate, {});
  return { daemon, anthropic, openai, url: p.url, port: Number(new URL(p.url).port), key: created.key, a, b, o, stateDir };
}

const anthropicClient = (s: Setup, key = s.key) => new Anthropic({ apiKey: key, baseURL: `${s.url}/anthropic`, maxRetries: 0 });
const openaiClient = (s: Setup, key = s.key) => new OpenAI({ apiKey: key, baseURL: `${s.url}/openai/v1`, maxRetries: 0 });

async function ask(s: Setup, key = s.key) {
  const msg = await anthropicClient(s, key).messages.create({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
  return msg.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
}

/** A raw request to the proxy, for what no SDK sends (a foreign Host, an Origin, no key). */
function raw(
  port: number,
  opts: { path?: string; headers?: Record<string, string>; body?: string; method?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: opts.path ?? '/anthropic/v1/messages',
        method: opts.method ?? 'POST',
        headers: { 'content-type': 'application/json', ...opts.headers },
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body ?? JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }));
  });
}

function leakCheck(s: Setup, texts: Record<string, string> = {}): void {
  assertNoSecrets([s.a, s.b, s.o, s.key], { ...texts, log: s.daemon.log(), stderr: s.daemon.stderr() });
}

describe('the local credential proxy', function () {
  this.timeout(60_000);

  it('the Anthropic SDK, streaming and not, reaches the provider with the resolved key, never the proxy key', async () => {
    const s = await setup();
    s.anthropic.answer('*', { kind: 'ok', chunks: ['Hel', 'lo ', 'there'] });
    assert.equal(await ask(s), 'Hello there');
    const stream = anthropicClient(s).messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
    const deltas: string[] = [];
    stream.on('text', (t) => deltas.push(t));
    const final = await stream.finalMessage();
    assert.deepEqual(deltas, ['Hel', 'lo ', 'there']);
    assert.equal(final.stop_reason, 'end_turn');
    assert.equal(s.anthropic.received.length, 2);
    for (const r of s.anthropic.received) {
      assert.equal(r.path, '/v1/messages');
      assert.equal(r.authHeader, 'x-api-key');
      assert.equal(r.key, s.a);
      assert.ok(!JSON.stringify(r.headers).includes(s.key), 'the proxy key never reaches the provider');
      assert.equal(r.headers['x-opensoul-session'], undefined);
      assert.ok(r.headers['anthropic-version'], "the SDK's own headers pass through");
    }
    assert.equal(s.anthropic.received[1]?.stream, true);
    leakCheck(s);
  });

  it('the OpenAI SDK, streaming and not, reaches the provider with a bearer of the resolved key', async () => {
    const s = await setup();
    s.openai.answer('*', { kind: 'ok', chunks: ['a', 'b', 'c'] });
    const client = openaiClient(s);
    const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(r.choices[0]?.message.content, 'abc');
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, 'abc');
    assert.equal(s.openai.received.length, 2);
    for (const rec of s.openai.received) {
      assert.equal(rec.path, '/v1/chat/completions');
      assert.equal(rec.authHeader, 'bearer');
      assert.equal(rec.key, s.o);
    }
    leakCheck(s);
  });

  it('a 429 on profile A: the SDK call still succeeds, answered with B, and A cools down in models.status', async () => {
    const s = await setup();
    s.anthropic.answer(s.a, {
      kind: 'status',
      status: 429,
      headers: { 'retry-after': '120' },
      body: { type: 'error', error: { type: 'rate_limit_error', message: 'Number of requests has exceeded your rate limit' } },
    });
    s.anthropic.answer(s.b, { kind: 'ok', text: 'from B' });
    assert.equal(await ask(s), 'from B');
    assert.deepEqual(
      s.anthropic.received.map((r) => r.key),
      [s.a, s.b],
    );
    const status = await s.daemon.call(methods.modelsStatus, {});
    const a = status.providers.flatMap((p) => p.profiles).find((p) => p.id === 'anthropic:a');
    assert.ok(a?.cooldownUntil, 'A is cooling down');
    // Retry-After: 120 s sets the cooldown's length.
    assert.ok(a.cooldownUntil - Date.now() > 100_000);
    // B answered: it becomes the provider's last good profile (the usage owner heard of it).
    await waitFor(
      async () => (await s.daemon.call(methods.modelsStatus, {})).providers.flatMap((p) => p.profiles).find((p) => p.id === 'anthropic:b')?.lastGood,
      'B to be lastGood',
    );
    // The next request goes straight to B.
    assert.equal(await ask(s), 'from B');
    assert.equal(s.anthropic.received.at(-1)?.key, s.b);
    leakCheck(s);
  });

  it("a session's pin never fails over: its 429 goes back to the tool", async () => {
    const s = await setup();
    await s.daemon.call(methods.sessionCommand, { session: 'pinned', line: '/model anthropic/claude-sonnet-4-5@anthropic:a' });
    s.anthropic.answer(s.a, { kind: 'status', status: 429, body: { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } } });
    const r = await raw(s.port, {
      headers: { host: `127.0.0.1:${s.port}`, 'x-api-key': s.key, 'x-opensoul-session': 'pinned', 'anthropic-version': '2023-06-01' },
    });
    assert.equal(r.status, 429);
    assert.match(r.body, /slow down/);
    assert.deepEqual(
      s.anthropic.received.map((x) => x.key),
      [s.a],
    );
  });

  it('refuses no key, a wrong key, a revoked key, an expired key, an out-of-scope key, an Origin and a foreign Host; no provider is contacted', async () => {
    const s = await setup();
    const host = `127.0.0.1:${s.port}`;
    const revoked = await s.daemon.call(methods.proxyKeyCreate, { label: 'to revoke' });
    await s.daemon.call(methods.proxyKeyRevoke, { id: revoked.id });
    const expiring = await s.daemon.call(methods.proxyKeyCreate, { expiresInMs: 1000 });
    const openaiOnly = await s.daemon.call(methods.proxyKeyCreate, { providers: ['openai'] });
    await new Promise((r) => setTimeout(r, 1100));
    const cases: [string, Record<string, string>, number][] = [
      ['no key', { host }, 401],
      ['a wrong key', { host, 'x-api-key': `osk-${'x'.repeat(43)}` }, 401],
      ['a provider key', { host, 'x-api-key': s.a }, 401],
      ['a revoked key', { host, 'x-api-key': revoked.key }, 401],
      ['an expired key', { host, authorization: `Bearer ${expiring.key}` }, 401],
      ['a key for other providers', { host, 'x-api-key': openaiOnly.key }, 401],
      ['an Origin header', { host, 'x-api-key': s.key, origin: 'https://evil.example' }, 403],
      ['a foreign Host', { host: `evil.example:${s.port}`, 'x-api-key': s.key }, 403],
      ['a Host on another port', { host: `127.0.0.1:${s.port + 1}`, 'x-api-key': s.key }, 403],
    ];
    for (const [what, headers, status] of cases) {
      const r = await raw(s.port, { headers });
      assert.equal(r.status, status, what);
      const body = JSON.parse(r.body) as { type: string; error: { type: string; message: string } };
      assert.equal(body.type, 'error', `${what}: Anthropic's error shape`);
      assert.match(body.error.message, /^OpenSoul proxy: /);
    }
    // The SDK sees a typed authentication error.
    await assert.rejects(ask(s, revoked.key), (err: unknown) => err instanceof Anthropic.AuthenticationError);
    // OpenAI's shape on its routes.
    const o = await raw(s.port, { path: '/openai/v1/chat/completions', headers: { host } });
    assert.equal(o.status, 401);
    assert.ok((JSON.parse(o.body) as { error: { message: string } }).error.message);
    assert.equal(s.anthropic.received.length, 0);
    assert.equal(s.openai.received.length, 0);
    const list = await s.daemon.call(methods.proxyKeyList, {});
    assert.ok(!list.keys.some((k) => k.id === revoked.id));
    assert.ok(list.keys.find((k) => k.id === expiring.id)?.expired);
    assert.ok(!JSON.stringify(list).includes('osk-'), 'the list carries no key');
    leakCheck(s);
  });

  it('refuses a body past proxy.maxBodyBytes with 413 and an unknown provider route with 404', async () => {
    const s = await setup({ proxy: { maxBodyBytes: 1024 } });
    const host = `127.0.0.1:${s.port}`;
    const big = await raw(s.port, { headers: { host, 'x-api-key': s.key }, body: JSON.stringify({ model: 'm', pad: 'x'.repeat(4096) }) });
    assert.equal(big.status, 413);
    const unknown = await raw(s.port, { path: '/nosuchprovider/v1/x', headers: { host, 'x-api-key': s.key } });
    assert.equal(unknown.status, 404);
    const escape = await raw(s.port, { path: '/anthropic/v1/../../x', headers: { host, 'x-api-key': s.key } });
    assert.equal(escape.status, 400);
    assert.equal(s.anthropic.received.length, 0);
  });

  it('a key edited in .env is used by the next proxied request', async () => {
    const s = await setup({ profiles: false });
    const k1 = fakeSecret('sk-proj-');
    const k2 = fakeSecret('sk-proj-');
    await s.daemon.call(methods.envSet, { key: 'OPENAI_API_KEY', value: k1 });
    const client = openaiClient(s);
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    // Edited by hand, as a person would: the watcher picks it up.
    writeFileSync(path.join(s.stateDir, '.env'), `OPENAI_API_KEY=${k2}\n`, { mode: 0o600 });
    await waitFor(async () => {
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
      return s.openai.received.at(-1)?.key === k2;
    }, 'the rotated key to be used');
    assert.equal(s.openai.received[0]?.key, k1);
    assertNoSecrets([k1, k2, s.key], { log: s.daemon.log(), stderr: s.daemon.stderr() });
  });

  it('a client that disconnects mid-stream aborts the upstream request', async () => {
    const s = await setup();
    s.anthropic.answer('*', { kind: 'ok', chunks: Array.from({ length: 50 }, (_, i) => `c${i} `), chunkDelayMs: 100 });
    await new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: s.port,
          path: '/anthropic/v1/messages',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': s.key },
          agent: false,
        },
        (res) => {
          assert.equal(res.statusCode, 200);
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        },
      );
      req.on('error', () => undefined);
      req.once('error', reject);
      req.end(JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi' }] }));
    });
    await waitFor(() => s.anthropic.aborted === 1, 'the upstream request to be aborted', 5000);
    await waitFor(async () => (await proxyStatus(s.daemon))?.active === 0, 'no request in progress');
  });

  it('leaks no socket over many streamed requests (fds of the daemon before and after)', async function () {
    const n = count('PROXY_STREAMS', 1000, 10_000);
    this.timeout(Math.max(60_000, n * 60));
    const s = await setup();
    s.anthropic.answer('*', { kind: 'ok', chunks: ['one ', 'two ', 'three'] });
    let agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const one = () =>
      new Promise<void>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: s.port,
            path: '/anthropic/v1/messages',
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': s.key },
            agent,
          },
          (res) => {
            res.resume();
            res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const batch = async (total: number) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next++ < total) await one();
        }),
      );
    };
    await batch(16);
    agent.destroy();
    const pid = s.daemon.proc.pid as number;
    await waitFor(async () => (await proxyStatus(s.daemon))?.active === 0, 'warm-up to end');
    const before = procStats(pid).fds;
    agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    await batch(n);
    agent.destroy();
    // The client's sockets close; the upstream pool keeps at most its idle sockets.
    const after = await waitFor(
      () => {
        const fds = procStats(pid).fds;
        return fds <= before + 8 ? fds : false;
      },
      `the daemon's fds to come back near ${before}`,
      10_000,
      100,
    );
    assert.ok(after <= before + 8, `fds ${before} → ${after}`);
    const p = await proxyStatus(s.daemon);
    assert.ok((p?.requests ?? 0) >= n + 16);
    assert.equal(s.anthropic.received.length, n + 16);
  });

  it('follows config reloads: disabled → gone, enabled again → a new listener; a non-loopback host is refused naming proxy.host', async () => {
    const s = await setup();
    writeConfig(s.stateDir, { ...baseConfig(s), proxy: { enabled: false } });
    await waitFor(async () => (await proxyStatus(s.daemon)) === null, 'the proxy to stop');
    await waitFor(
      () =>
        raw(s.port, { headers: { host: `127.0.0.1:${s.port}` } }).then(
          () => false,
          () => true,
        ),
      'the old port to refuse connections',
    );
    writeConfig(s.stateDir, baseConfig(s));
    const url = await waitFor(async () => (await proxyStatus(s.daemon))?.url, 'the proxy to listen again');
    const again = { ...s, url, port: Number(new URL(url).port) };
    assert.equal(await ask(again), 'Hello from the fake provider.');
    writeConfig(s.stateDir, baseConfig(s, { host: '0.0.0.0' }));
    const problem = await waitFor(async () => (await proxyStatus(s.daemon))?.error, 'the refused host to show');
    assert.match(problem, /proxy\.host "0\.0\.0\.0" is refused/);
    assert.equal((await proxyStatus(s.daemon))?.url, url, 'the loopback listener stays');
    const human = await s.daemon.cli(['gateway', 'status']);
    assert.match(human.stdout, /Proxy\s+listening on http:\/\/127\.0\.0\.1:/);
    assert.match(human.stdout, /proxy\.host "0\.0\.0\.0" is refused/);
  });

  it('a non-loopback proxy.host stops the start with exit 78 and names the setting', async () => {
    const stateDir = path.join(tempDir(), 'state');
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    writeConfig(stateDir, { proxy: { enabled: true, port: 0, host: '0.0.0.0' } });
    const r = await run(process.execPath, [CLI, 'gateway'], { env: cleanEnv({ HOME: path.dirname(stateDir), OPENSOUL_STATE_DIR: stateDir }) });
    assert.equal(r.code, 78);
    assert.match(r.stderr, /cannot start: proxy\.host "0\.0\.0\.0" is refused: the proxy listens on loopback only/);
  });

  it('the CLI: proxy key create prints the key once, list and status show no secret, revoke works; proxy.env gives working variables', async () => {
    const s = await setup({ env: { OPENSOUL_LOG_LEVEL: 'debug' } });
    const created = await s.daemon.cli(['proxy', 'key', 'create', '--provider', 'anthropic', '--expires', '12h', '--label', 'ci']);
    assert.equal(created.code, 0, created.stderr);
    const key = created.stdout.trim();
    assert.match(key, /^osk-[0-9A-Za-z]{43}$/);
    const id = /Proxy key (pk-[0-9a-f]{12})/.exec(created.stderr)?.[1];
    assert.ok(id);
    assert.equal(await ask(s, key), 'Hello from the fake provider.');
    const list = await s.daemon.cli(['proxy', 'key', 'list']);
    assert.match(list.stdout, new RegExp(`${id}\\s+agent main, anthropic, expires in 11h 59m\\s+ci`));
    const json = await s.daemon.cli(['proxy', 'key', 'list', '--json']);
    assert.equal((JSON.parse(json.stdout) as { keys: unknown[] }).keys.length, 2);
    const status = await s.daemon.cli(['proxy', 'status']);
    assert.match(status.stdout, /ANTHROPIC_BASE_URL=http:\/\/127\.0\.0\.1:\d+\/anthropic/);
    const revoked = await s.daemon.cli(['proxy', 'key', 'revoke', id]);
    assert.equal(revoked.code, 0);
    await assert.rejects(ask(s, key), (err: unknown) => err instanceof Anthropic.AuthenticationError);
    const unknown = await s.daemon.cli(['proxy', 'key', 'revoke', id]);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /no proxy key/);

    const env = await s.daemon.call(methods.proxyEnv, {});
    const vars = Object.fromEntries(env.variables.map((v) => [v.name, v.value]));
    assert.equal(vars.ANTHROPIC_BASE_URL, `${s.url}/anthropic`);
    assert.equal(vars.OPENAI_BASE_URL, `${s.url}/openai/v1`);
    assert.equal(vars.ANTHROPIC_API_KEY, vars.OPENAI_API_KEY);
    assert.ok(env.expiresAt !== null && env.expiresAt - Date.now() > 3_500_000, 'a key that is not held expires after an hour');
    const viaEnv = new OpenAI({ apiKey: vars.OPENAI_API_KEY, baseURL: vars.OPENAI_BASE_URL, maxRetries: 0 });
    const r = await viaEnv.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(r.choices[0]?.message.content, 'Hello from the fake provider.');

    // Debug logging shows the headers of each request, with the credentials replaced.
    assert.match(s.daemon.log(), /proxy request/);
    assertNoSecrets([s.a, s.b, s.o, s.key, key, vars.OPENAI_API_KEY as string], {
      log: s.daemon.log(),
      stderr: s.daemon.stderr(),
      list: list.stdout + list.stderr,
      json: json.stdout,
      status: status.stdout + status.stderr,
      revoked: revoked.stdout + revoked.stderr,
      createStderr: created.stderr,
    });
  });

  it('proxy.env refuses when the proxy is not enabled', async () => {
    const d = await startDaemon();
    await assert.rejects(
      d.call(methods.proxyEnv, {}),
      (err: unknown) => err instanceof OpenSoulError && err.kind === 'INVALID_INPUT' && /not enabled/.test(err.message),
    );
    assert.equal((await d.call(methods.gatewayStatus, {})).proxy, null);
  });
});

describe('the local credential proxy: limits and draining', function () {
  this.timeout(60_000);

  it('a port change serves new requests on the new port while a stream in progress finishes on the old one', async () => {
    const s = await setup();
    s.anthropic.answer('*', { kind: 'ok', chunks: Array.from({ length: 20 }, (_, i) => `c${i} `), chunkDelayMs: 50 });
    const inFlight = streamed(s.port, s.key);
    await waitFor(async () => (await proxyStatus(s.daemon))?.active === 1, 'the stream to start');
    const port = await freePort();
    writeConfig(s.stateDir, baseConfig(s, { port }));
    await waitFor(async () => (await proxyStatus(s.daemon))?.url === `http://127.0.0.1:${port}`, 'the new listener');
    const done = await inFlight;
    assert.equal(done.status, 200);
    assert.match(done.text, /c19 /);
    assert.match(done.text, /message_stop/);
    s.anthropic.answer('*', { kind: 'ok', text: 'new port' });
    assert.equal(await ask({ ...s, url: `http://127.0.0.1:${port}` }), 'new port');
    await waitFor(
      () =>
        raw(s.port, { headers: { host: `127.0.0.1:${s.port}` } }).then(
          () => false,
          () => true,
        ),
      'the old port to close once drained',
    );
  });

  it('on shutdown a stream in progress finishes before the daemon exits', async () => {
    const s = await setup();
    s.anthropic.answer('*', { kind: 'ok', chunks: Array.from({ length: 10 }, (_, i) => `c${i} `), chunkDelayMs: 50 });
    const inFlight = streamed(s.port, s.key);
    await waitFor(async () => (await proxyStatus(s.daemon))?.active === 1, 'the stream to start');
    const exited = s.daemon.stop();
    const done = await inFlight;
    assert.match(done.text, /message_stop/);
    assert.equal((await exited).code, 0);
  });

  it('past proxy.maxConcurrent: 503 with Retry-After, nothing sent upstream', async () => {
    const s = await setup({ proxy: { maxConcurrent: 1 } });
    s.anthropic.answer('*', { kind: 'ok', chunks: ['a', 'b', 'c', 'd'], chunkDelayMs: 200 });
    const inFlight = streamed(s.port, s.key);
    await waitFor(async () => (await proxyStatus(s.daemon))?.active === 1, 'the stream to start');
    const refused = await new Promise<{ status: number; retryAfter: string | undefined }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: s.port,
          path: '/anthropic/v1/messages',
          method: 'POST',
          headers: { 'x-api-key': s.key, 'content-type': 'application/json' },
          agent: false,
        },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] });
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
    assert.deepEqual(refused, { status: 503, retryAfter: '1' });
    await inFlight;
    assert.equal(s.anthropic.received.length, 1);
  });

  it('an upstream that never answers ends with 504 within proxy.upstreamTimeoutMs (+1 s)', async () => {
    const s = await setup({ proxy: { upstreamTimeoutMs: 500 } });
    s.anthropic.answer('*', { kind: 'hang' });
    const t0 = Date.now();
    const r = await raw(s.port, { headers: { host: `127.0.0.1:${s.port}`, 'x-api-key': s.key } });
    assert.equal(r.status, 504);
    assert.ok(Date.now() - t0 < 1500);
    // A timeout is not the credential's fault: no failover, no cooldown.
    assert.equal(s.anthropic.received.length, 1);
  });

  it("a token (setup-token/OAuth) profile goes as a bearer with the OAuth beta flag joined to the tool's own", async () => {
    const s = await setup({ profiles: false });
    const token = fakeSecret('sk-ant-oat01-', 90);
    await s.daemon.call(methods.authUpsert, { profileId: 'anthropic:tok', credential: { type: 'token', token } });
    const client = new Anthropic({ apiKey: s.key, baseURL: `${s.url}/anthropic`, maxRetries: 0, defaultHeaders: { 'anthropic-beta': 'tools-2024-04-04' } });
    await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] });
    const got = s.anthropic.received[0];
    assert.equal(got?.authHeader, 'bearer');
    assert.equal(got?.key, token);
    assert.equal(got?.headers['x-api-key'], undefined);
    assert.equal(got?.headers['anthropic-beta'], 'tools-2024-04-04,oauth-2025-04-20');
    assertNoSecrets([token, s.key], { log: s.daemon.log(), stderr: s.daemon.stderr() });
  });

  it(
    'exec --proxy: the child reaches the provider through the proxy with a key of its own; ' +
      'no provider secret is in its environment; the key is revoked when it ends',
    async () => {
      const s = await setup();
      // The child: asks Anthropic through ANTHROPIC_BASE_URL with ANTHROPIC_API_KEY, and reports what it holds (never a value).
      const child = [
        'const k = process.env.ANTHROPIC_API_KEY ?? "";',
        'const r = await fetch(process.env.ANTHROPIC_BASE_URL + "/v1/messages", { method: "POST", ' +
          'headers: { "x-api-key": k, "anthropic-version": "2023-06-01", "content-type": "application/json" }, ' +
          'body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }) });',
        'console.log(JSON.stringify({ status: r.status, keyKind: k.slice(0, 4), openaiBase: process.env.OPENAI_BASE_URL ?? null }));',
      ].join(' ');
      const r = await s.daemon.cli(['exec', '--proxy', '--', process.execPath, '--input-type=module', '-e', child]);
      assert.equal(r.code, 0, r.stderr);
      const got = JSON.parse(r.stdout) as { status: number; keyKind: string; openaiBase: string | null };
      assert.equal(got.status, 200);
      assert.equal(got.keyKind, 'osk-', 'the child holds a proxy key');
      assert.equal(got.openaiBase, `${s.url}/openai/v1`);
      assert.equal(s.anthropic.received.at(-1)?.key, s.a, 'the provider got the real key');
      const keys = await s.daemon.call(methods.proxyKeyList, {});
      assert.ok(!keys.keys.some((k) => k.label === 'exec --proxy'), "the run's key is gone once the child ended");
      const names = await s.daemon.cli(['exec', '--proxy', '--print-names']);
      assert.equal(names.code, 0, names.stderr);
      assert.match(names.stdout, /ANTHROPIC_BASE_URL/);
      assert.match(names.stdout, /^ANTHROPIC_API_KEY {3}a proxy key made for each run$/m, 'aligned, and no id of the key revoked already');
      assertNoSecrets([s.a, s.b, s.o, s.key], { out: r.stdout + r.stderr + names.stdout + names.stderr, log: s.daemon.log() });
    },
  );

  it('an error event inside a 200 stream (an overload mid-reply) reaches the tool untouched and sets the profile aside', async () => {
    const s = await setup();
    s.anthropic.answer(s.a, { kind: 'ok', chunks: ['Hel', 'lo'], errorEvent: { type: 'overloaded_error', message: 'Overloaded' } });
    const stream = anthropicClient(s).messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
    await assert.rejects(stream.finalMessage(), /Overloaded/);
    const a = await waitFor(async () => {
      const status = await s.daemon.call(methods.modelsStatus, {});
      const p = status.providers.flatMap((x) => x.profiles).find((x) => x.id === 'anthropic:a');
      return p?.status === 'cooldown' ? p : null;
    }, 'anthropic:a to cool down after the mid-stream overload');
    assert.match(a.reason ?? '', /overloaded/);
    assertNoSecrets([s.a, s.b, s.key], { log: s.daemon.log(), stderr: s.daemon.stderr() });
  });
});

describe('the local credential proxy: a pooled connection the provider closed', function () {
  this.timeout(60_000);

  /** `models status --json` through the CLI, and profile anthropic:a in it. */
  async function statusOfA(s: Setup) {
    const r = await s.daemon.cli(['models', 'status', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const a = (JSON.parse(r.stdout) as ModelsStatusResult).providers.flatMap((p) => p.profiles).find((p) => p.id === 'anthropic:a');
    assert.ok(a);
    return { a, out: r.stdout + r.stderr };
  }

  const anthropicHeaders = (s: Setup) => ({ host: `127.0.0.1:${s.port}`, 'x-api-key': s.key, 'anthropic-version': '2023-06-01' });

  for (const how of ['reset', 'end'] as const) {
    const closed = how === 'reset' ? 'RST: ECONNRESET' : 'FIN: socket hang up';
    it(`a request that meets it (${closed}) goes again on a new connection: 200, no outcome, no failover`, async () => {
      const up = await startIdleClosingProvider();
      up.how = how;
      const s = await setup({ anthropicUrl: up.url, env: { OPENSOUL_LOG_LEVEL: 'debug' } });
      assert.equal(await ask(s), 'answer 1');
      // That connection is back in the proxy's pool before the proxy can read our next request
      // (it is freed in the ticks that end the response, before the next poll for I/O), so the
      // next request is written on it, and the provider closes it instead of answering.
      assert.equal(await ask(s), 'answer 2');
      assert.equal(up.closed, 1, 'the reused connection was closed under the request');
      assert.equal(up.connections, 2, 'the replay went on a new connection, once');
      assert.deepEqual(up.answered, [s.a, s.a], 'the same credential both times: the replay is no failover step');
      // The ok outcome lands once its usage write is done: under a busy machine, after the answer.
      const { a, out } = await waitFor(async () => {
        const r = await statusOfA(s);
        return r.a.lastGood ? r : null;
      }, 'the ok outcome to be recorded');
      assert.equal(a.status, 'static', 'an API key that is neither cooling down nor disabled');
      assert.equal(a.cooldownUntil, null);
      assert.equal(a.reason, null);
      assert.equal(a.lastGood, true);
      assert.equal((await s.daemon.stop()).code, 0);
      // Read once the daemon has exited: every line it wrote is in the file.
      const log = s.daemon.log();
      assert.match(log, /"message":"proxy: the provider had closed a pooled connection; sent again on a new one"/);
      assert.doesNotMatch(log, /could not be reached/, 'no network outcome was reported');
      leakCheck(s, { status: out });
    });
  }

  it('a failure on a new connection is not replayed: 502 and a network outcome, as before; a closed pooled one gets one replay only', async () => {
    const up = await startIdleClosingProvider();
    const s = await setup({ anthropicUrl: up.url, env: { OPENSOUL_LOG_LEVEL: 'debug' } });
    // The pool is empty: the first request opens a connection, and its failure is the provider's.
    up.closeEvery = true;
    const first = await raw(s.port, { headers: anthropicHeaders(s) });
    assert.equal(first.status, 502);
    assert.match(first.body, /could not reach anthropic/);
    assert.equal(up.connections, 1, 'not replayed: the connection was new');
    up.closeEvery = false;
    assert.equal(await ask(s), 'answer 1');
    assert.equal(up.connections, 2);
    // Now a pooled connection that is closed, and a new one that fails too.
    up.closeEvery = true;
    const second = await raw(s.port, { headers: anthropicHeaders(s) });
    assert.equal(second.status, 502);
    assert.match(second.body, /could not reach anthropic/);
    assert.equal(up.connections, 3, 'one replay on a new connection, no more');
    assert.equal(up.closed, 3);
    assert.deepEqual(up.answered, [s.a]);
    // A network outcome never cools a profile down (§8.2): the status stays as it was.
    const { a, out } = await statusOfA(s);
    assert.equal(a.status, 'static', 'an API key that is neither cooling down nor disabled');
    assert.equal(a.cooldownUntil, null);
    assert.equal((await s.daemon.stop()).code, 0);
    const log = s.daemon.log();
    const unreachable = log.split('\n').filter((l) => l.includes('proxy: the provider could not be reached'));
    assert.equal(unreachable.length, 2, 'one network outcome per failed request, none for the replayed attempt');
    for (const l of unreachable) assert.match(l, /"outcome":"network"/);
    assert.equal(log.split('sent again on a new one').length - 1, 1);
    leakCheck(s, { status: out, first: first.body, second: second.body });
  });
});

/**
 * Raw bytes to the proxy, for what no HTTP client sends (a body that stalls, a malformed
 * request): everything read back until the proxy closes the connection or `waitMs` passes.
 */
function rawExchange(port: number, bytes: string, waitMs = 3000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => undefined);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, waitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    socket.write(bytes);
  });
}

describe('the local credential proxy: hostile clients and upstreams', function () {
  this.timeout(60_000);

  it('a body that stalls gets 408 within proxy.bodyTimeoutMs and gives its place under maxConcurrent back', async () => {
    const s = await setup({ proxy: { maxConcurrent: 1, bodyTimeoutMs: 500 } });
    const t0 = Date.now();
    // Headers, and one byte of the 100 the body announces; then nothing, for good.
    const stalled = await rawExchange(
      s.port,
      `POST /anthropic/v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nx-api-key: ${s.key}\r\n` +
        'content-type: application/json\r\ncontent-length: 100\r\n\r\n{',
    );
    assert.match(stalled.text, /^HTTP\/1\.1 408 /);
    assert.match(stalled.text, /OpenSoul proxy: the request body did not arrive within 500 ms \(proxy\.bodyTimeoutMs\)/);
    assert.ok(stalled.closed, 'the connection is closed');
    assert.ok(Date.now() - t0 < 2500, `answered after ${Date.now() - t0} ms`);
    assert.equal((await proxyStatus(s.daemon))?.active, 0);
    // The one place is free again: the next call goes through.
    assert.equal(await ask(s), 'Hello from the fake provider.');
    assert.equal(s.anthropic.received.length, 1, 'the stalled request never reached the provider');
  });

  it('connections that send nothing, or headers that never end, are closed with 408 after proxy.bodyTimeoutMs, as reloaded', async () => {
    const s = await setup({ proxy: { bodyTimeoutMs: 120_000 } });
    const reloads = () =>
      s.daemon
        .log()
        .split('\n')
        .filter((l) => l.includes('"reloaded"') && l.includes('opensoul.json')).length;
    const before = reloads();
    // Opened under the old value: the new one applies to it as well.
    const silent = rawExchange(s.port, '', 30_000);
    writeConfig(s.stateDir, baseConfig(s, { bodyTimeoutMs: 300 }));
    await waitFor(() => reloads() > before, 'the reload');
    const partial = rawExchange(s.port, `GET /anthropic/v1/models HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nx-api-key: ${s.key}\r\n`, 30_000);
    for (const r of [await silent, await partial]) {
      assert.ok(r.closed, 'the daemon closed the connection');
      assert.match(r.text, /^HTTP\/1\.1 408 /);
    }
    assert.equal(s.anthropic.received.length, 0);
    assert.equal(await ask(s), 'Hello from the fake provider.');
  });

  it('the proxy key never leaves for the provider, whatever header or query parameter the tool also put it in', async () => {
    const s = await setup();
    const host = `127.0.0.1:${s.port}`;
    // Azure-style api-key, Google's x-goog-api-key and ?key=, or any header of the tool's own making.
    const a = await raw(s.port, {
      path: `/anthropic/v1/messages?key=${s.key}&beta=true`,
      headers: { host, 'x-api-key': s.key, 'anthropic-api-key': s.key, 'x-goog-api-key': s.key, 'x-tool-note': `key ${s.key}` },
    });
    assert.equal(a.status, 200);
    const o = await raw(s.port, {
      path: `/openai/v1/chat/completions?api-key=${encodeURIComponent(s.key)}`,
      headers: { host, authorization: `Bearer ${s.key}`, 'api-key': s.key },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(o.status, 200);
    const [toAnthropic] = s.anthropic.received;
    const [toOpenai] = s.openai.received;
    assert.ok(toAnthropic && toOpenai);
    assert.equal(toAnthropic.path, '/v1/messages?beta=true', 'the other parameters stay as sent');
    assert.equal(toAnthropic.key, s.a);
    assert.equal(toOpenai.path, '/v1/chat/completions');
    assert.equal(toOpenai.key, s.o);
    for (const r of [toAnthropic, toOpenai]) assert.ok(!JSON.stringify(r).includes(s.key), `the proxy key reached the provider: ${JSON.stringify(r.headers)}`);
  });

  it('a provider that echoes the credential in a response header: the tool never sees it, on an error or a 200', async () => {
    // Echoes the key it got in headers (as some gateways and debug endpoints do): 401 on /v1/messages, 200 elsewhere.
    const echo = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const key = String(req.headers['x-api-key']);
        const headers = { 'content-type': 'application/json', 'x-seen-key': key, 'www-authenticate': `Key realm="api", key="${key}"` };
        if (req.url === '/v1/messages') {
          res.writeHead(401, headers);
          res.end(JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: `invalid x-api-key ${key}` } }));
        } else {
          res.writeHead(200, headers);
          res.end('{"data":[]}');
        }
      });
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    onCleanup(() => new Promise<void>((r) => echo.close(() => r())));
    const s = await setup({ anthropicUrl: `http://127.0.0.1:${(echo.address() as AddressInfo).port}` });
    const seen: Record<string, string> = {};
    for (const [what, p] of [
      ['a 401 (both profiles tried)', '/anthropic/v1/messages'],
      ['a 200', '/anthropic/v1/models'],
    ] as const) {
      const r = await new Promise<{ status: number; head: string; body: string }>((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port: s.port, path: p, method: 'POST', headers: { 'x-api-key': s.key, 'content-type': 'application/json' }, agent: false },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, head: JSON.stringify(res.headers), body }));
          },
        );
        req.on('error', reject);
        req.end('{}');
      });
      seen[`${what}: head`] = r.head;
      seen[`${what}: body`] = r.body;
      assert.equal(r.status, what === 'a 200' ? 200 : 401, what);
      assert.match(r.head, /x-seen-key/, `${what}: the header itself passes`);
    }
    leakCheck(s, seen);
  });

  it('a provider that echoes the credential in a body the proxy streams: a 200, an event split mid-key, an error past 64 KiB', async () => {
    const echo = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const key = String(req.headers['x-api-key']);
        if (req.url === '/v1/headers') {
          // A debug endpoint echoing the request, as httpbin's /anything does: Content-Length is set.
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ headers: req.headers }));
        } else if (req.url === '/v1/stream') {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(`data: {"seen":"${key.slice(0, 20)}`);
          setTimeout(() => res.end(`${key.slice(20)}"}\n\n`), 50);
        } else {
          // The key straddles the 64 KiB the proxy reads of an error before it streams the rest.
          res.writeHead(400, { 'content-type': 'text/plain' });
          res.end(`${'x'.repeat(64 * 1024 - 10)}${key} was refused`);
        }
      });
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    onCleanup(() => new Promise<void>((r) => echo.close(() => r())));
    const s = await setup({ anthropicUrl: `http://127.0.0.1:${(echo.address() as AddressInfo).port}` });
    const seen: Record<string, string> = {};
    for (const p of ['/anthropic/v1/headers', '/anthropic/v1/stream', '/anthropic/v1/large-error']) {
      const r = await raw(s.port, { path: p, headers: { host: `127.0.0.1:${s.port}`, 'x-api-key': s.key } });
      seen[p] = r.body;
      assert.equal(r.status, p.endsWith('error') ? 400 : 200, p);
    }
    assert.match(seen['/anthropic/v1/headers'] ?? '', /"x-api-key":"\*+"/);
    assert.match(seen['/anthropic/v1/stream'] ?? '', /^data: \{"seen":"\*+"\}\n\n$/);
    assert.match(seen['/anthropic/v1/large-error'] ?? '', /x\*+ was refused$/);
    leakCheck(s, seen);
  });

  it('asks the provider for an identity body: an error it would compress otherwise stays readable, for the tool and the classifier', async () => {
    // RFC 9110: a request without Accept-Encoding accepts any coding; this provider takes it at its word.
    const encodings: (string | undefined)[] = [];
    const gz = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        encodings.push(req.headers['accept-encoding']);
        const body = JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'Your credit balance is too low to access the API.' } });
        if (req.headers['accept-encoding'] === 'identity') {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(body);
        } else {
          res.writeHead(400, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
          res.end(gzipSync(body));
        }
      });
    });
    await new Promise<void>((r) => gz.listen(0, '127.0.0.1', r));
    onCleanup(() => new Promise<void>((r) => gz.close(() => r())));
    const s = await setup({ anthropicUrl: `http://127.0.0.1:${(gz.address() as AddressInfo).port}` });
    // The tool asks for gzip, as the SDKs do: the hop back is local, the proxy needs to read the error.
    const r = await raw(s.port, { headers: { host: `127.0.0.1:${s.port}`, 'x-api-key': s.key, 'accept-encoding': 'gzip, deflate, br' } });
    assert.equal(r.status, 400);
    assert.match(r.body, /credit balance is too low/);
    assert.deepEqual(encodings, ['identity', 'identity'], 'billing fails over once, both asked for identity');
    const status = await s.daemon.call(methods.modelsStatus, {});
    const a = status.providers.flatMap((p) => p.profiles).find((p) => p.id === 'anthropic:a');
    assert.match(a?.reason ?? '', /billing/, 'classified from the readable body (not "format")');
  });

  it('a provider that answers 101 Switching Protocols: the tool gets a 502 and the request gives its place under maxConcurrent back', async () => {
    // Node's client hands a 101 to an 'upgrade' listener, and with none destroys the socket without an error or a response.
    const switching = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\nraw bytes'));
    });
    await new Promise<void>((r) => switching.listen(0, '127.0.0.1', r));
    onCleanup(() => new Promise<void>((r) => switching.close(() => r())));
    const s = await setup({ proxy: { maxConcurrent: 1 }, anthropicUrl: `http://127.0.0.1:${(switching.address() as AddressInfo).port}` });
    const head = `POST /anthropic/v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nx-api-key: ${s.key}\r\ncontent-type: application/json\r\n`;
    const r = await rawExchange(s.port, `${head}content-length: 2\r\n\r\n{}`);
    assert.match(r.text, /^HTTP\/1\.1 502 /);
    assert.doesNotMatch(r.text, /raw bytes/);
    assert.equal((await proxyStatus(s.daemon))?.active, 0);
    // The one place is free: a call to the other provider goes through.
    const o = await openaiClient(s).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(o.choices[0]?.message.content, 'Hello from the fake provider.');
    leakCheck(s, { response: r.text });
  });

  it('a request that does not parse (both Transfer-Encoding and Content-Length, headers past 16 KiB) gets its 4xx, not a bare close', async () => {
    const s = await setup();
    const head = `POST /anthropic/v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nx-api-key: ${s.key}\r\n`;
    const smuggled = await rawExchange(s.port, `${head}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /x HTTP/1.1\r\n\r\n`);
    assert.match(smuggled.text, /^HTTP\/1\.1 400 /);
    assert.ok(smuggled.closed);
    const huge = await rawExchange(s.port, `${head}x-pad: ${'a'.repeat(20_000)}\r\ncontent-length: 2\r\n\r\n{}`);
    assert.match(huge.text, /^HTTP\/1\.1 431 /);
    assert.ok(huge.closed);
    assert.equal(s.anthropic.received.length, 0);
    // The daemon is still serving.
    assert.equal(await ask(s), 'Hello from the fake provider.');
  });
});
