/**
 * Protocol fuzzing against a real daemon over its socket (SPEC §5, §14: bad input gets a clear
 * error, the daemon stays up): random bytes, random JSON, every method of the protocol table with
 * random params, batches, notifications, deep nesting, partial frames over many connections.
 * After every generated case a sentinel request on the same connection proves everything before
 * it was handled; after every property a fresh, well-formed client must get correct answers, the
 * daemon must still be running, and its RSS must stay within a bound.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { methods } from '../../ipc/protocol.js';
import { startDaemon, tempDir } from '../support/harness.js';
import type { Daemon } from '../support/harness.js';
import { budgetMs, count, procStats, report, sleep } from '../support/hardening.js';
import type { ProcStats } from '../support/hardening.js';
import { readToken } from '../support/raw-client.js';
import { SENTINEL_ID, assertWellFormed, authedPeer, hasId, requestLine, wirePeer } from '../support/wire-probe.js';
import type { WirePeer } from '../support/wire-probe.js';

/**
 * How much the daemon's RSS may grow across a property. Generous (V8 grows its heap in steps,
 * and the machine is shared), yet far below what the unbounded cases cost: 250 partial 1 MiB
 * frames held ~390 MB, 200k unread events ~42 MB of backlog per subscriber.
 */
const RSS_GROWTH_BOUND_KIB = 128 * 1024;

/** Every method except shutdown, which would end the run on purpose. */
const METHOD_NAMES = Object.values(methods)
  .map((m) => m.name)
  .filter((n) => n !== methods.gatewayShutdown.name);

/** The names of every param the protocol knows, so random params reach past "unknown key" into the validators and handlers. */
const PARAM_KEYS = [
  'agent',
  'provider',
  'profileId',
  'credential',
  'replace',
  'order',
  'key',
  'value',
  'from',
  'dryRun',
  'force',
  'session',
  'line',
  'message',
  'fix',
  'clientEnvNames',
  'events',
  'outcome',
  'model',
  'probe',
  'reason',
  'token',
  'clientVersion',
  'type',
  'access',
  'refresh',
  'expires',
  'email',
  'accountId',
  'keyRef',
  'tokenRef',
  'source',
  'id',
];
/** Strings a handler might treat specially: prototype names, path tricks, ids of the right shape. */
const SPECIAL_STRINGS = [
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'prototype',
  'main',
  'anthropic',
  'openai',
  'anthropic:default',
  'openai:fuzz',
  'constructor:__proto__',
  '__proto__:x',
  '../../etc/passwd',
  '/dev/zero',
  '',
  ' ',
  '\u0000',
  '\n',
  'ANTHROPIC_API_KEY',
  'OPENAI_API_KEY',
  'rate_limit',
  'billing',
  'credential_scope',
  'ok',
  'api_key',
  'token',
  'oauth',
  'env',
  'file',
  'exec',
  '/model',
  '/model list',
  '/model status',
  '/model openai/gpt-4o@openai:fuzz',
  '/model 1',
  'state.reloaded',
  'profile.cooldown',
  'sk-ant-api03-' + 'x'.repeat(90),
  'sk-' + 'y'.repeat(48),
];

const scalar = fc.oneof(fc.constantFrom(...SPECIAL_STRINGS), fc.string({ maxLength: 40 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...PARAM_KEYS, '__proto__', 'constructor'), fc.string({ maxLength: 8 })), tie('v'), { maxKeys: 4 }),
  ),
})).v;
const params = fc.oneof(fc.constant(undefined), fc.dictionary(fc.constantFrom(...PARAM_KEYS, '__proto__', 'constructor'), value, { maxKeys: 5 }), value);

type Call = { kind: 'request' | 'notification'; method: string; params: unknown };
const call: fc.Arbitrary<Call> = fc
  .record({
    kind: fc.constantFrom('request', 'request', 'request', 'notification'),
    method: fc.oneof(fc.constantFrom(...METHOD_NAMES), fc.constantFrom('no.such', 'constructor', '__proto__', 'gateway.hello', 'rpc.discover')),
    params,
  })
  .filter((c) => {
    // A hello with a well-shaped wrong token closes the connection by design (covered by the hostile-peer tests).
    const p = c.params as { token?: unknown } | undefined;
    return !(c.method === methods.hello.name && typeof p === 'object' && p !== null && typeof p.token === 'string');
  });

