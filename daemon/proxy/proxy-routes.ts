/**
 * The proxy's pure rules (§12): which hosts it listens on and answers to, how a request path
 * maps to the provider's URL, which headers cross in each direction, and how its own refusals
 * look (in the error shape of the provider the tool thinks it is talking to, so its SDK shows
 * the message instead of a parse error).
 *
 * Path mapping: `/<provider>` stands for the provider's base URL. A path that starts with `/v1`
 * under a base URL that already ends in `/v1` does not double it, so both usual SDK settings
 * work: `ANTHROPIC_BASE_URL=http://127.0.0.1:PORT/anthropic` (the SDK adds `/v1/messages`;
 * Anthropic's base has no `/v1`) and `OPENAI_BASE_URL=http://127.0.0.1:PORT/openai/v1` (the SDK
 * adds `/chat/completions`; OpenAI's base ends in `/v1`).
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { ProviderApi } from '../../ipc/providers.js';
import { PROVIDER_ID_PATTERN } from '../../ipc/providers.js';
import { removeWholeSecrets } from '../providers/error-text.js';
import { PROXY_KEY_IN_TEXT, PROXY_KEY_PREFIX } from './proxy-keys.js';

/** The only addresses the proxy may listen on: a loopback port is reachable from this host alone. */
export const LOOPBACK_LISTEN_HOSTS: readonly string[] = ['127.0.0.1', '::1'];

/** Why `host` cannot be listened on (naming the setting), or null. */
export function listenHostProblem(host: string): string | null {
  if (LOOPBACK_LISTEN_HOSTS.includes(host)) return null;
  return (
    `proxy.host "${host.slice(0, 100)}" is refused: the proxy listens on loopback only ("127.0.0.1" or "::1"), ` +
    'because anyone who can reach the port can spend your credits'
  );
}

/** The proxy's URL for clients. */
export function proxyUrl(host: string, port: number): string {
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}

/**
 * Whether a `Host` header names the proxy by a loopback name and its port. Anything else is a
 * DNS-rebinding page (evil.example resolving to 127.0.0.1) or a request meant for someone else.
 */
export function hostAllowed(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  const h = host.toLowerCase();
  return h === `127.0.0.1:${port}` || h === `localhost:${port}` || h === `[::1]:${port}`;
}

