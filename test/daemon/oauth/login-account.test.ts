/** Naming the account of a login: the profile id it is stored under. */
import assert from 'node:assert/strict';
import { accountOf, loginProfileId } from '../../../daemon/oauth/login-account.js';
import type { TokenSet } from '../../../daemon/oauth/token-exchange.js';
import { fakeJwt } from '../../support/fake-auth-server.js';

const set = (over: Partial<TokenSet>): TokenSet => ({ access: 'a', refresh: 'r', expires: 1, idToken: null, raw: {}, ...over });

describe('login account', () => {
  it('reads the email from an id_token, or from Anthropic’s account object, else none', () => {
    assert.deepEqual(accountOf(set({ idToken: fakeJwt({ email: 'A@x.io', 'https://api.openai.com/auth': { chatgpt_account_id: 'acct' } }) })), {
      email: 'A@x.io',
      accountId: 'acct',
    });
    assert.deepEqual(accountOf(set({ raw: { account: { uuid: 'u-1', email_address: 'b@y.io' } } })), { email: 'b@y.io', accountId: 'u-1' });
    assert.deepEqual(accountOf(set({ idToken: 'not.a-jwt' })), { email: null, accountId: null });
    assert.equal(accountOf(set({ idToken: fakeJwt({ email: 'no at sign' }) })).email, null);
  });

  it('names the profile <provider>:<email> when the email fits a profile id, else <provider>:default', () => {
    assert.equal(loginProfileId('anthropic', 'Bob@Example.com'), 'anthropic:bob@example.com');
    assert.equal(loginProfileId('anthropic', null), 'anthropic:default');
    assert.equal(loginProfileId('anthropic', 'we!rd@example.com'), 'anthropic:default');
  });
});
