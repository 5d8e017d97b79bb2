/**
 * One listening socket of the proxy: an `http.Server` on a loopback address, and its graceful
 * drain (stop accepting, let requests in progress finish, close idle keep-alive connections,
 * and cut what is left when the time is up). A port change runs two of these for a while: the
 * new one serving, the old one draining.
 */
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type * as NodeHttp from 'node:http';
import { proxyUrl } from './proxy-routes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One `http.Server` of the proxy on a loopback address, counting its requests in progress for the drain. */
export class ProxyListener {
  private readonly server: Server;
  private inFlight = 0;
  /** The port actually bound (the configured one, or the ephemeral one for port 0). */
  port = 0;

  constructor(
    readonly host: string,
    /** The port as configured (0 = ephemeral), to tell whether a reload changed it. */
    readonly configuredPort: number,
    handle: (port: number, req: IncomingMessage, res: ServerResponse) => Promise<void>,
    http: typeof NodeHttp,
    headersTimeoutMs: number,
  ) {
    // noDelay: each event of a stream leaves at once. Keep-alive: SDKs reuse their connections.
    // requestTimeout 0: a body's deadline is proxy.bodyTimeoutMs, kept per request (readBody) and
    // answered in the provider's error shape. The headers get the same deadline (Node answers 408
    // and closes), set here: Node's default headersTimeout is min(60 s, requestTimeout), so 0 —
    // a connection that sent nothing, or headers that never end, was held for good. Node checks
    // the deadline every connectionsCheckingInterval.
    this.server = http.createServer(
      { noDelay: true, keepAlive: true, requestTimeout: 0, headersTimeout: headersTimeoutMs, connectionsCheckingInterval: 1000 },
      (req, res) => {
        this.inFlight++;
        res.once('close', () => this.inFlight--);
        void handle(this.port, req, res);
      },
    );
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
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** How long a request's headers may take from its first byte (proxy.bodyTimeoutMs, as reloaded); applies to connections already open. */
  setHeadersTimeout(ms: number): void {
    this.server.headersTimeout = ms;
  }

  /** The URL clients use. */
  get url(): string {
    return proxyUrl(this.host, this.port);
  }

  /** Requests in progress on this listener. */
  get active(): number {
    return this.inFlight;
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
