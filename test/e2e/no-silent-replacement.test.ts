/**
 * No silent replacement (§3): every write command, through the real CLI and the real daemon —
 * the same secret is unchanged; a different one at the same profile id or env var is CONFLICT
 * (exit 1) naming the id, both masked secrets and this command's `--force`, and the files stay
 * byte-identical; with `--force` the output says what was replaced. Secrets of the wrong shape
 * are refused before anything is written, by the daemon too (over RPC). Every fake secret is
 * grepped for in the outputs and the daemon's log.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { maskSecret } from '../../daemon/status/masking.js';
import { methods } from '../../ipc/protocol.js';
import { assertNoSecrets, fakeSecret, startDaemon } from '../support/harness.js';
import type { Daemon, RunResult } from '../support/harness.js';

const setupToken = () => fakeSecret('sk-ant-oat01-', 90);
const anthropicKey = () => fakeSecret('sk-ant-api03-', 60);
const profiles = (d: Daemon, agent = 'main') =>
  (JSON.parse(readFileSync(d.paths.authProfiles(agent), 'utf8')) as { profiles: Record<string, Record<string, unknown>> }).profiles;
const out = (r: RunResult) => r.stdout + r.stderr;
const errorOf = (r: RunResult) => (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;

/** The files a refused write must leave byte-identical (absent ones stay absent). */
function snapshot(d: Daemon, agents = ['main']): () => void {
  const files = [d.paths.config, d.paths.dotenv, ...agents.flatMap((a) => [d.paths.authProfiles(a), d.paths.authState(a)])];
  const before = files.map((f) => (existsSync(f) ? readFileSync(f, 'utf8') : null));
  return () => files.forEach((f, i) => assert.equal(existsSync(f) ? readFileSync(f, 'utf8') : null, before[i], `${path.basename(f)} is unchanged`));
}

