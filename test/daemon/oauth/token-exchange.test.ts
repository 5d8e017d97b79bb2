/** The code exchange against real HTTP servers on 127.0.0.1: no redirect is followed, and no error carries the response body. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OpenSoulError } from '../../../ipc/errors.js';
import type { OAuthEndpoints } from '../../../daemon/oauth/oauth-providers.js';
import { exchangeCode, tokenSetOf } from '../../../daemon/oauth/token-exchange.js';
import { onCleanup } from '../../support/harness.js';

async function serve(handler: RequestListener): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onCleanup(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => hits };
}

const endpoints = (tokenUrl: string): OAuthEndpoints => ({
  provider: 'openai-codex',
  authorizeUrl: 'http://127.0.0.1/authorize',
  tokenUrl,
  deviceAuthorizationUrl: null,
  clientId: 'c',
  scopes: [],
  redirectUri: null,
  tokenRequest: 'form',
  extraAuthorizeParams: {},
  stateInTokenRequest: false,
});
const exchange = { code: 'CODE-SECRET-1', verifier: 'v'.repeat(43), redirectUri: 'http://127.0.0.1:1/callback', state: 's' };

describe('token exchange', () => {
  it('does not follow a redirect: the code and verifier are not sent on', async () => {
    const elsewhere = await serve((_req, res) => res.end('{}'));
    const redirecting = await serve((_req, res) => {
      res.writeHead(307, { location: `${elsewhere.url}/token` });
      res.end();
    });
    await assert.rejects(
      exchangeCode(endpoints(`${redirecting.url}/token`), exchange, { now: Date.now }),
      (err: unknown) => err instanceof OpenSoulError && err.kind === 'LOGIN_FAILED' && /redirect/.test(err.message),
    );
    assert.equal(elsewhere.hits(), 0);
  });

  it('words a refusal from the RFC error code and status only, never the body', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'code CODE-SECRET-1 was already used' }));
    });
    await assert.rejects(exchangeCode(endpoints(`${s.url}/token`), exchange, { now: Date.now }), (err: unknown) => {
      assert.ok(err instanceof OpenSoulError);
      assert.equal(err.kind, 'LOGIN_FAILED');
      assert.match(err.message, /HTTP 400: invalid_grant/);
      assert.ok(!err.message.includes('CODE-SECRET-1'));
      assert.ok(!JSON.stringify(err.details).includes('CODE-SECRET-1'));
      return true;
    });
  });

  it('refuses an answer without a usable access token, and gives up on a silent endpoint within its timeout', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: 'a\nb' }));
    });
    await assert.rejects(exchangeCode(endpoints(`${s.url}/token`), exchange, { now: Date.now }), /without a usable access_token/);
    const silent = await serve(() => undefined);
    const started = Date.now();
    await assert.rejects(exchangeCode(endpoints(`${silent.url}/token`), exchange, { now: Date.now, timeoutMs: 300 }), /did not answer in time/);
    assert.ok(Date.now() - started < 1300);
  });

  it('reads expires_in as a lifetime: none when absent, zero or negative; a huge one cut to a year', () => {
    const at = (expiresIn: unknown) => tokenSetOf('p', { access_token: 'A', expires_in: expiresIn }, 1_000).expires;
    assert.equal(at(3600), 1_000 + 3_600_000);
    assert.equal(at('60'), 1_000 + 60_000);
    for (const none of [undefined, 0, -1, 'x', '']) assert.equal(at(none), null, `expires_in ${String(none)}`);
    assert.equal(at(1e20), 1_000 + 365 * 24 * 3_600_000);
  });
});