/** A request path split into the provider id and the rest (path and query), or null. */
export function routeOf(url: string | undefined): { provider: string; rest: string } | null {
  if (url === undefined || !url.startsWith('/')) return null;
  const m = /^\/([^/?#]+)(\/[^#]*)?$/.exec(url) ?? /^\/([^/?#]+)(\?[^#]*)$/.exec(url);
  if (!m) return null;
  const provider = m[1] as string;
  if (!PROVIDER_ID_PATTERN.test(provider)) return null;
  const rest = m[2] ?? '/';
  return { provider, rest: rest.startsWith('?') ? `/${rest}` : rest };
}

/**
 * The upstream URL of a request's rest under the provider's base URL, or null when the rest
 * would leave the base (a `..` segment, an encoded slash or backslash trick, another origin).
 */
export function upstreamUrl(baseUrl: string, rest: string): URL | null {
  const base = parsedBase(baseUrl);
  if (!base) return null;
  const q = rest.indexOf('?');
  let pathPart = q === -1 ? rest : rest.slice(0, q);
  const query = q === -1 ? '' : withoutProxyKeys(rest.slice(q));
  if (pathPart.split('/').some((seg) => seg === '..' || seg === '.' || /%2e|%2f|%5c/i.test(seg)) || pathPart.includes('\\')) return null;
  if (base.v1 && (pathPart === '/v1' || pathPart.startsWith('/v1/'))) pathPart = pathPart.slice(3) || '/';
  let out: URL;
  try {
    out = new URL(`${base.prefix}${base.path}${pathPart === '/' ? (base.path === '' ? '/' : '') : pathPart}${query}`);
  } catch {
    return null;
  }
  return out.origin === base.origin ? out : null;
}

/** A query component as sent, or the text it stands for when it is not valid percent-encoding. */
function decodedQueryPart(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return part;
  }
}

/**
 * A query string (`?…`) without the parameters that hold a proxy key: a tool may put its key in
 * `?key=` too (Google's style), and the key is ours, meant for this host only. The others are
 * kept byte for byte.
 */
export function withoutProxyKeys(query: string): string {
  if (!PROXY_KEY_IN_TEXT.test(decodedQueryPart(query))) return query;
  const kept = query
    .slice(1)
    .split('&')
    .filter((part) => !PROXY_KEY_IN_TEXT.test(decodedQueryPart(part)));
  return kept.length === 0 ? '' : `?${kept.join('&')}`;
}

/** Whether a header value holds a proxy key. */
function holdsProxyKey(value: string | string[] | number): boolean {
  if (typeof value === 'number') return false;
  return typeof value === 'string' ? value.includes(PROXY_KEY_PREFIX) && PROXY_KEY_IN_TEXT.test(value) : value.some(holdsProxyKey);
}

/** Base URLs as parsed once (there are a handful; a request must not parse its provider's again). */
const BASES = new Map<string, ParsedBase | null>();

/** A base URL's parts: `prefix` is scheme, user info (a proxy's base URL may carry it) and host. */
interface ParsedBase {
  prefix: string;
  origin: string;
  path: string;
  v1: boolean;
}

function parsedBase(baseUrl: string): ParsedBase | null {
  let hit = BASES.get(baseUrl);
  if (hit === undefined) {
    try {
      const u = new URL(baseUrl);
      const path = u.pathname.replace(/\/+$/, '');
      const auth = u.username === '' ? '' : `${u.username}${u.password === '' ? '' : `:${u.password}`}@`;
      hit = { prefix: `${u.protocol}//${auth}${u.host}`, origin: u.origin, path, v1: /\/v1$/.test(path) };
    } catch {
      hit = null;
    }
    // Bounded: config reloads could otherwise add an entry per edit of a base URL, forever.
    if (BASES.size >= 64) BASES.clear();
    BASES.set(baseUrl, hit);
  }
  return hit;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1), never forwarded in either direction. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Request headers that never reach the provider: the tool's key (ours, not the provider's), our
 * own session header, the Host (set from the upstream URL), the length and `Expect` (the body is
 * re-sent whole, already read) and the encodings the tool accepts: the proxy asks for an identity
 * body (see upstreamRequestHeaders) so that it can read an error's text and remove a secret from it
 * (the hop back to the tool is local).
 */
const NOT_FORWARDED: ReadonlySet<string> = new Set([
  'host',
  'authorization',
  'x-api-key',
  'x-opensoul-session',
  'content-length',
  'accept-encoding',
  'origin',
  'cookie',
  'expect',
]);

/** The headers named in `Connection` are hop-by-hop too. */
function connectionTokens(headers: IncomingHttpHeaders): Set<string> {
  const c = headers.connection;
  return new Set(
    (typeof c === 'string' ? c : '')
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== ''),
  );
}

/**
 * The headers sent upstream: the tool's, minus hop-by-hop and its key, plus the credential's
 * headers. An `anthropic-beta` of the credential (the OAuth flag) joins the tool's own flags.
 * The key goes wherever the tool also put it (`api-key`, `x-goog-api-key`, a header of its own):
 * a proxy key is for this host only, and a provider that reads that header first would refuse
 * the call, cooling the credential down for the tool's mistake.
 */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, auth: Readonly<Record<string, string>>, bodyLength: number): OutgoingHttpHeaders {
  const drop = connectionTokens(incoming);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || NOT_FORWARDED.has(name) || drop.has(name) || holdsProxyKey(value)) continue;
    out[name] = value;
  }
  for (const [name, value] of Object.entries(auth)) {
    const had = out[name];
    if (name === 'anthropic-beta' && typeof had === 'string' && had.trim() !== '') {
      const flags = had.split(',').map((f) => f.trim());
      out[name] = flags.includes(value) ? had : `${had},${value}`;
    } else {
      out[name] = value;
    }
  }
  if (bodyLength > 0 || incoming['content-length'] !== undefined || incoming['transfer-encoding'] !== undefined) out['content-length'] = String(bodyLength);
  // Said, not left out: a request without Accept-Encoding accepts any coding (RFC 9110 §12.5.3).
  out['accept-encoding'] = 'identity';
  return out;
}

