/**
 * The README's first steps from an empty home, run exactly as a person types them: under umask
 * 022, `mkdir -p ~/.opensoul` and `cat >> ~/.opensoul/.env` leave a 0755 dir and a 0644 file.
 * The gateway must start on that (narrowing both, once, with a warning in the log and in doctor),
 * not exit 78; it still refuses a dir that others can write to. And doctor with the daemon down
 * reports the profiles on disk instead of "no profiles yet".
 */
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DoctorCheck } from '../../ipc/protocol.js';
import { CLI, assertNoSecrets, cleanEnv, fakeSecret, killAfterTest, run, tempDir } from '../support/harness.js';

const mode = (p: string) => statSync(p).mode & 0o777;

/** A temp home with no OPENSOUL_* variables: the state dir is the default ~/.opensoul. */
function home(): { home: string; stateDir: string; env: NodeJS.ProcessEnv; opensoul: (args: string[]) => ReturnType<typeof run> } {
  const h = path.join(tempDir('opensoul-first-'), 'home');
  mkdirSync(h);
  // No service manager here: `gateway start` detaches the daemon itself.
  const env = cleanEnv({ HOME: h, OPENSOUL_SERVICE_MANAGER: 'none', XDG_RUNTIME_DIR: undefined, DBUS_SESSION_BUS_ADDRESS: undefined });
  const stateDir = path.join(h, '.opensoul');
  const opensoul = async (args: string[]) => {
    const r = await run(process.execPath, [CLI, ...args], { env });
    const started = /started \(pid (\d+)\)/.exec(r.stdout)?.[1];
    if (started) killAfterTest(Number(started));
    return r;
  };
  return { home: h, stateDir, env, opensoul };
}

