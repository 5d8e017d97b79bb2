/**
 * One upstream HTTP exchange for the proxy, on `node:http`/`node:https` with keep-alive agents
 * (a TLS handshake per request would cost more than everything else the proxy does). Resolves
 * with the response as a stream, untouched: the caller pipes it (backpressure and all) or reads
 * the head of an error body. Redirects are never followed: the request carries a credential.
 */
import type { Agent as HttpAgent, ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type * as NodeHttp from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type * as NodeHttps from 'node:https';
import type { Socket } from 'node:net';

/**
 * Node's http and https modules, loaded when the proxy first starts: a gateway without the
 * proxy never pays their ~3 MiB of RSS (the daemon bundle would otherwise load them at start).
 */
export interface HttpLibs {
  http: typeof NodeHttp;
  https: typeof NodeHttps;
}

/** Loads the http modules (once; Node caches them). */
export async function loadHttpLibs(): Promise<HttpLibs> {
  const [http, https] = await Promise.all([import('node:http'), import('node:https')]);
  return { http, https };
}

/** A request that ended before a response arrived because the provider was silent too long. */
export class UpstreamTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'UpstreamTimeoutError';
  }
}

/**
 * A request whose connection closed with neither a response nor an error: what Node's client does
 * with a `101 Switching Protocols` (an upgrade it has no listener for). EPROTO: a network outcome.
 */
export class UpstreamNoResponseError extends Error {
  readonly code = 'EPROTO';
  constructor() {
    super('the provider closed the connection without an HTTP response (it switched protocols)');
    this.name = 'UpstreamNoResponseError';
  }
}

/** A connection that was not made within the connect deadline (see CONNECT_TIMEOUT_MS). */
export class UpstreamConnectTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(readonly ms: number) {
    super(`could not connect within ${ms} ms`);
    this.name = 'UpstreamConnectTimeoutError';
  }
}

/**
 * How long opening a connection to a provider may take. The request's own timeout starts only
 * once its socket is connected (Node arms it on 'connect'), so without this a provider whose
 * address drops packets held a proxied call for the kernel's ~2 minutes of SYN retries. Ten
 * seconds, as undici (the daemon's `fetch`) allows; never more than the request's own timeout.
 */
export const CONNECT_TIMEOUT_MS = 10_000;

/** The agents: one pool per scheme for the whole proxy. */
export interface UpstreamAgents {
  libs: HttpLibs;
  http: HttpAgent;
  https: HttpsAgent;
}

/**
 * How long a pooled connection may sit idle before we close it. Load balancers and servers close
 * idle keep-alive connections on their own clock (Node servers at 5 s, announced in a `Keep-Alive:
 * timeout=5` header; many front ends without a word), and a request written on a connection just
 * as the far end closes it fails with ECONNRESET. Closing ours first makes that race rare: 4 s is
 * below the common 5 s, and undici (the daemon's own fetch) uses the same default. A provider that
 * announces a shorter timeout gets its own, less a second (see freeSocketIdleMs). The race that
 * remains (an upstream closing earlier, unannounced) is handled by replaying the request once
 * (see sendUpstream). Under load the sockets are rarely idle this long, so no handshake is added.
 */
export const FREE_SOCKET_IDLE_MS = 4000;

/**
 * How long a connection whose last response carried `keepAlive` (its Keep-Alive header) may stay
 * in the pool idle: FREE_SOCKET_IDLE_MS, or the server's announced timeout less a second when
 * that is shorter; 0 when the server's timeout is too short to reuse the connection at all.
 */
export function freeSocketIdleMs(keepAlive: string | undefined): number {
  const hint = keepAlive === undefined ? undefined : /^timeout=(\d+)/.exec(keepAlive)?.[1];
  if (hint === undefined) return FREE_SOCKET_IDLE_MS;
  return Math.max(0, Math.min(FREE_SOCKET_IDLE_MS, Number(hint) * 1000 - 1000));
}

