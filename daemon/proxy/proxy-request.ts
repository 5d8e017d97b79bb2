/**
 * One proxied request (§12), start to end: refuse what must be refused before anything is read
 * (a page's `Origin`, a foreign `Host`, no valid proxy key, too many requests at once), read the
 * body within its bound, then for each credential of the order (§8.1) send the request with
 * that credential and look at the answer. A 2xx streams back untouched. A failure is classified
 * (§8.2) from at most 64 KiB of its body and reported to the usage owner; a failover-worthy one
 * tries the next credential — only while nothing has gone to the client, never away from a
 * session's pin — and otherwise goes to the client as the provider sent it (minus our secret).
 *
 * Nothing of a body is ever logged; headers are logged at debug level with credentials replaced.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { OpenSoulError } from '../../ipc/errors.js';
import type { ProviderApi } from '../../ipc/providers.js';
import type { ProxyConfig } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import { anthropicAuthHeaders } from '../providers/anthropic-messages.js';
import { FAILOVER_OUTCOMES, classifyHttpFailure, classifyNetworkError, retryAfterMs } from '../providers/classify.js';
import type { Classification } from '../providers/classify.js';
import { removeWholeSecrets } from '../providers/error-text.js';
import { MAX_ERROR_BODY_BYTES } from '../providers/limits.js';
import { bearerAuthHeaders } from '../providers/openai-chat.js';
import type { ProviderCredential } from '../providers/types.js';
import { ENV_CANDIDATE, resolveCredential } from '../resolver/resolve.js';
import type { UsageLedger } from '../resolver/usage.js';
import type { AgentView, GatewayState } from '../state/gateway-state.js';
import type { ProxyKeys } from './proxy-keys.js';
import { secretScrubber } from './secret-scrubber.js';
import type { SecretScrubber } from './secret-scrubber.js';
import { watchStreamErrors } from './stream-errors.js';
import {
  clientResponseHeaders,
  errorBody,
  hostAllowed,
  modelOf,
  presentedKey,
  redactedHeaders,
  routeOf,
  upstreamRequestHeaders,
  upstreamUrl,
} from './proxy-routes.js';
import type { ProxyErrorKind } from './proxy-routes.js';
import { UpstreamConnectTimeoutError, readHead, sendUpstream } from './upstream.js';
import type { UpstreamAgents } from './upstream.js';

/** At most this many credentials per request, as in a chat turn. */
const MAX_ATTEMPTS = 5;

/** The session header: its pin decides the credential (§8.3). */
export const SESSION_HEADER = 'x-opensoul-session';
// eslint-disable-next-line no-control-regex -- a session id is shown and stored: no control characters
const SESSION_ID = /^[^\u0000-\u001f\u007f]{1,200}$/;

/** Counters shared by every listener (status shows them). */
export interface ProxyCounters {
  requests: number;
  active: number;
}

/** What a request needs of the daemon. */
export interface ProxyRequestDeps {
  state: GatewayState;
  usage: UsageLedger;
  keys: ProxyKeys;
  agents: UpstreamAgents;
  counters: ProxyCounters;
  /** When each (agent, profile) was last marked used by the proxy (bounded by the number of profiles). */
  marked: Map<string, number>;
  log: Logger;
  config: () => ProxyConfig;
  /** The session's pinned profile, or null. */
  sessionPin: (agent: string, session: string) => string | null;
  registerSecrets: (values: string[]) => void;
  now: () => number;
}

const STATUS: Readonly<Record<ProxyErrorKind, number>> = {
  authentication: 401,
  permission: 403,
  not_found: 404,
  too_large: 413,
  request_timeout: 408,
  overloaded: 503,
  bad_gateway: 502,
  timeout: 504,
  invalid_request: 400,
  internal: 500,
};

