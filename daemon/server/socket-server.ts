/**
 * The local socket (§5): NDJSON over `net`, JSON-RPC 2.0. It owns the hello gate (before
 * `gateway.hello` an unparseable line still gets -32700, any other request or a batch -32001,
 * notifications are dropped; a wrong token gets -32001 and the connection is closed), the 1 MiB
 * request limit, id validation, batches (json-rpc-2.0 answers a 1-element batch with a bare
 * object and crashes on `[null]`), backpressure for clients that do not read, and error mapping —
 * an exception's own text never leaves the daemon (json-rpc-2.0 would send it as `{code: 0, message}`).
 *
 * Requests are dispatched here, not through json-rpc-2.0's JSONRPCServer: its generator-based
 * receive/middleware chain cost several promises and objects per request, and it stringifies
 * every result, where a cached status answer is JSON already. The answers are the ones it gave
 * (same checks, same error objects, built with its createJSONRPC*Response).
 */
import { timingSafeEqual } from 'node:crypto';
import { chmod, stat } from 'node:fs/promises';
import net from 'node:net';
import { JSONRPCErrorCode, createJSONRPCErrorResponse, createJSONRPCSuccessResponse } from 'json-rpc-2.0';
import type { JSONRPCRequest, JSONRPCResponse } from 'json-rpc-2.0';
import { OpenSoulError, describe, errorKinds } from '../../ipc/errors.js';
import type { ErrorKind, ErrorDetails } from '../../ipc/errors.js';
import { MAX_REQUEST_BYTES, createLineReader, frame } from '../../ipc/framing.js';
import type { LineReader } from '../../ipc/framing.js';
import { EVENT_METHOD, methods } from '../../ipc/protocol.js';
import type { EventName, EventNotification, MethodKey, ParamsOf, ResultOf } from '../../ipc/protocol.js';
import { ValidationError } from '../../ipc/validate.js';

/** What a handler knows about the call. */
export interface CallContext {
  readonly connection: ConnectionState;
}

/**
 * Pushes a notification to the connection that made the call (a chat turn's streamed reply).
 * Bounded like events: a peer that stops reading past the outgoing limit is dropped, which
 * aborts its work through `connection.closed`.
 */
export type Notify = (method: string, params: unknown) => void;

/**
 * A result its owner has serialized already (the cached status answer): written as it is, never
 * stringified again. `json` must be JSON.stringify of a `T`.
 */
export class SerializedResult<T> {
  /** Ties the text to the result type it stands for: a handler cannot answer with another method's JSON. */
  declare readonly result?: T;
  constructor(readonly json: string) {}
}

/** What a handler answers: the result, or the result serialized. */
export type Answer<T> = T | SerializedResult<T>;

/** The daemon's handler table: a mapped type over the protocol, so a missing handler is a compile error. */
export type Handlers = { [K in MethodKey]: (params: ParamsOf<K>, ctx: CallContext) => Promise<Answer<ResultOf<K>>> | Answer<ResultOf<K>> };

/** One entry of the dispatch table: the params check and the handler of one method. */
interface Route {
  params: (value: unknown, path: string) => unknown;
  handler: (params: unknown, ctx: CallContext) => unknown;
}

export interface ConnectionState {
  readonly id: number;
  authenticated: boolean;
  subscriptions: Set<EventName>;
  /**
   * What lives as long as this connection stays open (an `exec --proxy` key it holds). Such a
   * connection waits by design, like a subscriber: the idle sweep leaves it alone.
   */
  leases: number;
  readonly socket: net.Socket;
  /** Lines received and not yet answered, handled one at a time in order. */
  readonly queue: string[];
  /** Bytes (UTF-16 units: what they cost here) of the lines in `queue`. */
  queuedBytes: number;
  busy: boolean;
  /** When the peer last sent us a byte or we last finished a request for it (ms). */
  lastActivity: number;
  /** Since when an unfinished line has been waiting for its newline (ms); null when none. */
  partialSince: number | null;
  /** Bytes of the unfinished line held for this connection. */
  readonly pendingBytes: () => number;
  /**
   * The peer has sent everything it will: it half-closed (socat and `nc -U` at the end of their
   * input), or it is gone (a killed client looks the same until a write to it fails). Our side
   * ends once every line it sent is answered.
   */
  peerEnded: boolean;
  /** Drops the unfinished line (a refused connection reads nothing more). */
  readonly discardPending: () => void;
  /**
   * Aborted when the peer goes away or half-closes: long work for it (a chat turn and its upstream
   * request, a held key) stops, since a killed client cannot be told from one that only stopped
   * sending. Short calls already made are still answered.
   */
  readonly closed: AbortSignal;
  /** Pushes a notification to this peer only. */
  readonly notify: Notify;
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
  /** Limits against peers that hold memory or slots; defaults in DEFAULT_LIMITS. */
  limits?: Partial<ConnectionLimits>;
  now?: () => number;
}

