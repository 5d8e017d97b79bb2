/** daemon/providers/error-text: what of a provider's error body a person may see, without the secret. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cleanText, MAX_PROVIDER_MESSAGE, readableProviderMessage, scrubSecrets } from '../../../daemon/providers/error-text.js';
import { fakeSecret } from '../../support/harness.js';

describe('provider error text', () => {
  it("takes the provider's message from each error body shape", () => {
    assert.equal(
      readableProviderMessage(JSON.stringify({ type: 'error', error: { type: 'x', message: 'anthropic says' } }), 'application/json'),
      'anthropic says',
    );
    assert.equal(readableProviderMessage(JSON.stringify({ error: { message: 'openai says', code: 'c' } }), null), 'openai says');
    assert.equal(readableProviderMessage(JSON.stringify([{ error: { code: 429, message: 'google says' } }]), null), 'google says');
    assert.equal(readableProviderMessage(JSON.stringify({ error: 'plain string' }), null), 'plain string');
    assert.equal(readableProviderMessage(JSON.stringify({ message: 'top level' }), null), 'top level');
    assert.equal(readableProviderMessage('Bad Gateway', 'text/plain'), 'Bad Gateway');
    assert.equal(readableProviderMessage('<html><title>502</title></html>', 'text/html'), '');
    assert.equal(readableProviderMessage('x'.repeat(1000), 'text/plain'), '', 'a long non-JSON body is no message');
  });

  it('cleans control characters and cuts long text', () => {
    assert.equal(cleanText('a\r\n\tb\u0007c'), 'a b c');
    const cut = cleanText('y'.repeat(1000));
    assert.equal(cut.length, MAX_PROVIDER_MESSAGE);
    assert.ok(cut.endsWith('…'));
  });

  it('removes a secret whole, and a long fragment of it', () => {
    const s = fakeSecret('sk-proj-', 48);
    assert.equal(scrubSecrets(`key ${s} refused`, [s]), 'key [redacted] refused');
    assert.equal(scrubSecrets(`key ${s.slice(0, 20)}… refused`, [s]), 'key [redacted]… refused');
    assert.equal(
      scrubSecrets(`key ${s.slice(0, 8)}****${s.slice(-4)}`, [s]),
      `key ${s.slice(0, 8)}****${s.slice(-4)}`,
      'a masked key is left as the provider masked it',
    );
  });

  it('no 12-character run of the secret survives, whatever surrounds it (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), fc.nat(30), fc.integer({ min: 12, max: 40 }), (before, after, start, len) => {
        const s = fakeSecret('sk-ant-api03-', 50);
        const fragment = s.slice(start, start + len);
        const out = scrubSecrets(`${before}${fragment}${after}`, [s]);
        for (let i = 0; i + 12 <= s.length; i++) assert.ok(!out.includes(s.slice(i, i + 12)));
      }),
    );
  });
});
