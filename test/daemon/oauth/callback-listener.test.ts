/** The loopback listener: where it listens, what it answers the browser, and that it closes after use. */
import assert from 'node:assert/strict';
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
});