describe('first steps from an empty home (README)', function () {
  it('mkdir -p and cat >> under umask 022, then gateway start: status OK, modes narrowed, one warning, no secret anywhere', async () => {
    const h = home();
    const key = fakeSecret('sk-ant-api03-', 80);
    const typed = await run('sh', ['-c', `umask 022; mkdir -p ~/.opensoul; cat >> ~/.opensoul/.env <<EOF\nANTHROPIC_API_KEY=${key}\nEOF`], { env: h.env });
    assert.equal(typed.code, 0, typed.stderr);
    assert.equal(mode(h.stateDir), 0o755, 'the shell made what a person gets');
    assert.equal(mode(path.join(h.stateDir, '.env')), 0o644);

    const start = await h.opensoul(['gateway', 'start']);
    assert.equal(start.code, 0, start.stdout + start.stderr);
    const status = await h.opensoul(['models', 'status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /ANTHROPIC_API_KEY/);
    const check = await h.opensoul(['models', 'status', '--check']);
    assert.equal(check.code, 0, check.stdout + check.stderr);

    assert.equal(mode(h.stateDir), 0o700);
    assert.equal(mode(path.join(h.stateDir, '.env')), 0o600);
    const log = readFileSync(path.join(h.stateDir, 'logs', 'gateway.log'), 'utf8');
    const warnings = log.split('\n').filter((l) => l.includes('narrowed the modes'));
    assert.equal(warnings.length, 1, log);
    const warning = JSON.parse(warnings[0] as string) as { level: string; tightened: string[] };
    assert.equal(warning.level, 'warn');
    assert.deepEqual(warning.tightened, [`${h.stateDir} 0755 → 0700`, `${path.join(h.stateDir, '.env')} 0644 → 0600`]);

    const doctor = await h.opensoul(['doctor', '--json']);
    const checks = (JSON.parse(doctor.stdout) as { checks: DoctorCheck[] }).checks;
    const narrowed = checks.find((c) => c.id === 'permissions' && c.status === 'warn');
    assert.ok(narrowed?.message.includes(`${h.stateDir} 0755 → 0700`) && narrowed.message.includes('.env 0644 → 0600'), JSON.stringify(checks));

    const stop = await h.opensoul(['gateway', 'stop']);
    assert.equal(stop.code, 0, stop.stderr);
    assertNoSecrets([key], { start: start.stdout + start.stderr, status: status.stdout + status.stderr, doctor: doctor.stdout + doctor.stderr, log });
  });

  it('still refuses (78) a state dir that others can write to, and changes nothing', async () => {
    const h = home();
    mkdirSync(h.stateDir);
    chmodSync(h.stateDir, 0o775);
    writeFileSync(path.join(h.stateDir, '.env'), 'OPENAI_API_KEY=x\n', { mode: 0o644 });
    chmodSync(path.join(h.stateDir, '.env'), 0o644);
    const r = await run(process.execPath, [CLI, 'gateway'], { env: h.env });
    assert.equal(r.code, 78, r.stderr);
    assert.match(r.stderr, /mode 0775: other users can write to it.*chmod 700/);
    assert.equal(mode(h.stateDir), 0o775);
    assert.equal(mode(path.join(h.stateDir, '.env')), 0o644);
  });

  it('narrows a readable secret file but never chmods through a symlink in its place', async () => {
    const h = home();
    mkdirSync(h.stateDir, { mode: 0o700 });
    const elsewhere = path.join(h.home, 'elsewhere.txt');
    writeFileSync(elsewhere, 'not ours to change\n');
    chmodSync(elsewhere, 0o644);
    symlinkSync(elsewhere, path.join(h.stateDir, 'opensoul.json'));
    const store = path.join(h.stateDir, 'agents', 'main', 'agent', 'auth-profiles.json');
    mkdirSync(path.dirname(store), { recursive: true });
    writeFileSync(store, JSON.stringify({ version: 1, profiles: {} }));
    chmodSync(store, 0o640);
    const start = await h.opensoul(['gateway', 'start']);
    assert.equal(start.code, 0, start.stdout + start.stderr);
    assert.equal(mode(store), 0o600);
    assert.ok(lstatSync(path.join(h.stateDir, 'opensoul.json')).isSymbolicLink());
    assert.equal(mode(elsewhere), 0o644, 'the link target is left alone');
    assert.equal((await h.opensoul(['gateway', 'stop'])).code, 0);
  });

  it('a state dir that is a symbolic link to a readable dir starts, warns, and is not chmod-ed through the link', async () => {
    const h = home();
    const real = path.join(h.home, 'real-state');
    mkdirSync(real);
    chmodSync(real, 0o755);
    symlinkSync(real, h.stateDir);
    const start = await h.opensoul(['gateway', 'start']);
    assert.equal(start.code, 0, start.stdout + start.stderr);
    assert.equal(mode(real), 0o755);
    const log = readFileSync(path.join(real, 'logs', 'gateway.log'), 'utf8');
    assert.match(log, /is a symbolic link to .*real-state \(0755\).*not changed through the link/);
    assert.equal((await h.opensoul(['gateway', 'stop'])).code, 0);
  });

  it('refuses (78) a run/ that is a symbolic link to a dir others can write to, and chmods nothing through the link', async () => {
    const h = home();
    mkdirSync(h.stateDir, { mode: 0o700 });
    const open = path.join(h.home, 'open-run');
    mkdirSync(open);
    chmodSync(open, 0o777);
    symlinkSync(open, path.join(h.stateDir, 'run'));
    const r = await run(process.execPath, [CLI, 'gateway'], { env: h.env });
    assert.equal(r.code, 78, r.stderr);
    assert.match(r.stderr, /run dir .* is mode 0777: other users can write to it/);
    assert.equal(mode(open), 0o777);
  });

  it('doctor with the daemon down reports the profiles on disk, not "no profiles yet"', async () => {
    const h = home();
    const store = path.join(h.stateDir, 'agents', 'main', 'agent', 'auth-profiles.json');
    mkdirSync(path.dirname(store), { recursive: true, mode: 0o700 });
    chmodSync(h.stateDir, 0o700);
    const key = fakeSecret('sk-ant-api03-', 60);
    writeFileSync(store, JSON.stringify({ version: 1, profiles: { 'anthropic:work': { type: 'api_key', provider: 'anthropic', key } } }), { mode: 0o600 });
    // OpenClaw state beside it: doctor's import hint must see that OpenSoul has profiles already.
    mkdirSync(path.join(h.home, '.openclaw', 'agents'), { recursive: true });
    const r = await h.opensoul(['doctor', '--json']);
    const checks = (JSON.parse(r.stdout) as { checks: DoctorCheck[] }).checks;
    assert.equal(checks.find((c) => c.id === 'daemon')?.status, 'error');
    const parse = checks.find((c) => c.id === 'parse');
    assert.match(parse?.message ?? '', /profiles on disk: main: anthropic:work/);
    const openclaw = checks.find((c) => c.id === 'openclaw');
    assert.equal(openclaw?.status, 'ok', JSON.stringify(openclaw));
    assert.doesNotMatch(r.stdout, /no profiles yet/);
    assertNoSecrets([key], { doctor: r.stdout + r.stderr });
  });
});