/** The response a socket last carried (Node's own agent reads the Keep-Alive hint the same way). */
function lastResponseOf(socket: unknown): IncomingMessage | undefined {
  return (socket as { _httpMessage?: { res?: IncomingMessage } | null })._httpMessage?.res;
}

/**
 * Makes the agent close a pooled socket after FREE_SOCKET_IDLE_MS idle (or the server's hint).
 * Not the agent's `timeout` option: that one is also the socket timeout while it connects, where
 * it would end a slow connect as if the provider had not answered within proxy.upstreamTimeoutMs.
 * `keepSocketAlive` is the documented hook called when a socket goes back to the pool; the
 * agent destroys a free socket whose timeout fires. A request taking the socket sets its own.
 */
function expireIdleSockets<A extends HttpAgent>(agent: A): A {
  const keep = agent.keepSocketAlive.bind(agent) as (socket: Socket) => boolean;
  agent.keepSocketAlive = (socket) => {
    // Node's: setKeepAlive, unref, and false when the server's Keep-Alive timeout is a second or less.
    if (!keep(socket as Socket)) return false;
    const hint = lastResponseOf(socket)?.headers['keep-alive'];
    const idle = freeSocketIdleMs(typeof hint === 'string' ? hint : undefined);
    if (idle === 0) return false;
    (socket as Socket).setTimeout(idle);
    return true;
  };
  return agent;
}

/** Keep-alive agents; `destroy()` them when the proxy stops. */
export function createAgents(libs: HttpLibs): UpstreamAgents {
  return {
    libs,
    http: expireIdleSockets(new libs.http.Agent({ keepAlive: true, maxFreeSockets: 64, scheduling: 'lifo' })),
    https: expireIdleSockets(new libs.https.Agent({ keepAlive: true, maxFreeSockets: 64, scheduling: 'lifo' })),
  };
}

/** What one exchange sends. */
export interface UpstreamRequest {
  url: URL;
  method: string;
  headers: OutgoingHttpHeaders;
  body: Buffer;
  /** Silence (no headers, or no body byte) for this long ends the request with UpstreamTimeoutError. */
  timeoutMs: number;
  /** Called when the request is sent again on a new connection (see sendUpstream). */
  onReplay?: ((err: Error) => void) | undefined;
  /** The connect deadline; CONNECT_TIMEOUT_MS (or timeoutMs, if shorter) by default. */
  connectTimeoutMs?: number;
}

/** An exchange in flight: `abort()` ends it at any point (the client went away); `response` settles once. */
export interface UpstreamExchange {
  response: Promise<IncomingMessage>;
  abort: () => void;
}

/** The errors of a connection the far end closed or reset ('socket hang up' is ECONNRESET too). */
const CLOSED_CONNECTION_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * Whether a request that failed with `err` before its response head met a pooled connection the
 * far end had closed while it sat idle: it went out on a reused socket, the failure is the
 * connection's, and not one byte came back for it. The provider then never took the request.
 */
function metClosedIdleConnection(req: ClientRequest, err: Error, bytesReadBefore: number): boolean {
  if (!req.reusedSocket) return false;
  const code = (err as NodeJS.ErrnoException).code;
  if (!(code !== undefined && CLOSED_CONNECTION_CODES.has(code)) && err.message !== 'socket hang up') return false;
  return req.socket !== null && req.socket.bytesRead === bytesReadBefore;
}

/**
 * Sends the request. The idle timeout stays armed on the socket while the caller reads the
 * body, so a stream that stalls ends too. No AbortSignal: creating one (and the DOMException
 * an abort makes) per request was a measurable share of the proxy's time.
 *
 * A request that meets a pooled connection the provider closed while it was idle (the race of
 * its idle timeout against our next request; see FREE_SOCKET_IDLE_MS) is sent once more, on a
 * new connection, as Node's docs advise for `reusedSocket` and as mature HTTP clients do (the
 * body is in memory). A POST is replayed too: a reused connection that fails before a single
 * byte comes back is what an idle close looks like, and a provider that took the request and
 * then reset the connection without a byte is rare enough that, at worst, one identical call
 * more is the better trade than a 502. The caller sees one exchange (no outcome for the first
 * attempt, no failover step); only a failure of the new connection is the provider's. A
 * timeout or an abort is never replayed, nor a failure on a new connection.
 */
