/**
 * One upstream HTTP exchange for the proxy, on `node:http`/`node:https` with keep-alive agents
 * (a TLS handshake per request would cost more than everything else the proxy does). Resolves
 * with the response as a stream, untouched: the caller pipes it (backpressure and all) or reads
 * the head of an error body. Redirects are never followed: the request carries a credential.
 */
import type { Agent as HttpAgent, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type * as NodeHttp from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type * as NodeHttps from 'node:https';

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

/** The agents: one pool per scheme for the whole proxy. */
export interface UpstreamAgents {
  libs: HttpLibs;
  http: HttpAgent;
  https: HttpsAgent;
}

/** Keep-alive agents; `destroy()` them when the proxy stops. */
export function createAgents(libs: HttpLibs): UpstreamAgents {
  return {
    libs,
    http: new libs.http.Agent({ keepAlive: true, maxFreeSockets: 64, scheduling: 'lifo' }),
    https: new libs.https.Agent({ keepAlive: true, maxFreeSockets: 64, scheduling: 'lifo' }),
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
}

/** An exchange in flight: `abort()` ends it at any point (the client went away); `response` settles once. */
export interface UpstreamExchange {
  response: Promise<IncomingMessage>;
  abort: () => void;
}

/**
 * Sends the request. The idle timeout stays armed on the socket while the caller reads the
 * body, so a stream that stalls ends too. No AbortSignal: creating one (and the DOMException
 * an abort makes) per request was a measurable share of the proxy's time.
 */
export function sendUpstream(agents: UpstreamAgents, r: UpstreamRequest): UpstreamExchange {
  const lib = r.url.protocol === 'https:' ? agents.libs.https : agents.libs.http;
  const req = lib.request(r.url, { method: r.method, headers: r.headers, agent: r.url.protocol === 'https:' ? agents.https : agents.http });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.setTimeout(r.timeoutMs, () => req.destroy(new UpstreamTimeoutError(r.timeoutMs)));
    req.once('error', reject);
    req.once('response', (res) => {
      // Later errors (a reset mid-body) surface on the response stream, which the caller handles.
      req.removeListener('error', reject);
      req.on('error', () => undefined);
      resolve(res);
    });
  });
  req.end(r.body.length > 0 ? r.body : undefined);
  return { response, abort: () => req.destroy() };
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
