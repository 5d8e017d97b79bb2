/** Reading Claude Code's and the Codex CLI's credential files, and where they are. */
import assert from 'node:assert/strict';
import { jwtClaims } from '../../../daemon/oauth/jwt-claims.js';
import { managedByFor, managedFilePath, parseManagedFile } from '../../../daemon/oauth/managed-files.js';

const jwt = (claims: Record<string, unknown>) =>
  `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

describe('managed credential files', function () {
  it('finds them under CLAUDE_CONFIG_DIR / CODEX_HOME, else under home', () => {
    assert.equal(managedFilePath('claude-cli', {}, '/home/me'), '/home/me/.claude/.credentials.json');
    assert.equal(managedFilePath('claude-cli', { CLAUDE_CONFIG_DIR: '/cfg/claude' }, '/home/me'), '/cfg/claude/.credentials.json');
    assert.equal(managedFilePath('codex-cli', {}, '/home/me'), '/home/me/.codex/auth.json');
    assert.equal(managedFilePath('codex-cli', { CODEX_HOME: '/cfg/codex' }, '/home/me'), '/cfg/codex/auth.json');
    assert.equal(managedByFor('anthropic'), 'claude-cli');
    assert.equal(managedByFor('openai-codex'), 'codex-cli');
    assert.equal(managedByFor('openai'), null);
  });

  it("reads Claude Code's claudeAiOauth", () => {
    const r = parseManagedFile(
      'claude-cli',
      JSON.stringify({
        claudeAiOauth: { accessToken: 'A', refreshToken: 'R', expiresAt: 1_800_000_000_000, scopes: ['user:inference'], subscriptionType: 'max' },
      }),
    );
    assert.deepEqual(r, { ok: true, tokens: { access: 'A', refresh: 'R', expires: 1_800_000_000_000 } });
    assert.deepEqual(parseManagedFile('claude-cli', '{"mcpOAuth": {}}'), { ok: true, tokens: null });
  });

  it("reads the Codex CLI's tokens, the expiry from the access token's exp, the account and email from the claims", () => {
    const access = jwt({ exp: 1_800_000_000, 'https://api.openai.com/auth': { chatgpt_account_id: 'acct-claim' } });
    const idToken = jwt({ email: 'me@example.com' });
    const r = parseManagedFile(
      'codex-cli',
      JSON.stringify({ tokens: { id_token: idToken, access_token: access, refresh_token: 'R' }, last_refresh: '2026-01-01T00:00:00Z' }),
    );
    assert.deepEqual(r, { ok: true, tokens: { access, refresh: 'R', expires: 1_800_000_000_000, accountId: 'acct-claim', email: 'me@example.com', idToken } });
    const withAccount = parseManagedFile('codex-cli', JSON.stringify({ tokens: { access_token: 'not-a-jwt', refresh_token: 'R', account_id: 'acct' } }));
    assert.deepEqual(withAccount, { ok: true, tokens: { access: 'not-a-jwt', refresh: 'R', expires: 0, accountId: 'acct' } });
    assert.deepEqual(
      parseManagedFile('codex-cli', JSON.stringify({ OPENAI_API_KEY: 'sk-x' })),
      { ok: true, tokens: null },
      'an API-key login is no OAuth sign-in',
    );
  });

  it('a file that does not parse (half written) is an error with a position, never its content', () => {
    const r = parseManagedFile('claude-cli', '{"claudeAiOauth": {"accessToken": "sk-ant-oat01-SECRET');
    assert.equal(r.ok, false);
    assert.ok(!JSON.stringify(r).includes('SECRET'));
    assert.equal(jwtClaims('a.%%%.c'), undefined);
  });
});
