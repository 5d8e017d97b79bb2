/** One refresh request against a real HTTP server on 127.0.0.1: its shape, its answers, and what it never does. */
import assert from 'node:assert/strict';
import http from 'node:http';
import { requestTokenRefresh } from '../../../daemon/oauth/token-request.js';
import { listenOnLoopback } from '../../support/harness.js';

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;

async function serve(handler: Handler): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      hits++;
      handler(req, body, res);
    });
  });
  const port = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${port}/token`, hits: () => hits };
}

const json = (res: http.ServerResponse, status: number, doc: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(doc));
};
const now = () => 1_000_000;

describe('token request', function () {
  it('posts grant_type=refresh_token with the client id, as a form or as JSON, and reads the rotated tokens', async () => {
    const seen: { type?: string; body: string }[] = [];
    const s = await serve((req, body, res) => {
      seen.push({ type: req.headers['content-type'], body });
      json(res, 200, { access_token: 'A2', refresh_token: 'R2', expires_in: 600 });
    });
    const form = await requestTokenRefresh({ tokenUrl: s.url, clientId: 'cid', tokenRequest: 'form' }, 'R1', now);
    assert.deepEqual(form, { ok: true, tokens: { access: 'A2', refresh: 'R2', expires: 1_000_000 + 600_000 } });
    assert.equal(seen[0]?.type, 'application/x-www-form-urlencoded');
    assert.deepEqual(Object.fromEntries(new URLSearchParams(seen[0]?.body)), { grant_type: 'refresh_token', refresh_token: 'R1', client_id: 'cid' });
    await requestTokenRefresh({ tokenUrl: s.url, clientId: 'cid', tokenRequest: 'json' }, 'R1', now);
    assert.equal(seen[1]?.type, 'application/json');
    assert.deepEqual(JSON.parse(seen[1]?.body ?? ''), { grant_type: 'refresh_token', refresh_token: 'R1', client_id: 'cid' });
  });

  it('keeps the refresh token sent when the provider does not rotate it', async () => {
    const s = await serve((_req, _body, res) => json(res, 200, { access_token: 'A2', expires_in: 60 }));
    const r = await requestTokenRefresh({ tokenUrl: s.url, clientId: 'c', tokenRequest: 'form' }, 'R1', now);
    assert.equal(r.ok && r.tokens.refresh, 'R1');
  });

  it('an expires_in that is absent, zero, negative or not a number means an hour, not "expired already"; a huge one is cut to a year', async () => {
    let expiresIn: unknown;
    const s = await serve((_req, _body, res) => json(res, 200, { access_token: 'A2', ...(expiresIn === undefined ? {} : { expires_in: expiresIn }) }));
    const expiresFor = async (value: unknown) => {
      expiresIn = value;
      const r = await requestTokenRefresh({ tokenUrl: s.url, clientId: 'c', tokenRequest: 'form' }, 'R1', now);
      return r.ok ? r.tokens.expires - now() : null;
    };
    for (const value of [undefined, 0, -5, 'soon', null]) assert.equal(await expiresFor(value), 3_600_000, `expires_in ${String(value)}`);
    assert.equal(await expiresFor('600'), 600_000, 'a numeric string is seconds too');
    assert.equal(await expiresFor(1e20), 365 * 24 * 3_600_000);
  });

  it('a refusal keeps only the error code; the description is bounded and never carries the body elsewhere', async () => {
    const s = await serve((_req, _body, res) => json(res, 400, { error: 'invalid_grant', error_description: 'bad token R1-SECRET\nsecond line' }));
    const r = await requestTokenRefresh({ tokenUrl: s.url, clientId: 'c', tokenRequest: 'form' }, 'R1-SECRET', now);
    assert.deepEqual(r, { ok: false, failure: { kind: 'http', status: 400, error: 'invalid_grant', description: 'bad token R1-SECRET' } });
    const odd = await serve((_req, _body, res) => json(res, 400, { error: 'not a code <script>' }));
    const r2 = await requestTokenRefresh({ tokenUrl: odd.url, clientId: 'c', tokenRequest: 'form' }, 'R1', now);
    assert.equal(!r2.ok && r2.failure.kind === 'http' ? r2.failure.error : 'x', undefined, 'only code-shaped error values are kept');
  });

  it('does not follow a redirect (the refresh token must not travel on)', async () => {
    const elsewhere = await serve((_req, _body, res) => json(res, 200, { access_token: 'STOLEN' }));
    const s = await serve((_req, _body, res) => {
      res.writeHead(307, { location: elsewhere.url });
      res.end();
    });
    const r = await requestTokenRefresh({ tokenUrl: s.url, clientId: 'c', tokenRequest: 'form' }, 'R1', now);
    assert.equal(r.ok, false);
    assert.equal(elsewhere.hits(), 0);
  });

  it('a server that does not answer in time, or a refused connection, is a network failure', async () => {
    const slow = await serve(() => undefined);
    const started = Date.now();
    assert.deepEqual(await requestTokenRefresh({ tokenUrl: slow.url, clientId: 'c', tokenRequest: 'form' }, 'R1', now, 200), {
      ok: false,
      failure: { kind: 'network' },
    });
    assert.ok(Date.now() - started < 1200, 'ends within the timeout + 1 s');
    assert.deepEqual(await requestTokenRefresh({ tokenUrl: 'http://127.0.0.1:1/token', clientId: 'c', tokenRequest: 'form' }, 'R1', now), {
      ok: false,
      failure: { kind: 'network' },
    });
  });

  it('an answer that is not a token endpoint’s (a proxy’s HTML page, an empty body) is no answer, retried: never a refusal', async () => {
    for (const [status, type, body] of [
      [403, 'text/html', '<html><body>Blocked by policy</body></html>'],
      [200, 'text/html', '<html><body>Sign in to the Wi-Fi</body></html>'],
      [404, 'text/plain', 'Not Found'],
      [400, 'application/json', ''],
    ] as const) {
      const s = await serve((_req, _body, res) => {
        res.writeHead(status, { 'content-type': type });
        res.end(body);
      });
      const r = await requestTokenRefresh({ tokenUrl: s.url, clientId: 'c', tokenRequest: 'form' }, 'R1', now);
      assert.deepEqual(r, { ok: false, failure: { kind: 'network', status } }, `HTTP ${status} ${type}`);
    }
  });

  it('a 200 without an access token is a refusal, not a success', async () => {
    const s = await serve((_req, _body, res) => json(res, 200, { token_type: 'Bearer' }));
    const r = await requestTokenRefresh({ tokenUrl: s.url, clientId: 'c', tokenRequest: 'form' }, 'R1', now);
    assert.equal(r.ok, false);
  });
});