function refuse(res: ServerResponse, api: ProviderApi, kind: ProxyErrorKind, message: string, extra: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = errorBody(api, kind, message);
  res.writeHead(STATUS[kind], { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

const KEY_REFUSALS = {
  missing: 'no proxy key: send one in x-api-key or Authorization: Bearer (create one with `opensoul proxy key create`)',
  unknown: 'this proxy key is not valid (mistyped, or revoked)',
  expired: 'this proxy key has expired',
  provider: 'this proxy key may not be used for this provider',
} as const;

/**
 * The request body, whole; 'too-large' past `max` and 'timeout' when it is not whole within
 * `timeoutMs` (the client gets 413 or 408); null when the client went away. The deadline is why
 * a tool that stalls mid-body (a suspended process, a slowloris) cannot hold one of the
 * maxConcurrent places for good: the server's own requestTimeout is off (see ProxyListener).
 */
function readBody(req: IncomingMessage, max: number, timeoutMs: number): Promise<Buffer | 'too-large' | 'timeout' | null> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      resolve('too-large');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let timer: NodeJS.Timeout | undefined;
    const settle = (outcome: Buffer | 'too-large' | 'timeout' | null) => {
      clearTimeout(timer);
      resolve(outcome);
    };
    const stop = (why: 'too-large' | 'timeout') => {
      req.removeAllListeners('data');
      req.pause();
      settle(why);
    };
    // No timer when the whole request came with its headers (most do): nothing can stall.
    if (!req.complete) timer = setTimeout(() => stop('timeout'), timeoutMs);
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        stop('too-large');
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => settle(Buffer.concat(chunks, size)));
    req.once('error', () => settle(null));
    req.once('close', () => {
      if (!req.complete) settle(null);
    });
  });
}

function authHeadersFor(api: ProviderApi, credential: ProviderCredential): Record<string, string> {
  return api === 'anthropic-messages' ? anthropicAuthHeaders(credential) : bearerAuthHeaders(credential);
}

/**
 * Whether to report `ok` now: always when it clears something (errors, a cooldown); only to move
 * `lastGood` otherwise, and then at most once a second per profile (see MARK_USED_EVERY_MS): a
 * write per request for a profile already clean was most of the proxy's cost under load.
 */
function shouldReportOk(d: ProxyRequestDeps, view: AgentView, provider: string, profileId: string): boolean {
  const s = view.usage.usageStats[profileId];
  const dirty =
    s !== undefined && (s.errorCount !== undefined || s.cooldownUntil !== undefined || s.disabledUntil !== undefined || s.failureCounts !== undefined);
  if (dirty) return true;
  return view.usage.lastGood[provider] !== profileId && due(d, `good\u0000${view.id}\u0000${profileId}`);
}

/**
 * How often one profile's `lastUsed` is written from proxied traffic. Each write is a locked,
 * fsynced rewrite of the usage file; at hundreds of requests a second that was a third of the
 * proxy's cost. Under that load the writes lag behind the requests anyway, so "least recently
 * used" rotates the profiles per second instead of per request, as it does here by design.
 */
export const MARK_USED_EVERY_MS = 1000;

/** Whether the write keyed `key` has not been made within the last MARK_USED_EVERY_MS (and is now due). */
function due(d: ProxyRequestDeps, key: string): boolean {
  const now = d.now();
  const last = d.marked.get(key);
  if (last !== undefined && now - last < MARK_USED_EVERY_MS && now >= last) return false;
  d.marked.set(key, now);
  return true;
}

function markUsed(d: ProxyRequestDeps, agent: string, profileId: string): void {
  if (due(d, `used\u0000${agent}\u0000${profileId}`)) void d.usage.markUsed(agent, profileId, d.now());
}

function errorCode(err: Error): string | null {
  return (err as NodeJS.ErrnoException).code ?? null;
}

/**
 * Handles one request on a listener bound to `port`. Never throws. `keyed` is called as soon as
 * the request's proxy key is found valid: the listener then counts its connection as a tool's,
 * which its connection cap spares (see ProxyListener).
 */