describe('no silent replacement (real daemon, real CLI)', function () {
  it('paste-token: same token → unchanged; a different one → CONFLICT naming both masked; --force → "Replaced … (was token …)"', async () => {
    const d = await startDaemon();
    const first = setupToken();
    const second = setupToken();
    const stored = await d.cli(['models', 'auth', 'paste-token', '--provider', 'anthropic'], { input: first });
    assert.equal(stored.code, 0, stored.stderr);
    const same = await d.cli(['models', 'auth', 'paste-token', '--provider', 'anthropic'], { input: first });
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stdout, /^Unchanged: anthropic:manual/);

    const unchanged = snapshot(d);
    const refused = await d.cli(['models', 'auth', 'paste-token', '--provider', 'anthropic'], { input: second });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /anthropic:manual \(agent main\) already holds a different token \(/);
    assert.ok(refused.stderr.includes(maskSecret(first)) && refused.stderr.includes(maskSecret(second)), refused.stderr);
    assert.match(refused.stderr, /opensoul models auth paste-token --provider anthropic --force/);
    unchanged();
    assert.equal(profiles(d)['anthropic:manual']?.token, first);

    const forced = await d.cli(['models', 'auth', 'paste-token', '--provider', 'anthropic', '--force'], { input: second });
    assert.equal(forced.code, 0, forced.stderr);
    assert.ok(forced.stdout.startsWith(`Replaced anthropic:manual (was token ${maskSecret(first)})`), forced.stdout);
    assert.equal(profiles(d)['anthropic:manual']?.token, second);
    assertNoSecrets([first, second], {
      stored: out(stored),
      same: out(same),
      refused: out(refused),
      forced: out(forced),
      log: d.log(),
      daemonStderr: d.stderr(),
    });
  });

  it(
    'paste-api-key (profile): an API key over a stored setup-token is CONFLICT (the case that replaced anthropic:manual), ' + '--json carries the details',
    async () => {
      const d = await startDaemon();
      const token = setupToken();
      const key = anthropicKey();
      assert.equal((await d.cli(['models', 'auth', 'paste-token', '--provider', 'anthropic'], { input: token })).code, 0);
      const unchanged = snapshot(d);
      const r = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'anthropic', '--json'], { input: key });
      assert.equal(r.code, 1);
      const err = errorOf(r);
      assert.equal(err.code, 'CONFLICT');
      assert.match(
        err.message,
        new RegExp(`anthropic:manual \\(agent main\\) already holds a different token \\(${maskSecret(token).replace(/\./g, '\\.')}\\); the new api_key is`),
      );
      assert.match(err.message, /paste-api-key --provider anthropic --force/);
      unchanged();
      const forced = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'anthropic', '--force', '--json'], { input: key });
      assert.equal(forced.code, 0, forced.stderr);
      const result = JSON.parse(forced.stdout) as { replaced: { type: string; masked: string }; changed: boolean };
      assert.deepEqual(result.replaced, { type: 'token', masked: maskSecret(token) });
      assert.deepEqual(profiles(d)['anthropic:manual'], { type: 'api_key', provider: 'anthropic', key });
      assertNoSecrets([token, key], { r: out(r), forced: out(forced), log: d.log() });
    },
  );

  it('paste-api-key --target env: same value unchanged, different → CONFLICT naming the var, a 1-character key never lands, --force replaces', async () => {
    const d = await startDaemon();
    const real = fakeSecret('sk-proj-', 60);
    const other = fakeSecret('sk-proj-', 60);
    writeFileSync(d.paths.dotenv, `# mine\nOPENAI_API_KEY=${real}\n`);
    const same = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--target', 'env'], { input: real });
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stdout, /Unchanged: OPENAI_API_KEY/);

    const unchanged = snapshot(d);
    const tiny = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--target', 'env', '--force'], { input: 'x' });
    assert.equal(tiny.code, 1);
    assert.match(tiny.stderr, /must start with sk-/);
    const short = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--target', 'env', '--force'], { input: 'sk-short' });
    assert.equal(short.code, 1);
    assert.match(short.stderr, /only 8 characters.*looks truncated/);
    const refused = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--target', 'env'], { input: other });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /OPENAI_API_KEY in .*\.env already holds a different value/);
    assert.ok(refused.stderr.includes(maskSecret(real)) && refused.stderr.includes(maskSecret(other)));
    assert.match(refused.stderr, /paste-api-key --provider openai --target env --force/);
    unchanged();

    const forced = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--target', 'env', '--force'], { input: other });
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, new RegExp(`^Replaced OPENAI_API_KEY \\(was ${maskSecret(real).replace(/\./g, '\\.')}\\)`));
    assert.equal(readFileSync(d.paths.dotenv, 'utf8'), `# mine\nOPENAI_API_KEY=${other}\n`);
    assertNoSecrets([real, other], { same: out(same), refused: out(refused), forced: out(forced), log: d.log() });
  });

  it(
    'the daemon holds the rule whatever the client: env.set and auth.upsert over RPC ' + 'refuse a different secret and a wrong shape, naming no CLI flag',
    async () => {
      const d = await startDaemon();
      const real = fakeSecret('gsk_', 50);
      const key = anthropicKey();
      await d.call(methods.envSet, { key: 'GROQ_API_KEY', value: real });
      await d.call(methods.authUpsert, { profileId: 'anthropic:work', credential: { type: 'api_key', key } });
      const unchanged = snapshot(d);
      const c = await d.connect();
      const refusals: [Promise<unknown>, string, RegExp][] = [
        [c.call(methods.envSet, { key: 'GROQ_API_KEY', value: fakeSecret('gsk_', 50) }), 'CONFLICT', /GROQ_API_KEY in .* already holds a different value/],
        [c.call(methods.envSet, { key: 'GROQ_API_KEY', value: 'x', replace: true }), 'SECRET_SHAPE', /must start with gsk_/],
        [c.call(methods.envSet, { key: 'ANTHROPIC_API_KEY', value: setupToken(), replace: true }), 'SECRET_SHAPE', /setup-token.*not an API key/],
        [
          c.call(methods.authUpsert, { profileId: 'anthropic:work', credential: { type: 'api_key', key: anthropicKey() } }),
          'CONFLICT',
          /anthropic:work \(agent main\) already holds a different api_key/,
        ],
        [
          c.call(methods.authUpsert, { profileId: 'anthropic:work', credential: { type: 'api_key', key: 'x' }, replace: true }),
          'SECRET_SHAPE',
          /must start with sk-ant-api/,
        ],
        [
          c.call(methods.authUpsert, { profileId: 'anthropic:work', credential: { type: 'api_key', key: 'sk-ant-api03-x' }, replace: true }),
          'SECRET_SHAPE',
          /only 14 characters/,
        ],
        [
          c.call(methods.authUpsert, { profileId: 'anthropic:work', credential: { type: 'token', token: anthropicKey() }, replace: true }),
          'SECRET_SHAPE',
          /API key.*not a setup-token/,
        ],
        [c.call(methods.authUpsert, { profileId: 'openai:short', credential: { type: 'token', token: 'abc' } }), 'SECRET_SHAPE', /only 3 characters/],
      ];
      try {
        for (const [call, code, message] of refusals) {
          await assert.rejects(call, (err: Error & { kind?: string }) => {
            assert.equal(err.kind, code, err.message);
            assert.match(err.message, message);
            assert.ok(!/--\w/.test(err.message), `the daemon names no CLI flag: ${err.message}`);
            return true;
          });
        }
      } finally {
        c.close();
      }
      unchanged();
      assert.equal(d.proc.exitCode, null);
      assertNoSecrets([real, key], { log: d.log() });
    },
  );

  it('shape checks: a setup-token to paste-api-key points to paste-token, an API key to paste-token points to paste-api-key; nothing is written', async () => {
    const d = await startDaemon();
    const token = setupToken();
    const key = anthropicKey();
    const unchanged = snapshot(d);
    const a = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'anthropic'], { input: token });
    assert.equal(a.code, 1);
    assert.match(a.stderr, /setup-token .*not an API key.*opensoul models auth paste-token --provider anthropic/);
    const b = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'anthropic', '--target', 'env'], { input: token });
    assert.equal(b.code, 1);
    assert.match(b.stderr, /paste-token/);
    const c = await d.cli(['models', 'auth', 'paste-token', '--provider', 'anthropic', '--json'], { input: key });
    assert.equal(c.code, 1);
    assert.equal(errorOf(c).code, 'SECRET_SHAPE');
    assert.match(errorOf(c).message, /API key.*not a setup-token.*paste-api-key --provider anthropic/);
    const e = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openrouter'], { input: fakeSecret('sk-proj-', 60) });
    assert.equal(e.code, 1);
    assert.match(e.stderr, /^opensoul: Refused: an API key for openrouter must start with sk-or-; /m);
    unchanged();
    assertNoSecrets([token, key], { a: out(a), b: out(b), c: out(c), log: d.log() });
  });

  it('onboard --from-env: a different .env value is CONFLICT (exit 1) while the other keys still go in; --force replaces', async () => {
    const d = await startDaemon();
    const inFile = anthropicKey();
    const inShell = anthropicKey();
    const groq = fakeSecret('gsk_', 50);
    writeFileSync(d.paths.dotenv, `ANTHROPIC_API_KEY=${inFile}\n`);
    const r = await d.cli(['onboard', '--non-interactive', '--from-env'], { env: { ANTHROPIC_API_KEY: inShell, GROQ_API_KEY: groq } });
    assert.equal(r.code, 1, out(r));
    assert.match(r.stdout, /Stored GROQ_API_KEY \(groq\)/);
    assert.match(r.stderr, /ANTHROPIC_API_KEY in .*\.env already holds a different value/);
    assert.match(r.stderr, /opensoul onboard --non-interactive --from-env --target env --force/);
    assert.equal(readFileSync(d.paths.dotenv, 'utf8'), `ANTHROPIC_API_KEY=${inFile}\nGROQ_API_KEY=${groq}\n`);

    const json = await d.cli(['onboard', '--non-interactive', '--from-env', '--json'], { env: { ANTHROPIC_API_KEY: inShell } });
    assert.equal(json.code, 1);
    assert.equal(errorOf(json).code, 'CONFLICT');

    const forced = await d.cli(['onboard', '--non-interactive', '--from-env', '--force'], { env: { ANTHROPIC_API_KEY: inShell } });
    assert.equal(forced.code, 0, out(forced));
    assert.match(forced.stdout, new RegExp(`Replaced ANTHROPIC_API_KEY \\(was ${maskSecret(inFile).replace(/\./g, '\\.')}\\)`));
    assert.equal(readFileSync(d.paths.dotenv, 'utf8'), `ANTHROPIC_API_KEY=${inShell}\nGROQ_API_KEY=${groq}\n`);
    assertNoSecrets([inFile, inShell, groq], { r: out(r), json: out(json), forced: out(forced), log: d.log() });
  });

  it('onboard --key-stdin --target profile: a different key at <provider>:default is CONFLICT; a short key is refused; files unchanged', async () => {
    const d = await startDaemon();
    const first = fakeSecret('xai-', 60);
    const second = fakeSecret('xai-', 60);
    const args = ['onboard', '--non-interactive', '--provider', 'xai', '--key-stdin', '--target', 'profile'];
    assert.equal((await d.cli(args, { input: first })).code, 0);
    const again = await d.cli(args, { input: first });
    assert.match(again.stdout, /Already stored xai:default/);
    const unchanged = snapshot(d);
    const conflict = await d.cli(args, { input: second });
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, /xai:default \(agent main\) already holds a different api_key/);
    const short = await d.cli(args, { input: 'xai-1' });
    assert.equal(short.code, 1);
    assert.match(short.stderr, /looks truncated/);
    unchanged();
    const forced = await d.cli([...args, '--force'], { input: second });
    assert.equal(forced.code, 0, out(forced));
    assert.match(forced.stdout, /Replaced xai:default \(was api_key xai-/);
    assertNoSecrets([first, second], { again: out(again), conflict: out(conflict), forced: out(forced), log: d.log() });
  });

  it('a hand-written entry the daemon cannot read as a credential is not overwritten silently either', async () => {
    const d = await startDaemon();
    const store = d.paths.authProfiles('main');
    mkdirSync(path.dirname(store), { recursive: true });
    writeFileSync(store, JSON.stringify({ version: 1, profiles: { 'openai:manual': { type: 'something-new', secret: 'kept' } } }));
    await d.call(methods.gatewayReload, {});
    const before = readFileSync(store, 'utf8');
    const r = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai'], { input: fakeSecret('sk-proj-', 50) });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /openai:manual .*already holds a different entry/);
    assert.equal(readFileSync(store, 'utf8'), before);
  });

  it('secret-bearing options are refused with exit 64, naming the stdin form, never echoing the value', async () => {
    const d = await startDaemon();
    const token = setupToken();
    const key = anthropicKey();
    const runs: [string[], RegExp][] = [
      [['models', 'auth', 'paste-token', '--provider', 'anthropic', '--token', token], /--token is refused.*paste-token --provider/],
      [['models', 'auth', 'paste-api-key', '--provider', 'anthropic', `--key=${key}`], /--key is refused.*\| opensoul models auth paste-api-key/],
      [['models', 'auth', 'paste-api-key', '--provider', 'openai', '--api-key', key], /--api-key is refused/],
      [['onboard', '--non-interactive', '--anthropic-api-key', key], /--anthropic-api-key is refused.*onboard --non-interactive --provider <p> --key-stdin/],
      [['onboard', '--json', `--openai-api-key=${key}`], /--openai-api-key is refused/],
    ];
    for (const [args, message] of runs) {
      const r = await d.cli(args);
      assert.equal(r.code, 64, `${args[0]}: ${out(r)}`);
      assert.match(args.includes('--json') ? errorOf(r).message : r.stderr, message);
      assertNoSecrets([token, key], { out: out(r) });
    }
    assert.ok(!existsSync(d.paths.authProfiles('main')) && !existsSync(d.paths.dotenv), 'nothing was written');
    assertNoSecrets([token, key], { log: d.log() });
  });

  it('--expires-in takes compound durations (30s, 90m, 1h30m, 1d12h) and refuses a garbled one with exit 64', async () => {
    const d = await startDaemon();
    for (const [given, ms] of [
      ['30s', 30_000],
      ['90m', 90 * 60_000],
      ['1h30m', 90 * 60_000],
      ['1d12h', 36 * 3_600_000],
    ] as const) {
      const t0 = Date.now();
      const r = await d.cli(['models', 'auth', 'paste-token', '--provider', 'openai', '--profile-id', `openai:t${given}`, '--expires-in', given], {
        input: fakeSecret('tok-', 40),
      });
      assert.equal(r.code, 0, out(r));
      const expires = profiles(d)[`openai:t${given}`]?.expires as number;
      assert.ok(expires >= t0 + ms && expires <= Date.now() + ms, `${given}: ${expires - t0}`);
    }
    for (const bad of ['1h1h', '30m1h', '1x', '0m', 'soon']) {
      const r = await d.cli(['models', 'auth', 'paste-token', '--provider', 'openai', '--expires-in', bad], { input: fakeSecret('tok-', 40) });
      assert.equal(r.code, 64, `${bad}: ${out(r)}`);
      assert.match(r.stderr, /--expires-in expects a duration such as .*1h30m/);
    }
  });
});