/**
 * The response headers passed back to the tool: the provider's, minus hop-by-hop, with the
 * credential sent (`secret`) removed from any value that echoes it, as from an error body: the
 * tool must never see a provider secret, and a header can carry one as well as a body can.
 */
export function clientResponseHeaders(upstream: IncomingHttpHeaders, secret: string): OutgoingHttpHeaders {
  const drop = connectionTokens(upstream);
  const out: OutgoingHttpHeaders = {};
  const scrub = (v: string) => (secret !== '' && v.includes(secret) ? removeWholeSecrets(v, [secret]) : v);
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined || HOP_BY_HOP.has(name) || drop.has(name)) continue;
    out[name] = typeof value === 'string' ? scrub(value) : value.map(scrub);
  }
  return out;
}

/** The key a tool presents: `x-api-key` (Anthropic SDKs) or `Authorization: Bearer` (OpenAI SDKs, Claude Code's auth token). */
export function presentedKey(headers: IncomingHttpHeaders): string | null {
  const x = headers['x-api-key'];
  if (typeof x === 'string' && x.trim() !== '') return x.trim();
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1] as string;
  }
  return null;
}

/** Headers as they may be logged: the credential-bearing ones replaced. */
export function redactedHeaders(headers: IncomingHttpHeaders | OutgoingHttpHeaders): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name] = /^(authorization|proxy-authorization|x-api-key|api-key|x-goog-api-key|cookie|set-cookie)$/i.test(name) ? '[redacted]' : value;
  }
  return out;
}

/** The proxy's own error kinds, each with the type name the provider's SDKs know. */
/** The proxy's own refusals and failures. */
export type ProxyErrorKind =
  'authentication' | 'permission' | 'not_found' | 'too_large' | 'request_timeout' | 'overloaded' | 'bad_gateway' | 'timeout' | 'invalid_request' | 'internal';

const ANTHROPIC_TYPE: Readonly<Record<ProxyErrorKind, string>> = {
  authentication: 'authentication_error',
  permission: 'permission_error',
  not_found: 'not_found_error',
  too_large: 'request_too_large',
  request_timeout: 'timeout_error',
  overloaded: 'overloaded_error',
  bad_gateway: 'api_error',
  timeout: 'timeout_error',
  invalid_request: 'invalid_request_error',
  internal: 'api_error',
};

const OPENAI_TYPE: Readonly<Record<ProxyErrorKind, string>> = {
  authentication: 'invalid_request_error',
  permission: 'invalid_request_error',
  not_found: 'invalid_request_error',
  too_large: 'invalid_request_error',
  request_timeout: 'invalid_request_error',
  overloaded: 'server_error',
  bad_gateway: 'server_error',
  timeout: 'server_error',
  invalid_request: 'invalid_request_error',
  internal: 'server_error',
};

/** An error body in the shape of the provider's API family. */
export function errorBody(api: ProviderApi, kind: ProxyErrorKind, message: string): string {
  const text = `OpenSoul proxy: ${message}`;
  if (api === 'anthropic-messages') return JSON.stringify({ type: 'error', error: { type: ANTHROPIC_TYPE[kind], message: text } });
  return JSON.stringify({ error: { message: text, type: OPENAI_TYPE[kind], code: `opensoul_${kind}`, param: null } });
}

/** The request's `model`, when its body is a JSON object naming one (for per-model cooldowns). */
export function modelOf(body: Buffer, contentType: string | undefined): string | undefined {
  if (body.length === 0 || (contentType !== undefined && !/json/i.test(contentType))) return undefined;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    const model = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).model : undefined;
    return typeof model === 'string' && model.length > 0 && model.length <= 200 ? model : undefined;
  } catch {
    return undefined;
  }
}
