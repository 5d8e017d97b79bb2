/**
 * The daemon's own checks before a credential is stored (daemon/stores/validate-credential.ts):
 * a broken paste (whitespace, control characters) or a wrong shape is refused whoever asks,
 * the error names the problem and never the secret, and a good credential comes back in the
 * strict stored shape with the provider taken from the profile id.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { defaultConfig } from '../../../daemon/config/config.js';
import { ProviderRegistry } from '../../../daemon/providers/registry.js';
import { checkAnthropicToken, checkSecretShape, toStoredCredential } from '../../../daemon/stores/validate-credential.js';
import { OpenSoulError } from '../../../ipc/errors.js';
import type { ErrorKind } from '../../../ipc/errors.js';
import { fakeSecret } from '../../support/harness.js';

const providers = new ProviderRegistry(defaultConfig());

/** Runs `fn`, expects an OpenSoulError of `kind`, and checks that neither its message nor its details carry `secret`. */
function refuses(fn: () => unknown, kind: ErrorKind, secret?: string): OpenSoulError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof OpenSoulError, String(err));
    assert.equal(err.kind, kind, err.message);
    if (secret !== undefined) {
      assert.ok(!err.message.includes(secret), 'the message never holds the secret');
      assert.ok(!JSON.stringify(err.details).includes(secret), 'the details never hold the secret');
    }
    return err;
  }
  assert.fail(`expected ${kind}`);
}

describe('daemon/stores/validate-credential', () => {
  describe('toStoredCredential', () => {
    it('returns the strict stored shape, the provider from the id, optional fields only when given', () => {
      const key = fakeSecret('sk-', 40);
      assert.deepEqual(toStoredCredential('openai:default', { type: 'api_key', key }, providers), { type: 'api_key', provider: 'openai', key });
      assert.deepEqual(
        toStoredCredential('openai:ref', { type: 'api_key', keyRef: { source: 'env', provider: 'default', id: 'MY_KEY' }, email: 'a@b.c' }, providers),
        {
          type: 'api_key',
          provider: 'openai',
          keyRef: { source: 'env', provider: 'default', id: 'MY_KEY' },
          email: 'a@b.c',
        },
      );
      const token = fakeSecret('tok-', 40);
      assert.deepEqual(toStoredCredential('openai:t', { type: 'token', token, expires: 123 }, providers), {
        type: 'token',
        provider: 'openai',
        token,
        expires: 123,
      });
      assert.deepEqual(toStoredCredential('openai:o', { type: 'oauth', access: 'acc-123', refresh: 'ref-456', expires: 9, accountId: 'acct' }, providers), {
        type: 'oauth',
        provider: 'openai',
        access: 'acc-123',
        refresh: 'ref-456',
        expires: 9,
        accountId: 'acct',
      });
    });

    it('needs exactly one of key/keyRef and of token/tokenRef', () => {
      const ref = { source: 'env' as const, provider: 'default', id: 'K' };
      refuses(() => toStoredCredential('openai:x', { type: 'api_key' }, providers), 'INVALID_INPUT');
      refuses(() => toStoredCredential('openai:x', { type: 'api_key', key: fakeSecret('sk-', 40), keyRef: ref }, providers), 'INVALID_INPUT');
      refuses(() => toStoredCredential('openai:x', { type: 'token' }, providers), 'INVALID_INPUT');
      refuses(() => toStoredCredential('openai:x', { type: 'token', token: fakeSecret('tok-', 40), tokenRef: ref }, providers), 'INVALID_INPUT');
    });

    it('refuses an unknown provider (with a suggestion) unless anyProvider (an import)', () => {
      const key = fakeSecret('sk-', 40);
      const err = refuses(() => toStoredCredential('opnai:x', { type: 'api_key', key }, providers), 'PROVIDER_UNKNOWN', key);
      assert.equal(err.details.suggestion, 'openai');
      assert.equal(toStoredCredential('someone-else:x', { type: 'api_key', key }, providers, { anyProvider: true }).provider, 'someone-else');
    });

    it('refuses any secret holding whitespace or a control character, and never echoes it (property)', () => {
      const bad = fc.constantFrom(' ', '\t', '\n', '\r', '\u0000', '\u001b', '\u007f', '\u00a0', '\u2028');
      fc.assert(
        fc.property(
          fc.string({ minLength: 10, maxLength: 30 }).filter((s) => ![...s].some((c) => /\s/.test(c) || c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)),
          bad,
          fc.nat(),
          fc.constantFrom('key', 'token', 'access', 'refresh'),
          (body, ch, at, field) => {
            const i = at % (body.length + 1);
            const secret = `sk-${body.slice(0, i)}${ch}${body.slice(i)}`;
            const input =
              field === 'key'
                ? { type: 'api_key' as const, key: secret }
                : field === 'token'
                  ? { type: 'token' as const, token: secret }
                  : {
                      type: 'oauth' as const,
                      access: field === 'access' ? secret : 'ok-access',
                      refresh: field === 'refresh' ? secret : 'ok-refresh',
                      expires: 1,
                    };
            refuses(() => toStoredCredential('openai:x', input, providers), 'INVALID_INPUT', secret);
          },
        ),
      );
    });

    it('checks an anthropic token is a whole setup-token', () => {
      const short = 'sk-ant-oat01-' + 'a'.repeat(20);
      refuses(() => toStoredCredential('anthropic:t', { type: 'token', token: short }, providers), 'SECRET_SHAPE', short);
      const whole = 'sk-ant-oat01-' + 'a'.repeat(90);
      assert.equal(toStoredCredential('anthropic:t', { type: 'token', token: whole }, providers).type, 'token');
    });
  });

  describe('checkAnthropicToken', () => {
    it('refuses an API key given as a token, and a truncated token', () => {
      const apiKey = fakeSecret('sk-ant-api03-', 90);
      refuses(() => checkAnthropicToken(apiKey), 'SECRET_SHAPE', apiKey);
      refuses(() => checkAnthropicToken('sk-ant-oat01-abc'), 'SECRET_SHAPE', 'sk-ant-oat01-abc');
      checkAnthropicToken('sk-ant-oat01-' + 'x'.repeat(80));
    });
  });

  describe('checkSecretShape', () => {
    it("checks a literal against the provider's prefix and minimum length; refs and OAuth are not checked", () => {
      const wrongPrefix = fakeSecret('xx-', 40);
      refuses(() => checkSecretShape('openai:a', { type: 'api_key', key: wrongPrefix }), 'SECRET_SHAPE', wrongPrefix);
      refuses(() => checkSecretShape('openai:a', { type: 'api_key', key: 'sk-short' }), 'SECRET_SHAPE', 'sk-short');
      const setup = 'sk-ant-oat01-' + 'x'.repeat(80);
      refuses(() => checkSecretShape('anthropic:a', { type: 'api_key', key: setup }), 'SECRET_SHAPE', setup);
      checkSecretShape('openai:a', { type: 'api_key', key: fakeSecret('sk-', 40) });
      checkSecretShape('openai:a', { type: 'api_key', keyRef: { source: 'env', provider: 'default', id: 'X' } });
      checkSecretShape('openai:a', { type: 'oauth', access: 'a', refresh: 'r', expires: 1 });
      checkSecretShape('some-provider:a', { type: 'token', token: 'a-token-of-no-known-shape-long-enough' });
    });
  });
});
