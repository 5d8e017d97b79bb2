/** PKCE (RFC 7636): the verifier's charset and length, and challenge = base64url(sha256(verifier)). */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { VERIFIER_PATTERN, challengeOf, createState, createVerifier, sameState } from '../../../daemon/oauth/pkce.js';

describe('pkce', () => {
  it('makes verifiers of 43–128 unreserved characters, of the length asked, all different', () => {
    fc.assert(
      fc.property(fc.integer({ min: 43, max: 128 }), (length) => {
        const v = createVerifier(length);
        assert.equal(v.length, length);
        assert.match(v, VERIFIER_PATTERN);
        assert.notEqual(v, createVerifier(length));
      }),
    );
    assert.match(createVerifier(), VERIFIER_PATTERN);
    for (const bad of [42, 129, 0, 1.5]) assert.throws(() => createVerifier(bad), RangeError);
  });

  it('derives the S256 challenge as base64url(sha256(verifier)), without padding', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9\-._~]{43,128}$/), (verifier) => {
        const expected = createHash('sha256').update(verifier).digest('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
        const c = challengeOf(verifier);
        assert.equal(c, expected);
        assert.match(c, /^[A-Za-z0-9_-]{43}$/);
      }),
    );
    // RFC 7636 appendix B's example.
    assert.equal(challengeOf('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('makes a state of 256 random bits, url-safe', () => {
    const s = createState();
    assert.match(s, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(s, createState());
  });

  it('compares a presented state with the login’s: equal only when the same string, whatever the lengths', () => {
    const state = createState();
    assert.equal(sameState(state, state), true);
    for (const other of [null, '', state.slice(0, -1), `${state}x`, createState(), state.toUpperCase()]) {
      if (other !== state) assert.equal(sameState(other, state), false, String(other));
    }
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => sameState(a, b) === (a === b)));
  });
});
