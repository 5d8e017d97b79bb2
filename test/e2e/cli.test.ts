/** The CLI's contract (§7): exit codes, `--json` anywhere, usage errors, help, colours, the unreachable line. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PKG_VERSION, assertNoSecrets, cli, fakeSecret, startDaemon, tempDir } from '../support/harness.js';

const stateDir = () => path.join(tempDir(), 'state');

describe('the opensoul CLI', function () {
  it('--version and --help exit 0 at every level', async () => {
    const s = stateDir();
    const v = await cli(['--version'], { stateDir: s });
    assert.equal(v.code, 0);
    assert.equal(v.stdout.trim(), PKG_VERSION);
    for (const args of [
      ['--help'],
      ['-h'],
      ['gateway', '-h'],
      ['gateway', 'status', '--help'],
      ['models', '--help'],
      ['models', 'status', '-h'],
      ['help', 'models'],
    ]) {
      const r = await cli(args, { stateDir: s });
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /Usage: opensoul/, args.join(' '));
    }
  });

  it('exits 3 with one stderr line naming the socket and how to start the daemon when it is not running', async () => {
    const s = stateDir();
    const r = await cli(['models', 'status'], { stateDir: s });
    assert.equal(r.code, 3);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.ok(lines[0]?.includes(path.join(s, 'run', 'gateway.sock')));
    assert.match(lines[0] ?? '', /opensoul gateway/);
    assert.equal(r.stdout, '');
    const j = await cli(['--json', 'models', 'status'], { stateDir: s });
    assert.equal(j.code, 3);
    assert.equal((JSON.parse(j.stdout) as { error: { code: string } }).error.code, 'DAEMON_UNREACHABLE');
    const check = await cli(['models', 'status', '--check'], { stateDir: s });
    assert.equal(check.code, 3, '--check: an unreachable daemon is 3, not "missing"');
  });

  it('exits 64 with the usage for an unknown flag, a missing argument, or an unknown command', async () => {
    const s = stateDir();
    for (const args of [['models', 'status', '--bogus'], ['models', 'status', '--agent'], ['frobnicate'], ['models', 'status', '--probe-timeout', 'soon']]) {
      const r = await cli(args, { stateDir: s });
      assert.equal(r.code, 64, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^opensoul: .*\n(?:.*\n)*Usage: opensoul /);
      assert.equal(r.stdout, '');
    }
    const j = await cli(['models', 'status', '--bogus', '--json'], { stateDir: s });
    assert.equal(j.code, 64);
    assert.equal((JSON.parse(j.stdout) as { error: { code: string } }).error.code, 'USAGE');
  });

  it('never repeats a key pasted into the command line in a usage error (stderr or --json)', async () => {
    const s = stateDir();
    const key = fakeSecret('sk-proj-', 40);
    const token = fakeSecret('sk-ant-oat01-', 90);
    const runs = [
      await cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', `--key=${key}`, '--json'], { stateDir: s }),
      await cli([key], { stateDir: s }),
      await cli(['models', 'auth', 'paste-token', '--provider', 'anthropic', '--profile-id', token], { stateDir: s }),
    ];
    for (const r of runs) assert.equal(r.code, 64, r.stderr);
    assert.match(runs[0]?.stdout ?? '', /--key is refused: a secret on the command line/);
    assertNoSecrets([key, token], Object.fromEntries(runs.map((r, i) => [`run ${i}`, r.stdout + r.stderr])));
  });

  it('takes --json before or after the command words, and --plain prints only the default model', async () => {
    const d = await startDaemon();
    const before = await d.cli(['--json', 'models', 'status']);
    const after = await d.cli(['models', 'status', '--json']);
    assert.equal(before.code, 0);
    assert.deepEqual(Object.keys(JSON.parse(before.stdout) as object).sort(), Object.keys(JSON.parse(after.stdout) as object).sort());
    const plain = await d.cli(['models', 'status', '--plain']);
    assert.equal(plain.stdout, 'anthropic/claude-sonnet-4-5\n');
  });

  it('names an unknown agent (exit 1, AGENT_NOT_FOUND) and changes nothing', async () => {
    const d = await startDaemon();
    const r = await d.cli(['models', 'status', '--agent', 'nosuch']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Agent "nosuch" not found/);
    const j = await d.cli(['models', 'status', '--agent', 'nosuch', '--json']);
    assert.equal((JSON.parse(j.stdout) as { error: { code: string } }).error.code, 'AGENT_NOT_FOUND');
    const bad = await d.cli(['models', 'status', '--agent', '../etc']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid agent: expected an agent id/);
  });

  it('masks secrets in the human and JSON views, prints no colour without a TTY, and the fake secrets reach no output or log', async () => {
    const d = await startDaemon();
    const key = fakeSecret('sk-ant-api03-', 80);
    const openai = fakeSecret('sk-proj-', 60);
    writeFileSync(d.paths.dotenv, `ANTHROPIC_API_KEY=${key}\nOPENAI_API_KEY=${openai}\n`);
    const r = await (async () => {
      for (;;) {
        const x = await d.cli(['models', 'status']);
        if (x.stdout.includes('OPENAI_API_KEY')) return x;
        await new Promise((res) => setTimeout(res, 50));
      }
    })();
    assert.match(r.stdout, new RegExp(`${key.slice(0, 8)}\\.\\.\\.${key.slice(-4)}`));
    assert.ok(!r.stdout.includes('\u001b['), 'no escape codes without a TTY');
    const j = await d.cli(['models', 'status', '--json']);
    const g = await d.cli(['gateway', 'status', '--json']);
    assertNoSecrets([key, openai], { human: r.stdout + r.stderr, json: j.stdout + j.stderr, gateway: g.stdout, log: d.log(), daemonStderr: d.stderr() });
  });

  it('--check reports 2 for a token expiring within 24 h and 1 for an expired one (a profile covering the provider does not hide it)', async () => {
    const d = await startDaemon();
    const token = fakeSecret('sk-ant-oat01-', 90);
    const key = fakeSecret('sk-ant-api03-', 60);
    const store = d.paths.authProfiles('main');
    const write = (expires: number) => {
      writeFileSync(
        store,
        JSON.stringify({
          version: 1,
          profiles: {
            'anthropic:sub': { type: 'token', provider: 'anthropic', token, expires },
            'anthropic:key': { type: 'api_key', provider: 'anthropic', key },
          },
        }),
      );
    };
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.dirname(store), { recursive: true });
    write(Date.now() + 3 * 3_600_000);
    const expiring = await waitCheck(d, 2);
    assert.match(expiring.stdout, /expiring/);
    write(Date.now() - 60_000);
    const expired = await waitCheck(d, 1);
    assert.match(expired.stdout, /expired/);
    assertNoSecrets([token, key], { a: expiring.stdout + expiring.stderr, b: expired.stdout + expired.stderr, log: d.log() });
  });
});

async function waitCheck(d: Awaited<ReturnType<typeof startDaemon>>, code: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await d.cli(['models', 'status', '--check']);
    if (r.code === code || Date.now() > deadline) {
      assert.equal(r.code, code, r.stdout);
      return r;
    }
    await new Promise((res) => setTimeout(res, 50));
  }
}
