/**
 * `opensoul doctor` (§11) against a real daemon and with the daemon down: file modes flagged and
 * fixed, the env gap named (never the value), expiring and expired tokens, a broken store (never
 * rewritten), a stale socket, OpenClaw's state, the --json shape and the exit code.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { statePaths } from '../../ipc/paths.js';
import type { DoctorCheck } from '../../ipc/protocol.js';
import { checkNode } from '../../client/doctor/local-checks.js';
import { assertNoSecrets, cli, fakeSecret, run, startDaemon, tempDir, waitFor } from '../support/harness.js';
import type { Daemon } from '../support/harness.js';

interface Report {
  checks: DoctorCheck[];
  ok: boolean;
}
const mode = (p: string) => statSync(p).mode & 0o777;

async function doctor(d: Daemon, args: string[] = [], env: Record<string, string> = {}): Promise<{ code: number | null; report: Report; raw: string }> {
  const r = await d.cli(['doctor', '--json', ...args], { env });
  return { code: r.code, report: JSON.parse(r.stdout) as Report, raw: r.stdout + r.stderr };
}

function writeStore(d: Daemon, profiles: Record<string, unknown>): string {
  const store = d.paths.authProfiles('main');
  mkdirSync(path.dirname(store), { recursive: true });
  writeFileSync(store, JSON.stringify({ version: 1, profiles }));
  return store;
}

describe('opensoul doctor', function () {
  it('flags a 0644 store as an error, and --fix makes it 0600 (exit 0 once nothing else is wrong)', async () => {
    const d = await startDaemon();
    const key = fakeSecret('sk-ant-api03-', 60);
    const store = writeStore(d, { 'anthropic:k': { type: 'api_key', provider: 'anthropic', key } });
    chmodSync(store, 0o644);
    await waitFor(async () => (await d.cli(['models', 'status', '--check'])).code === 0, 'the store to load');
    const before = await doctor(d);
    assert.equal(before.code, 1);
    assert.equal(before.report.ok, false);
    const flagged = before.report.checks.find((c) => c.id === 'permissions' && c.status === 'error');
    assert.ok(flagged?.message.includes(store) && flagged.message.includes('0644'), JSON.stringify(before.report.checks));
    assert.equal(flagged?.fix, `chmod 600 ${store}`);
    assert.equal(mode(store), 0o644, 'without --fix nothing changes');

    const fixed = await doctor(d, ['--fix']);
    assert.equal(mode(store), 0o600);
    assert.ok(fixed.report.checks.some((c) => c.id === 'permissions' && c.fixed && c.status === 'ok'));
    const after = await doctor(d);
    assert.equal(after.code, 0, JSON.stringify(after.report.checks.filter((c) => c.status === 'error')));
    assert.equal(after.report.ok, true);
    assertNoSecrets([key], { before: before.raw, fixed: fixed.raw, after: after.raw, log: d.log() });
  });

  it("counts the auth monitor's settings file (a notify URL may hold a token) as a secret file: the daemon narrows it, doctor flags and fixes it", async () => {
    const stateDir = path.join(tempDir(), 'state');
    mkdirSync(stateDir, { mode: 0o700 });
    const settings = statePaths(stateDir).authMonitorEnv;
    writeFileSync(settings, 'OPENSOUL_NOTIFY_URL=https://ntfy.sh/opensoul-secret-topic\n');
    chmodSync(settings, 0o644);
    const d = await startDaemon({ stateDir });
    assert.equal(mode(settings), 0o600, 'narrowed when the daemon starts');
    assert.match(d.log(), /auth-monitor\.env 0644 → 0600/);

    chmodSync(settings, 0o640);
    const before = await doctor(d);
    const flagged = before.report.checks.find((c) => c.id === 'permissions' && c.status === 'error');
    assert.ok(flagged?.message.includes(settings) && flagged.message.includes('0640'), JSON.stringify(before.report.checks));
    await doctor(d, ['--fix']);
    assert.equal(mode(settings), 0o600);
  });

  it("names a provider key the CLI's shell has and the daemon does not see — never its value", async () => {
    const d = await startDaemon();
    const shellKey = fakeSecret('sk-proj-', 60);
    const r = await doctor(d, [], { OPENAI_API_KEY: shellKey });
    const gap = r.report.checks.find((c) => c.id === 'env-gap');
    assert.equal(gap?.status, 'warn');
    assert.match(gap?.message ?? '', /OPENAI_API_KEY/);
    assert.match(gap?.fix ?? '', /\.opensoul\/\.env/);
    const human = await d.cli(['doctor'], { env: { OPENAI_API_KEY: shellKey } });
    assert.match(human.stdout, /not seen by the gateway: OPENAI_API_KEY/);
    writeFileSync(d.paths.dotenv, `OPENAI_API_KEY=${shellKey}\n`);
    await waitFor(
      async () => (await doctor(d, [], { OPENAI_API_KEY: shellKey })).report.checks.find((c) => c.id === 'env-gap')?.status === 'ok',
      'the gap to close',
    );
    assertNoSecrets([shellKey], { json: r.raw, human: human.stdout + human.stderr, log: d.log() });
  });

  it('reports an expiring token as a warning and an expired one as an error, with how to renew', async () => {
    const d = await startDaemon();
    const t1 = fakeSecret('sk-ant-oat01-', 90);
    const t2 = fakeSecret('sk-ant-oat01-', 90);
    writeStore(d, {
      'anthropic:soon': { type: 'token', provider: 'anthropic', token: t1, expires: Date.now() + 2 * 3_600_000 },
      'anthropic:gone': { type: 'token', provider: 'anthropic', token: t2, expires: Date.now() - 3 * 86_400_000 },
    });
    const r = await waitFor(async () => {
      const x = await doctor(d);
      return x.report.checks.some((c) => c.id === 'tokens' && c.status === 'error') ? x : null;
    }, 'the token checks');
    const soon = r.report.checks.find((c) => c.message.startsWith('anthropic:soon'));
    const gone = r.report.checks.find((c) => c.message.startsWith('anthropic:gone'));
    assert.equal(soon?.status, 'warn');
    assert.match(soon?.message ?? '', /expires in (1h 59m|2h)$/);
    assert.equal(gone?.status, 'error');
    assert.match(gone?.message ?? '', /expired 3d ago/);
    assert.match(gone?.fix ?? '', /claude setup-token/);
    assert.equal(r.code, 1);
    assertNoSecrets([t1, t2], { raw: r.raw, log: d.log() });
  });

  it('reports a broken store with its position and never rewrites it, even with --fix', async () => {
    const d = await startDaemon();
    const store = d.paths.authProfiles('main');
    mkdirSync(path.dirname(store), { recursive: true });
    const broken = '{"version":1,"profiles":{"a:b":{"type":"api_key","key":"sk-ant-api03-INSIDE-A-BROKEN-FILE"}';
    writeFileSync(store, broken);
    const r = await doctor(d, ['--fix']);
    const parse = r.report.checks.find((c) => c.id === 'parse' && c.status === 'error');
    assert.ok(parse?.message.includes(store));
    assert.match(parse?.message ?? '', /line 1, column \d+/);
    assert.match(parse?.fix ?? '', /by hand/);
    assert.equal(parse?.fixed, false);
    assert.equal(readFileSync(store, 'utf8'), broken);
    assert.equal(r.code, 1);
    assert.ok(!r.raw.includes('INSIDE-A-BROKEN-FILE'));
  });

  it('works with the daemon down: reports it (exit 1), still checks and fixes file modes, and removes a stale socket with --fix', async () => {
    const d = await startDaemon();
    const store = writeStore(d, { 'openai:x': { type: 'api_key', provider: 'openai', key: fakeSecret('sk-', 40) } });
    chmodSync(store, 0o640);
    d.proc.kill('SIGKILL');
    await d.exited;
    assert.ok(existsSync(d.socketPath), 'a killed daemon leaves its socket');
    const down = await cli(['doctor', '--json'], { stateDir: d.stateDir });
    assert.equal(down.code, 1);
    const report = JSON.parse(down.stdout) as Report;
    assert.equal(report.checks.find((c) => c.id === 'daemon')?.status, 'error');
    assert.match(report.checks.find((c) => c.id === 'daemon')?.message ?? '', /stale socket/);
    assert.ok(report.checks.some((c) => c.id === 'permissions' && c.status === 'error' && c.message.includes(store)));
    assert.ok(report.checks.some((c) => c.id === 'socket' && c.status === 'warn'));
    const fixed = JSON.parse((await cli(['doctor', '--json', '--fix'], { stateDir: d.stateDir })).stdout) as Report;
    assert.ok(fixed.checks.some((c) => c.id === 'socket' && c.fixed));
    assert.ok(!existsSync(d.socketPath), 'the stale socket is gone');
    assert.equal(mode(store), 0o600);
  });

  it('a gateway that runs but does not answer (stopped with SIGSTOP): doctor says it is stuck, names restart and its pid, and checks files', async () => {
    const d = await startDaemon();
    const store = writeStore(d, { 'openai:x': { type: 'api_key', provider: 'openai', key: fakeSecret('sk-', 40) } });
    chmodSync(store, 0o640);
    d.proc.kill('SIGSTOP');
    try {
      const stuck = await cli(['doctor', '--json'], { stateDir: d.stateDir });
      assert.equal(stuck.code, 1);
      const daemon = (JSON.parse(stuck.stdout) as Report).checks.find((c) => c.id === 'daemon');
      assert.equal(daemon?.status, 'error');
      assert.match(daemon?.message ?? '', /does not answer .* running but stuck/);
      assert.doesNotMatch(daemon?.message ?? '', /Start it/, 'starting another would not help');
      assert.match(daemon?.fix ?? '', new RegExp(`opensoul gateway restart.*kill ${d.proc.pid}`));
      assert.ok(
        (JSON.parse(stuck.stdout) as Report).checks.some((c) => c.id === 'permissions' && c.message.includes(store)),
        'files still checked',
      );
    } finally {
      d.proc.kill('SIGCONT');
    }
  });

  it('a FIFO where auth-profiles.json should be: doctor reports it with the daemon down and up, and the daemon starts (both hung before)', async () => {
    const stateDir = path.join(tempDir(), 'state');
    const store = statePaths(stateDir).authProfiles('main');
    mkdirSync(path.dirname(store), { recursive: true, mode: 0o700 });
    chmodSync(stateDir, 0o700);
    execFileSync('mkfifo', ['-m', '600', store]);
    const notAFile = (r: Report) => r.checks.find((c) => c.id === 'parse' && c.status === 'error' && c.message.includes(store));

    const down = await cli(['doctor', '--json'], { stateDir, timeoutMs: 20_000 });
    assert.equal(down.code, 1);
    const flagged = notAFile(JSON.parse(down.stdout) as Report);
    assert.match(flagged?.message ?? '', /is not a regular file \(a FIFO, socket or device\)/, down.stdout);
    assert.match(flagged?.fix ?? '', /^move it away/);

    const d = await startDaemon({ stateDir });
    const status = await d.cli(['models', 'status', '--json'], { timeoutMs: 20_000 });
    const fileErrors = (JSON.parse(status.stdout) as { fileErrors: { path: string; message: string }[] }).fileErrors;
    assert.deepEqual(fileErrors, [{ path: store, message: 'is not a regular file (a FIFO, socket or device): not loaded' }]);
    const up = await d.cli(['doctor', '--json'], { timeoutMs: 20_000 });
    assert.equal(up.code, 1);
    assert.ok(notAFile(JSON.parse(up.stdout) as Report), up.stdout);
  });

  it("its fix commands, pasted into sh as printed, fix exactly the file they name in a state dir called `my state $(touch PWNED) it's`", async () => {
    const home = tempDir();
    const stateDir = path.join(home, "my state $(touch PWNED) it's");
    mkdirSync(stateDir, { mode: 0o755 });
    chmodSync(stateDir, 0o755);
    const dotenv = statePaths(stateDir).dotenv;
    writeFileSync(dotenv, 'OPENAI_API_KEY=x\n', { mode: 0o644 });
    chmodSync(dotenv, 0o644);

    const r = await cli(['doctor', '--json'], { stateDir });
    const fixes = (JSON.parse(r.stdout) as Report).checks.filter((c) => c.id === 'permissions' && c.status !== 'ok').map((c) => c.fix ?? '');
    assert.deepEqual(fixes, [`chmod 700 '${home}/my state $(touch PWNED) it'\\''s'`, `chmod 600 '${home}/my state $(touch PWNED) it'\\''s/.env'`]);
    for (const fix of fixes) {
      const ran = await run('sh', ['-c', fix], { cwd: home });
      assert.equal(ran.code, 0, ran.stderr);
    }
    assert.equal(mode(stateDir), 0o700);
    assert.equal(mode(dotenv), 0o600);
    assert.ok(!existsSync(path.join(home, 'PWNED')), 'nothing in the path was run');
  });

  it("suggests importing OpenClaw's state when it is there and OpenSoul has no profiles", async () => {
    const home = tempDir();
    mkdirSync(path.join(home, '.openclaw', 'agents', 'main', 'agent'), { recursive: true });
    const d = await startDaemon({ stateDir: path.join(home, 'state'), env: { HOME: home } });
    const r = await doctor(d, [], { HOME: home });
    const oc = r.report.checks.find((c) => c.id === 'openclaw');
    assert.equal(oc?.status, 'warn');
    assert.match(oc?.fix ?? '', /opensoul import openclaw --dry-run/);
  });

  it('checks the node version against what OpenSoul needs', () => {
    assert.equal(checkNode('20.19.0').status, 'ok');
    assert.equal(checkNode('22.1.0').status, 'ok');
    assert.equal(checkNode('20.18.3').status, 'error');
    assert.equal(checkNode('18.20.0').status, 'error');
  });
});
