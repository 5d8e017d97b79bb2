/**
 * The local socket (§5): NDJSON over `net`, json-rpc-2.0 behind a thin wrapper. The wrapper owns
 * everything json-rpc-2.0 does not: the hello gate (before `gateway.hello` an unparseable line
 * still gets -32700, any other request or a batch -32001, notifications are dropped; a wrong
 * token gets -32001 and the connection is closed), the 1 MiB request limit, id validation,
 * batches (json-rpc-2.0 answers a 1-element batch with a bare object and crashes on `[null]`),
 * backpressure for clients that do not read, and error mapping — an exception's own text never
 * leaves the daemon (json-rpc-2.0 would send it as `{code: 0, message}`).
 */
import { timingSafeEqual } from 'node:crypto';
import { chmod, stat } from 'node:fs/promises';
import net from 'node:net';
import { JSONRPCServer, createJSONRPCErrorResponse } from 'json-rpc-2.0';
import type { JSONRPCRequest, JSONRPCResponse } from 'json-rpc-2.0';
import { OpenSoulError, describe, errorKinds } from '../../ipc/errors.js';
import type { ErrorKind, ErrorDetails } from '../../ipc/errors.js';
import { MAX_REQUEST_BYTES, createLineReader, frame } from '../../ipc/framing.js';
import { EVENT_METHOD, methods } from '../../ipc/protocol.js';
import type { EventName, EventNotification, MethodKey, ParamsOf, ResultOf } from '../../ipc/protocol.js';
import { ValidationError } from '../../ipc/validate.js';

/** What a handler knows about the call. */
export interface CallContext {
  readonly connection: ConnectionState;
}

/** The daemon's handler table: a mapped type over the protocol, so a missing handler is a compile error. */
export type Handlers = { [K in MethodKey]: (params: ParamsOf<K>, ctx: CallContext) => Promise<ResultOf<K>> | ResultOf<K> };

export interface ConnectionState {
  readonly id: number;
  authenticated: boolean;
  subscriptions: Set<EventName>;
  readonly socket: net.Socket;
  /** Lines received and not yet answered, handled one at a time in order. */
  readonly queue: string[];
  busy: boolean;
}

export interface ServerLogger {
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
  debug(msg: string, meta?: Record<string, unknown>): void;
}

export interface SocketServerOptions {
  socketPath: string;
  /** The current connection token (re-read on every hello: the daemon may rewrite it). */
  token: () => string;
  handlers: Handlers;
  log: ServerLogger;
  maxRequestBytes?: number;
  /** A connection that has not said hello by then is closed (slow or hostile peers). */
  authTimeoutMs?: number;
}

/**
 * Answers waiting in a connection's write buffer before we stop working for it until it reads:
 * a client that does not read cannot make us buffer without bound (and a pipelining one costs
 * about this much memory, not a result per request it sent).
 */
const MAX_PENDING_WRITE_BYTES = 256 * 1024;
/** Past this many unanswered lines we stop reading from the connection until it catches up. */
const MAX_QUEUED_LINES = 1000;
const MAX_CONNECTIONS = 256;

function errorResponse(id: JSONRPCRequest['id'] | null, kind: ErrorKind, details: ErrorDetails = {}, message?: string): JSONRPCResponse {
  const code = errorKinds[kind].rpcCode ?? -32603;
  return createJSONRPCErrorResponse(id ?? null, code, message ?? describe(kind, details), { code: kind, ...details });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isValidId = (id: unknown) => id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));

function tokensEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  // Constant-time over the token: a local attacker must not learn it byte by byte from timing.
  return a.length === b.length && timingSafeEqual(a, b);
}

export class SocketServer {
  private readonly server: net.Server;
  private readonly rpc = new JSONRPCServer<CallContext>({ errorListener: () => undefined });
  private readonly connections = new Set<ConnectionState>();
  private nextId = 1;
  private closing = false;
  /** Identity of the socket file we created, so we only ever remove our own. */
  private socketIdentity: { dev: number; ino: number } | null = null;