export function sendUpstream(agents: UpstreamAgents, r: UpstreamRequest): UpstreamExchange {
  const https = r.url.protocol === 'https:';
  const lib = https ? agents.libs.https : agents.libs.http;
  let current: ClientRequest | null = null;
  let aborted = false;
  const attempt = (fresh: boolean): Promise<IncomingMessage> =>
    new Promise<IncomingMessage>((resolve, reject) => {
      // `agent: false` for the replay: a new connection for certain. The pool is LIFO, so any
      // other idle socket in it has been idle longer than the one that just failed.
      const req = lib.request(r.url, { method: r.method, headers: r.headers, agent: fresh ? false : https ? agents.https : agents.http });
      current = req;
      let bytesReadBefore = 0;
      req.once('socket', (socket: Socket) => {
        bytesReadBefore = socket.bytesRead;
        if (!socket.connecting) return;
        const ms = Math.min(r.connectTimeoutMs ?? CONNECT_TIMEOUT_MS, r.timeoutMs);
        const deadline = setTimeout(() => req.destroy(new UpstreamConnectTimeoutError(ms)), ms);
        const clear = () => clearTimeout(deadline);
        socket.once('connect', clear);
        socket.once('close', clear);
      });
      req.setTimeout(r.timeoutMs, () => req.destroy(new UpstreamTimeoutError(r.timeoutMs)));
      const onError = (err: Error) => {
        if (!fresh && !aborted && metClosedIdleConnection(req, err, bytesReadBefore)) {
          req.on('error', () => undefined);
          r.onReplay?.(err);
          resolve(attempt(true));
          return;
        }
        reject(err);
      };
      req.once('error', onError);
      // Settles the exchange when nothing else did (a no-op otherwise): without it, a provider that
      // answered 101 left the request pending for good, holding one of proxy.maxConcurrent places.
      req.once('close', () => reject(new UpstreamNoResponseError()));
      req.once('response', (res) => {
        // Later errors (a reset mid-body) surface on the response stream, which the caller handles.
        req.removeListener('error', onError);
        req.on('error', () => undefined);
        resolve(res);
      });
      req.end(r.body.length > 0 ? r.body : undefined);
    });
  const response = attempt(false);
  return {
    response,
    abort: () => {
      aborted = true;
      current?.destroy();
    },
  };
}

/**
 * Reads at most `max` bytes of a response; `ended` says whether that was all of it. The rest, if
 * any, stays unread in the stream (paused) for the caller to pipe or discard.
 */
export function readHead(res: IncomingMessage, max: number): Promise<{ head: Buffer; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (ended: boolean) => {
      res.removeListener('data', onData);
      res.removeListener('end', onEnd);
      res.removeListener('error', onError);
      res.removeListener('close', onClose);
      resolve({ head: Buffer.concat(chunks), ended });
    };
    const onData = (chunk: Buffer) => {
      const room = max - size;
      if (chunk.length >= room) {
        chunks.push(chunk.subarray(0, room));
        size = max;
        res.pause();
        // The part past the bound goes back to the front of the stream, for the caller.
        if (chunk.length > room) res.unshift(chunk.subarray(room));
        done(false);
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    };
    const onEnd = () => done(true);
    const onError = (err: Error) => {
      res.removeListener('data', onData);
      reject(err);
    };
    const onClose = () => {
      if (!res.complete) onError(new Error('the provider closed the connection before the body ended'));
    };
    res.on('data', onData);
    res.once('end', onEnd);
    res.once('error', onError);
    res.once('close', onClose);
  });
}
