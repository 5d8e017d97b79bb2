/** What a person pastes to finish a headless login: every form gives the code and the state, and junk gives nothing. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parsePastedAuthorization } from '../../../daemon/oauth/pasted-input.js';

describe('parsePastedAuthorization', () => {
  it('reads the redirect URL, code#state, the query alone, and a bare code', () => {
    const cases: [string, { code: string; state: string | null }][] = [
      ['http://localhost:1455/auth/callback?code=abc123&state=st-1', { code: 'abc123', state: 'st-1' }],
      ['http://127.0.0.1:40123/callback?state=st-1&code=abc123&scope=x', { code: 'abc123', state: 'st-1' }],
      ['https://platform.claude.com/oauth/code/callback?code=abc123#st-1', { code: 'abc123', state: 'st-1' }],
      ['abc123#st-1', { code: 'abc123', state: 'st-1' }],
      ['?code=abc123&state=st-1', { code: 'abc123', state: 'st-1' }],
      ['code=abc123&state=st-1', { code: 'abc123', state: 'st-1' }],
      ['  abc123#st-1\r\n', { code: 'abc123', state: 'st-1' }],
      // A terminal wrapped the long URL over two lines.
      ['http://localhost:1455/auth/callback?code=abc\n123&state=st-1', { code: 'abc123', state: 'st-1' }],
      ['abc123', { code: 'abc123', state: null }],
    ];
    for (const [input, expected] of cases) assert.deepEqual(parsePastedAuthorization(input), expected, input);
  });

  it('gives nothing for an empty paste, a URL without a code, or an error redirect', () => {
    for (const input of [
      '',
      '   \n',
      'http://localhost:1455/auth/callback?error=access_denied&state=s',
      'https://example.com/',
      'http://[broken',
      '?state=only',
    ]) {
      assert.equal(parsePastedAuthorization(input), null, input);
    }
  });

  it('round-trips any code and state through every form', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9._~-]{1,80}$/);
    fc.assert(
      fc.property(token, token, (code, state) => {
        const forms = [
          `http://localhost:1455/auth/callback?code=${encodeURIComponent(code)}&state=${encodeURIComponent(state)}`,
          `${code}#${state}`,
          `?code=${encodeURIComponent(code)}&state=${encodeURIComponent(state)}`,
        ];
        for (const f of forms) assert.deepEqual(parsePastedAuthorization(f), { code, state }, f);
      }),
    );
  });
});