export async function handleProxyRequest(
  d: ProxyRequestDeps,
  port: number,
  req: IncomingMessage,
  res: ServerResponse,
  keyed: () => void = () => undefined,
): Promise<void> {
  d.counters.requests++;
  const route = routeOf(req.url);
  const provider = route ? d.state.providers.get(route.provider) : undefined;
  const api: ProviderApi = provider?.api ?? 'openai-chat';
  if (d.log.isEnabled('debug')) d.log.debug('proxy request', { method: req.method, provider: route?.provider ?? null, headers: redactedHeaders(req.headers) });

  // A web page can make the browser send requests here; a page's requests carry an Origin, and a
  // DNS-rebinding page's carry its own Host. Neither reaches a provider.
  if (req.headers.origin !== undefined) return refuse(res, api, 'permission', 'requests from web pages (with an Origin header) are refused');
  if (!hostAllowed(req.headers.host, port))
    return refuse(res, api, 'permission', `the Host header must be 127.0.0.1:${port}, localhost:${port} or [::1]:${port}`);
  if (!route || !provider)
    return refuse(res, api, 'not_found', 'unknown route: use /<provider>/… such as /anthropic/v1/messages or /openai/v1/chat/completions');
  const verdict = d.keys.verify(presentedKey(req.headers), provider.id, d.now());
  if (!verdict.ok) return refuse(res, api, 'authentication', KEY_REFUSALS[verdict.reason]);
  keyed();
  const view = d.state.agentView(verdict.record.agent);
  if (!view) return refuse(res, api, 'permission', `this proxy key's agent "${verdict.record.agent}" no longer exists`);
  if (provider.baseUrl === '')
    return refuse(res, api, 'not_found', `${provider.id} has no base URL: set models.providers.${provider.id}.baseUrl in opensoul.json`);
  const target = upstreamUrl(provider.baseUrl, route.rest);
  if (!target) return refuse(res, api, 'invalid_request', 'the path does not stay under the provider base URL');
  const session = req.headers[SESSION_HEADER];
  if (session !== undefined && (typeof session !== 'string' || !SESSION_ID.test(session)))
    return refuse(res, api, 'invalid_request', `${SESSION_HEADER} must be a session id without control characters`);

  const cfg = d.config();
  // Past the cap the tool is told to come back: its SDK retries a 503 with Retry-After by itself,
  // and nothing (a socket, a body) is held here meanwhile, which a queue would do.
  if (d.counters.active >= cfg.maxConcurrent)
    return refuse(res, api, 'overloaded', `more than ${cfg.maxConcurrent} requests at once (proxy.maxConcurrent)`, { 'retry-after': '1' });
  d.counters.active++;
  try {
    const pin = session === undefined ? null : d.sessionPin(view.id, session);
    await forward(d, cfg, { req, res, api, provider: provider.id, view, target, pin });
  } catch (err) {
    d.log.error('proxy request failed', { err, provider: provider.id });
    refuse(res, api, 'internal', 'unexpected error in the proxy (see the gateway log)');
  } finally {
    d.counters.active--;
  }
}

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  api: ProviderApi;
  provider: string;
  view: AgentView;
  target: URL;
  pin: string | null;
}

/** A failure kept to answer with when no credential is left to try. */
interface HeldFailure {
  status: number;
  headers: ReturnType<typeof clientResponseHeaders>;
  body: Buffer;
}

function sendHeld(res: ServerResponse, f: HeldFailure): void {
  const headers = { ...f.headers, 'content-length': String(f.body.length) };
  delete headers['content-encoding'];
  res.writeHead(f.status, headers);
  res.end(f.body);
}

