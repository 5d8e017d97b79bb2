/** daemon/providers/classify: HTTP failures, error events and thrown errors as §8.2 outcomes; retry-after headers. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  classifyErrorEvent,
  classifyHttpFailure,
  classifyNetworkError,
  MAX_RETRY_AFTER_MS,
  parseGoDuration,
  retryAfterMs,
} from '../../../daemon/providers/classify.js';
import type { CallOutcome } from '../../../ipc/protocol.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const body = (message: string, type = 'error_type') => JSON.stringify({ type: 'error', error: { type, message } });
const classify = (status: number, bodyText = '', model?: string) => classifyHttpFailure({ status, bodyText, headers: {}, ...(model ? { model } : {}) });

describe('classifyHttpFailure', () => {
  const cases: [status: number, text: string, outcome: CallOutcome][] = [
    [401, body('invalid x-api-key'), 'auth'],
    [401, body('Invalid API key'), 'auth'],
    [403, body('Your API key does not have permission to use the specified resource.'), 'auth'],
    [401, body('This API key has been revoked'), 'auth_permanent'],
    [403, body('Your organization has been disabled.'), 'auth_permanent'],
    [401, body('The account associated with this key is deactivated'), 'auth_permanent'],
    [403, body('Your credit balance is too low'), 'billing'],
    [401, body('billing not active for this account'), 'billing'],
    [402, body('Insufficient credits'), 'billing'],
    [402, '', 'billing'],
    [429, body('Rate limited'), 'rate_limit'],
    [429, JSON.stringify({ error: { type: 'insufficient_quota', code: 'insufficient_quota', message: 'You exceeded your current quota' } }), 'billing'],
    [
      429,
      JSON.stringify([
        { error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'You exceeded your current quota, please check your plan and billing details.' } },
      ]),
      'rate_limit',
    ],
    [529, body('Overloaded', 'overloaded_error'), 'overloaded'],
    [503, body('The engine is currently overloaded'), 'overloaded'],
    [503, '<html>Service Unavailable</html>', 'timeout'],
    [500, '', 'timeout'],
    [502, 'bad gateway', 'timeout'],
    [504, '', 'timeout'],
    [408, '', 'timeout'],
    [404, body('model: x'), 'model_not_found'],
    [400, body('This credential is only authorized for use with Claude Code and cannot be used for other API requests.'), 'credential_scope'],
    [403, body('This credential is ONLY AUTHORIZED FOR USE WITH Claude Code.'), 'credential_scope'],
    [400, body('This token is only authorized for use with another client'), 'credential_scope'],
    [400, body('Your credit balance is too low to access the Anthropic API.'), 'billing'],
    [400, body('messages.0.content: field required'), 'format'],
    [422, JSON.stringify({ detail: [{ msg: 'Extra inputs are not permitted' }] }), 'format'],
    [413, '', 'format'],
    [409, '', 'unknown'],
    [301, '', 'unknown'],
  ];
  for (const [status, text, outcome] of cases) {
    it(`${status} ${text.slice(0, 60) || '(empty)'} → ${outcome}`, () => {
      assert.equal(classify(status, text).outcome, outcome);
    });
  }

  it('a 429 or 404 is scoped to the model only when the call named one', () => {
    assert.equal(classify(429, '', 'claude-x').modelScoped, true);
    assert.equal(classify(429, '').modelScoped, false);
    assert.equal(classify(404, '', 'claude-x').modelScoped, true);
    assert.equal(classify(401, '', 'claude-x').modelScoped, false);
  });

  it("the message carries the provider's own words, cleaned and cut, and nothing of an HTML page", () => {
    const long = classify(400, body(`line one\nline two\t${'x'.repeat(500)}`));
    assert.ok(long.message.length <= 260, long.message);
    assert.doesNotMatch(long.message, /\n/);
    assert.match(long.message, /^the provider refused the request as malformed \(HTTP 400\): line one line two x+…$/);
    const html = classifyHttpFailure({ status: 502, bodyText: '<html><body>secret internals</body></html>', headers: { 'Content-Type': 'text/html' } });
    assert.equal(html.message, 'the provider failed to answer (HTTP 502)');
    assert.match(classify(404, body('nope'), 'claude-zz').message, /"claude-zz"/);
  });

  it('never throws and always answers a known outcome for any status and body (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 999 }), fc.string({ maxLength: 300 }), (status, text) => {
        const c = classify(status, text);
        assert.equal(typeof c.outcome, 'string');
        assert.ok(c.message.length < 400);
      }),
    );
  });
});

describe('classifyErrorEvent', () => {
  it('maps Anthropic error types and OpenAI-compatible codes', () => {
    assert.equal(classifyErrorEvent({ type: 'overloaded_error', message: 'Overloaded' }).outcome, 'overloaded');
    assert.equal(classifyErrorEvent({ type: 'rate_limit_error' }).outcome, 'rate_limit');
    assert.equal(classifyErrorEvent({ type: 'rate_limit_error', model: 'm' }).modelScoped, true);
    assert.equal(classifyErrorEvent({ type: 'authentication_error', message: 'key revoked' }).outcome, 'auth_permanent');
    assert.equal(classifyErrorEvent({ type: 'api_error' }).outcome, 'timeout');
    assert.equal(classifyErrorEvent({ code: 'insufficient_quota' }).outcome, 'billing');
    assert.equal(classifyErrorEvent({ code: 502, message: 'upstream' }).outcome, 'timeout');
    assert.equal(classifyErrorEvent({ code: '429' }).outcome, 'rate_limit');
    const odd = classifyErrorEvent({ type: 'something_new', message: 'hmm' });
    assert.equal(odd.outcome, 'unknown');
    assert.match(odd.message, /mid-reply: hmm/);
    assert.match(classifyErrorEvent({ type: 'overloaded_error', message: 'Overloaded' }).message, /\(mid-reply\): Overloaded$/);
  });
});

describe('classifyNetworkError', () => {
  const fetchFailed = (cause: object) => Object.assign(new TypeError('fetch failed'), { cause });
  it('refused, reset, DNS and TLS failures are network; socket timeouts are timeout', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID']) {
      assert.equal(classifyNetworkError(fetchFailed(Object.assign(new Error('x'), { code }))), 'network', code);
    }
    assert.equal(classifyNetworkError(fetchFailed(Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' }))), 'timeout');
    assert.equal(classifyNetworkError(fetchFailed(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }))), 'timeout');
    assert.equal(classifyNetworkError(fetchFailed(new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' })]))), 'network');
    assert.equal(classifyNetworkError(new TypeError('terminated')), 'network');
    assert.equal(classifyNetworkError(new DOMException('t', 'TimeoutError')), 'timeout');
    assert.equal(classifyNetworkError(new RangeError('ours')), 'unknown');
    assert.equal(classifyNetworkError('a string'), 'unknown');
  });
});

describe('retryAfterMs', () => {
  it('reads Retry-After as seconds or an HTTP date, and retry-after-ms', () => {
    assert.equal(retryAfterMs({ 'Retry-After': '30' }, NOW), 30_000);
    assert.equal(retryAfterMs({ 'retry-after': '1.5' }, NOW), 1500);
    assert.equal(retryAfterMs({ 'retry-after': new Date(NOW + 90_000).toUTCString() }, NOW), 90_000);
    assert.equal(retryAfterMs({ 'retry-after': new Date(NOW - 90_000).toUTCString() }, NOW), 0, 'a date in the past means now');
    assert.equal(retryAfterMs({ 'retry-after-ms': '250', 'retry-after': '30' }, NOW), 250);
    assert.equal(retryAfterMs(new Headers({ 'retry-after': '7' }), NOW), 7000);
  });

  it("reads an absolute time against the provider's own Date, not this host's clock (a home server's clock may be minutes off)", () => {
    const provider = NOW - 5 * 60_000; // this host runs five minutes fast
    const date = new Date(provider).toUTCString();
    assert.equal(retryAfterMs({ date, 'retry-after': new Date(provider + 30_000).toUTCString() }, NOW), 30_000);
    assert.equal(retryAfterMs({ date, 'anthropic-ratelimit-requests-reset': new Date(provider + 20_000).toISOString() }, NOW), 20_000);
    const slow = new Date(NOW + 5 * 60_000).toUTCString(); // this host runs five minutes slow
    assert.equal(retryAfterMs({ date: slow, 'retry-after': new Date(NOW + 5 * 60_000 + 10_000).toUTCString() }, NOW), 10_000);
    assert.equal(retryAfterMs({ date: 'yesterday', 'retry-after': new Date(NOW + 7000).toUTCString() }, NOW), 7000, 'an unreadable Date: our clock');
    assert.equal(retryAfterMs({ date, 'retry-after': '12' }, NOW), 12_000, 'a delay needs no clock');
  });

  it("reads Anthropic's reset times: the latest exhausted window, else the soonest reset", () => {
    const at = (s: number) => new Date(NOW + s * 1000).toISOString();
    assert.equal(
      retryAfterMs(
        {
          'anthropic-ratelimit-requests-reset': at(5),
          'anthropic-ratelimit-requests-remaining': '10',
          'anthropic-ratelimit-tokens-reset': at(40),
          'anthropic-ratelimit-tokens-remaining': '0',
          'anthropic-ratelimit-output-tokens-reset': at(60),
          'anthropic-ratelimit-output-tokens-remaining': '0',
        },
        NOW,
      ),
      60_000,
    );
    assert.equal(retryAfterMs({ 'anthropic-ratelimit-requests-reset': at(5), 'anthropic-ratelimit-input-tokens-reset': at(40) }, NOW), 5000);
    assert.equal(retryAfterMs({ 'anthropic-ratelimit-tokens-reset': '2026-03-01T12:00:10+00:00' }, NOW), 10_000);
    assert.equal(retryAfterMs({ 'anthropic-ratelimit-tokens-reset': 'soon' }, NOW), null);
  });

  it("reads OpenAI's reset durations", () => {
    assert.equal(retryAfterMs({ 'x-ratelimit-reset-requests': '6m0s' }, NOW), 360_000);
    assert.equal(retryAfterMs({ 'x-ratelimit-reset-tokens': '1s' }, NOW), 1000);
    assert.equal(retryAfterMs({ 'x-ratelimit-reset-tokens': '20ms' }, NOW), 20);
    assert.equal(retryAfterMs({ 'x-ratelimit-reset-requests': '2s', 'x-ratelimit-reset-tokens': '1m', 'x-ratelimit-remaining-tokens': '0' }, NOW), 60_000);
    assert.equal(parseGoDuration('1h2m3.5s'), 3_723_500);
    assert.equal(parseGoDuration('5 s'), null);
    assert.equal(parseGoDuration('s'), null);
  });

  it('prefers Retry-After, bounds to a day, and answers null when nothing says', () => {
    assert.equal(retryAfterMs({ 'retry-after': '3', 'x-ratelimit-reset-tokens': '9s' }, NOW), 3000);
    assert.equal(retryAfterMs({ 'retry-after': '999999999' }, NOW), MAX_RETRY_AFTER_MS);
    assert.equal(retryAfterMs({ 'x-ratelimit-reset-tokens': '100000h' }, NOW), MAX_RETRY_AFTER_MS);
    assert.equal(retryAfterMs({}, NOW), null);
    assert.equal(retryAfterMs({ 'retry-after': 'tomorrow' }, NOW), null);
    assert.equal(retryAfterMs({ 'retry-after': '-5' }, NOW), null);
  });

  it('never throws, never negative, never over a day, whatever the headers hold (property)', () => {
    const names = fc.constantFrom(
      'retry-after',
      'Retry-After',
      'retry-after-ms',
      'anthropic-ratelimit-requests-reset',
      'anthropic-ratelimit-tokens-reset',
      'anthropic-ratelimit-input-tokens-reset',
      'anthropic-ratelimit-output-tokens-reset',
      'anthropic-ratelimit-tokens-remaining',
      'x-ratelimit-reset-requests',
      'x-ratelimit-reset-tokens',
      'x-ratelimit-remaining-tokens',
    );
    const values = fc.oneof(
      fc.string(),
      fc.stringMatching(/^[0-9.hmsu]{0,12}$/),
      fc.integer({ min: -1e12, max: 1e12 }).map(String),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
    );
    fc.assert(
      fc.property(fc.dictionary(names, values), fc.integer({ min: 0, max: 4e12 }), (headers, now) => {
        const ms = retryAfterMs(headers, now);
        if (ms !== null) {
          assert.ok(Number.isFinite(ms));
          assert.ok(ms >= 0 && ms <= MAX_RETRY_AFTER_MS, String(ms));
        }
      }),
      { numRuns: 500 },
    );
  });
});
