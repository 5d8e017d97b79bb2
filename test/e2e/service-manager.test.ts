/**
 * `gateway install|uninstall|start|stop|restart|status` against stand-ins for `systemctl`,
 * `loginctl` and `launchctl` (the real service managers do not run here): one small shell
 * script on PATH that records every argv (and its environment) and plays a tiny service manager
 * — "starting the service" runs the real daemon, "stopping" sends it SIGTERM — so the CLI's
 * wait for the daemon to answer is exercised for real. HOME and XDG_CONFIG_HOME are temp dirs.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parsePlist } from 'plist';
import { authMonitorPlist, authMonitorService, authMonitorTimer, gatewayPlist, gatewayUnit } from '../../units/index.js';
import { isProcessAlive } from '../../ipc/process.js';
import { CLI, REPO, assertNoSecrets, cli, fakeSecret, killAfterTest, tempDir } from '../support/harness.js';
import type { RunResult } from '../support/harness.js';

const STANDIN = `#!/bin/sh
# Stand-in for systemctl / loginctl / launchctl: records argv and environment, plays a service manager.
name=\${0##*/}
printf '%s\\n' "$name $*" >> "$STANDIN_DIR/calls.log"
env >> "$STANDIN_DIR/env.log"
pidfile=$STANDIN_DIR/daemon.pid
alive() {
  [ -f "$pidfile" ] || return 1
  p=$(cat "$pidfile")
  kill -0 "$p" 2>/dev/null || return 1
  s=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -c1)
  [ "$s" != Z ] && [ -n "$s" ]
}
start_daemon() {
  alive && return 0
  "$STANDIN_NODE" "$STANDIN_ENTRY" gateway </dev/null >>"$STANDIN_DIR/daemon.out" 2>&1 &
  echo $! > "$pidfile"
  echo $! >> "$STANDIN_DIR/all-pids"
}
stop_daemon() {
  alive || return 0
  kill -TERM "$(cat "$pidfile")"
  i=0
  while alive && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
}
case "$name" in
systemctl)
  [ "$1" = --user ] && shift
  verb=$1; shift
  case "$verb" in
    show-environment)
      if [ -f "$STANDIN_DIR/no-bus" ]; then echo "Failed to connect to bus: No medium found" >&2; exit 1; fi
      echo "HOME=$HOME" ;;
    is-system-running) echo running ;;
    enable) if [ "$1" = --now ] && [ "$2" = opensoul-gateway.service ]; then start_daemon; fi ;;
    disable) if [ "$1" = --now ] && [ "$2" = opensoul-gateway.service ]; then stop_daemon; fi ;;
    start) start_daemon ;;
    restart) stop_daemon; start_daemon ;;
    stop) stop_daemon ;;
    is-active) if alive; then echo active; else echo inactive; exit 3; fi ;;
    show) if alive; then cat "$pidfile"; else echo 0; fi ;;
  esac ;;
loginctl) echo "Linger=$(cat "$STANDIN_DIR/linger" 2>/dev/null || echo no)" ;;
launchctl)
  verb=$1; shift
  # The auth monitor job: only whether it is loaded (it never runs the daemon).
  case "$*" in *ai.opensoul.auth-monitor*)
    case "$verb" in
      print) [ -f "$STANDIN_DIR/monitor-loaded" ] || { echo "Could not find service" >&2; exit 113; }; echo 'state = not running' ;;
      bootstrap) touch "$STANDIN_DIR/monitor-loaded" ;;
      bootout) rm -f "$STANDIN_DIR/monitor-loaded" ;;
    esac
    exit 0 ;;
  esac
  case "$verb" in
    print)
      [ -f "$STANDIN_DIR/loaded" ] || { echo "Could not find service" >&2; exit 113; }
      if alive; then printf 'state = running\\n\\tpid = %s\\n' "$(cat "$pidfile")"; else echo 'state = not running'; fi ;;
    bootstrap) touch "$STANDIN_DIR/loaded"; start_daemon ;;
    bootout) rm -f "$STANDIN_DIR/loaded"; stop_daemon ;;
    kickstart) [ "$1" = -k ] && stop_daemon; start_daemon ;;
    kill) stop_daemon ;;
  esac ;;