  constructor(private readonly opts: SocketServerOptions) {
    this.rpc.mapErrorToJSONRPCErrorResponse = (id, error: unknown) => this.mapError(id, error);
    for (const key of Object.keys(methods) as MethodKey[]) {
      const m = methods[key];
      const handler = opts.handlers[key] as (params: unknown, ctx: CallContext) => unknown;
      this.rpc.addMethod(m.name, async (params: unknown, ctx: CallContext) => {
        let checked: unknown;
        try {
          checked = m.params(params, 'params');
        } catch (err) {
          if (err instanceof ValidationError) throw new OpenSoulError('INVALID_PARAMS', { path: err.path, expected: err.expected });
          throw err;
        }
        return await handler(checked, ctx);
      });
    }
    this.server = net.createServer((socket) => this.accept(socket));
    this.server.maxConnections = MAX_CONNECTIONS;
  }

  private mapError(id: JSONRPCRequest['id'] | null, error: unknown): JSONRPCResponse & { error: NonNullable<JSONRPCResponse['error']> } {
    if (error instanceof OpenSoulError) return errorResponse(id, error.kind, error.details, error.message) as never;
    // Anything else is a bug: log it (through the redactor) and answer without its text.
    this.opts.log.error('handler failed', { err: error });
    return errorResponse(id, 'INTERNAL') as never;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Listens; the process umask (0077, set at start) makes the socket born 0600. */
  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.opts.socketPath, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.server.on('error', (err) => this.opts.log.error('socket server error', { err }));
    if (process.platform !== 'win32') {
      await chmod(this.opts.socketPath, 0o600);
      const st = await stat(this.opts.socketPath);
      this.socketIdentity = { dev: st.dev, ino: st.ino };
    }
  }

  /** Whether the socket file at the path is still the one we created. */
  async ownsSocketFile(): Promise<boolean> {
    if (process.platform === 'win32') return true;
    if (!this.socketIdentity) return false;
    try {
      const st = await stat(this.opts.socketPath);
      return st.dev === this.socketIdentity.dev && st.ino === this.socketIdentity.ino;
    } catch {
      return false;
    }
  }

