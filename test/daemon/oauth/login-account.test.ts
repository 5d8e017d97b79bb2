/** Naming the account of a login, and where the callback listener listens. */
import assert from 'node:assert/strict';
import { listenPlan } from '../../../daemon/oauth/callback-listener.js';
import { accountOf, loginProfileId } from '../../../daemon/oauth/login-account.js';
import type { TokenSet } from '../../../daemon/oauth/token-exchange.js';
import { fakeJwt } from '../../support/fake-auth-server.js';

const set = (over: Partial<TokenSet>): TokenSet => ({ access: 'a', refresh: 'r', expires: 1, idToken: null, raw: {}, ...over });

describe('login account', () => {
  it('reads the email from an id_token, or from Anthropic’s account object, else none', () => {
    assert.deepEqual(accountOf(set({ idToken: fakeJwt({ email: 'A@x.io', 'https://api.openai.com/auth': { chatgpt_account_id: 'acct' } }) })), { email: 'A@x.io', accountId: 'acct' });
    assert.deepEqual(accountOf(set({ raw: { account: { uuid: 'u-1', email_address: 'b@y.io' } } })), { email: 'b@y.io', accountId: 'u-1' });
    assert.deepEqual(accountOf(set({ idToken: 'not.a-jwt' })), { email: null, accountId: null });
    assert.equal(accountOf(set({ idToken: fakeJwt({ email: 'no at sign' }) })).email, null);
  });

  it('names the profile <provider>:<email> when the email fits a profile id, else <provider>:default', () => {
    assert.equal(loginProfileId('anthropic', 'Bob@Example.com'), 'anthropic:bob@example.com');
    assert.equal(loginProfileId('anthropic', null), 'anthropic:default');
    assert.equal(loginProfileId('anthropic', 'we!rd@example.com'), 'anthropic:default');
  });

  it('listens on an ephemeral 127.0.0.1 port, on a fixed localhost port, or not at all for an https page', () => {
    assert.deepEqual(listenPlan(null), { mode: 'loopback', port: 0, path: '/callback', host: null });
    assert.deepEqual(listenPlan('http://localhost:1455/auth/callback'), { mode: 'loopback', port: 1455, path: '/auth/callback', host: 'localhost' });
    assert.deepEqual(listenPlan('http://127.0.0.1:8976/cb'), { mode: 'loopback', port: 8976, path: '/cb', host: '127.0.0.1' });
    assert.deepEqual(listenPlan('https://platform.claude.com/oauth/code/callback'), { mode: 'paste' });
    assert.deepEqual(listenPlan('http://example.com/callback'), { mode: 'paste' });
  });
});