esac
exit 0
`;

const USER = os.userInfo().username;
const UID = process.getuid?.() ?? 0;

interface Sandbox {
  root: string;
  home: string;
  xdg: string;
  stateDir: string;
  standin: string;
  unitDir: string;
  env: Record<string, string | undefined>;
  calls(): string[];
  run(args: string[], extra?: Record<string, string | undefined>): Promise<RunResult>;
}

function sandbox(opts: { manager?: 'systemd' | 'launchd' | null; linger?: 'yes' | 'no' } = {}): Sandbox {
  const root = tempDir('opensoul-svc-');
  const home = path.join(root, 'home');
  const xdg = path.join(root, 'xdg');
  const stateDir = path.join(home, '.opensoul');
  const standin = path.join(root, 'standin');
  const bin = path.join(root, 'bin');
  for (const d of [home, standin, bin]) mkdirSync(d, { recursive: true });
  for (const name of ['systemctl', 'loginctl', 'launchctl']) {
    writeFileSync(path.join(bin, name), STANDIN);
    chmodSync(path.join(bin, name), 0o755);
  }
  writeFileSync(path.join(standin, 'linger'), opts.linger ?? 'no');
  const env: Record<string, string | undefined> = {
    HOME: home,
    XDG_CONFIG_HOME: xdg,
    // A login session's runtime dir: without one (nor a session bus) systemctl --user is not even asked.
    XDG_RUNTIME_DIR: path.join(root, 'run'),
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    OPENSOUL_SERVICE_MANAGER: opts.manager === null ? undefined : (opts.manager ?? 'systemd'),
    STANDIN_DIR: standin,
    STANDIN_NODE: process.execPath,
    STANDIN_ENTRY: CLI,
  };
  return {
    root,
    home,
    xdg,
    stateDir,
    standin,
    unitDir: path.join(xdg, 'systemd', 'user'),
    env,
    calls: () => (existsSync(path.join(standin, 'calls.log')) ? readFileSync(path.join(standin, 'calls.log'), 'utf8').trim().split('\n') : []),
    async run(args, extra = {}) {
      const r = await cli(args, { stateDir, env: { ...env, ...extra }, timeoutMs: 60_000 });
      // Whatever the stand-in or a detached start left running is killed after the test.
      for (const f of [path.join(standin, 'all-pids'), path.join(stateDir, 'run', 'gateway.pid')]) {
        if (existsSync(f)) for (const p of readFileSync(f, 'utf8').split('\n')) if (Number(p) > 0) killAfterTest(Number(p));
      }
      return r;
    },
  };
}

const expectedUnit = (s: Sandbox, system = false) =>
  gatewayUnit({ nodePath: process.execPath, entryPath: CLI, stateDir: s.stateDir, ...(system ? { system: { user: USER } } : {}) });

function pidOf(s: Sandbox): number {
  return Number(readFileSync(path.join(s.standin, 'daemon.pid'), 'utf8').trim());
}

describe('gateway install/uninstall/start/stop with a systemd stand-in', function () {
  it(
    'install (stand-in systemctl, found by `systemctl --user show-environment`) writes the user unit, reloads, enables --now, ' +
      'warns that lingering is off, and the daemon answers',
    async () => {
      const s = sandbox({ manager: null });
      const r = await s.run(['gateway', 'install']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(s.calls(), [
        'systemctl --user show-environment',
        'systemctl --user daemon-reload',
        'systemctl --user enable --now opensoul-gateway.service',
        `loginctl show-user ${USER} --property=Linger`,
      ]);
      const unit = path.join(s.unitDir, 'opensoul-gateway.service');
      assert.equal(readFileSync(unit, 'utf8'), expectedUnit(s));
      assert.match(readFileSync(unit, 'utf8'), new RegExp(`^ExecStart=${process.execPath} --max-semi-space-size=1 ${CLI} gateway$`, 'm'));
      assert.match(r.stdout, new RegExp(`running \\(pid ${pidOf(s)}\\)`));
      assert.match(r.stderr, /lingering is off/);
      assert.match(r.stderr, new RegExp(`loginctl enable-linger ${USER}`));

      const st = await s.run(['gateway', 'status', '--json']);
      assert.equal(st.code, 0, st.stderr);
      const doc = JSON.parse(st.stdout) as { service: { manager: string; installed: boolean; active: boolean }; daemon: { reachable: boolean; pid: number } };
      assert.deepEqual(
        { manager: doc.service.manager, installed: doc.service.installed, active: doc.service.active },
        { manager: 'systemd', installed: true, active: true },
      );
      assert.equal(doc.daemon.reachable, true);
      assert.equal(doc.daemon.pid, pidOf(s));
      const human = await s.run(['gateway', 'status']);
      assert.match(human.stdout, /Service\s+systemd user unit active/);
      assert.match(human.stdout, /Gateway\s+running/);
    },
  );

  it('says nothing about lingering when the stand-in loginctl reports Linger=yes, and a second install reports "unchanged" and makes no backup', async () => {
    const s = sandbox({ linger: 'yes' });
    assert.equal((await s.run(['gateway', 'install'])).code, 0);
    const again = await s.run(['gateway', 'install', '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /linger/i);
    const doc = JSON.parse(again.stdout) as { files: { path: string; action: string; backup: string | null }[]; commands: string[]; warnings: string[] };
    assert.deepEqual(doc.files, [{ path: path.join(s.unitDir, 'opensoul-gateway.service'), action: 'unchanged', backup: null }]);
    assert.deepEqual(doc.warnings, []);
    assert.deepEqual(readdirSync(s.unitDir), ['opensoul-gateway.service']);
    // A daemon answered before this install: the CLI asks systemd whether it is the unit's own.
    assert.deepEqual(s.calls().slice(3), [
      'systemctl --user daemon-reload',
      'systemctl --user enable --now opensoul-gateway.service',
      `loginctl show-user ${USER} --property=Linger`,
      'systemctl --user show --property=MainPID --value opensoul-gateway.service',
    ]);
    assert.doesNotMatch(again.stderr, /started outside/);
  });

  it(
    'refuses to replace a unit that differs without --force (exit 1, names the file and --force, changes and runs nothing); ' +
      '--force backs it up (0600) and restarts on the new unit',
    async () => {
      const s = sandbox();
      mkdirSync(s.unitDir, { recursive: true });
      const unit = path.join(s.unitDir, 'opensoul-gateway.service');
      const mine = '[Service]\nExecStart=/usr/bin/true\n';
      writeFileSync(unit, mine);
      const refused = await s.run(['gateway', 'install']);
      assert.equal(refused.code, 1);
      assert.ok(refused.stderr.includes(unit.replace(s.home, '~')) || refused.stderr.includes(unit), refused.stderr);
      assert.match(refused.stderr, /--force/);
      assert.equal(readFileSync(unit, 'utf8'), mine);
      assert.deepEqual(s.calls(), [], 'nothing ran');
      const json = await s.run(['gateway', 'install', '--json']);
      assert.equal(json.code, 1);
      assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'SERVICE_FILE_CONFLICT');

      const forced = await s.run(['gateway', 'install', '--force']);
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal(readFileSync(unit, 'utf8'), expectedUnit(s));
      const backups = readdirSync(s.unitDir).filter((f) => f.startsWith('opensoul-gateway.service.bak-'));
      assert.equal(backups.length, 1);
      const backup = path.join(s.unitDir, backups[0]!);
      assert.equal(readFileSync(backup, 'utf8'), mine);
      assert.equal(statSync(backup).mode & 0o777, 0o600);
      assert.match(forced.stdout, /replaced/);
      assert.deepEqual(s.calls(), [
        'systemctl --user daemon-reload',
        'systemctl --user enable opensoul-gateway.service',
        'systemctl --user restart opensoul-gateway.service',
        `loginctl show-user ${USER} --property=Linger`,
      ]);
    },
  );

  it('--dry-run prints the paths and content it would write, writes nothing and runs nothing', async () => {
    const s = sandbox({ manager: null });
    const r = await s.run(['gateway', 'install', '--dry-run', '--auth-monitor']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(expectedUnit(s).trimEnd()), 'the gateway unit, verbatim');
    assert.match(r.stdout, /opensoul-gateway\.service \(new file\)/);
    assert.match(r.stdout, /opensoul-auth-monitor\.timer/);
    // Each unit's own header: the gateway's says it reads .env, the monitor's what the monitor reads.
    const monitorHeader = r.stdout.slice(r.stdout.indexOf('opensoul-auth-monitor.service (new file)')).split('\n[Unit]')[0] ?? '';
    assert.match(monitorHeader, /^# Generated by `opensoul gateway install --auth-monitor`/m);
    assert.doesNotMatch(monitorHeader, /gateway reads the \.env/);
    assert.equal(r.stdout.split('the gateway reads the .env').length, 2, 'only the gateway unit says the gateway reads .env');
    assert.match(r.stdout, /systemctl --user enable --now opensoul-gateway\.service/);
    assert.ok(!existsSync(s.xdg), 'no directory created');
    assert.deepEqual(s.calls(), []);
    const j = await s.run(['gateway', 'install', '--dry-run', '--json']);
    const doc = JSON.parse(j.stdout) as { dryRun: boolean; files: { path: string; state: string; content: string }[] };
    assert.equal(doc.dryRun, true);
    assert.deepEqual(doc.files, [{ path: path.join(s.unitDir, 'opensoul-gateway.service'), state: 'new', content: expectedUnit(s) }]);
    assert.deepEqual(s.calls(), []);
    assert.ok(!existsSync(s.stateDir), 'not even the state dir');
  });

  it(
    '--system writes a system unit with User= (into OPENSOUL_SYSTEM_UNIT_DIR), uses systemctl without --user and checks no lingering; ' +
      'uninstall finds and removes it',
    async () => {
      const s = sandbox({ manager: null });
      const etc = path.join(s.root, 'etc-systemd-system');
      const r = await s.run(['gateway', 'install', '--system'], { OPENSOUL_SYSTEM_UNIT_DIR: etc });
      assert.equal(r.code, 0, r.stderr);
      const unit = readFileSync(path.join(etc, 'opensoul-gateway.service'), 'utf8');
      assert.equal(unit, expectedUnit(s, true));
      assert.match(unit, new RegExp(`^User=${USER}$`, 'm'));
      assert.match(unit, /^WantedBy=multi-user\.target$/m);
      assert.ok(!existsSync(s.unitDir), 'no user unit');
      assert.deepEqual(s.calls(), ['systemctl is-system-running', 'systemctl daemon-reload', 'systemctl enable --now opensoul-gateway.service']);
      const pid = pidOf(s);

      const u = await s.run(['gateway', 'uninstall'], { OPENSOUL_SYSTEM_UNIT_DIR: etc });
      assert.equal(u.code, 0, u.stderr);
      assert.deepEqual(s.calls().slice(3), ['systemctl is-system-running', 'systemctl disable --now opensoul-gateway.service', 'systemctl daemon-reload']);
      assert.ok(!existsSync(path.join(etc, 'opensoul-gateway.service')));
      assert.ok(!isProcessAlive(pid), 'disable --now stopped the daemon');
    },
  );

  it(
    "--auth-monitor also writes the monitor service (this install's scripts/auth-monitor.sh with absolute node and entry) and timer, " +
      'and enables the timer; uninstall removes all three',
    async () => {
      const s = sandbox();
      const r = await s.run(['gateway', 'install', '--auth-monitor']);
      assert.equal(r.code, 0, r.stderr);
      const base = { nodePath: process.execPath, entryPath: CLI, stateDir: s.stateDir };
      const script = path.join(REPO, 'scripts', 'auth-monitor.sh');
      const service = readFileSync(path.join(s.unitDir, 'opensoul-auth-monitor.service'), 'utf8');
      assert.equal(service, authMonitorService({ ...base, scriptPath: script }));
      assert.match(service, new RegExp(`^ExecStart=${script} --node ${process.execPath} --entry ${CLI}$`, 'm'));
      assert.equal(readFileSync(path.join(s.unitDir, 'opensoul-auth-monitor.timer'), 'utf8'), authMonitorTimer());
      assert.deepEqual(s.calls(), [
        'systemctl --user daemon-reload',
        'systemctl --user enable --now opensoul-gateway.service',
        'systemctl --user enable --now opensoul-auth-monitor.timer',
        `loginctl show-user ${USER} --property=Linger`,
      ]);

      const u = await s.run(['gateway', 'uninstall', '--json']);
      assert.equal(u.code, 0, u.stderr);
      assert.deepEqual(
        (JSON.parse(u.stdout) as { removed: string[] }).removed.map((f) => path.basename(f)),
        ['opensoul-gateway.service', 'opensoul-auth-monitor.service', 'opensoul-auth-monitor.timer'],
      );
      assert.deepEqual(s.calls().slice(4), [
        'systemctl --user disable --now opensoul-auth-monitor.timer',
        'systemctl --user disable --now opensoul-gateway.service',
        'systemctl --user daemon-reload',
      ]);
      assert.deepEqual(readdirSync(s.unitDir), []);
      const again = await s.run(['gateway', 'uninstall']);
      assert.equal(again.code, 0);
      assert.match(again.stdout, /not installed/);
    },
  );

  it('--auth-monitor points to <state dir>/auth-monitor.env for the notify settings, and a reinstall leaves that file as the person wrote it', async () => {
    const s = sandbox();
    const settings = path.join(s.stateDir, 'auth-monitor.env');
    // Shown the way people write it: under the home, with ~.
    assert.ok(settings.startsWith(`${s.home}/`));
    const shown = `~${settings.slice(s.home.length)}`;
    const dry = await s.run(['gateway', 'install', '--dry-run', '--auth-monitor']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.ok(
      dry.stdout.includes(`# auth monitor: alerts go to notify-send in a desktop session, else the journal; to send them elsewhere, put OPENSOUL_NOTIFY_URL=`),
    );
    assert.ok(dry.stdout.includes(`or OPENSOUL_NOTIFY_CMD=… in ${shown} (chmod 600; an install never changes it)`), dry.stdout);
    const r = await s.run(['gateway', 'install', '--auth-monitor', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { authMonitorSettings: string }).authMonitorSettings, settings);

    const text = "OPENSOUL_NOTIFY_CMD='logger -t opensoul'\n";
    writeFileSync(settings, text, { mode: 0o600 });
    const again = await s.run(['gateway', 'install', '--auth-monitor']);
    assert.equal(again.code, 0, again.stderr);
    assert.ok(again.stdout.includes(`auth monitor: notification settings from ${shown} (yours: an install never changes it)`), again.stdout);
    assert.equal(readFileSync(settings, 'utf8'), text);
  });

  it('stop, start and restart go through the stand-in systemctl once the unit is installed', async () => {
    const s = sandbox();
    assert.equal((await s.run(['gateway', 'install'])).code, 0);
    const first = pidOf(s);
    const n = s.calls().length;

    const stop = await s.run(['gateway', 'stop']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, new RegExp(`stopped \\(pid ${first}\\)`));
    assert.ok(!isProcessAlive(first));
    const down = await s.run(['gateway', 'status', '--json']);
    assert.equal(down.code, 3);
    assert.deepEqual((JSON.parse(down.stdout) as { service: { active: boolean } }).service.active, false);

    const start = await s.run(['gateway', 'start']);
    assert.equal(start.code, 0, start.stderr);
    const second = pidOf(s);
    assert.notEqual(second, first);
    assert.match(start.stdout, new RegExp(`started \\(pid ${second}\\) by systemd`));

    const restart = await s.run(['gateway', 'restart']);
    assert.equal(restart.code, 0, restart.stderr);
    const third = pidOf(s);
    assert.match(restart.stdout, new RegExp(`stopped \\(pid ${second}\\)[\\s\\S]*started \\(pid ${third}\\)`));
    assert.deepEqual(
      s
        .calls()
        .slice(n)
        .filter((c) => !c.endsWith('is-active opensoul-gateway.service')),
      [
        'systemctl --user stop opensoul-gateway.service',
        'systemctl --user start opensoul-gateway.service',
        'systemctl --user stop opensoul-gateway.service',
        'systemctl --user start opensoul-gateway.service',
      ],
    );
  });

  it('start without the unit installed (stand-in systemd available) runs the daemon detached and says why', async () => {
    const s = sandbox();
    const r = await s.run(['gateway', 'start']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /not installed: starting the daemon detached/);
    assert.match(r.stdout, /started \(pid \d+\) detached/);
    assert.deepEqual(s.calls(), [], 'no systemctl start for a unit that does not exist');
    const stop = await s.run(['gateway', 'stop']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /stopped/);
  });

  it('install, when the stand-in has no user bus, explains it and exits 1 without writing anything', async () => {
    const s = sandbox({ manager: null });
    writeFileSync(path.join(s.standin, 'no-bus'), '');
    const r = await s.run(['gateway', 'install']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no user systemd bus/);
    assert.match(r.stderr, /Failed to connect to bus: No medium found/);
    assert.match(r.stderr, /opensoul gateway start/);
    assert.ok(!existsSync(s.xdg));
    assert.deepEqual(s.calls(), ['systemctl --user show-environment']);
  });

  it('with neither XDG_RUNTIME_DIR nor DBUS_SESSION_BUS_ADDRESS, systemctl --user is not asked (it cannot connect) and install says why', async () => {
    const s = sandbox({ manager: null });
    const r = await s.run(['gateway', 'install'], { XDG_RUNTIME_DIR: undefined, DBUS_SESSION_BUS_ADDRESS: undefined });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no user systemd bus is available here \(neither XDG_RUNTIME_DIR nor DBUS_SESSION_BUS_ADDRESS is set\)/);
    assert.match(r.stderr, /loginctl enable-linger/);
    assert.deepEqual(s.calls(), [], 'no process spawned for an answer known in advance');
    const bus = await s.run(['doctor'], { XDG_RUNTIME_DIR: undefined, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' });
    assert.ok(s.calls().includes('systemctl --user show-environment'), `a session bus alone is enough to ask: ${bus.stderr}`);
  });
});