export interface ConnectionLimits {
  /** Connections at once; when full, the longest-idle one is closed to admit a new one. */
  maxConnections: number;
  /** An authenticated connection with nothing to do and no subscription is closed after this. */
  idleTimeoutMs: number;
  /** A line begun and not finished by then is refused and its connection closed. */
  partialFrameTimeoutMs: number;
  /** Unfinished and queued request bytes across all connections; past it the stalest unfinished line goes. */
  maxBufferedBytes: number;
  /** Events waiting to be read by one subscriber; past it the subscriber is dropped. */
  maxOutgoingBytes: number;
}

/**
 * The defaults. 256 connections: far more than a host's tools open at once, few enough that
 * 256 × a 1 MiB line stays far below the total cap. 5 min idle: a CLI holds a connection for
 * one call; a tool that keeps one open reconnects cheaply (subscribers, which wait by design,
 * are exempt). 30 s for a line: a real client writes a whole line at once. 16 MiB buffered in
 * total: 250 peers × a 1 MiB unfinished line held ~390 MB before (measured: 250 such peers now
 * grow RSS by well under 128 MiB); sixteen 1 MiB requests in flight at once is far more than the
 * local tools of one user send. 4 MiB of unread events:
 * at ~200 bytes an event, 20,000 events behind; a live subscriber is never that far behind.
 */
export const DEFAULT_LIMITS: ConnectionLimits = {
  maxConnections: 256,
  idleTimeoutMs: 5 * 60_000,
  partialFrameTimeoutMs: 30_000,
  maxBufferedBytes: 16 * 1024 * 1024,
  maxOutgoingBytes: 4 * 1024 * 1024,
};

/**
 * Answers waiting in a connection's write buffer before we stop working for it until it reads:
 * a client that does not read cannot make us buffer without bound (and a pipelining one costs
 * about this much memory, not a result per request it sent).
 */
const MAX_PENDING_WRITE_BYTES = 256 * 1024;
/** Past this many unanswered lines (or bytes of them) we stop reading from the connection until it catches up. */
const MAX_QUEUED_LINES = 1000;
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

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

/** Resolves on the first of 'drain' or 'close', removing the other listener (one per wait would pile up). */
function drainedOrClosed(s: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      s.off('drain', done);
      s.off('close', done);
      resolve();
    };
    s.on('drain', done);
    s.on('close', done);
  });
}

const uncork = (s: net.Socket) => s.uncork();

export class SocketServer {
  private readonly server: net.Server;
  private readonly routes = new Map<string, Route>();
  private readonly connections = new Set<ConnectionState>();
  private nextId = 1;
  private closing = false;
  /** Identity of the socket file we created, so we only ever remove our own. */
  private socketIdentity: { dev: number; ino: number } | null = null;
  private readonly limits: ConnectionLimits;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;
  /** Unfinished + queued request bytes of every connection. */
  private bufferedBytes = 0;
  private lastEvictionLog = 0;
  private evictionsSinceLog = 0;

  /** False until listen() has set the socket's mode and identity: lines that arrive before wait for it. */
  private serving = false;
  private readonly servingStarted: Promise<void>;
  private readonly startServing: () => void;

