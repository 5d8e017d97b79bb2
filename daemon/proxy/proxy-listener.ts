/**
 * One listening socket of the proxy: an `http.Server` on a loopback address, its cap on open
 * connections, and its graceful drain (stop accepting, let requests in progress finish, close
 * idle keep-alive connections, and cut what is left when the time is up). A port change runs two
 * of these for a while: the new one serving, the old one draining.
 */
import type { AddressInfo, Socket } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type * as NodeHttp from 'node:http';
import type { Logger } from '../logging/logger.js';
import { proxyUrl } from './proxy-routes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The first value of a map (its oldest entry), or null. */
function first<V>(m: Map<unknown, V>): V | null {
  for (const v of m.values()) return v;
  return null;
}

/** At most one line per this long about the cap: a peer that keeps connecting must not flood the log. */
const FULL_LOG_EVERY_MS = 10_000;

/** What a listener is made of. */
export interface ProxyListenerOptions {
  host: string;
  /** The port as configured (0 = ephemeral). */
  port: number;
  /** Answers one request; calls `keyed` once it has found a valid proxy key on it. */
  handle: (port: number, req: IncomingMessage, res: ServerResponse, keyed: () => void) => Promise<void>;
  http: typeof NodeHttp;
  /** How long a request's headers may take (proxy.bodyTimeoutMs). */
  headersTimeoutMs: number;
  /** Connections open at once (see connectionCap). */
  maxConnections: number;
  log: Pick<Logger, 'warn'>;
  now?: () => number;
}

/**
 * What the cap did to admit a newcomer: closed a connection that never carried a valid proxy key,
 * closed a tool's idle one, or closed the newcomer (every connection had a request in progress).
 */
type FullOutcome = 'withoutKey' | 'idleWithKey' | 'refused';

/** One open connection. */
interface OpenConnection {
  readonly socket: Socket;
  /** Its requests with a valid proxy key being answered: while there is one, it is never closed to make room. */
  working: number;
}

/** One `http.Server` of the proxy on a loopback address, counting its requests in progress for the drain. */
export class ProxyListener {
  readonly host: string;
  /** The port as configured (0 = ephemeral), to tell whether a reload changed it. */
  readonly configuredPort: number;
  private readonly server: Server;
  private inFlight = 0;
  /** Connections that have carried no request with a valid proxy key (yet), in the order they opened. */
  private readonly strangers = new Map<Socket, OpenConnection>();
  /** Connections that have (a tool of the owner's), the one answered longest ago first. */
  private readonly tools = new Map<Socket, OpenConnection>();
  private maxConnections: number;
  private readonly log: Pick<Logger, 'warn'>;
  private readonly now: () => number;
  private lastFullLog = -Infinity;
  /** What the cap did since its last log line. */
  private readonly sinceLog: Record<FullOutcome, number> = { withoutKey: 0, idleWithKey: 0, refused: 0 };
  private lastErrorLog = -Infinity;
  /** The port actually bound (the configured one, or the ephemeral one for port 0). */
  port = 0;

  constructor(opts: ProxyListenerOptions) {
    this.host = opts.host;
    this.configuredPort = opts.port;
    this.maxConnections = opts.maxConnections;
    this.log = opts.log;
    this.now = opts.now ?? Date.now;
    // noDelay: each event of a stream leaves at once. Keep-alive: SDKs reuse their connections.
    // requestTimeout 0: a body's deadline is proxy.bodyTimeoutMs, kept per request (readBody) and
    // answered in the provider's error shape. The headers get the same deadline (Node answers 408
    // and closes), set here: Node's default headersTimeout is min(60 s, requestTimeout), so 0 —
    // a connection that sent nothing, or headers that never end, was held for good. Node checks
    // the deadline every connectionsCheckingInterval.
    // No server.maxConnections: Node would close every newcomer once full, so whoever holds the
    // places (idle, or asking for a 401 every few seconds) would lock every tool out; admit()
    // makes room instead.
    this.server = opts.http.createServer(
      { noDelay: true, keepAlive: true, requestTimeout: 0, headersTimeout: opts.headersTimeoutMs, connectionsCheckingInterval: 1000 },
      (req, res) => {
        this.inFlight++;
        let working: OpenConnection | null = null;
        res.once('close', () => {
          this.inFlight--;
          if (working) this.answered(working);
        });
        void opts.handle(this.port, req, res, () => {
          working ??= this.keyed(req.socket);
        });
      },
    );
    this.server.on('connection', (socket: Socket) => this.admit(socket));
    // No 'clientError' listener: Node's own answers a request that does not parse (400, 431 for
    // headers past 16 KiB, 408) and closes the connection. A listener that only destroyed the
    // socket left the tool with a bare close ("socket hang up") instead of the reason.
  }

