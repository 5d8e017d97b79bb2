/**
 * `gateway start|stop|status` with no service manager: the CLI detaches the real daemon itself,
 * waits for it to answer, and stops it over the socket. Includes this machine's real situation —
 * `systemctl --user` cannot reach a user bus (no XDG_RUNTIME_DIR or DBUS_SESSION_BUS_ADDRESS, as in
 * containers and SSH/su sessions without lingering) — with the real systemctl, no stand-in.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isProcessAlive } from '../../ipc/process.js';
import { CLI, assertNoSecrets, cleanEnv, cli, fakeSecret, killAfterTest, socketPathFor, tempDir, track } from '../support/harness.js';
import type { RunResult } from '../support/harness.js';

/** Fields of /proc/<pid>/stat after the command name: state, ppid, pgrp, session. */
function procStat(pid: number): { ppid: number; session: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(f[1]), session: Number(f[3]) };
}

interface Env {
  stateDir: string;
  home: string;
  env: Record<string, string | undefined>;
  run(args: string[], extra?: Record<string, string | undefined>): Promise<RunResult>;
  remember(): void;
}

/** A temp home and state dir; `manager` unset means real detection. */
function setup(manager: 'none' | undefined): Env {
  const home = path.join(tempDir('opensoul-det-'), 'home');
  mkdirSync(home);
  const stateDir = path.join(home, '.opensoul');
  const env = {
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    // No user bus, like a container or an SSH session without lingering.
    XDG_RUNTIME_DIR: undefined,
    DBUS_SESSION_BUS_ADDRESS: undefined,
    OPENSOUL_SERVICE_MANAGER: manager,
  };
  const remember = () => {
    try {
      killAfterTest(Number(readFileSync(path.join(stateDir, 'run', 'gateway.pid'), 'utf8').trim()));
    } catch {
      /* no pid file */
    }
  };
  return {
    stateDir,
    home,
    env,
    remember,
    async run(args, extra = {}) {
      const r = await cli(args, { stateDir, env: { ...env, ...extra } });
      const started = /started \(pid (\d+)\)/.exec(r.stdout)?.[1];
      if (started) killAfterTest(Number(started));
      remember();
      return r;
    },
  };
}