describe(
  'gateway install/uninstall/start/stop with a launchd stand-in (launchctl cannot run here: ' +
    'a recording script plays it; OPENSOUL_SERVICE_MANAGER=launchd)',
  function () {
    const target = `gui/${UID}/ai.opensoul.gateway`;

    it('install writes the LaunchAgent plist, makes <stateDir>/logs 0700, bootstraps and kickstarts; reinstalling boots the loaded job out first', async () => {
      const s = sandbox({ manager: 'launchd' });
      const r = await s.run(['gateway', 'install']);
      assert.equal(r.code, 0, r.stderr);
      const plist = path.join(s.home, 'Library', 'LaunchAgents', 'ai.opensoul.gateway.plist');
      assert.equal(readFileSync(plist, 'utf8'), gatewayPlist({ nodePath: process.execPath, entryPath: CLI, stateDir: s.stateDir }));
      assert.equal(statSync(path.join(s.stateDir, 'logs')).mode & 0o777, 0o700);
      assert.deepEqual(s.calls(), [`launchctl print ${target}`, `launchctl bootstrap gui/${UID} ${plist}`, `launchctl kickstart -k ${target}`]);
      assert.match(r.stdout, new RegExp(`running \\(pid ${pidOf(s)}\\)`));

      const again = await s.run(['gateway', 'install']);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /unchanged/);
      assert.deepEqual(s.calls().slice(3), [
        `launchctl print ${target}`,
        `launchctl bootout ${target}`,
        `launchctl bootstrap gui/${UID} ${plist}`,
        `launchctl kickstart -k ${target}`,
      ]);

      const st = await s.run(['gateway', 'status', '--json']);
      assert.equal(st.code, 0, st.stderr);
      const doc = JSON.parse(st.stdout) as { service: { manager: string; installed: boolean; active: boolean; scope: string | null } };
      assert.deepEqual({ ...doc.service, file: undefined }, { manager: 'launchd', scope: null, installed: true, active: true, file: undefined });
    });

    it('stop sends SIGTERM with launchctl kill, start kickstarts the loaded job, uninstall boots it out and removes the plist', async () => {
      const s = sandbox({ manager: 'launchd' });
      assert.equal((await s.run(['gateway', 'install'])).code, 0);
      const first = pidOf(s);
      const n = s.calls().length;
      const stop = await s.run(['gateway', 'stop']);
      assert.equal(stop.code, 0, stop.stderr);
      assert.match(stop.stdout, new RegExp(`stopped \\(pid ${first}\\)`));
      const start = await s.run(['gateway', 'start']);
      assert.equal(start.code, 0, start.stderr);
      assert.match(start.stdout, /started \(pid \d+\) by launchd/);
      const u = await s.run(['gateway', 'uninstall']);
      assert.equal(u.code, 0, u.stderr);
      assert.deepEqual(s.calls().slice(n), [
        `launchctl print ${target}`,
        `launchctl kill SIGTERM ${target}`,
        `launchctl print ${target}`,
        `launchctl kickstart ${target}`,
        `launchctl print ${target}`,
        `launchctl bootout ${target}`,
      ]);
      assert.ok(!existsSync(path.join(s.home, 'Library', 'LaunchAgents', 'ai.opensoul.gateway.plist')));
      assert.ok(!isProcessAlive(pidOf(s)));
    });

    it('--system is a usage error with launchd (exit 64)', async () => {
      const s = sandbox({ manager: 'launchd' });
      const sys = await s.run(['gateway', 'install', '--system']);
      assert.equal(sys.code, 64);
      assert.match(sys.stderr, /--system/);
    });

    it(
      '--auth-monitor installs the ai.opensoul.auth-monitor LaunchAgent (every 1800 s, absolute node and entry) instead of printing a cron line; ' +
        'uninstall boots it out and removes it',
      async () => {
        const s = sandbox({ manager: 'launchd' });
        const dry = await s.run(['gateway', 'install', '--dry-run', '--auth-monitor']);
        assert.equal(dry.code, 0, dry.stderr);
        assert.doesNotMatch(dry.stdout + dry.stderr, /cron/);
        const monitor = path.join(s.home, 'Library', 'LaunchAgents', 'ai.opensoul.auth-monitor.plist');
        assert.match(dry.stdout, /launchctl bootstrap gui\/\d+ \S*ai\.opensoul\.auth-monitor\.plist/);
        assert.ok(!existsSync(monitor), 'a dry run writes nothing');

        const r = await s.run(['gateway', 'install', '--auth-monitor']);
        assert.equal(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stdout + r.stderr, /cron/);
        assert.match(r.stdout, /^auth monitor: alerts go to a macOS notification; .* in ~\/\S*auth-monitor\.env \(chmod 600; an install never changes it\)$/m);
        const scriptPath = path.join(REPO, 'scripts', 'auth-monitor.sh');
        assert.equal(readFileSync(monitor, 'utf8'), authMonitorPlist({ nodePath: process.execPath, entryPath: CLI, scriptPath, stateDir: s.stateDir }));
        const job = parsePlist(readFileSync(monitor, 'utf8')) as { StartInterval: number; ProgramArguments: string[] };
        assert.equal(job.StartInterval, 1800);
        assert.deepEqual(job.ProgramArguments, [scriptPath, '--node', process.execPath, '--entry', CLI]);
        const monitorTarget = `gui/${UID}/ai.opensoul.auth-monitor`;
        assert.deepEqual(s.calls().slice(-2), [`launchctl print ${monitorTarget}`, `launchctl bootstrap gui/${UID} ${monitor}`]);

        const u = await s.run(['gateway', 'uninstall']);
        assert.equal(u.code, 0, u.stderr);
        assert.ok(s.calls().includes(`launchctl bootout ${monitorTarget}`));
        assert.ok(!existsSync(monitor));
      },
    );
  },
);

