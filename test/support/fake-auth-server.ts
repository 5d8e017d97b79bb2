/**
 * An OAuth authorization server on 127.0.0.1 for the login tests: `/authorize` records the
 * request (challenge, state, redirect) and redirects to the redirect URI with a fresh code, as
 * a browser would be; `/token` redeems a code only with the verifier whose S256 challenge it
 * saw, the same redirect URI and client id (else `invalid_grant`), form or JSON; `/device/code`
 * and the device grant at `/token` follow a script (pending, slow_down, tokens). Every secret
 * it issues or receives is kept for the tests' grep.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fakeSecret, listenOnLoopback } from './harness.js';

export interface FakeAuthOptions {
  clientId?: string;
  /** The account the tokens name: in an id_token (`idToken`), in Anthropic's `account` object, or not at all. */
  email?: string;
  emailIn?: 'idToken' | 'account' | 'none';
  /** Device grant answers, in order, before the tokens. */
  deviceScript?: ('authorization_pending' | 'slow_down')[];
  deviceInterval?: number;
  /** Issue a refresh token (GitHub's device flow does not). */
  refresh?: boolean;
  expiresIn?: number;
}

export interface FakeAuthServer {
  url: string;
  /** Query of each /authorize request. */
  authorizations: URLSearchParams[];
  /** Body of each /token request (form or JSON, as key → value). */
  tokenRequests: Record<string, string>[];
  /** When each device-grant poll arrived (ms). */
  devicePolls: number[];
  /** Every secret issued or received: codes, verifiers, device codes, tokens. */
  secrets: string[];
  /** Tokens of the last successful exchange. */
  issued: { access: string; refresh: string | null; idToken: string | null }[];
}

const b64url = (b: Buffer) => b.toString('base64url');

/** A JWT with these claims (unsigned: the daemon only reads it to name the profile). */
export function fakeJwt(claims: Record<string, unknown>): string {
  return `${b64url(Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })))}.${b64url(Buffer.from(JSON.stringify(claims)))}.${b64url(randomBytes(16))}`;
}

function readBody(req: IncomingMessage): Promise<Record<string, string>> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      if (/json/.test(req.headers['content-type'] ?? '')) {
        try {
          resolve(JSON.parse(text) as Record<string, string>);
        } catch {
          resolve({});
        }
      } else resolve(Object.fromEntries(new URLSearchParams(text)));
    });
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Starts the server; it is closed after the test. */
export async function startFakeAuthServer(opts: FakeAuthOptions = {}): Promise<FakeAuthServer> {
  const clientId = opts.clientId ?? 'test-client';
  const email = opts.email ?? 'alice@example.com';
  const codes = new Map<string, { challenge: string; redirectUri: string }>();
  const deviceScript = [...(opts.deviceScript ?? [])];
  const deviceCodes = new Set<string>();
  const s: FakeAuthServer = { url: '', authorizations: [], tokenRequests: [], devicePolls: [], secrets: [], issued: [] };

  const tokens = () => {
    const access = fakeSecret('at-', 40);
    const refresh = opts.refresh === false ? null : fakeSecret('rt-', 40);
    const idToken =
      opts.emailIn === 'idToken' || opts.emailIn === undefined
        ? fakeJwt({ email, sub: 'user-1', 'https://api.openai.com/auth': { chatgpt_account_id: 'acct-42' } })
        : null;
    s.secrets.push(access, ...(refresh ? [refresh] : []), ...(idToken ? [idToken] : []));
    s.issued.push({ access, refresh, idToken });
    return {
      access_token: access,
      token_type: 'bearer',
      expires_in: opts.expiresIn ?? 3600,
      ...(refresh ? { refresh_token: refresh } : {}),
      ...(idToken ? { id_token: idToken } : {}),
      ...(opts.emailIn === 'account' ? { account: { uuid: 'acct-anthropic-1', email_address: email } } : {}),
    };
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/authorize') {
      s.authorizations.push(url.searchParams);
      const redirectUri = url.searchParams.get('redirect_uri') ?? '';
      const challenge = url.searchParams.get('code_challenge') ?? '';
      if (url.searchParams.get('client_id') !== clientId || url.searchParams.get('code_challenge_method') !== 'S256' || !challenge) {
        json(res, 400, { error: 'invalid_request' });
        return;
      }
      const code = `code-${b64url(randomBytes(18))}`;
      codes.set(code, { challenge, redirectUri });
      s.secrets.push(code);
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.writeHead(302, { location: back.toString() });
      res.end();
      return;
    }
    if (req.method !== 'POST') {
      json(res, 404, { error: 'not_found' });
      return;
    }
    void readBody(req).then((body) => {
      if (url.pathname === '/device/code') {
        if (body.client_id !== clientId) return json(res, 400, { error: 'invalid_client' });
        const deviceCode = `dc-${b64url(randomBytes(18))}`;
        deviceCodes.add(deviceCode);
        s.secrets.push(deviceCode);
        return json(res, 200, {
          device_code: deviceCode,
          user_code: 'WDJB-MJHT',
          verification_uri: `${s.url}/device`,
          interval: opts.deviceInterval ?? 1,
          expires_in: 120,
        });
      }
      if (url.pathname !== '/token') return json(res, 404, { error: 'not_found' });
      s.tokenRequests.push(body);
      if (body.code_verifier) s.secrets.push(body.code_verifier);
      if (body.client_id !== clientId) return json(res, 401, { error: 'invalid_client' });
      if (body.grant_type === 'urn:ietf:params:oauth:grant-type:device_code') {
        s.devicePolls.push(Date.now());
        if (!deviceCodes.has(body.device_code ?? '')) return json(res, 400, { error: 'invalid_grant' });
        const next = deviceScript.shift();
        if (next) return json(res, 400, { error: next });
        deviceCodes.delete(body.device_code ?? '');
        return json(res, 200, tokens());
      }
      if (body.grant_type !== 'authorization_code') return json(res, 400, { error: 'unsupported_grant_type' });
      const issued = codes.get(body.code ?? '');
      const challenge = createHash('sha256')
        .update(body.code_verifier ?? '')
        .digest('base64url');
      // PKCE: the code is redeemed only with the verifier of the challenge it was issued for.
      if (!issued || issued.challenge !== challenge || issued.redirectUri !== body.redirect_uri) return json(res, 400, { error: 'invalid_grant' });
      codes.delete(body.code ?? '');
      return json(res, 200, tokens());
    });
  });
  const port = await listenOnLoopback(server);
  s.url = `http://127.0.0.1:${port}`;
  return s;
}
