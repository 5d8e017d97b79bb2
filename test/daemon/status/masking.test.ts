/** daemon/status/masking: §7.1's masking rules, and that a mask never gives away more than it should. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { maskRef, maskSecret } from '../../../daemon/status/masking.js';

describe('masking', () => {
  it('follows §7.1: up to 6 chars a...z, up to 16 ab...yz, longer first 8 ... last 4', () => {
    assert.equal(maskSecret('abcdef'), 'a...f');
    assert.equal(maskSecret('abcdefg'), 'ab...fg');
    assert.equal(maskSecret('0123456789abcdef'), '01...ef');
    assert.equal(maskSecret('sk-ant-api03-0123456789x9Zq'), 'sk-ant-a...x9Zq');
    assert.equal(maskSecret('ab'), '...');
    assert.equal(maskSecret(''), '');
  });
  it('counts characters, not UTF-16 units (a secret with characters outside the BMP)', () => {
    assert.equal(maskSecret('😀abc😀'), '😀...😀');
    assert.equal(maskSecret('😀😀cdefg😀😀'), '😀😀...😀😀');
    assert.equal(maskSecret(`𝒜${'x'.repeat(20)}𝒵`), `𝒜xxxxxxx...xxx𝒵`);
  });
  it('shows refs by source and never an exec command', () => {
    assert.equal(maskRef({ source: 'env', id: 'MY_KEY' }), 'ref(env:MY_KEY)');
    assert.equal(maskRef({ source: 'file', id: '/run/secrets/k' }), 'ref(file:/run/secrets/k)');
    assert.equal(maskRef({ source: 'exec', id: 'op read op://vault/anthropic/key' }), 'ref(exec)');
  });
  it('never shows more than 12 characters, nor more than a third of a secret longer than 6 (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200, unit: 'binary' }), (secret) => {
        const masked = maskSecret(secret);
        const shown = Array.from(masked.replace('...', '')).length;
        const n = Array.from(secret).length;
        assert.ok(shown <= 12);
        if (n > 6) assert.ok(shown <= Math.ceil(n / 3) + 1 || n > 16);
        if (n > 2) assert.ok(!masked.includes(secret) || n <= 2);
      }),
      { numRuns: 500 },
    );
  });
});