  constructor(private readonly opts: SocketServerOptions) {
    let start = (): void => undefined;
    this.servingStarted = new Promise<void>((resolve) => (start = resolve));
    this.startServing = () => {
      this.serving = true;
      start();
    };
    for (const key of Object.keys(methods) as MethodKey[]) {
      const m = methods[key];
      this.routes.set(m.name, { params: m.params, handler: opts.handlers[key] as Route['handler'] });
    }
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.now = opts.now ?? Date.now;
    // No server.maxConnections: Node would drop the newcomer, and 256 idle peers would lock
    // every CLI out; accept() makes room instead.
    // allowHalfOpen: a peer that half-closes after its last request (socat and `nc -U` at the end
    // of their input) still gets every answer; Node would otherwise end our side at once, and the
    // answers still being made would be dropped. endIfAnswered ends it when they are out.
    this.server = net.createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
    const sweepMs = Math.min(5000, Math.max(50, Math.min(this.limits.idleTimeoutMs, this.limits.partialFrameTimeoutMs) / 4));
    this.sweeper = setInterval(() => this.sweep(), sweepMs);
    this.sweeper.unref();
  }

  /** Unfinished and queued request bytes held across connections (for tests and status). */
  get bufferedByteCount(): number {
    return this.bufferedBytes;
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

  /**
   * Listens. The socket is born 0700 (the process umask, 0077, set at start: ours alone), then
   * narrowed to 0600 and its identity taken; no connection is answered before that is done, so
   * whoever is answered finds the socket as it stays.
   */
  async listen(): Promise<void> {
    try {
      await this.bindAndCheck();
    } finally {
      this.startServing();
    }
  }

  private async bindAndCheck(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.opts.socketPath, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.server.on('error', (err) => this.opts.log.error('socket server error', { err }));
    if (process.platform === 'win32') return;
    // Bound, the server already answers: a client can say hello and remove or replace the file
    // before these steps run (a test did, under load). That must not fail the start (exit 78,
    // which a service manager does not restart): with no identity, the periodic socket check
    // finds the path is not ours and listens again.
    const gone = (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      return null;
    };
    const st = await stat(this.opts.socketPath).catch(gone);
    if (st?.isSocket()) {
      this.socketIdentity = { dev: st.dev, ino: st.ino };
      await chmod(this.opts.socketPath, 0o600).catch(gone);
      return;
    }
    this.opts.log.warn('the socket file was removed or replaced just after listening; listening again at the next socket check', {
      socket: this.opts.socketPath,
    });
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
    clearInterval(this.sweeper);
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

  /**
   * Sends an event to every connection subscribed to it. Events are pushed, not asked for, so
   * they get no backpressure of their own: a subscriber that stops reading would make us
   * buffer every event for it (4.5 M events took the daemon from 58 MB to 3.15 GB). Past
   * `maxOutgoingBytes` unread, it is dropped; a live one reconnects and re-subscribes.
   */
  broadcast(event: EventNotification): void {
    const line = frame({ jsonrpc: '2.0', method: EVENT_METHOD, params: event });
    for (const c of this.connections) {
      if (!c.authenticated || !c.subscriptions.has(event.event)) continue;
      this.push(c, line);
    }
  }

  /** Writes a pushed line, or drops a peer that has left more than the outgoing limit unread. */
  private push(c: ConnectionState, line: string): void {
    if (c.socket.destroyed) return;
    if (c.socket.writableLength + line.length > this.limits.maxOutgoingBytes) {
      this.opts.log.warn('peer dropped: it stopped reading what the gateway pushes to it', {
        connection: c.id,
        unreadBytes: c.socket.writableLength,
        limit: this.limits.maxOutgoingBytes,
      });
      c.socket.destroy();
      return;
    }
    this.write(c, line);
  }

  /** Closes connections that hold a slot or memory for nothing: idle ones, and lines never finished. */
  private sweep(): void {
    const now = this.now();
    for (const c of this.connections) {
      if (c.socket.destroyed) continue;
      if (c.partialSince !== null && now - c.partialSince > this.limits.partialFrameTimeoutMs) {
        this.opts.log.warn('an unfinished request line timed out; connection closed', { connection: c.id, bytes: c.pendingBytes() });
        this.refuse(c, 'INVALID_REQUEST', { reason: 'the request line was not finished in time' });
      } else if (c.authenticated && this.isIdle(c) && c.subscriptions.size === 0 && c.leases === 0 && now - c.lastActivity > this.limits.idleTimeoutMs) {
        this.opts.log.debug('idle connection closed', { connection: c.id });
        c.socket.end();
        setTimeout(() => c.socket.destroy(), 1000).unref();
      }
    }
  }

  /** Nothing in flight for it: no request being answered, none queued, no unfinished line. */
  private isIdle(c: ConnectionState): boolean {
    return !c.busy && c.queue.length === 0 && c.partialSince === null;
  }

  /** Answers with an error, then closes (the peer can still read the answer). */
  private refuse(c: ConnectionState, kind: ErrorKind, details: ErrorDetails): void {
    this.forget(c);
    // Let go of its unfinished line now, not when the socket is destroyed a second later: under
    // a flood of 1 MiB lines, the refused ones still held ~190 MiB that way.
    c.discardPending();
    // Read no more of it: what it still sends waits in the kernel, not in our memory.
    c.socket.pause();
    c.socket.end(frame(errorResponse(null, kind, details)));
    setTimeout(() => c.socket.destroy(), 1000).unref();
  }

  /**
   * Makes room for a new connection when all slots are taken: closes the one that has done
   * nothing for longest — one that never said hello first, then idle or stalled ones, and one
   * that holds a lease last (its holder would have to come back for it). A connection whose
   * request is being answered is never closed for this. False when every slot is busy (the
   * newcomer is refused).
   */
  private makeRoom(): boolean {
    let victim: ConnectionState | null = null;
    const rank = (c: ConnectionState) => (c.authenticated ? (c.leases > 0 ? 2 : 1) : 0);
    for (const c of this.connections) {
      if (c.busy) continue;
      if (!victim || rank(c) < rank(victim) || (rank(c) === rank(victim) && c.lastActivity < victim.lastActivity)) victim = c;
    }
    if (!victim) return false;
    this.forget(victim);
    victim.socket.destroy();
    this.evictionsSinceLog++;
    const now = this.now();
    // One line per 10 s at most: a peer that keeps connecting must not flood the log.
    if (now - this.lastEvictionLog > 10_000) {
      this.opts.log.warn('too many connections: closed the longest-idle ones to admit new clients', {
        closed: this.evictionsSinceLog,
        limit: this.limits.maxConnections,
      });
      this.lastEvictionLog = now;
      this.evictionsSinceLog = 0;
    }
    return true;
  }

  /** Drops a connection from the books at once (its close event may come later). */
  private forget(c: ConnectionState): void {
    if (!this.connections.delete(c)) return;
    this.bufferedBytes -= c.pendingBytes() + c.queuedBytes;
    c.queue.length = 0;
    c.queuedBytes = 0;
  }

  /**
   * Keeps unfinished and queued request bytes of all connections under the total: the line
   * stalled longest goes first (a real client's line is being written right now; a hostile
   * one's has been waiting), down to the one that just grew past it.
   */
  private enforceBufferBudget(current: ConnectionState): void {
    while (this.bufferedBytes > this.limits.maxBufferedBytes) {
      let victim: ConnectionState | null = null;
      for (const c of this.connections) {
        if (c.partialSince === null || c.socket.destroyed) continue;
        if (!victim || c.partialSince < victim.partialSince!) victim = c;
      }
      victim ??= current;
      this.opts.log.warn('too many request bytes buffered across connections; closed the stalest', {
        connection: victim.id,
        limit: this.limits.maxBufferedBytes,
      });
      this.refuse(victim, 'REQUEST_TOO_LARGE', { limit: this.limits.maxBufferedBytes });
      if (victim === current) return;
    }
  }

  private accept(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (this.connections.size >= this.limits.maxConnections && !this.makeRoom()) {
      socket.destroy();
      return;
    }
    let reader: LineReader | null = null;
    const gone = new AbortController();
    const conn: ConnectionState = {
      id: this.nextId++,
      authenticated: false,
      subscriptions: new Set(),
      leases: 0,
      socket,
      queue: [],
      queuedBytes: 0,
      busy: false,
      lastActivity: this.now(),
      partialSince: null,
      peerEnded: false,
      pendingBytes: () => reader?.pendingBytes ?? 0,
      discardPending: () => reader?.discard(),
      closed: gone.signal,
      notify: (method, params) => this.push(conn, frame({ jsonrpc: '2.0', method, params })),
    };
    this.connections.add(conn);
    const authTimer = setTimeout(() => {
      if (!conn.authenticated) socket.destroy();
    }, this.opts.authTimeoutMs ?? 10_000);
    authTimer.unref();
    let discarding = false;
    reader = createLineReader(
      this.opts.maxRequestBytes ?? MAX_REQUEST_BYTES,
      (line) => {
        if (discarding || !this.connections.has(conn)) return;
        conn.queue.push(line);
        conn.queuedBytes += line.length;
        this.bufferedBytes += line.length;
        if (conn.queue.length > MAX_QUEUED_LINES || conn.queuedBytes > MAX_QUEUED_BYTES) socket.pause();
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
    const lines = reader;
    socket.on('data', (chunk: Buffer) => {
      if (!this.connections.has(conn)) return;
      conn.lastActivity = this.now();
      const before = lines.pendingBytes;
      lines.push(chunk);
      const after = lines.pendingBytes;
      this.bufferedBytes += after - before;
      // The clock of an unfinished line starts when it starts, not at its latest byte: a peer
      // trickling a byte a second must not hold its line (and its memory) for ever.
      if (after === 0) conn.partialSince = null;
      else if (before === 0 || conn.partialSince === null) conn.partialSince = conn.lastActivity;
      if (after > before) this.enforceBufferBudget(conn);
    });
    socket.on('end', () => {
      conn.peerEnded = true;
      const before = lines.pendingBytes;
      lines.finish();
      this.bufferedBytes -= before - lines.pendingBytes;
      conn.partialSince = null;
      gone.abort();
      this.endIfAnswered(conn);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(authTimer);
      this.forget(conn);
      gone.abort();
    });
    socket.on('drain', () => {
      if (conn.queue.length <= MAX_QUEUED_LINES && conn.queuedBytes <= MAX_QUEUED_BYTES) socket.resume();
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
      if (!this.serving) await this.servingStarted;
      for (let line = conn.queue.shift(); line !== undefined; line = conn.queue.shift()) {
        conn.queuedBytes -= line.length;
        this.bufferedBytes -= line.length;
        await this.onLine(conn, line);
        conn.lastActivity = this.now();
        const s = conn.socket;
        if (s.destroyed) {
          conn.queue.length = 0;
          return;
        }
        if (s.writableLength > MAX_PENDING_WRITE_BYTES) await drainedOrClosed(s);
        if (s.isPaused() && conn.queue.length <= MAX_QUEUED_LINES && conn.queuedBytes <= MAX_QUEUED_BYTES && s.writableLength <= MAX_PENDING_WRITE_BYTES)
          s.resume();
      }
    } finally {
      conn.busy = false;
    }
    this.endIfAnswered(conn);
  }

  /** Ends our side of a connection whose peer half-closed, once every line it sent is answered. */
  private endIfAnswered(conn: ConnectionState): void {
    if (!conn.peerEnded || conn.busy || conn.queue.length > 0) return;
    if (!conn.socket.destroyed && conn.socket.writable) conn.socket.end();
  }

  private write(conn: ConnectionState, line: string): void {
    const s = conn.socket;
    if (s.destroyed || !s.writable) return;
    // The answers made in one turn of the event loop leave in one write: a pipelining client's
    // 500 requests of a chunk cost one syscall, not 500. Uncorked on the next tick, so an answer
    // never waits for slower work behind it.
    if (s.writableCorked === 0) {
      s.cork();
      process.nextTick(uncork, s);
    }
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
      const responses = (await Promise.all(msg.map((m) => this.dispatch(conn, m)))).filter((r): r is string => r !== null);
      if (responses.length > 0) this.write(conn, `[${responses.join(',')}]\n`);
      return;
    }
    const response = await this.dispatch(conn, msg);
    if (response !== null) this.write(conn, `${response}\n`);
  }

  private async beforeHello(conn: ConnectionState, msg: unknown): Promise<void> {
    if (isObject(msg) && !('id' in msg) && typeof msg.method === 'string') return; // notifications are dropped
    const id = isObject(msg) && isValidId(msg.id) ? (msg.id as JSONRPCRequest['id']) : null;
    if (!isObject(msg) || msg.method !== methods.hello.name || !('id' in msg)) {
      this.write(conn, frame(errorResponse(id, 'UNAUTHORIZED')));
      return;
    }
    const response = await this.dispatch(conn, msg);
    if (response !== null) this.write(conn, `${response}\n`);
  }

  /** One request's answer as a JSON text (no newline), or null for a notification. */
  private async dispatch(conn: ConnectionState, msg: unknown): Promise<string | null> {
    if (!isObject(msg)) return JSON.stringify(errorResponse(null, 'INVALID_REQUEST', { reason: 'expected a JSON-RPC request object' }));
    if ('id' in msg && !isValidId(msg.id)) return JSON.stringify(errorResponse(null, 'INVALID_REQUEST', { reason: 'id must be a string, a number or null' }));
    if (msg.method === methods.hello.name) return this.hello(conn, msg);
    try {
      return await this.receive(msg, { connection: conn });
    } catch {
      return JSON.stringify(errorResponse(null, 'INVALID_REQUEST'));
    }
  }

  /**
   * A request whose id is valid (or absent): what json-rpc-2.0's receive answered. Not a request
   * (no method, or a result/error member) → -32600; unknown method → -32601; params that fail
   * their check → INVALID_PARAMS; a notification gets nothing, even when it fails.
   */
  private async receive(msg: Record<string, unknown>, ctx: CallContext): Promise<string | null> {
    const id = msg.id as JSONRPCRequest['id'] | undefined;
    if (msg.jsonrpc !== '2.0' || msg.method === undefined || msg.result !== undefined || msg.error !== undefined) {
      return JSON.stringify(createJSONRPCErrorResponse(id ?? null, JSONRPCErrorCode.InvalidRequest, 'Invalid Request'));
    }
    const route = typeof msg.method === 'string' ? this.routes.get(msg.method) : undefined;
    if (!route) return id === undefined ? null : JSON.stringify(createJSONRPCErrorResponse(id, JSONRPCErrorCode.MethodNotFound, 'Method not found'));
    let result: unknown;
    try {
      let checked: unknown;
      try {
        checked = route.params(msg.params, 'params');
      } catch (err) {
        if (err instanceof ValidationError) throw new OpenSoulError('INVALID_PARAMS', { path: err.path, expected: err.expected });
        throw err;
      }
      result = await route.handler(checked, ctx);
    } catch (err) {
      return id === undefined ? null : JSON.stringify(this.mapError(id, err));
    }
    if (id === undefined) return null;
    // The envelope createJSONRPCSuccessResponse builds, around text that is JSON already.
    if (result instanceof SerializedResult) return `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${result.json}}`;
    return JSON.stringify(createJSONRPCSuccessResponse(id, result));
  }

  /** The hello gate: a wrong token gets -32001 and the connection is closed (§5). */
  private async hello(conn: ConnectionState, msg: Record<string, unknown>): Promise<string | null> {
    const id = msg.id as JSONRPCRequest['id'] | undefined;
    if (id === undefined) return null;
    let params;
    try {
      params = methods.hello.params(msg.params, 'params');
    } catch (err) {
      if (err instanceof ValidationError) return JSON.stringify(errorResponse(id, 'INVALID_PARAMS', { path: err.path, expected: err.expected }));
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
    return this.receive(msg, { connection: conn });
  }
}