async function forward(d: ProxyRequestDeps, cfg: ProxyConfig, x: Exchange): Promise<void> {
  const { req, res, api, provider, view } = x;
  // The client went away: the exchange in flight (if any) is ended, and no other is started.
  const gone = { now: false, abort: null as (() => void) | null };
  res.once('close', () => {
    if (res.writableFinished) return;
    gone.now = true;
    gone.abort?.();
  });
  const body = await readBody(req, cfg.maxBodyBytes, cfg.bodyTimeoutMs);
  if (body === null) return;
  if (body === 'too-large' || body === 'timeout') {
    // The rest of the body is not read: the connection cannot carry another request.
    res.setHeader('connection', 'close');
    return body === 'too-large'
      ? refuse(res, api, 'too_large', `the request body is larger than ${cfg.maxBodyBytes} bytes (proxy.maxBodyBytes)`)
      : refuse(res, api, 'request_timeout', `the request body did not arrive within ${cfg.bodyTimeoutMs} ms (proxy.bodyTimeoutMs)`);
  }
  const model = modelOf(body, req.headers['content-type']);
  const tried = new Set<string>();
  let held: HeldFailure | null = null;

  for (let n = 0; n < MAX_ATTEMPTS; n++) {
    if (gone.now) return;
    let resolved;
    try {
      resolved = await resolveCredential(d.state, view, provider, d.now(), { pin: x.pin ?? undefined, model, exclude: tried });
    } catch (err) {
      if (held) return sendHeld(res, held);
      if (err instanceof OpenSoulError && err.kind === 'NO_CREDENTIALS')
        return refuse(res, api, 'authentication', `the gateway has no usable credential for ${provider}: ${err.message}`);
      throw err;
    }
    d.registerSecrets([resolved.secret]);
    const { profileId } = resolved;
    if (profileId) markUsed(d, view.id, profileId);
    const headers = upstreamRequestHeaders(req.headers, authHeadersFor(api, { type: resolved.type, secret: resolved.secret }), body.length);
    const exchange = sendUpstream(d.agents, {
      url: x.target,
      method: req.method ?? 'GET',
      headers,
      body,
      timeoutMs: cfg.upstreamTimeoutMs,
      // Not the credential's or the provider's failure (no outcome, no failover step): a pooled connection it had closed.
      onReplay: (err) => d.log.debug('proxy: the provider had closed a pooled connection; sent again on a new one', { provider, code: errorCode(err) }),
    });
    gone.abort = exchange.abort;
    let upRes: IncomingMessage;
    try {
      upRes = await exchange.response;
    } catch (err) {
      if (gone.now) return;
      const outcome = classifyNetworkError(err);
      if (profileId) void d.usage.report(view, profileId, outcome, { at: d.now(), model });
      d.log.warn('proxy: the provider could not be reached', { provider, outcome });
      if (held) return sendHeld(res, held);
      return refuse(
        res,
        api,
        outcome === 'timeout' ? 'timeout' : 'bad_gateway',
        err instanceof UpstreamConnectTimeoutError
          ? `could not connect to ${provider} within ${err.ms} ms`
          : outcome === 'timeout'
            ? `no answer from ${provider} within ${cfg.upstreamTimeoutMs} ms`
            : `could not reach ${provider}`,
      );
    }
    const up = { res: upRes, abort: exchange.abort };
    const status = up.res.statusCode ?? 502;
    if (status >= 200 && status < 300) {
      if (profileId && shouldReportOk(d, view, provider, profileId)) void d.usage.report(view, profileId, 'ok', { at: d.now(), model });
      // An error event inside the stream (an overload mid-reply) cannot fail over — bytes have
      // gone — but it counts against the credential like any call's outcome.
      const id = profileId;
      const onStreamError = id
        ? (c: Classification) => {
            d.log.info('proxy: the provider reported an error mid-stream', { provider, profileId: id, outcome: c.outcome });
            void d.usage.report(view, id, c.outcome, { at: d.now(), model: c.modelScoped ? model : undefined });
          }
        : undefined;
      const head = { status, headers: clientResponseHeaders(up.res.headers, resolved.secret) };
      const scrub = secretScrubber(resolved.secret);
      return relay(d, res, up.res, head, up.abort, scrub, onStreamError ? watchStreamErrors(model, onStreamError) : undefined);
    }
    let head: { head: Buffer; ended: boolean };
    try {
      head = await readHead(up.res, MAX_ERROR_BODY_BYTES);
    } catch {
      if (gone.now) return;
      return refuse(res, api, 'bad_gateway', `${provider} closed the connection mid-answer`);
    }
    // A provider may echo the key it refused: it never reaches the tool or a classifier's message.
    const text = removeWholeSecrets(head.head.toString('utf8'), [resolved.secret]);
    const c = classifyHttpFailure({ status, bodyText: text, headers: up.res.headers as Record<string, string>, ...(model ? { model } : {}) });
    if (profileId) {
      await d.usage.report(view, profileId, c.outcome, {
        at: d.now(),
        model: c.modelScoped ? model : undefined,
        retryAfterMs: retryAfterMs(up.res.headers as Record<string, string>, d.now()) ?? undefined,
      });
    }
    const failover = FAILOVER_OUTCOMES.has(c.outcome) && !resolved.pinned && n + 1 < MAX_ATTEMPTS;
    if (failover || head.ended) {
      const scrubbed = text === head.head.toString('utf8') ? head.head : Buffer.from(text, 'utf8');
      held = { status, headers: clientResponseHeaders(up.res.headers, resolved.secret), body: scrubbed };
      if (!head.ended) up.abort();
      if (!failover) return sendHeld(res, held);
      d.log.info('proxy: failing over to the next credential', { provider, profileId, envVar: resolved.envVar, outcome: c.outcome, status });
      tried.add(profileId ?? ENV_CANDIDATE);
      continue;
    }
    // An error body past 64 KiB: its head and the rest as it comes, through one scrubber (a secret
    // may straddle the two), which keeps the length.
    const scrub = secretScrubber(resolved.secret);
    res.writeHead(status, clientResponseHeaders(up.res.headers, resolved.secret));
    res.write(scrub.push(head.head));
    return relay(d, res, up.res, null, up.abort, scrub);
  }
  if (held) sendHeld(res, held);
}