  /** Binds; rejects with the errno error (EADDRINUSE, EACCES) when it cannot. */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen({ port: this.configuredPort, host: this.host, ipv6Only: this.host === '::1' }, () => {
        this.server.removeListener('error', onError);
        // Node emits a failed accept (EMFILE when the descriptors are gone, and libuv's reserve
        // descriptor could not absorb it) as the server's 'error': unheard, that is an uncaught
        // exception, and the daemon would stop. The listener keeps accepting after one.
        this.server.on('error', (err: NodeJS.ErrnoException) => this.acceptFailed(err));
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** How long a request's headers may take from its first byte (proxy.bodyTimeoutMs, as reloaded); applies to connections already open. */
  setHeadersTimeout(ms: number): void {
    this.server.headersTimeout = ms;
  }

  /** The connection cap, as reloaded; a lower one is reached as new connections come (each closes idle ones until it fits). */
  setMaxConnections(n: number): void {
    this.maxConnections = n;
  }

  /** The URL clients use. */
  get url(): string {
    return proxyUrl(this.host, this.port);
  }

  /** Requests in progress on this listener. */
  get active(): number {
    return this.inFlight;
  }

  /** Connections open on this listener. */
  get connections(): number {
    return this.strangers.size + this.tools.size;
  }

  /**
   * Admits a new connection within the cap. When full, one is closed to make room: first the
   * oldest of those that never carried a valid proxy key (silent, half-sent headers, or only
   * refused requests: anyone on the host can open those, and a tool sends its key at once), then
   * the tools' connection idle longest (its tool reconnects). The oldest, not the newest: a peer
   * opening connections without end would otherwise close each tool's newcomer before its
   * request arrives. A request with a valid key in progress is never cut for this
   * (proxy.maxConcurrent bounds them, and a stranger cannot make one); when every connection has
   * one, the newcomer is closed.
   */
  private admit(socket: Socket): void {
    while (this.connections >= this.maxConnections) {
      const stranger = first(this.strangers);
      const victim = stranger ?? this.idleTool();
      if (!victim) {
        socket.destroy();
        this.noteFull('refused');
        return;
      }
      this.forget(victim);
      victim.socket.destroy();
      this.noteFull(stranger ? 'withoutKey' : 'idleWithKey');
    }
    const c: OpenConnection = { socket, working: 0 };
    this.strangers.set(socket, c);
    socket.once('close', () => this.forget(c));
  }

  private idleTool(): OpenConnection | null {
    for (const c of this.tools.values()) if (c.working === 0) return c;
    return null;
  }

  private forget(c: OpenConnection): void {
    if (this.strangers.get(c.socket) === c) this.strangers.delete(c.socket);
    else if (this.tools.get(c.socket) === c) this.tools.delete(c.socket);
  }

  /** A request with a valid proxy key came on `socket`: its connection is a tool's, working until the answer ends. */
  private keyed(socket: Socket): OpenConnection | null {
    const c = this.strangers.get(socket) ?? this.tools.get(socket);
    if (!c) return null;
    this.forget(c);
    this.tools.set(socket, c);
    c.working++;
    return c;
  }

  /** A keyed request of `c` was answered (or its tool left): with none left, it is the tools' most recently active connection. */
  private answered(c: OpenConnection): void {
    c.working--;
    if (c.working > 0 || this.tools.get(c.socket) !== c || c.socket.destroyed) return;
    this.tools.delete(c.socket);
    this.tools.set(c.socket, c);
  }

  private noteFull(what: FullOutcome): void {
    this.sinceLog[what]++;
    const now = this.now();
    if (now - this.lastFullLog < FULL_LOG_EVERY_MS) return;
    this.log.warn('proxy: too many connections (proxy.maxConnections); closed some to admit new ones', { limit: this.maxConnections, ...this.sinceLog });
    this.lastFullLog = now;
    this.sinceLog.withoutKey = this.sinceLog.idleWithKey = this.sinceLog.refused = 0;
  }

  private acceptFailed(err: NodeJS.ErrnoException): void {
    const now = this.now();
    if (now - this.lastErrorLog < FULL_LOG_EVERY_MS) return;
    this.lastErrorLog = now;
    this.log.warn('proxy: could not accept a connection', { code: err.code ?? 'error', connections: this.connections });
  }

  /**
   * Stops accepting, waits up to `graceMs` for requests in progress (closing keep-alive
   * connections as they fall idle), then closes every connection left.
   */
  async drain(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const deadline = Date.now() + graceMs;
    while (this.inFlight > 0 && Date.now() < deadline) {
      this.server.closeIdleConnections();
      await sleep(50);
    }
    this.server.closeAllConnections();
    await closed;
  }
}
