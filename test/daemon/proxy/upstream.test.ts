/**
 * daemon/proxy/upstream: how long a pooled connection may idle (pure, and as the real agent applies
 * it), and which failed requests are replayed on a new connection, against a real server on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import fc from 'fast-check';
import { spawn } from 'node:child_process';
import net from 'node:net';
import {
  FREE_SOCKET_IDLE_MS,
  UpstreamConnectTimeoutError,
  createAgents,
  freeSocketIdleMs,
  loadHttpLibs,
  readHead,
  sendUpstream,
} from '../../../daemon/proxy/upstream.js';
import { classifyNetworkError } from '../../../daemon/providers/classify.js';
import { track } from '../../support/harness.js';
import type { UpstreamAgents } from '../../../daemon/proxy/upstream.js';

interface Server {
  url: URL;
  connections: number;
  requests: number;
  close: () => Promise<void>;
}

/** A server that answers `handle` for the n-th request (1-based) it receives. */
async function startServer(handle: (n: number, req: http.IncomingMessage, res: http.ServerResponse) => void, keepAliveTimeout = 5000): Promise<Server> {
  const sockets = new Set<Socket>();
  const s = { connections: 0, requests: 0 };
  const server = http.createServer((req, res) => {
    req.resume();
    req.once('end', () => handle(++s.requests, req, res));
  });
  server.keepAliveTimeout = keepAliveTimeout;
  server.on('connection', (socket: Socket) => {
    s.connections++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/messages`);
  return Object.assign(s, {
    url,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

const ok = (res: http.ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');

/** One exchange read to its end: the status and body. */
async function exchange(agents: UpstreamAgents, url: URL, abortWhen?: Promise<void>) {
  const x = sendUpstream(agents, { url, method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from('{"a":1}'), timeoutMs: 10_000 });
  void abortWhen?.then(x.abort);
  const res = await x.response;
  const { head } = await readHead(res, 1 << 16);
  return { status: res.statusCode, body: head.toString('utf8') };
}

function freeSockets(agents: UpstreamAgents): Socket[] {
  return Object.values(agents.http.freeSockets).flatMap((list) => list ?? []);
}

describe('daemon/proxy/upstream', () => {
  let agents: UpstreamAgents;
  const servers: Server[] = [];
  beforeEach(async () => {
    agents = createAgents(await loadHttpLibs());
  });
  afterEach(async () => {
    agents.http.destroy();
    agents.https.destroy();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  const serve = async (...args: Parameters<typeof startServer>) => {
    const s = await startServer(...args);
    servers.push(s);
    return s;
  };

  describe('freeSocketIdleMs', () => {
    it('closes idle connections before a 5 s keep-alive timeout, or a second before a shorter announced one', () => {
      assert.equal(freeSocketIdleMs(undefined), FREE_SOCKET_IDLE_MS);
      assert.ok(FREE_SOCKET_IDLE_MS < 5000);
      assert.equal(freeSocketIdleMs('timeout=5'), 4000);
      assert.equal(freeSocketIdleMs('timeout=3, max=1000'), 2000);
      assert.equal(freeSocketIdleMs('timeout=600'), FREE_SOCKET_IDLE_MS);
      assert.equal(freeSocketIdleMs('max=100'), FREE_SOCKET_IDLE_MS);
      assert.equal(freeSocketIdleMs('timeout=1'), 0, 'too short to reuse');
      assert.equal(freeSocketIdleMs('timeout=0'), 0);
    });

    it('is never negative nor past FREE_SOCKET_IDLE_MS, whatever the header says', () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string(),
            fc.nat().map((n) => `timeout=${n}`),
          ),
          (h) => {
            const ms = freeSocketIdleMs(h);
            return Number.isInteger(ms) && ms >= 0 && ms <= FREE_SOCKET_IDLE_MS;
          },
        ),
      );
    });
  });

  describe('the agent', () => {
    const pooledAfterOne = async (keepAliveTimeout: number) => {
      const s = await serve((_n, _req, res) => ok(res), keepAliveTimeout);
      const freed = once(agents.http, 'free');
      assert.equal((await exchange(agents, s.url)).status, 200);
      await freed;
      // The agent's own 'free' listener (registered first) has pooled or destroyed the socket.
      return freeSockets(agents);
    };

    it('pools a socket with an idle timeout of FREE_SOCKET_IDLE_MS when the server announces none', async () => {
      const free = await pooledAfterOne(0);
      assert.equal(free.length, 1);
      assert.equal(free[0]?.timeout, FREE_SOCKET_IDLE_MS);
    });

    it('takes a shorter Keep-Alive timeout from the server, less a second, and does not pool when it is a second or less', async () => {
      const free = await pooledAfterOne(3000);
      assert.equal(free[0]?.timeout, 2000);
      agents.http.destroy();
      agents = createAgents(await loadHttpLibs());
      assert.equal((await pooledAfterOne(1000)).length, 0);
    });
  });

  describe('replaying a request', () => {
    it('a request on a pooled connection the server closed goes again on a new one, once', async () => {
      const s = await serve((n, req, res) => (n === 2 ? req.socket.resetAndDestroy() : ok(res)));
      assert.equal((await exchange(agents, s.url)).status, 200);
      assert.deepEqual(await exchange(agents, s.url), { status: 200, body: '{"ok":true}' });
      assert.deepEqual({ connections: s.connections, requests: s.requests }, { connections: 2, requests: 3 });
    });

    it('not when part of an answer came back before the connection closed: the server took the request', async () => {
      const s = await serve((n, req, res) => (n === 2 ? req.socket.end('HTTP/1.1 200 OK\r\ncontent-') : ok(res)));
      assert.equal((await exchange(agents, s.url)).status, 200);
      await assert.rejects(exchange(agents, s.url), /socket hang up/);
      assert.deepEqual({ connections: s.connections, requests: s.requests }, { connections: 1, requests: 2 });
    });

    it('not a request on a new connection', async () => {
      const s = await serve((_n, req) => req.socket.resetAndDestroy());
      await assert.rejects(exchange(agents, s.url), { code: 'ECONNRESET' });
      assert.deepEqual({ connections: s.connections, requests: s.requests }, { connections: 1, requests: 1 });
    });

    it('not a request we aborted (the client went away) on a pooled connection', async () => {
      let arrived!: () => void;
      const second = new Promise<void>((resolve) => (arrived = resolve));
      // The second request is never answered: only our abort ends it; a replay would wait forever.
      const s = await serve((n, _req, res) => (n === 2 ? arrived() : ok(res)));
      assert.equal((await exchange(agents, s.url)).status, 200);
      await assert.rejects(exchange(agents, s.url, second));
      assert.deepEqual({ connections: s.connections, requests: s.requests }, { connections: 1, requests: 2 });
    });
  });

  describe('the connect deadline', () => {
    /**
     * A port where a connect never completes: a listener in a process whose thread blocks, so it
     * never accepts. Connections fill its accept queue (backlog 1: two), then the kernel drops
     * every later SYN and the client retries, as for a provider whose address drops packets.
     */
    async function unansweredPort(): Promise<{ port: number; fillers: Socket[] }> {
      const script =
        "const s = require('node:net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {" +
        " process.stdout.write(s.address().port + '\\n'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); });";
      const child = track(spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] }));
      const [line] = (await once(child.stdout!, 'data')) as [Buffer];
      const port = Number(line.toString().trim());
      const fillers: Socket[] = [];
      for (let full = false; !full && fillers.length < 20;) {
        const f = net.connect(port, '127.0.0.1').on('error', () => undefined);
        fillers.push(f);
        full = !(await Promise.race([once(f, 'connect').then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 300))]));
      }
      return { port, fillers };
    }

    it("ends a connect that never completes after the deadline, as a timeout (not the credential's failure)", async () => {
      const { port, fillers } = await unansweredPort();
      try {
        const started = Date.now();
        const x = sendUpstream(agents, {
          url: new URL(`http://127.0.0.1:${port}/v1/messages`),
          method: 'POST',
          headers: {},
          body: Buffer.from('{}'),
          timeoutMs: 60_000,
          connectTimeoutMs: 300,
        });
        const err = await x.response.then(
          () => assert.fail('a response came'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof UpstreamConnectTimeoutError, String(err));
        assert.equal(classifyNetworkError(err), 'timeout');
        // Bounded by the deadline, not by the request's 60 s nor the kernel's SYN retries.
        assert.ok(Date.now() - started < 20_000);
      } finally {
        for (const f of fillers) f.destroy();
      }
    });

    it("leaves a connection that was made alone: a slow answer is the request timeout's", async () => {
      const s = await serve((_n, _req, res) => setTimeout(() => ok(res), 600));
      const x = sendUpstream(agents, { url: s.url, method: 'POST', headers: {}, body: Buffer.from('{}'), timeoutMs: 10_000, connectTimeoutMs: 200 });
      const res = await x.response;
      assert.equal(res.statusCode, 200);
      res.resume();
    });
  });
});