/** Streams the provider's response to the client as it arrives (`head` null: the head is already written). */
function relay(
  d: ProxyRequestDeps,
  res: ServerResponse,
  up: IncomingMessage,
  head: { status: number; headers: OutgoingHttpHeaders } | null,
  abort: () => void,
  scrub: SecretScrubber,
  watchEvents?: (chunk: Buffer) => void,
): Promise<void> {
  const eventStream = /^text\/event-stream/i.test(String(up.headers['content-type'] ?? ''));
  const watch = eventStream ? watchEvents : undefined;
  if (head !== null) res.writeHead(head.status, head.headers);
  // The whole answer is here already (it came in the socket read that carried the head): head,
  // body and end leave in one write, not the three (head, chunks, terminator) of the streaming
  // path below; with 64 streams at once those syscalls were a third of the proxy's writes.
  if (up.complete) return relayWhole(d, res, up, abort, scrub, watch);
  // An event stream's head leaves at once (the tool learns the call was taken before the first
  // event) unless its first bytes are here to carry it; any other head leaves with the first
  // body bytes, one write instead of two.
  if (head !== null && eventStream && up.readableLength === 0) res.flushHeaders();
  // By hand, as pipe() does it (backpressure both ways), with each chunk through the scrubber;
  // not stream.pipeline, which makes an AbortController (and an AbortError) per call. A client
  // that goes away destroys the upstream request, whose socket closes, which ends the provider's
  // work; an upstream that fails mid-body ends the client's response without its terminating
  // chunk, so the tool sees a cut.
  return new Promise((resolve) => {
    const settle = settler(d, res, abort, resolve);
    up.on('error', () => settle(true));
    up.once('aborted', () => settle(true));
    res.once('close', () => settle(!res.writableFinished));
    res.once('finish', () => settle(false));
    const resume = () => up.resume();
    up.on('data', (chunk: Buffer) => {
      watch?.(chunk);
      const out = scrub.push(chunk);
      if (out.length > 0 && !res.write(out)) {
        up.pause();
        res.once('drain', resume);
      }
    });
    up.once('end', () => {
      const rest = scrub.end();
      res.end(rest.length > 0 ? rest : undefined);
    });
    // A 'data' listener does not restart a stream paused by hand (readHead pauses an error body).
    up.resume();
  });
}

/**
 * Relays a response the parser has already read whole (buffered in `up`, at most a socket read
 * or two: the client socket stops reading past its high-water mark). Writing it at once holds
 * nothing back: every byte is already here, and the writes of one tick go out corked together.
 */
function relayWhole(
  d: ProxyRequestDeps,
  res: ServerResponse,
  up: IncomingMessage,
  abort: () => void,
  scrub: SecretScrubber,
  watch?: (chunk: Buffer) => void,
): Promise<void> {
  return new Promise((resolve) => {
    let chunk: Buffer | null;
    while ((chunk = up.read() as Buffer | null) !== null) {
      watch?.(chunk);
      const out = scrub.push(chunk);
      if (out.length > 0) res.write(out);
    }
    const rest = scrub.end();
    if (rest.length > 0) res.write(rest);
    // The stream still has to emit 'end' (which hands the socket back to the agent's pool).
    up.resume();
    const settle = settler(d, res, abort, resolve);
    res.once('close', () => settle(!res.writableFinished));
    res.once('finish', () => settle(false));
    res.end();
  });
}

/** The end of a relay, once: a cut (the client went away, or the provider failed mid-body) aborts the upstream request and destroys the response. */
function settler(d: ProxyRequestDeps, res: ServerResponse, abort: () => void, resolve: () => void): (cut: boolean) => void {
  let settled = false;
  return (cut) => {
    if (settled) return;
    settled = true;
    if (cut) {
      abort();
      res.destroy();
      d.log.debug('proxy: a relayed response ended early');
    }
    resolve();
  };
}