  /**
   * Stops accepting and ends every connection. libuv unlinks a Unix socket's *path* when its
   * server closes, whoever's file sits there by then; so when the path no longer holds our
   * socket (a successor took it over), `keepPath` leaves the server unclosed — the caller is
   * about to exit, which releases it without touching the path.
   */
  async close(opts: { keepPath?: boolean } = {}): Promise<void> {
    this.closing = true;
    for (const c of this.connections) c.socket.end();
    const force = setTimeout(() => {
      for (const c of this.connections) c.socket.destroy();
    }, 1000);
    force.unref();
    if (opts.keepPath) {
      this.server.unref();
      return;
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    clearTimeout(force);
  }

  /** Sends an event to every connection subscribed to it. */
  broadcast(event: EventNotification): void {
    const line = frame({ jsonrpc: '2.0', method: EVENT_METHOD, params: event });
    for (const c of this.connections) {
      if (c.authenticated && c.subscriptions.has(event.event)) this.write(c, line);
    }
  }

  private accept(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const conn: ConnectionState = { id: this.nextId++, authenticated: false, subscriptions: new Set(), socket, queue: [], busy: false };
    this.connections.add(conn);
    const authTimer = setTimeout(() => {
      if (!conn.authenticated) socket.destroy();
    }, this.opts.authTimeoutMs ?? 10_000);
    authTimer.unref();
    let discarding = false;
    const reader = createLineReader(
      this.opts.maxRequestBytes ?? MAX_REQUEST_BYTES,
      (line) => {
        if (discarding) return;
        conn.queue.push(line);
        if (conn.queue.length > MAX_QUEUED_LINES) socket.pause();
        void this.drain(conn);
      },
      () => {
        discarding = true;
        const limit = this.opts.maxRequestBytes ?? MAX_REQUEST_BYTES;
        this.opts.log.warn('request over the size limit refused; connection closed', { connection: conn.id, limit });
        // Answer, then half-close: the peer can still read the error while we discard the rest.
        socket.end(frame(errorResponse(null, 'REQUEST_TOO_LARGE', { limit })));
        setTimeout(() => socket.destroy(), 2000).unref();
      },
    );
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(authTimer);
      this.connections.delete(conn);
    });
    socket.on('drain', () => {
      if (conn.queue.length <= MAX_QUEUED_LINES) socket.resume();
    });
  }

  /**
   * Answers a connection's lines one at a time, in order. A pipelining client thus costs one
   * request's memory at a time, not one per line it sent; and when it does not read its
   * answers, we wait for the socket to drain before doing more work for it.
   */
  private async drain(conn: ConnectionState): Promise<void> {
    if (conn.busy) return;
    conn.busy = true;
    try {
      for (let line = conn.queue.shift(); line !== undefined; line = conn.queue.shift()) {
        await this.onLine(conn, line);
        const s = conn.socket;
        if (s.destroyed) {
          conn.queue.length = 0;
          return;
        }
        if (s.writableLength > MAX_PENDING_WRITE_BYTES) await new Promise<void>((resolve) => s.once('drain', resolve).once('close', resolve));
        if (s.isPaused() && conn.queue.length <= MAX_QUEUED_LINES && s.writableLength <= MAX_PENDING_WRITE_BYTES) s.resume();
      }
    } finally {
      conn.busy = false;
    }
  }

  private write(conn: ConnectionState, line: string): void {
    const s = conn.socket;
    if (s.destroyed || !s.writable) return;
    s.write(line);
  }

  private async onLine(conn: ConnectionState, line: string): Promise<void> {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      this.write(conn, frame(errorResponse(null, 'PARSE_ERROR')));
      return;
    }
    if (!conn.authenticated) {
      await this.beforeHello(conn, msg);
      return;
    }
    if (Array.isArray(msg)) {
      if (msg.length === 0) {
        this.write(conn, frame(errorResponse(null, 'INVALID_REQUEST', { reason: 'empty batch' })));
        return;
      }
      const responses = (await Promise.all(msg.map((m) => this.dispatch(conn, m)))).filter((r): r is JSONRPCResponse => r !== null);
      if (responses.length > 0) this.write(conn, frame(responses));
      return;
    }
    const response = await this.dispatch(conn, msg);
    if (response) this.write(conn, frame(response));
  }

  private async beforeHello(conn: ConnectionState, msg: unknown): Promise<void> {
    if (isObject(msg) && !('id' in msg) && typeof msg.method === 'string') return; // notifications are dropped
    const id = isObject(msg) && isValidId(msg.id) ? (msg.id as JSONRPCRequest['id']) : null;
    if (!isObject(msg) || msg.method !== methods.hello.name || !('id' in msg)) {
      this.write(conn, frame(errorResponse(id, 'UNAUTHORIZED')));
      return;
    }
    const response = await this.dispatch(conn, msg);
    if (response) this.write(conn, frame(response));
  }

  private async dispatch(conn: ConnectionState, msg: unknown): Promise<JSONRPCResponse | null> {
    if (!isObject(msg)) return errorResponse(null, 'INVALID_REQUEST', { reason: 'expected a JSON-RPC request object' });
    if ('id' in msg && !isValidId(msg.id)) return errorResponse(null, 'INVALID_REQUEST', { reason: 'id must be a string, a number or null' });
    if (msg.method === methods.hello.name) return this.hello(conn, msg);
    try {
      return await this.rpc.receive(msg as unknown as JSONRPCRequest, { connection: conn });
    } catch {
      return errorResponse(null, 'INVALID_REQUEST');
    }
  }

  /** The hello gate: a wrong token gets -32001 and the connection is closed (§5). */
  private async hello(conn: ConnectionState, msg: Record<string, unknown>): Promise<JSONRPCResponse | null> {
    const id = msg.id as JSONRPCRequest['id'] | undefined;
    if (id === undefined) return null;
    let params;
    try {
      params = methods.hello.params(msg.params, 'params');
    } catch (err) {
      if (err instanceof ValidationError) return errorResponse(id, 'INVALID_PARAMS', { path: err.path, expected: err.expected });
      throw err;
    }
    if (!tokensEqual(params.token, this.opts.token())) {
      const wasAuthenticated = conn.authenticated;
      conn.authenticated = false;
      this.opts.log.warn('connection refused: wrong token', { connection: conn.id, wasAuthenticated });
      conn.socket.end(frame(errorResponse(id, 'UNAUTHORIZED', { reason: 'bad-token' })));
      return null;
    }
    conn.authenticated = true;
    return this.rpc.receive(msg as unknown as JSONRPCRequest, { connection: conn });
  }
}
