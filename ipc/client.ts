/**
 * The client connection the CLI (and tests, and any Node tool) uses: connect to the socket,
 * authenticate with `gateway.hello`, then typed calls. Every way of not reaching the daemon
 * becomes one `DAEMON_UNREACHABLE` error with a reason — not running, stale socket, permission,
 * unresponsive — that the CLI prints as one line and exit code 3.
 *
 * A small NDJSON JSON-RPC client of our own rather than json-rpc-2.0's: it is on the CLI's start
 * path (every millisecond of import counts there), and owning it keeps the error mapping whole.
 * The daemon side uses json-rpc-2.0 (daemon/server).
 */
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { OpenSoulError, isErrorKind, kindOfRpcCode } from './errors.js';
import type { ErrorDetails } from './errors.js';
import { MAX_REQUEST_BYTES, createLineReader, frame } from './framing.js';
import type { SocketLocation } from './paths.js';
import { EVENT_METHOD, methods } from './protocol.js';
import type { EventNotification, HelloResult, Method } from './protocol.js';
import { checkSocketDir, describeSocketDirProblem, socketDirPolicy } from './socket-dir.js';
import { VERSION } from './version.js';

export interface ConnectOptions {
  socketPath: string;
  tokenPath: string;
  /**
   * Where the socket path came from: given, its dir is checked (ours, not a link, not open to
   * others) before anything is sent — without it, a dir another user made first could collect
   * our token. Every CLI path passes it; tests that speak to a known socket need not.
   */
  location?: SocketLocation;
  clientVersion?: string;
  /** How long to wait for the socket to accept and the hello to answer (default 5 s). */
  connectTimeoutMs?: number;
  /** Default time limit of a call (default 60 s). */
  requestTimeoutMs?: number;
  onNotification?: (event: EventNotification) => void;
  /**
   * Every notification the daemon pushes, whatever its method (`chat.event` while a turn runs,
   * `events.notify` too): the method name and its params, unchecked.
   */
  onPush?: (method: string, params: unknown) => void;
}

/** Who hears the daemon's notifications on a connection. */
interface Listeners {
  onNotification?: (event: EventNotification) => void;
  onPush?: (method: string, params: unknown) => void;
}

/** Responses may be large (a status of many agents); the daemon's 1 MiB limit is on requests. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: OpenSoulError) => void;
  timer: NodeJS.Timeout | undefined;
}

function unreachable(reason: string, socketPath: string): OpenSoulError {
  return new OpenSoulError('DAEMON_UNREACHABLE', { reason, socket: socketPath });
}

/** A JSON-RPC error object from the daemon → OpenSoulError (its message was worded by the daemon's describe()). */
function fromRpcError(error: { code?: unknown; message?: unknown; data?: unknown }): OpenSoulError {
  const data = (typeof error.data === 'object' && error.data !== null ? error.data : {}) as ErrorDetails;
  const code = typeof error.code === 'number' ? error.code : -32603;
  const kind = isErrorKind(data.code) ? data.code : (kindOfRpcCode(code) ?? 'INTERNAL');
  return new OpenSoulError(kind, data, typeof error.message === 'string' ? error.message : undefined);
}

export class Connection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  private closeReason = 'connection-lost';
  hello!: HelloResult;

  constructor(
    private readonly socket: Socket,
    readonly socketPath: string,
    private readonly defaultTimeoutMs: number,
    listeners: Listeners = {},
  ) {
    const reader = createLineReader(
      MAX_RESPONSE_BYTES,
      (line) => this.onLine(line, listeners),
      () => socket.destroy(),
    );
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => this.failAll(unreachable(this.closeReason, socketPath)));
  }

  private onLine(line: string, listeners: Listeners): void {
    let msg: { id?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown }; method?: unknown; params?: unknown };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return;
    }
    if (typeof msg !== 'object' || msg === null) return;
    if (typeof msg.method === 'string') {
      if (msg.method === EVENT_METHOD) listeners.onNotification?.(msg.params as EventNotification);
      listeners.onPush?.(msg.method, msg.params);
      return;
    }
    const p = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
    if (!p) return;
    this.pending.delete(msg.id as number);
    clearTimeout(p.timer);
    if (msg.error) p.reject(fromRpcError(msg.error));
    else p.resolve(msg.result);
  }

  private failAll(err: OpenSoulError): void {
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }

  /**
   * Sends one request; resolves with its result or rejects with an OpenSoulError. A `timeoutMs`
   * of `Infinity` sets no limit: for a call the daemon bounds itself (`chat.send`).
   */
  request(name: string, params: unknown, timeoutMs = this.defaultTimeoutMs): Promise<unknown> {
    if (this.closed) return Promise.reject(unreachable('connection-lost', this.socketPath));
    const id = this.nextId++;
    const line = frame({ jsonrpc: '2.0', id, method: name, params });
    // The daemon answers a line over its limit by closing the connection, which reads as "the
    // gateway went away" and fails every other call on it: refuse it here, unsent, instead.
    const size = Buffer.byteLength(line) - 1;
    if (size > MAX_REQUEST_BYTES) return Promise.reject(new OpenSoulError('REQUEST_TOO_LARGE', { limit: MAX_REQUEST_BYTES, size }));
    return new Promise((resolve, reject) => {
      // setTimeout would read Infinity as 1 ms, so no limit means no timer at all.
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => {
            this.pending.delete(id);
            reject(unreachable('unresponsive', this.socketPath));
          }, timeoutMs)
        : undefined;
      this.pending.set(id, { resolve, reject, timer });
      this.socket.write(line);
    });
  }

  /** Calls a method of the protocol table. */
  async call<P, R>(m: Method<string, P, R>, params: P, opts: { timeoutMs?: number } = {}): Promise<R> {
    return (await this.request(m.name, params, opts.timeoutMs)) as R;
  }

  /** Calls `fn` once, when the connection closes from either end (soon, if it has already). */
  onClose(fn: () => void): void {
    if (this.socket.closed) setImmediate(fn);
    else this.socket.once('close', fn);
  }

  /** False once the connection is closed, by us or from the other end (the daemon stopped or dropped it): calls then fail at once. */
  get isOpen(): boolean {
    return !this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end();
    this.socket.destroy();
  }
}

