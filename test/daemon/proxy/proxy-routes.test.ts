/** The proxy's pure rules: Host check, route and upstream URL mapping, header filtering, error shapes. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
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
  withoutProxyKeys,
} from '../../../daemon/proxy/proxy-routes.js';
import { generateProxyKey } from '../../../daemon/proxy/proxy-keys.js';

describe('proxy routes', () => {
  it('answers only to the loopback names with its own port', () => {
    assert.ok(hostAllowed('127.0.0.1:4000', 4000));
    assert.ok(hostAllowed('localhost:4000', 4000));
    assert.ok(hostAllowed('LOCALHOST:4000', 4000));
    assert.ok(hostAllowed('[::1]:4000', 4000));
    for (const h of [
      undefined,
      '127.0.0.1',
      '127.0.0.1:4001',
      'evil.example:4000',
      'localhost.evil.example:4000',
      '0.0.0.0:4000',
      '[::]:4000',
      '127.0.0.1:4000.evil',
    ])
      assert.ok(!hostAllowed(h, 4000), String(h));
  });

  it('splits /<provider>/<rest> and keeps the query', () => {
    assert.deepEqual(routeOf('/anthropic/v1/messages?beta=true'), { provider: 'anthropic', rest: '/v1/messages?beta=true' });
    assert.deepEqual(routeOf('/openai'), { provider: 'openai', rest: '/' });
    assert.deepEqual(routeOf('/openai?x=1'), { provider: 'openai', rest: '/?x=1' });
    for (const u of [undefined, '', '/', 'http://evil/x', '/Anthropic/v1', '/%2e%2e/x', '//x']) assert.equal(routeOf(u), null, String(u));
  });

  it('maps so that ANTHROPIC_BASE_URL=…/anthropic and OPENAI_BASE_URL=…/openai/v1 both work, without doubling /v1', () => {
    const u = (base: string, rest: string) => upstreamUrl(base, rest)?.href ?? null;
    assert.equal(u('https://api.anthropic.com', '/v1/messages?beta=true'), 'https://api.anthropic.com/v1/messages?beta=true');
    assert.equal(u('https://api.anthropic.com', '/v1/messages/count_tokens'), 'https://api.anthropic.com/v1/messages/count_tokens');
    assert.equal(u('https://api.openai.com/v1', '/v1/chat/completions'), 'https://api.openai.com/v1/chat/completions');
    assert.equal(u('https://api.openai.com/v1', '/chat/completions'), 'https://api.openai.com/v1/chat/completions');
    assert.equal(u('https://api.openai.com/v1', '/v1/models'), 'https://api.openai.com/v1/models');
    assert.equal(u('https://openrouter.ai/api/v1', '/v1/responses'), 'https://openrouter.ai/api/v1/responses');
    assert.equal(
      u('https://generativelanguage.googleapis.com/v1beta/openai', '/chat/completions'),
      'https://generativelanguage.googleapis.com/v1beta/openai/chat/completions',
    );
    assert.equal(u('http://127.0.0.1:9/v1', '/v1'), 'http://127.0.0.1:9/v1');
    assert.equal(u('https://api.anthropic.com', '/v10/x'), 'https://api.anthropic.com/v10/x');
  });

  it('never leaves the base URL: .., encoded dots and slashes, backslashes are refused', () => {
    for (const rest of ['/../x', '/v1/../../x', '/a/%2e%2e/b', '/a%2fb', '/a\\b', '/./x', '/a/%2E%2E'])
      assert.equal(upstreamUrl('https://api.openai.com/v1', rest), null, rest);
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (tail) => {
        const r = routeOf(`/openai/${tail}`);
        if (!r) return;
        const out = upstreamUrl('https://api.openai.com/v1', r.rest);
        if (out) {
          assert.equal(out.origin, 'https://api.openai.com');
          assert.ok(out.pathname.startsWith('/v1'), out.pathname);
        }
      }),
    );
  });

  it('removes the tool key, hop-by-hop headers and our session header; adds the credential; joins anthropic-beta flags', () => {
    const out = upstreamRequestHeaders(
      {
        host: '127.0.0.1:1',
        'x-api-key': 'osk-x',
        authorization: 'Bearer osk-x',
        connection: 'keep-alive, x-drop',
        'x-drop': '1',
        'keep-alive': 'timeout=5',
        'x-opensoul-session': 's',
        'anthropic-beta': 'tools-2024',
        'accept-encoding': 'gzip',
        'content-length': '12',
        'anthropic-version': '2023-06-01',
      },
      { authorization: 'Bearer real', 'anthropic-beta': 'oauth-2025-04-20' },
      12,
    );
    assert.deepEqual(out, {
      'anthropic-beta': 'tools-2024,oauth-2025-04-20',
      'anthropic-version': '2023-06-01',
      authorization: 'Bearer real',
      'content-length': '12',
      'accept-encoding': 'identity',
    });
    assert.deepEqual(
      clientResponseHeaders({ 'content-type': 'text/event-stream', 'transfer-encoding': 'chunked', connection: 'close', 'request-id': 'r' }, 'sk-real'),
      { 'content-type': 'text/event-stream', 'request-id': 'r' },
    );
    // A provider that echoes the credential in a header: the tool sees the header, not the secret.
    assert.deepEqual(clientResponseHeaders({ 'x-seen': 'key sk-real!', 'set-cookie': ['a=sk-real', 'b=1'] }, 'sk-real'), {
      'x-seen': 'key [redacted]!',
      'set-cookie': ['a=[redacted]', 'b=1'],
    });
  });

  it('sends no proxy key upstream: not in any header, not in the query; everything else byte for byte', () => {
    const key = generateProxyKey();
    const out = upstreamRequestHeaders(
      { 'x-api-key': key, 'api-key': key, 'x-goog-api-key': key, 'x-note': `mine is ${key}`, 'x-list': ['a', key], 'x-ok': 'osk-short' },
      { 'x-api-key': 'real' },
      0,
    );
    assert.deepEqual(out, { 'x-ok': 'osk-short', 'x-api-key': 'real', 'accept-encoding': 'identity' });
    assert.equal(withoutProxyKeys(`?key=${key}`), '');
    assert.equal(withoutProxyKeys(`?a=%2F1&key=${key}&b=2+3`), '?a=%2F1&b=2+3');
    assert.equal(withoutProxyKeys(`?k=${encodeURIComponent(`x ${key}`).replace('osk', '%6Fsk')}&z`), '?z');
    assert.equal(withoutProxyKeys('?a=%E0%A4%A&b=1'), '?a=%E0%A4%A&b=1');
    assert.equal(upstreamUrl('https://api.openai.com/v1', `/v1/models?key=${key}&limit=2`)?.href, 'https://api.openai.com/v1/models?limit=2');
  });

  it('takes the key from x-api-key or a bearer, and redacts credentials for the log', () => {
    assert.equal(presentedKey({ 'x-api-key': 'k1' }), 'k1');
    assert.equal(presentedKey({ authorization: 'Bearer k2' }), 'k2');
    assert.equal(presentedKey({ authorization: 'Basic k3' }), null);
    assert.equal(presentedKey({}), null);
    assert.deepEqual(redactedHeaders({ 'x-api-key': 'k', authorization: 'Bearer k', 'user-agent': 'sdk' }), {
      'x-api-key': '[redacted]',
      authorization: '[redacted]',
      'user-agent': 'sdk',
    });
  });

  it("answers in the provider's error shape, and reads the model of a JSON body", () => {
    assert.deepEqual(JSON.parse(errorBody('anthropic-messages', 'authentication', 'no')), {
      type: 'error',
      error: { type: 'authentication_error', message: 'OpenSoul proxy: no' },
    });
    const o = JSON.parse(errorBody('openai-chat', 'too_large', 'big')) as { error: { message: string; type: string } };
    assert.equal(o.error.type, 'invalid_request_error');
    assert.equal(modelOf(Buffer.from('{"max_tokens":1,"model":"m1"}'), 'application/json'), 'm1');
    assert.equal(modelOf(Buffer.from('{"model":1}'), 'application/json'), undefined);
    assert.equal(modelOf(Buffer.from('not json'), 'application/json'), undefined);
    assert.equal(modelOf(Buffer.from('{"model":"m"}'), 'text/plain'), undefined);
  });
});

describe('proxy routes: base URLs with user info', () => {
  it('keeps the user info of a base URL', () => {
    assert.equal(upstreamUrl('https://u:p@proxy.example/v1', '/v1/chat/completions')?.href, 'https://u:p@proxy.example/v1/chat/completions');
  });
});
