/**
 * The socket server's limits against peers that hold memory or slots (STYLE test layer d), on a
 * real Unix socket with the real SocketServer, its limits shortened through its constructor.
 * The handlers are stand-ins: what is under test is the connection handling, not any method.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { closeSync, constants as fsConstants, openSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { OpenSoulError } from '../../../ipc/errors.js';
import type { EventName } from '../../../ipc/protocol.js';
import { SocketServer } from '../../../daemon/server/socket-server.js';
import type { ConnectionLimits, Handlers, ServerLogger } from '../../../daemon/server/socket-server.js';
import { onCleanup, tempDir, waitFor } from '../../support/harness.js';
import { rawClient } from '../../support/raw-client.js';
import type { RawClient } from '../../support/raw-client.js';

const TOKEN = 'a'.repeat(64);
type Msg = { id?: unknown; result?: unknown; error?: { code: number; data?: { code?: string } } };
const req = (id: unknown, method: string, params?: unknown) =>
  `${JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) })}\n`;

interface Fixture {
  server: SocketServer;
  socketPath: string;
  logs: string[];
  calls: { status: number };
  authed(): Promise<RawClient>;
}

async function serve(limits: Partial<ConnectionLimits> = {}): Promise<Fixture> {
  const socketPath = path.join(tempDir(), 'gw.sock');
  const logs: string[] = [];
  const log: ServerLogger = {
    info: (m) => logs.push(m),
    warn: (m) => logs.push(m),
    error: (m) => logs.push(m),
    debug: (m) => logs.push(m),
  };
  const calls = { status: 0 };
  const impl: Partial<Record<string, (params: never, ctx: never) => unknown>> = {
    hello: () => ({ protocolVersion: 1, daemonVersion: 'test', pid: process.pid, stateDir: '/nowhere' }),
    gatewayStatus: () => {
      calls.status++;
      return { pid: process.pid, pad: 'x'.repeat(200) };
    },
    eventsSubscribe: (params: { events?: EventName[] }, ctx: { connection: { subscriptions: Set<EventName> } }) => {
      for (const e of params.events ?? ['profile.cooldown']) ctx.connection.subscriptions.add(e);
      return { subscribed: [...ctx.connection.subscriptions] };
    },
    // As the proxy does for an `exec --proxy` run: the connection keeps something alive by staying open.
    proxyKeyHold: (params: { id: string }, ctx: { connection: { leases: number } }) => {
      ctx.connection.leases++;
      return { id: params.id, held: true };
    },
  };
  const handlers = new Proxy(
    {},
    {
      get: (_t, key: string) =>
        impl[key] ??
        (() => {
          throw new OpenSoulError('NOT_IMPLEMENTED', { method: key });
        }),
    },
  ) as Handlers;
  const server = new SocketServer({ socketPath, token: () => TOKEN, handlers, log, limits });
  await server.listen();
  onCleanup(() => server.close());
  const authed = async () => {
    const c = await rawClient(socketPath);
    onCleanup(() => c.close());
    const hello = (await c.hello(TOKEN)) as Msg;
    assert.equal((hello.result as { pid: number }).pid, process.pid);
    return c;
  };
  return { server, socketPath, logs, calls, authed };
}

const closed = (c: RawClient, ms: number) => Promise.race([c.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe('socket server limits (real socket, in-process server)', function () {
  it('drops a subscriber that stops reading once its unread events pass the limit, logging it once', async () => {
    const f = await serve();
    const sub = await f.authed();
    sub.send(req(1, 'events.subscribe', { events: ['profile.cooldown'] }));
    await sub.next();
    sub.socket.pause(); // stops reading: what the daemon sends now piles up on its side
    const event = {
      event: 'profile.cooldown' as const,
      at: Date.now(),
      data: { agent: 'main', profileId: 'anthropic:default', until: 1, reason: 'rate_limit' },
    };
    // ~150 bytes each: 100,000 events are ~15 MB, past the 4 MiB default.
    for (let i = 0; i < 100_000; i++) f.server.broadcast(event);
    await waitFor(() => f.server.connectionCount === 0, 'the subscriber to be dropped');
    assert.equal(f.logs.filter((l) => l.includes('stopped reading what the gateway pushes')).length, 1);
    sub.socket.resume();
    assert.equal(await closed(sub, 5000), true, 'it sees the end once it reads again');
    const fresh = await f.authed();
    fresh.send(req(2, 'gateway.status'));
    assert.equal(((await fresh.next()) as Msg).id, 2);
  });

  it('replies have backpressure: a client that pipelines and does not read stops being served until it reads', async () => {
    const f = await serve();
    const c = await f.authed();
    c.socket.pause();
    const n = 20_000;
    c.send(Array.from({ length: n }, (_, i) => req(i, 'gateway.status')).join(''));
    // Served until its unread answers fill the socket buffers and our 256 KiB, then nothing.
    let last = -1;
    await waitFor(async () => {
      await new Promise((r) => setTimeout(r, 200));
      const stable = f.calls.status === last;
      last = f.calls.status;
      return stable && last > 0;
    }, 'the server to stop answering a client that does not read');
    assert.ok(f.calls.status < n, `stopped after ${f.calls.status} of ${n}`);
    assert.ok(f.server.bufferedByteCount <= 4 * 1024 * 1024 + 64 * 1024, `queued request bytes bounded (${f.server.bufferedByteCount})`);
    c.socket.resume();
    const ids = new Set<unknown>();
    for (let i = 0; i < n; i++) ids.add(((await c.next()) as Msg).id);
    assert.equal(ids.size, n, 'once it reads, every request is answered');
  });

  it('closes an authenticated connection that stays idle, but not a subscriber, nor one that holds a lease (an exec --proxy key)', async () => {
    const f = await serve({ idleTimeoutMs: 300 });
    const idle = await f.authed();
    const sub = await f.authed();
    sub.send(req(1, 'events.subscribe', {}));
    await sub.next();
    const holder = await f.authed();
    holder.send(req(2, 'proxy.key.hold', { id: 'pk-0123456789ab' }));
    assert.deepEqual(((await holder.next()) as Msg).result, { id: 'pk-0123456789ab', held: true });
    assert.equal(await closed(idle, 3000), true, 'the idle connection is closed');
    assert.equal(await closed(sub, 500), false, 'a subscriber waits for events by design');
    assert.equal(await closed(holder, 100), false, 'a holder keeps its lease alive by staying open');
  });

  it('refuses an unfinished line after the partial-frame timeout, also when it trickles in byte by byte', async () => {
    const f = await serve({ partialFrameTimeoutMs: 400 });
    const half = await f.authed();
    half.send('{"jsonrpc":"2.0","id":1,"method":"gateway.st');
    const m = (await half.next(3000)) as Msg;
    assert.equal(m.error?.data?.code, 'INVALID_REQUEST');
    assert.equal(await closed(half, 3000), true);

    const trickle = await f.authed();
    const timer = setInterval(() => trickle.socket.writable && trickle.send(' '), 50);
    onCleanup(() => clearInterval(timer));
    trickle.send('{"jsonrpc":"2.0",');
    assert.equal(await closed(trickle, 3000), true, 'a byte every 50 ms does not keep a line alive');
    clearInterval(timer);
    await waitFor(() => f.server.bufferedByteCount === 0, 'nothing buffered for the closed peers');
  });

  it('when every slot is taken, closes the longest-idle connection (one that never said hello first) to admit a new client', async () => {
    const f = await serve({ maxConnections: 6 });
    const authed: RawClient[] = [];
    for (let i = 0; i < 4; i++) authed.push(await f.authed());
    const anon = [await rawClient(f.socketPath), await rawClient(f.socketPath)];
    for (const a of anon) onCleanup(() => a.close());
    await waitFor(() => f.server.connectionCount === 6, 'six connections');
    const fresh = await f.authed();
    fresh.send(req(9, 'gateway.status'));
    assert.equal(((await fresh.next()) as Msg).id, 9, 'the newcomer is served');
    assert.equal(await closed(anon[0]!, 2000), true, 'the oldest connection without hello made room');
    const second = await f.authed();
    assert.ok(second);
    assert.equal(await closed(anon[1]!, 2000), true);
    const third = await f.authed();
    assert.ok(third);
    assert.equal(await closed(authed[0]!, 2000), true, 'then the longest-idle authenticated one');
    assert.equal(f.server.connectionCount, 6);
  });

  it('when every slot is taken, a connection that holds a lease is closed only after every other idle one', async () => {
    const f = await serve({ maxConnections: 3 });
    const holder = await f.authed();
    holder.send(req(1, 'proxy.key.hold', { id: 'pk-0123456789ab' }));
    await holder.next();
    const others = [await f.authed(), await f.authed()];
    const fresh = await f.authed();
    assert.ok(fresh);
    assert.equal(await closed(others[0]!, 2000), true, 'the idle one without a lease made room, though the holder is older');
    assert.equal(await closed(holder, 100), false);
  });

  it('bounds the request bytes buffered across connections: the stalest unfinished line goes first', async () => {
    const f = await serve({ maxBufferedBytes: 1024 * 1024 });
    const peers: RawClient[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await f.authed();
      c.send(`{"jsonrpc":"2.0","id":1,"method":"gateway.status","params":{"pad":"${'x'.repeat(400 * 1024)}`);
      peers.push(c);
      await waitFor(
        () => f.server.bufferedByteCount >= (i + 1) * 400 * 1024 || f.logs.some((l) => l.includes('too many request bytes')),
        'the bytes to arrive',
      );
    }
    const m = (await peers[0]!.next(3000)) as Msg;
    assert.equal(m.error?.data?.code, 'REQUEST_TOO_LARGE');
    assert.equal(await closed(peers[0]!, 3000), true, 'the oldest unfinished line was refused');
    assert.ok(f.server.bufferedByteCount <= 1024 * 1024, `within the total (${f.server.bufferedByteCount})`);
    const fresh = await f.authed();
    fresh.send(req(2, 'gateway.status'));
    assert.equal(((await fresh.next()) as Msg).id, 2);
  });

  it('keeps its books straight when peers vanish mid-line', async () => {
    const f = await serve();
    for (let i = 0; i < 20; i++) {
      const c = await f.authed();
      c.send('{"jsonrpc":"2.0","id":1,"meth');
      await waitFor(() => f.server.bufferedByteCount > 0, 'the partial line');
      c.close();
      await c.closed;
    }
    await waitFor(() => f.server.bufferedByteCount === 0, 'nothing buffered after they left');
    const s = net.connect(f.socketPath);
    await new Promise((r) => s.once('connect', r));
    s.destroy();
  });
});

describe('socket server listen (real socket, in-process server)', function () {
  const quietHandlers = new Proxy({}, { get: () => () => ({}) }) as Handlers;
  const collect = (logs: string[]): ServerLogger => ({
    info: (m) => logs.push(m),
    warn: (m) => logs.push(m),
    error: (m) => logs.push(m),
    debug: (m) => logs.push(m),
  });

  it('starts when its socket file is removed between the bind and its own checks, and does not claim the path', async () => {
    const socketPath = path.join(tempDir(), 'gw.sock');
    const logs: string[] = [];
    const server = new SocketServer({ socketPath, token: () => TOKEN, handlers: quietHandlers, log: collect(logs) });
    onCleanup(() => server.close({ keepPath: true }));
    // 'listening' listeners run in the bind's tick, before listen() goes on to stat the file:
    // the same order as a client that says hello and removes the file before those steps run.
    (server as unknown as { server: net.Server }).server.once('listening', () => unlinkSync(socketPath));
    await server.listen();
    assert.equal(await server.ownsSocketFile(), false, 'the path is not ours: the periodic check will listen again');
    assert.ok(
      logs.some((l) => l.includes('removed or replaced just after listening')),
      logs.join('\n'),
    );
  });

  it("does not take a file put in its socket's place before its checks as its own", async () => {
    const socketPath = path.join(tempDir(), 'gw.sock');
    const logs: string[] = [];
    const server = new SocketServer({ socketPath, token: () => TOKEN, handlers: quietHandlers, log: collect(logs) });
    onCleanup(() => server.close({ keepPath: true }));
    (server as unknown as { server: net.Server }).server.once('listening', () => {
      unlinkSync(socketPath);
      writeFileSync(socketPath, 'not a socket');
    });
    await server.listen();
    assert.equal(await server.ownsSocketFile(), false);
    assert.equal(readFileSync(socketPath, 'utf8'), 'not a socket', 'left as it was');
    assert.equal((statSync(socketPath).mode & 0o777).toString(8), (0o666 & ~process.umask()).toString(8), 'its mode untouched');
  });

  it("answers no one before the socket is 0600 and its own: a hello sent in the bind's tick waits for those steps", async () => {
    const dir = tempDir();
    const socketPath = path.join(dir, 'gw.sock');
    // Every I/O thread held by an open() of a FIFO that no one writes yet: listen()'s stat and
    // chmod wait behind them, while a client connects and says hello (the event loop needs no thread).
    const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    const fifos = Array.from({ length: threads }, (_, i) => path.join(dir, `hold-${i}`));
    for (const f of fifos) execFileSync('mkfifo', [f]);
    const held = fifos.map((f) => open(f, 'r'));
    const release = () => {
      for (const f of fifos) closeSync(openSync(f, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK));
    };
    const order: string[] = [];
    let modeWhenAnswered = '';
    let answeredNow = (): void => undefined;
    const answered = new Promise<void>((resolve) => (answeredNow = resolve));
    const hello = () => ({ protocolVersion: 1, daemonVersion: 'test', pid: process.pid, stateDir: '/nowhere' });
    const server = new SocketServer({ socketPath, token: () => TOKEN, handlers: new Proxy({}, { get: () => hello }) as Handlers, log: collect([]) });
    onCleanup(() => server.close());
    (server as unknown as { server: net.Server }).server.once('listening', () => {
      void rawClient(socketPath).then(async (c) => {
        onCleanup(() => c.close());
        await c.hello(TOKEN);
        modeWhenAnswered = (statSync(socketPath).mode & 0o777).toString(8);
        order.push('answered');
        answeredNow();
      });
    });
    const listening = server.listen().then(() => order.push('listen done'));
    // The threads go once the hello is answered (answering first) or after a while (holding it, as it must).
    await Promise.race([answered, new Promise((r) => setTimeout(r, 500))]);
    release();
    await Promise.all([listening, answered, ...held.map((h) => h.then((fh) => fh.close()))]);
    assert.deepEqual(order, ['listen done', 'answered']);
    assert.equal(modeWhenAnswered, '600');
  });

  it('owns the socket it bound when nothing interferes, and makes it 0600', async () => {
    const socketPath = path.join(tempDir(), 'gw.sock');
    const server = new SocketServer({ socketPath, token: () => TOKEN, handlers: quietHandlers, log: collect([]) });
    onCleanup(() => server.close());
    await server.listen();
    assert.equal(await server.ownsSocketFile(), true);
    assert.equal((statSync(socketPath).mode & 0o777).toString(8), '600');
  });
});