describe('protocol fuzzing (real daemon over its socket)', function () {
  this.timeout(budgetMs(60_000, 900_000));
  let d: Daemon;
  let token: string;
  let seedKey: string;
  let before: ProcStats;
  let started: number;

  beforeEach(async () => {
    const stateDir = path.join(tempDir(), 'state');
    // Providers point at a closed local port: a fuzzed env.set + chat.send must not reach the internet.
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const closed = 'http://127.0.0.1:9';
    writeFileSync(
      path.join(stateDir, 'opensoul.json'),
      JSON.stringify({ models: { providers: { anthropic: { baseUrl: closed }, openai: { baseUrl: closed }, openrouter: { baseUrl: closed } } } }),
      { mode: 0o600 },
    );
    d = await startDaemon({ stateDir });
    token = readToken(d.paths.token);
    seedKey = `sk-ant-api03-SEED${'q'.repeat(80)}`;
    await d.call(methods.authUpsert, { profileId: 'anthropic:seed-hardening', credential: { type: 'api_key', key: seedKey } });
    before = procStats(d.proc.pid!);
    started = Date.now();
  });

  /** A fresh, well-formed client gets correct answers; the daemon is alive and within its memory bound. */
  async function stillCorrect(what: string): Promise<void> {
    assert.equal(d.proc.exitCode, null, `${what}: the daemon is still running`);
    assert.equal(d.proc.signalCode, null, `${what}: the daemon is still running`);
    const s = await d.call(methods.gatewayStatus, {});
    assert.equal(s.pid, d.proc.pid, `${what}: gateway.status answers with the daemon's pid`);
    const list = await d.call(methods.authList, { provider: 'anthropic' });
    const seed = list.profiles.find((p) => p.id === 'anthropic:seed-hardening');
    assert.ok(seed, `${what}: auth.list still lists the seeded profile`);
    assert.equal(seed.type, 'api_key');
    const resolved = await d.call(methods.authResolve, { provider: 'anthropic' });
    assert.ok(resolved.secret.length > 0, `${what}: auth.resolve answers`);
    const grown = procStats(d.proc.pid!).rssKiB - before.rssKiB;
    assert.ok(grown < RSS_GROWTH_BOUND_KIB, `${what}: RSS grew by ${Math.round(grown / 1024)} MiB (bound ${RSS_GROWTH_BOUND_KIB / 1024} MiB)`);
  }

  let cases = 0;
  /** Between cases too (every 10th): a fresh client is answered correctly while the fuzzing goes on. */
  async function betweenRuns(what: string): Promise<void> {
    if (++cases % 10 === 0) await stillCorrect(`${what}, case ${cases}`);
  }

  /** A row of the soak's table for this property (reached only when everything held: nothing was lost). */
  function row(what: string, times: number): void {
    report({ what, times, before, after: procStats(d.proc.pid!), lost: 0, seconds: (Date.now() - started) / 1000 });
  }

  /** Sends `payload` then, on a line of its own, the sentinel; checks every reply up to the sentinel's. */
  async function probe(peer: WirePeer, payload: string | Uint8Array, what: string): Promise<unknown[]> {
    await peer.write(payload);
    await peer.write(`\n${requestLine(SENTINEL_ID, 'gateway.status')}`);
    await peer.waitForId(SENTINEL_ID);
    const replies = peer.received.splice(0);
    for (const r of replies) assertWellFormed(r, what);
    return replies.filter((r) => !hasId(r, SENTINEL_ID));
  }

  it('random bytes, before and after hello: every reply well-formed, the connection and the daemon keep serving', async () => {
    const runs = count('FUZZ_RUNS', 60, 3000);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 512 }), fc.boolean(), async (bytes, authenticated) => {
        const peer = authenticated ? await authedPeer(d.socketPath, token) : await wirePeer(d.socketPath);
        try {
          await probe(peer, bytes, 'random bytes');
        } finally {
          peer.close();
        }
        await betweenRuns('random bytes');
      }),
      { numRuns: runs },
    );
    await stillCorrect('after random bytes');
    row('fuzz: random bytes on fresh connections (before/after hello)', runs);
  });

  it('random JSON values as lines: every reply well-formed, never INTERNAL', async () => {
    const runs = count('FUZZ_RUNS', 60, 3000);
    const peer = await authedPeer(d.socketPath, token);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.jsonValue({ maxDepth: 4 }), { minLength: 1, maxLength: 8 }), async (values) => {
        await probe(peer, values.map((v) => JSON.stringify(v)).join('\n'), 'random JSON');
        await betweenRuns('random JSON');
      }),
      { numRuns: runs },
    );
    peer.close();
    await stillCorrect('after random JSON');
    row('fuzz: random JSON lines (up to 8 per case)', runs);
  });

  it('every method with random params, as requests, notifications and batches: one reply per request id, none for notifications, never INTERNAL', async () => {
    const runs = count('FUZZ_RUNS', 60, 3000);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 6 }), fc.boolean(), async (calls, asBatch) => {
        const peer = await authedPeer(d.socketPath, token);
        try {
          const ids: string[] = [];
          const frames = calls.map((c) => {
            const msg: Record<string, unknown> = { jsonrpc: '2.0', method: c.method };
            if (c.params !== undefined) msg.params = c.params;
            if (c.kind === 'request') {
              const id = `r${n++}`;
              msg.id = id;
              ids.push(id);
            }
            return msg;
          });
          const payload = asBatch ? `${JSON.stringify(frames)}\n` : frames.map((f) => `${JSON.stringify(f)}\n`).join('');
          const replies = await probe(peer, payload, `calls ${calls.map((c) => c.method).join(',')}`);
          const responses = replies
            .flatMap((r) => (Array.isArray(r) ? (r as unknown[]) : [r]))
            .filter((r) => typeof (r as { method?: unknown }).method !== 'string');
          const got = responses.map((r) => (r as { id: unknown }).id).sort();
          assert.deepEqual(got, [...ids].sort(), 'one reply per request id, none for notifications');
          if (asBatch) {
            const batches = replies.filter((r) => Array.isArray(r));
            assert.equal(batches.length, ids.length > 0 ? 1 : 0, 'a batch is answered with one array (none when all are notifications)');
          }
        } finally {
          peer.close();
        }
        await betweenRuns('random calls');
      }),
      { numRuns: runs },
    );
    await stillCorrect('after random calls');
    row('fuzz: every method, random params, requests/notifications/batches', runs);
  });

  it('deep nesting (arrays, objects, params, batches, unclosed) up to the 1 MiB line: a clear error, the daemon stays up', async () => {
    const depths = [1_000, 10_000, 100_000, 250_000];
    const peer = await authedPeer(d.socketPath, token);
    for (const depth of depths) {
      const nestedObject = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      const cases: [string, string][] = [
        ['nested arrays', `${'['.repeat(depth)}${']'.repeat(depth)}`],
        ['unclosed arrays', '['.repeat(depth)],
        ['nested params', `{"jsonrpc":"2.0","id":"deep-p","method":"gateway.status","params":${nestedObject}}`],
        ['nested param value', `{"jsonrpc":"2.0","id":"deep-v","method":"env.set","params":{"key":"K","value":${nestedObject}}}`],
        ['nested credential', `{"jsonrpc":"2.0","id":"deep-c","method":"auth.upsert","params":{"profileId":"openai:deep","credential":${nestedObject}}}`],
        ['nested id', `{"jsonrpc":"2.0","id":${nestedObject},"method":"gateway.status"}`],
        ['nested batch', `${'['.repeat(depth)}{"jsonrpc":"2.0","id":"deep-b","method":"gateway.status"}${']'.repeat(depth)}`],
      ];
      for (const [what, line] of cases) {
        if (Buffer.byteLength(line) > 1024 * 1024 - 1) continue;
        const replies = await probe(peer, `${line}\n`, `${what} at depth ${depth}`);
        assert.equal(replies.length, 1, `${what} at depth ${depth}: exactly one reply`);
        const r = replies[0] as { error?: { code: number } } | { error?: { code: number } }[];
        const err = Array.isArray(r) ? r[0]?.error : r.error;
        assert.ok(err, `${what} at depth ${depth}: refused with an error`);
      }
    }
    peer.close();
    await stillCorrect('after deep nesting');
    row('fuzz: deep nesting up to 250,000 levels', depths.length * 7);
  });

  it('partial frames over many connections while others work: every complete request is answered, the daemon keeps serving', async () => {
    const connections = count('PARTIAL_CONNECTIONS', 40, 200);
    const peers: WirePeer[] = [];
    for (let i = 0; i < connections; i++) {
      const p = i % 2 === 0 ? await authedPeer(d.socketPath, token) : await wirePeer(d.socketPath);
      peers.push(p);
      // A frame cut anywhere: inside a string, after a key, mid-UTF-8 sequence.
      const whole = Buffer.from(requestLine(`partial-${i}`, 'auth.list', { agent: 'main', provider: 'anthropic' }).replace('}', ',"x":"é😀"}'));
      await p.write(whole.subarray(0, 1 + ((i * 7) % (whole.length - 2))));
    }
    const worker = await authedPeer(d.socketPath, token);
    await probe(worker, Array.from({ length: 50 }, (_, i) => requestLine(`w${i}`, 'models.status')).join(''), 'work beside partial frames');
    await stillCorrect('with partial frames open');
    // Completing each frame later still gets its answer (before hello: -32001, after: the list).
    for (const [i, p] of peers.entries()) {
      const whole = Buffer.from(requestLine(`partial-${i}`, 'auth.list', { agent: 'main', provider: 'anthropic' }).replace('}', ',"x":"é😀"}'));
      await p.write(whole.subarray(1 + ((i * 7) % (whole.length - 2))));
      const reply = await p.waitForId(`partial-${i}`);
      assertWellFormed(reply, `completed partial frame ${i}`);
    }
    for (const p of peers) p.close();
    worker.close();
    await stillCorrect('after partial frames');
    row('fuzz: partial frames held open over many connections', connections);
  });

  // The cases below are the resource limits of the socket: they hold only once connections,
  // buffered bytes and subscriber queues are bounded.

  it('300 idle connections, authenticated or not, holding half frames or nothing, do not lock a fresh client out', async () => {
    const peers: WirePeer[] = [];
    for (let i = 0; i < 300; i++) {
      const p = i % 3 === 0 ? await wirePeer(d.socketPath) : await authedPeer(d.socketPath, token).catch(() => wirePeer(d.socketPath));
      if (i % 2 === 0) await p.write('{"jsonrpc":"2.0","id":1,"method":"gateway.st');
      peers.push(p);
    }
    try {
      await stillCorrect('with 300 idle connections open');
      const r = await d.cli(['models', 'status', '--json']);
      assert.equal(r.code, 0, `the CLI reaches the daemon (3 would mean it was locked out): ${r.stderr}`);
      assert.equal((JSON.parse(r.stdout) as { agent: string }).agent, 'main');
    } finally {
      for (const p of peers) p.close();
    }
    await stillCorrect('after 300 idle connections');
  });

  it('250 connections each holding an unfinished 1 MiB line: the daemon does not hold them all in memory', async () => {
    const connections = count('BIG_PARTIALS', 250, 250);
    const head = '{"jsonrpc":"2.0","id":1,"method":"gateway.status","params":{"pad":"';
    // Just under the 1 MiB line limit, so that each line is legal and simply never finished.
    const chunk = Buffer.alloc(1024 * 1024 - head.length - 16, 0x61);
    const peers: WirePeer[] = [];
    try {
      for (let i = 0; i < connections; i++) {
        const p = await authedPeer(d.socketPath, token).catch(() => null);
        if (!p) continue; // refused at the door is a bounded answer too
        peers.push(p);
        await p.write(head);
        await p.write(chunk);
      }
      await sleep(200);
      await stillCorrect(`with ${connections} unfinished 1 MiB lines`);
    } finally {
      for (const p of peers) p.close();
    }
  });

  it('a subscriber that stops reading while events pour out is dropped before its backlog grows past 4 MiB', async () => {
    // Long agent and profile ids make each profile.cooldown event ~350 bytes; batches of reports
    // run concurrently in the daemon (a pipelined stream of single reports is ~40 times slower).
    const events = count('SUBSCRIBER_EVENTS', 16_000, 60_000);
    const boundBytes = 4 * 1024 * 1024;
    const agent = `a${'g'.repeat(63)}`;
    const profileId = `openai:${'p'.repeat(128)}`;
    await d.call(methods.authUpsert, { agent, profileId, credential: { type: 'api_key', key: `sk-${'n'.repeat(48)}` } });
    const sub = await authedPeer(d.socketPath, token);
    await sub.write(requestLine('sub', 'events.subscribe', { events: ['profile.cooldown'] }));
    await sub.waitForId('sub');
    sub.socket.pause();
    const producer = await authedPeer(d.socketPath, token);
    const batch = 500;
    for (let sent = 0; sent < events && !sub.socket.destroyed; sent += batch) {
      const reports = Array.from({ length: batch }, (_, i) => ({
        jsonrpc: '2.0',
        id: `c${sent + i}`,
        method: 'auth.report',
        params: { agent, profileId, outcome: 'rate_limit', model: `m${(sent + i) % 7}` },
      }));
      await producer.write(`${JSON.stringify(reports)}\n`);
      await producer.waitForId(`c${sent + batch - 1}`, 60_000);
      producer.received.length = 0;
    }
    producer.close();
    // Read what the daemon kept for the stalled subscriber: at most the bound (plus the kernel's socket buffers), then a close.
    sub.socket.resume();
    const closedByDaemon = await Promise.race([sub.closed.then(() => true), sleep(3000).then(() => false)]);
    const received = sub.bytesIn;
    sub.close();
    assert.ok(closedByDaemon || received < boundBytes, `the stalled subscriber received ${Math.round(received / 1024)} KiB of backlog and was not dropped`);
    await stillCorrect('after a stalled subscriber');
  });
});
