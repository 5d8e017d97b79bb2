/** The loopback listener: where it listens, what it answers the browser, and that it closes after use. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenPlan, startCallbackListener } from '../../../daemon/oauth/callback-listener.js';
import { onCleanup } from '../../support/harness.js';

describe('callback listener', () => {
  it('listens on an ephemeral 127.0.0.1 port, on a fixed localhost port, or not at all for an https page', () => {
    assert.deepEqual(listenPlan(null), { mode: 'loopback', port: 0, path: '/callback', host: null });
    assert.deepEqual(listenPlan('http://localhost:1455/auth/callback'), { mode: 'loopback', port: 1455, path: '/auth/callback', host: 'localhost' });
    assert.deepEqual(listenPlan('http://127.0.0.1:8976/cb'), { mode: 'loopback', port: 8976, path: '/cb', host: '127.0.0.1' });
    assert.deepEqual(listenPlan('https://platform.claude.com/oauth/code/callback'), { mode: 'paste' });
    assert.deepEqual(listenPlan('http://example.com/callback'), { mode: 'paste' });
  });

  it('refuses another state (400) and keeps waiting, takes the right one with a tokenless page, then closes', async () => {
    const l = await startCallbackListener({ mode: 'loopback', port: 0, path: '/callback', host: null }, 'the-state');
    onCleanup(() => l.close());
    assert.match(l.redirectUri, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    assert.equal((await fetch(`${l.redirectUri}?code=c1&state=other`)).status, 400);
    assert.equal((await fetch(`${l.redirectUri.replace('/callback', '/elsewhere')}?code=c1&state=the-state`)).status, 404);
    const page = await fetch(`${l.redirectUri}?code=CODE-1&state=the-state`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /You can close this tab/);
    assert.ok(!html.includes('CODE-1'));
    assert.deepEqual(await l.result, { code: 'CODE-1' });
    await assert.rejects(fetch(`${l.redirectUri}?code=c2&state=the-state`));
  });

  it('passes on the provider’s refusal (error=access_denied) with the right state', async () => {
    const l = await startCallbackListener({ mode: 'loopback', port: 0, path: '/cb', host: null }, 's');
    onCleanup(() => l.close());
    assert.equal((await fetch(`${l.redirectUri}?error=access_denied&state=s`)).status, 200);
    assert.deepEqual(await l.result, { error: 'access_denied' });
  });

  it('for localhost, a port another program holds on ::1 is refused like one taken on 127.0.0.1, and nothing is left listening', async function () {
    const squatter = createServer((_req, res) => res.end('not OpenSoul'));
    try {
      await new Promise<void>((resolve, reject) => squatter.once('error', reject).listen(0, '::1', () => resolve()));
    } catch {
      this.skip(); // no IPv6 on this host
    }
    onCleanup(() => new Promise<void>((r) => squatter.close(() => r())));
    const port = (squatter.address() as AddressInfo).port;
    await assert.rejects(startCallbackListener({ mode: 'loopback', port, path: '/cb', host: 'localhost' }, 's'), { code: 'EADDRINUSE' });
    await assert.rejects(fetch(`http://127.0.0.1:${port}/cb?code=c&state=s`), 'the 127.0.0.1 half is closed again');
  });
});
