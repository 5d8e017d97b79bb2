/**
 * daemon/proxy/proxy-listener: the cap on open connections, on a real listener on 127.0.0.1 with
 * raw sockets as clients. A request with `x-key: ok` stands for one whose proxy key was valid;
 * `/hold` keeps its answer open until the test releases it.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { ProxyListener } from '../../../daemon/proxy/proxy-listener.js';
import { onCleanup, waitFor } from '../../support/harness.js';

interface Line {
  msg: string;
  meta: Record<string, unknown> | undefined;
}

interface Setup {
  listener: ProxyListener;
  lines: Line[];
  release: () => void;
  clock: { now: number };
}

async function start(maxConnections: number): Promise<Setup> {
  const held: http.ServerResponse[] = [];
  const lines: Line[] = [];
  const clock = { now: 1_000_000 };
  const listener = new ProxyListener({
    host: '127.0.0.1',
    port: 0,
    handle: (_port, req, res, keyed) => {
      if (req.headers['x-key'] === 'ok') keyed();
      if (req.url === '/hold') held.push(res);
      else res.end('ok');
      return Promise.resolve();
    },
    http,
    headersTimeoutMs: 60_000,
    maxConnections,
    log: { warn: (msg, meta) => lines.push({ msg, meta }) },
    now: () => clock.now,
  });
  await listener.listen();
  onCleanup(() => listener.drain(0));
  return { listener, lines, clock, release: () => held.splice(0).forEach((res) => res.end('ok')) };
}

/** A client connection: `closed` turns true when the listener closes it. */
interface Client {
  socket: net.Socket;
  closed: boolean;
  /** Sends a GET and resolves with the answer's head once the whole (2-byte) answer is in. */
  get: (path: string, keyed: boolean) => Promise<string>;
}

function connect(l: ProxyListener): Promise<Client> {
  return new Promise((resolve) => {
    const socket = net.connect(l.port, '127.0.0.1');
    const client: Client = {
      socket,
      closed: false,
      get: (path, keyed) =>
        new Promise((ok) => {
          let text = '';
          const onData = (d: Buffer) => {
            text += d.toString('latin1');
            if (!text.endsWith('\r\n\r\nok')) return;
            socket.off('data', onData);
            ok(text);
          };
          socket.on('data', onData);
          socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${keyed ? 'x-key: ok\r\n' : ''}\r\n`);
        }),
    };
    onCleanup(() => void socket.destroy());
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve(client));
    socket.once('close', () => {
      client.closed = true;
      resolve(client);
    });
  });
}

async function closes(c: Client, what: string): Promise<void> {
  await waitFor(() => c.closed, what);
}

describe('proxy listener: the connection cap', () => {
  it('closes the oldest connection without a valid key first, then the tool connection idle longest; never a keyed request in progress', async () => {
    const { listener, release } = await start(4);
    const busy = await connect(listener);
    const answer = busy.get('/hold', true);
    await waitFor(() => listener.active === 1, 'the request to be in progress');
    const older = await connect(listener);
    await older.get('/', true);
    const newer = await connect(listener);
    await newer.get('/', true);
    // Used again: now the most recently answered of the two.
    await older.get('/', true);
    const strangerA = await connect(listener);
    assert.equal(listener.connections, 4);

    const strangerB = await connect(listener);
    await closes(strangerA, 'the oldest stranger to go first');
    // A request without a valid key (a 401 in the real proxy) does not make a connection a tool's.
    await strangerB.get('/', false);
    const tool = await connect(listener);
    await closes(strangerB, 'the next stranger to go, though it asked something');
    await tool.get('/', true);
    const late = await connect(listener);
    await closes(newer, "the tool connection answered longest ago to go once there is no stranger's left");
    await late.get('/', true);
    await connect(listener);
    await closes(older, 'then the next one');
    assert.equal(busy.closed, false, 'the request in progress is still open');
    release();
    assert.match(await answer, /^HTTP\/1\.1 200 /);
    assert.equal(listener.connections, 4);
  });

  it('closes the newcomer when every connection has a keyed request in progress', async () => {
    const { listener, lines, release } = await start(2);
    const answers = [await connect(listener), await connect(listener)].map((c) => c.get('/hold', true));
    await waitFor(() => listener.active === 2, 'both requests in progress');
    const newcomer = await connect(listener);
    await closes(newcomer, 'the newcomer to be closed');
    assert.deepEqual(lines[0]?.meta, { limit: 2, withoutKey: 0, idleWithKey: 0, refused: 1 });
    release();
    for (const a of answers) assert.match(await a, /^HTTP\/1\.1 200 /);
    // Answered, they are idle: a newcomer gets in again.
    const next = await connect(listener);
    assert.match(await next.get('/', true), /^HTTP\/1\.1 200 /);
  });

  it('says so in one line per 10 s, with what it did meanwhile', async () => {
    const s = await start(1);
    const first = await connect(s.listener);
    const clients = [first];
    for (let i = 0; i < 4; i++) clients.push(await connect(s.listener));
    await Promise.all(clients.slice(0, 4).map((c, i) => closes(c, `connection ${i} to be closed`)));
    assert.equal(s.lines.length, 1);
    assert.match(s.lines[0]!.msg, /^proxy: too many connections \(proxy\.maxConnections\)/);
    assert.deepEqual(s.lines[0]!.meta, { limit: 1, withoutKey: 1, idleWithKey: 0, refused: 0 });
    s.clock.now += 10_000;
    await connect(s.listener);
    await closes(clients[4]!, 'the last one to be closed');
    assert.equal(s.lines.length, 2);
    assert.deepEqual(s.lines[1]!.meta, { limit: 1, withoutKey: 4, idleWithKey: 0, refused: 0 });
  });

  it('reaches a lower cap from a reload as the next connection comes', async () => {
    const { listener } = await start(4);
    const clients = [await connect(listener), await connect(listener), await connect(listener), await connect(listener)];
    listener.setMaxConnections(2);
    await connect(listener);
    await Promise.all(clients.slice(0, 3).map((c, i) => closes(c, `connection ${i} to be closed`)));
    assert.equal(clients[3]!.closed, false);
    assert.equal(listener.connections, 2);
  });
});