describe('gateway start/stop with no service manager (the daemon detached by the CLI)', function () {
  it('no user systemd bus here (real systemctl, no XDG_RUNTIME_DIR nor session bus): install explains it, exits 1; start detaches the daemon', async () => {
    const e = setup(undefined);
    const install = await e.run(['gateway', 'install']);
    assert.equal(install.code, 1, install.stdout + install.stderr);
    assert.match(install.stderr, /no user systemd bus is available here/);
    assert.match(install.stderr, /neither XDG_RUNTIME_DIR nor DBUS_SESSION_BUS_ADDRESS is set/, 'says why systemctl --user cannot connect');
    assert.match(install.stderr, /`opensoul gateway start` runs the daemon detached/);
    assert.match(install.stderr, /loginctl enable-linger/);
    assert.ok(!existsSync(path.join(e.home, '.config', 'systemd')), 'no unit written');
    const json = await e.run(['gateway', 'install', '--json']);
    assert.equal(json.code, 1);
    assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'NO_SERVICE_MANAGER');

    const start = await e.run(['gateway', 'start']);
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stderr, /no user systemd bus .*starting the daemon detached instead/);
    const pid = Number(/started \(pid (\d+)\)/.exec(start.stdout)?.[1]);
    assert.ok(isProcessAlive(pid));
    const status = await e.run(['gateway', 'status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    const doc = JSON.parse(status.stdout) as { service: unknown; daemon: { reachable: boolean; pid: number } };
    assert.equal(doc.service, null, 'no service manager: service is null');
    assert.deepEqual([doc.daemon.reachable, doc.daemon.pid], [true, pid]);
    const human = await e.run(['gateway', 'status']);
    assert.match(human.stdout, /Service\s+none — no user systemd bus/);
    assert.match(human.stdout, /^Memory\s+\d+\.\d MiB resident \(JS heap \d+\.\d MiB used of \d+\.\d MiB\)$/m, "the daemon's memory, as the README says");
    assert.equal((await e.run(['gateway', 'stop'])).code, 0);
    assert.ok(!isProcessAlive(pid));
  });

  it(
    'start detaches the daemon (own session, not a child of the exited CLI), status answers 0; ' +
      'stop removes socket and pid file; status then exits 3 with reachable: false',
    async () => {
      const e = setup('none');
      // Spawned by hand (not through the harness's cli()) to know the CLI's own pid.
      const child = track(
        spawn(process.execPath, [CLI, 'gateway', 'start'], { env: cleanEnv({ ...e.env, OPENSOUL_STATE_DIR: e.stateDir }), stdio: ['ignore', 'pipe', 'pipe'] }),
      );
      let stdout = '';
      child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr?.resume();
      const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
      e.remember();
      const pid = Number(/started \(pid (\d+)\)/.exec(stdout)?.[1]);
      if (pid > 0) killAfterTest(pid);
      assert.equal(code, 0, stdout);
      assert.ok(pid > 0, stdout);
      assert.ok(isProcessAlive(pid), 'the daemon outlives the CLI, which has exited');
      const st = procStat(pid);
      assert.notEqual(st.ppid, child.pid, 'not a child of the CLI (which has exited)');
      assert.notEqual(st.ppid, process.pid, 'nor of the test');
      assert.equal(st.session, pid, 'setsid: the daemon leads its own session (no controlling terminal)');
      assert.equal(readFileSync(path.join(e.stateDir, 'run', 'gateway.pid'), 'utf8').trim(), String(pid));
      const stderrLog = path.join(e.stateDir, 'logs', 'gateway.stderr.log');
      assert.equal(statSync(stderrLog).mode & 0o777, 0o600);

      const again = await e.run(['gateway', 'start', '--json']);
      assert.equal(again.code, 0);
      assert.deepEqual(JSON.parse(again.stdout), { started: false, alreadyRunning: true, pid, via: 'detached' });

      const status = await e.run(['gateway', 'status', '--json']);
      assert.equal(status.code, 0, status.stderr);
      const up = JSON.parse(status.stdout) as {
        service: unknown;
        daemon: { reachable: boolean; pid: number; socket: string; version: string; uptimeMs: number; memory: { rss: number }; proxy: unknown };
      };
      assert.equal(up.service, null);
      assert.equal(up.daemon.reachable, true);
      assert.equal(up.daemon.pid, pid);
      assert.equal(up.daemon.socket, socketPathFor(e.stateDir, cleanEnv({ OPENSOUL_STATE_DIR: e.stateDir })));
      assert.equal(typeof up.daemon.uptimeMs, 'number');
      assert.ok(up.daemon.memory.rss > 0, 'the daemon reports its memory');
      assert.equal(up.daemon.proxy, null, 'the proxy is not enabled');

      const stop = await e.run(['gateway', 'stop']);
      assert.equal(stop.code, 0, stop.stderr);
      assert.match(stop.stdout, new RegExp(`stopped \\(pid ${pid}\\)`));
      assert.ok(!isProcessAlive(pid));
      assert.ok(!existsSync(path.join(e.stateDir, 'run', 'gateway.sock')), 'socket removed');
      assert.ok(!existsSync(path.join(e.stateDir, 'run', 'gateway.pid')), 'pid file removed');
      assert.match(readFileSync(path.join(e.stateDir, 'logs', 'gateway.log'), 'utf8'), /gateway stopped.*opensoul gateway stop/);

      const down = await e.run(['gateway', 'status', '--json']);
      assert.equal(down.code, 3);
      const d = JSON.parse(down.stdout) as { service: unknown; daemon: { reachable: boolean; pid: null; reason: string } };
      assert.deepEqual([d.service, d.daemon.reachable, d.daemon.pid, d.daemon.reason], [null, false, null, 'not-running']);
      assert.equal(down.stderr.trim().split('\n').length, 1, 'one stderr line');
      assert.match(down.stderr, /gateway\.sock.*opensoul gateway start/);
      const downHuman = await e.run(['gateway', 'status']);
      assert.equal(downHuman.code, 3);
      assert.match(downHuman.stdout, /Gateway\s+not running/);

      const stopAgain = await e.run(['gateway', 'stop', '--json']);
      assert.equal(stopAgain.code, 0);
      assert.deepEqual(JSON.parse(stopAgain.stdout), { stopped: false, pid: null, via: 'socket' });
    },
  );

  it('restart with no service manager stops the running daemon and detaches a new one', async () => {
    const e = setup('none');
    const first = Number(/started \(pid (\d+)\)/.exec((await e.run(['gateway', 'start'])).stdout)?.[1]);
    const r = await e.run(['gateway', 'restart']);
    assert.equal(r.code, 0, r.stderr);
    const second = Number(/started \(pid (\d+)\)/.exec(r.stdout)?.[1]);
    assert.ok(second > 0 && second !== first);
    assert.ok(!isProcessAlive(first));
    assert.ok(isProcessAlive(second));
  });

  it('a daemon that cannot start (state dir others can write to) makes start print its last stderr lines and exit with its code, 78', async () => {
    const e = setup('none');
    mkdirSync(e.stateDir, { mode: 0o775 });
    chmodSync(e.stateDir, 0o775);
    const r = await e.run(['gateway', 'start']);
    assert.equal(r.code, 78, r.stdout + r.stderr);
    assert.match(r.stderr, /exited with code 78 before it answered/);
    assert.match(r.stderr, /cannot start: .*0775/);
    const j = await e.run(['gateway', 'start', '--json']);
    assert.equal(j.code, 78);
    assert.equal((JSON.parse(j.stdout) as { error: { code: string } }).error.code, 'DAEMON_EXITED');
  });

  it('keeps the secrets of .env and of the starting shell out of every output and log', async () => {
    const e = setup('none');
    const inDotenv = fakeSecret('sk-ant-api03-', 70);
    const inShell = fakeSecret('sk-proj-', 60);
    mkdirSync(e.stateDir, { mode: 0o700 });
    writeFileSync(path.join(e.stateDir, '.env'), `ANTHROPIC_API_KEY=${inDotenv}\n`, { mode: 0o600 });
    const shell = { OPENAI_API_KEY: inShell };
    const outs: Record<string, string> = {};
    for (const args of [
      ['gateway', 'start'],
      ['gateway', 'status'],
      ['gateway', 'status', '--json'],
      ['models', 'status', '--json'],
      ['gateway', 'logs', '-n', '100'],
      ['gateway', 'stop'],
    ]) {
      const r = await e.run(args, shell);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      outs[args.join(' ')] = r.stdout + r.stderr;
    }
    // The detached daemon has the starting shell's environment, so it did see both keys.
    const st = JSON.parse(outs['models status --json']!) as { providers: { provider: string; env: { source: string } | null }[] };
    assert.equal(st.providers.find((p) => p.provider === 'openai')?.env?.source, 'process');
    assert.equal(st.providers.find((p) => p.provider === 'anthropic')?.env?.source, 'dotenv');
    outs['gateway.log'] = readFileSync(path.join(e.stateDir, 'logs', 'gateway.log'), 'utf8');
    outs['gateway.stderr.log'] = readFileSync(path.join(e.stateDir, 'logs', 'gateway.stderr.log'), 'utf8');
    assertNoSecrets([inDotenv, inShell], outs);
  });
});