function openSocket(socketPath: string, timeoutMs: number): Promise<Socket> {
  const socket = netConnect(socketPath);
  return whenConnected(socket, socketPath, timeoutMs).then(() => socket);
}

/** Resolves once `socket` has connected; rejects with the reason it could not (DAEMON_UNREACHABLE), destroying it. */
function whenConnected(socket: Socket, socketPath: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off('connect', onConnect).off('error', onError);
      socket.destroy();
      reject(unreachable('unresponsive', socketPath));
    }, timeoutMs);
    const onConnect = () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve();
    };
    const onError = (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      const reason =
        err.code === 'ENOENT'
          ? 'not-running'
          : err.code === 'ECONNREFUSED'
            ? 'stale-socket'
            : err.code === 'EACCES' || err.code === 'EPERM'
              ? 'permission'
              : 'connection-lost';
      reject(unreachable(reason, socketPath));
    };
    socket.once('connect', onConnect);
    socket.once('error', onError);
  });
}

/** Refuses (DAEMON_UNREACHABLE) a socket whose dir another user could have put there, before we connect. */
function assertSocketDirTrusted(location: SocketLocation): void {
  const policy = socketDirPolicy(location);
  if (!policy || !location.dir || typeof process.getuid !== 'function') return;
  const verdict = checkSocketDir(location.dir, process.getuid(), policy);
  if (verdict.ok) return;
  if (verdict.problem === 'missing') throw unreachable('not-running', location.path);
  throw new OpenSoulError('DAEMON_UNREACHABLE', {
    reason: 'unsafe-socket-dir',
    socket: location.path,
    dir: location.dir,
    problem: describeSocketDirProblem(location.dir, verdict),
  });
}

/** Connects and authenticates. Rejects with an OpenSoulError (DAEMON_UNREACHABLE, UNAUTHORIZED). */
export async function connect(opts: ConnectOptions): Promise<Connection> {
  return (await open(opts, null)).connection;
}

/**
 * Connects, authenticates and makes one call, the hello and the call written at once (before
 * the socket has even connected): the daemon answers a connection's lines in order, so the call
 * runs after the hello, and never without it (a wrong token closes the connection first). The
 * thin commands thus wait for one round trip, not for the connect, then the hello, then the call.
 * A failure to connect or to authenticate is the error, not what it did to the call.
 */
export async function connectAndCall<P, R>(
  opts: ConnectOptions,
  m: Method<string, P, R>,
  params: P,
  timeoutMs?: number,
): Promise<{ connection: Connection; result: Promise<R> }> {
  const { connection, result } = await open(opts, { name: m.name, params, timeoutMs });
  return { connection, result: result as Promise<R> };
}

interface FirstCall {
  name: string;
  params: unknown;
  timeoutMs: number | undefined;
}

async function open(opts: ConnectOptions, first: FirstCall | null): Promise<{ connection: Connection; result: Promise<unknown> | null }> {
  const connectTimeoutMs = opts.connectTimeoutMs ?? 5000;
  if (opts.location) assertSocketDirTrusted(opts.location);
  let token: string;
  try {
    token = readFileSync(opts.tokenPath, 'utf8').trim();
  } catch {
    // Said after trying the socket: a daemon that is not running has no token either, and
    // "not running" is the answer that helps.
    (await openSocket(opts.socketPath, connectTimeoutMs)).destroy();
    throw unreachable('no-token', opts.socketPath);
  }
  // Written before the socket has connected: net keeps the lines until it has.
  const socket = netConnect(opts.socketPath);
  const opened = whenConnected(socket, opts.socketPath, connectTimeoutMs);
  const c = new Connection(socket, opts.socketPath, opts.requestTimeoutMs ?? 60_000, {
    ...(opts.onNotification ? { onNotification: opts.onNotification } : {}),
    ...(opts.onPush ? { onPush: opts.onPush } : {}),
  });
  const hello = c.request(methods.hello.name, { token, clientVersion: opts.clientVersion ?? VERSION }, connectTimeoutMs);
  const result = first ? c.request(first.name, first.params, first.timeoutMs) : null;
  // Awaited below in this order, so the first failure is the one reported; the later ones fail
  // with it (the connection closes) and must not surface as unhandled rejections.
  hello.catch(() => undefined);
  result?.catch(() => undefined);
  try {
    await opened;
    c.hello = (await hello) as HelloResult;
  } catch (err) {
    c.close();
    throw err;
  }
  return { connection: c, result };
}