describe('service files and commands never carry a secret', function () {
  it(
    'a fake secret in .env, in opensoul.json env.vars and in the installing shell ' +
      'reaches no unit, plist, command output, stand-in argv or environment, or daemon log',
    async () => {
      const inDotenv = fakeSecret('sk-ant-api03-', 70);
      const inConfig = fakeSecret('sk-or-v1-', 60);
      const inShell = fakeSecret('sk-proj-', 60);
      const outputs: Record<string, string> = {};
      const files: Record<string, string> = {};
      for (const manager of ['systemd', 'launchd'] as const) {
        const s = sandbox({ manager });
        mkdirSync(s.stateDir, { recursive: true, mode: 0o700 });
        writeFileSync(path.join(s.stateDir, '.env'), `ANTHROPIC_API_KEY=${inDotenv}\n`, { mode: 0o600 });
        writeFileSync(path.join(s.stateDir, 'opensoul.json'), JSON.stringify({ env: { vars: { OPENROUTER_API_KEY: inConfig } } }), { mode: 0o600 });
        const shell = { OPENAI_API_KEY: inShell };
        const commands = [
          ['gateway', 'install', '--dry-run', '--auth-monitor'],
          ['gateway', 'install', '--auth-monitor'],
          ['gateway', 'status', '--json'],
          ['gateway', 'status'],
          ['models', 'status', '--json'],
          ['gateway', 'restart'],
          ['gateway', 'uninstall', '--json'],
        ];
        for (const args of commands) {
          const r = await s.run(args, shell);
          assert.ok(r.code === 0, `${manager} ${args.join(' ')}: ${r.stderr}`);
          outputs[`${manager} ${args.join(' ')}`] = r.stdout + r.stderr;
          if (args[0] === 'models') {
            // The daemon the service runs did load the secrets from its files (so leaks were possible)…
            const st = JSON.parse(r.stdout) as { providers: { provider: string; env: { source: string } | null }[] };
            assert.equal(st.providers.find((p) => p.provider === 'anthropic')?.env?.source, 'dotenv');
            assert.equal(st.providers.find((p) => p.provider === 'openrouter')?.env?.source, 'config');
            // …but not the installing shell's key: a service does not inherit the shell.
            assert.equal(st.providers.find((p) => p.provider === 'openai')?.env ?? null, null);
          }
        }
        const standinLogs = ['calls.log', 'env.log', 'daemon.out'].map((f) => path.join(s.standin, f));
        for (const f of standinLogs) if (existsSync(f)) files[`${manager} ${path.basename(f)}`] = readFileSync(f, 'utf8');
        files[`${manager} gateway.log`] = readFileSync(path.join(s.stateDir, 'logs', 'gateway.log'), 'utf8');
        const install = JSON.parse((await s.run(['gateway', 'install', '--dry-run', '--json', '--auth-monitor'], shell)).stdout) as {
          files: { path: string; content: string }[];
        };
        for (const f of install.files) files[`${manager} ${f.path}`] = f.content;
      }
      assert.ok(Object.keys(files).some((k) => k.endsWith('.plist')) && Object.keys(files).some((k) => k.endsWith('.timer')));
      assert.ok(files['systemd env.log']!.includes('STANDIN_DIR='), 'the stand-in recorded its environment');
      assertNoSecrets([inDotenv, inConfig, inShell], { ...outputs, ...files });
    },
  );
});
