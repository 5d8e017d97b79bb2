/** `--expires-in` (client/expiry.ts) and the refusal of secret-bearing options (client/secret-input.ts), pure. */
import assert from 'node:assert/strict';
import { parseDurationMs, parseExpiresIn } from '../../client/expiry.js';
import { secretArgvOption } from '../../client/secret-input.js';

describe('--expires-in durations', function () {
  it('reads single and compound durations, largest unit first', function () {
    const cases: [string, number][] = [
      ['30s', 30_000],
      ['90m', 5_400_000],
      ['1h30m', 5_400_000],
      ['1d12h', 129_600_000],
      ['365d', 365 * 86_400_000],
      ['2w', 14 * 86_400_000],
      ['1h0m30s', 3_630_000],
      ['1500ms', 1500],
      [' 12H ', 43_200_000],
    ];
    for (const [given, ms] of cases) assert.equal(parseDurationMs(given), ms, given);
  });

  it('refuses repeated or out-of-order units, zero, nonsense and more than a century', function () {
    for (const bad of ['1h1h', '30m1h', '0m', '0h0m', '1x', 'h', '', '1.5h', '-1h', '1 h 30 m', '36600d']) assert.equal(parseDurationMs(bad), null, bad);
  });

  it('never → no expiry; a duration → now + it; garbage → a usage error (exit 64)', function () {
    assert.equal(parseExpiresIn('never', 1000), undefined);
    assert.equal(parseExpiresIn('1h30m', 1000), 1000 + 5_400_000);
    assert.throws(
      () => parseExpiresIn('soon'),
      (err: Error & { kind?: string; exitCode?: number }) => err.kind === 'USAGE' && err.exitCode === 64,
    );
  });
});

describe('secret-bearing options on the command line', function () {
  it('refuses --token, --key, --api-key and --<provider>-api-key (with or without =), never quoting the value', function () {
    const secret = 'sk-ant-oat01-SECRETSECRETSECRET';
    for (const argv of [
      ['models', 'auth', 'paste-token', '--token', secret],
      ['models', 'auth', 'paste-api-key', `--key=${secret}`],
      ['x', '--api-key', secret],
      ['onboard', `--anthropic-api-key=${secret}`],
      ['onboard', '--openrouter-api-key', secret],
      ['y', '--setup-token', secret],
    ]) {
      const err = secretArgvOption(argv);
      assert.ok(err, argv.join(' '));
      assert.equal(err.exitCode, 64);
      assert.ok(!err.message.includes(secret) && !JSON.stringify(err.details).includes(secret));
      assert.match(err.message, /on stdin instead/);
    }
  });

  it('leaves alone options that only look alike, and the arguments of `exec -- cmd`', function () {
    for (const argv of [
      ['onboard', '--key-stdin'],
      ['models', 'status', '--probe-max-tokens', '8'],
      ['exec', '--provider', 'openai', '--', 'curl', '--token', 'x'],
      ['models', 'auth', 'paste-token', '--provider', 'anthropic'],
    ]) {
      assert.equal(secretArgvOption(argv), null, argv.join(' '));
    }
  });
});
