import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  AUTH_MONITOR_SERVICE,
  AUTH_MONITOR_TIMER,
  GATEWAY_UNIT,
  UnitValueError,
  authMonitorService,
  authMonitorTimer,
  gatewayUnit,
  systemdUnitDir,
} from '../../units/index.js';
import { decodeEnvironment, decodeExecStart, directiveValues } from './systemd-words.js';
import { statusRequestTimeoutMs } from '../../client/commands/models-status-run.js';

const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';

/** A fake install: a node (symlink to this node), an entry, the monitor script and a state dir. */
interface Install {
  nodePath: string;
  entryPath: string;
  scriptPath: string;
  stateDir: string;
}

/**
 * Creates `<root>/<execDir>/bin/node` (→ process.execPath) and `<root>/<execDir>/scripts/auth-monitor.sh`,
 * which systemd-analyze verify checks for existence, and `<root>/<dataDir>/lib/opensoul.mjs` and
 * `<root>/<dataDir>/state`, which it does not. Executables and data may differ in name because
 * systemd refuses quotes and backslashes in an executable name but not in arguments.
 */
function makeInstall(root: string, execDir: string, dataDir: string): Install {
  const exec = path.join(root, execDir);
  const data = path.join(root, dataDir);
  fs.mkdirSync(path.join(exec, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(exec, 'scripts'), { recursive: true });
  fs.mkdirSync(path.join(data, 'lib'), { recursive: true });
  fs.mkdirSync(path.join(data, 'state'), { recursive: true });
  const nodePath = path.join(exec, 'bin', 'node');
  fs.symlinkSync(process.execPath, nodePath);
  const scriptPath = path.join(exec, 'scripts', 'auth-monitor.sh');
  fs.writeFileSync(scriptPath, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const entryPath = path.join(data, 'lib', 'opensoul.mjs');
  fs.writeFileSync(entryPath, '// entry\n');
  return { nodePath, entryPath, scriptPath, stateDir: path.join(data, 'state') };
}

/** Writes units with their exact names into `<root>/units` and returns their paths. */
function writeUnits(root: string, units: Record<string, string>): string[] {
  const dir = path.join(root, 'units');
  fs.mkdirSync(dir, { recursive: true });
  return Object.entries(units).map(([name, text]) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  });
}

/**
 * Runs `systemd-analyze verify` in system mode (no user manager runs here). `--recursive-errors=no`
 * makes a warning about *these* files a non-zero exit (without it, warnings exit 0) while the
 * host's own units cannot fail us; `--man=no` skips Documentation= lookups. Files in one call
 * share a directory, which verify searches first, so the timer finds its service.
 */
function verify(root: string, files: string[]): { status: number | null; ourLines: string[]; stderr: string } {
  const result = spawnSync(SYSTEMD_ANALYZE, ['verify', '--recursive-errors=no', '--man=no', ...files], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' },
  });
  const output = `${result.stdout}\n${result.stderr}`;
  const ourLines = output.split('\n').filter((line) => line.includes(root) || line.includes('opensoul-'));
  return { status: result.status, ourLines, stderr: result.stderr };
}

function only(values: string[]): string {
  assert.equal(values.length, 1, `expected exactly one value, got ${JSON.stringify(values)}`);
  return values[0]!;
}

describe('units/systemd-units', () => {
  let root = '';

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'opensoul-units-'));
    // The expected lines below are written literally around `root`; that only holds while
    // root itself needs no escaping.
    assert.match(root, /^[A-Za-z0-9_/.-]+$/, `temp dir ${root} would need escaping; set TMPDIR to a plain path`);
  });

  afterEach(() => {
    if (root !== '') fs.rmSync(root, { recursive: true, force: true });
    root = '';
  });

  describe('gateway unit text', () => {
    it('has every directive of SPEC §10 for a user unit, in its sections', () => {
      const text = gatewayUnit({ nodePath: '/usr/bin/node', entryPath: '/opt/os/opensoul.mjs', stateDir: '/home/a/.opensoul' });
      const sections = text
        .split(/^\[/m)
        .slice(1)
        .map((s) => `[${s}`);
      const service = sections.find((s) => s.startsWith('[Service]')) ?? '';
      const unit = sections.find((s) => s.startsWith('[Unit]')) ?? '';
      const install = sections.find((s) => s.startsWith('[Install]')) ?? '';
      for (const line of ['After=network-online.target', 'Wants=network-online.target', 'StartLimitIntervalSec=120', 'StartLimitBurst=5']) {
        assert.ok(unit.split('\n').includes(line), `[Unit] lacks ${line}`);
      }
      for (const line of [
        'Type=simple',
        'ExecStart=/usr/bin/node --max-semi-space-size=1 /opt/os/opensoul.mjs gateway',
        'Restart=always',
        'RestartSec=5',
        'RestartPreventExitStatus=78',
        'TimeoutStopSec=30',
        'UMask=0077',
        'UnsetEnvironment=NODE_OPTIONS',
        'Environment=OPENSOUL_STATE_DIR=/home/a/.opensoul',
      ]) {
        assert.ok(service.split('\n').includes(line), `[Service] lacks ${line}`);
      }
      assert.deepEqual(install.trim().split('\n'), ['[Install]', 'WantedBy=default.target']);
      assert.doesNotMatch(text, /^(User|Group)=/m);
      const comments = text
        .split('\n')
        .filter((line) => line.startsWith('#'))
        .map((line) => line.slice(1).trim())
        .join(' ');
      assert.match(comments, /never EnvironmentFile=: the gateway reads the \.env .* itself/, 'the file says why there is no EnvironmentFile=');
      assert.ok(text.endsWith('\n'));
    });

    it('the system variant runs as the given account and is wanted by multi-user.target', () => {
      const text = gatewayUnit({
        nodePath: '/usr/bin/node',
        entryPath: '/opt/os/opensoul.mjs',
        stateDir: '/srv/opensoul',
        system: { user: 'opensoul', group: 'opensoul' },
      });
      assert.deepEqual(directiveValues(text, 'User'), ['opensoul']);
      assert.deepEqual(directiveValues(text, 'Group'), ['opensoul']);
      assert.deepEqual(directiveValues(text, 'WantedBy'), ['multi-user.target']);
      const noGroup = gatewayUnit({ nodePath: '/n', entryPath: '/e', stateDir: '/s', system: { user: '1000' } });
      assert.deepEqual(directiveValues(noGroup, 'Group'), []);
      assert.deepEqual(directiveValues(noGroup, 'User'), ['1000']);
    });

    it('is deterministic: the same options give the same text (doctor compares it with the file)', () => {
      const opts = { nodePath: '/usr/bin/node', entryPath: '/opt/os/opensoul.mjs', stateDir: '/home/a/.opensoul' };
      assert.equal(gatewayUnit(opts), gatewayUnit({ ...opts }));
    });
  });

  describe('auth monitor units', () => {
    it('the service is a oneshot running the script with absolute node and entry', () => {
      const text = authMonitorService({
        nodePath: '/usr/bin/node',
        entryPath: '/opt/os/opensoul.mjs',
        scriptPath: '/opt/os/scripts/auth-monitor.sh',
        stateDir: '/home/a/.opensoul',
      });
      assert.deepEqual(directiveValues(text, 'Type'), ['oneshot']);
      assert.deepEqual(directiveValues(text, 'ExecStart'), ['/opt/os/scripts/auth-monitor.sh --node /usr/bin/node --entry /opt/os/opensoul.mjs']);
      assert.deepEqual(directiveValues(text, 'SuccessExitStatus'), ['1 2']);
      assert.deepEqual(directiveValues(text, 'Environment'), ['OPENSOUL_STATE_DIR=/home/a/.opensoul']);
      assert.deepEqual(directiveValues(text, 'UMask'), ['0077']);
      assert.deepEqual(directiveValues(text, 'UnsetEnvironment'), ['NODE_OPTIONS']);
      assert.deepEqual(directiveValues(text, 'WantedBy'), [], 'the timer starts it; the service itself is not enabled');
    });

    it("the service's header comment is its own: what the monitor reads (auth-monitor.env), not the gateway's .env", () => {
      const opts = { nodePath: '/usr/bin/node', entryPath: '/opt/os/opensoul.mjs', stateDir: '/home/a/.opensoul' };
      const header = (text: string) =>
        text
          .split('\n')
          .filter((line) => line.startsWith('#'))
          .map((line) => line.slice(1).trim())
          .join(' ');
      const monitor = header(authMonitorService({ ...opts, scriptPath: '/opt/os/scripts/auth-monitor.sh' }));
      assert.match(monitor, /^Generated by `opensoul gateway install --auth-monitor`/);
      assert.match(monitor, /No secrets here: the monitor asks the gateway, which holds the credentials/);
      assert.match(monitor, /auth-monitor\.env in the state dir/);
      assert.doesNotMatch(monitor, /\.env of its state dir|gateway reads/, "the gateway's comment is not the monitor's");
      assert.match(header(gatewayUnit(opts)), /the gateway reads the \.env of its state dir/);
    });

    it("the service's start limit outlasts the script's worst case (two unanswered checks, the retry wait, a notification), so it can alert", () => {
      const text = authMonitorService({
        nodePath: '/usr/bin/node',
        entryPath: '/opt/os/opensoul.mjs',
        scriptPath: '/opt/os/scripts/auth-monitor.sh',
        stateDir: '/home/a/.opensoul',
      });
      const [limit] = directiveValues(text, 'TimeoutStartSec');
      const minutes = /^(\d+)min$/.exec(limit ?? '');
      assert.ok(minutes, `TimeoutStartSec=${limit}`);
      // Per look: connect and hello (5 s each, ipc/client.ts), then the status request itself.
      const look = 10_000 + statusRequestTimeoutMs({});
      // The retry wait and curl's --max-time, from scripts/auth-monitor.sh.
      const script = fs.readFileSync(path.resolve(import.meta.dirname, '../../scripts/auth-monitor.sh'), 'utf8');
      const retry = Number(/OPENSOUL_MONITOR_RETRY_SECONDS:-(\d+)/.exec(script)?.[1]) * 1000;
      const notify = Number(/curl -fsS --max-time (\d+)/.exec(script)?.[1]) * 1000;
      assert.ok(retry > 0 && notify > 0);
      assert.ok(Number(minutes[1]) * 60_000 > 2 * look + retry + notify, `TimeoutStartSec=${limit} vs ${2 * look + retry + notify} ms`);
    });

    it('the timer fires at :00 and :30 (a wall-clock OnCalendar=, so Persistent=true catches up a run missed in sleep) and 5 min after boot', () => {
      const text = authMonitorTimer();
      assert.deepEqual(directiveValues(text, 'OnCalendar'), ['*:0/30']);
      assert.deepEqual(directiveValues(text, 'Persistent'), ['true']);
      assert.deepEqual(directiveValues(text, 'OnBootSec'), ['5min']);
      assert.deepEqual(directiveValues(text, 'OnUnitActiveSec'), [], 'a monotonic repeat would make Persistent= inert again');
      assert.deepEqual(directiveValues(text, 'WantedBy'), ['timers.target']);
    });
  });

  // Each case: directory names for executables and data, and the exact lines expected, written
  // out by hand (not with the escaping code under test).
  const cases: Array<{
    title: string;
    execDir: string;
    dataDir: string;
    gatewayExecStart: (r: string) => string;
    monitorExecStart: (r: string) => string;
    environment: (r: string) => string;
  }> = [
    {
      title: 'normal paths',
      execDir: 'opt',
      dataDir: 'opt',
      gatewayExecStart: (r) => `${r}/opt/bin/node --max-semi-space-size=1 ${r}/opt/lib/opensoul.mjs gateway`,
      monitorExecStart: (r) => `${r}/opt/scripts/auth-monitor.sh --node ${r}/opt/bin/node --entry ${r}/opt/lib/opensoul.mjs`,
      environment: (r) => `OPENSOUL_STATE_DIR=${r}/opt/state`,
    },
    {
      title: 'paths with spaces',
      execDir: 'my  apps',
      dataDir: 'my  apps',
      gatewayExecStart: (r) => `"${r}/my  apps/bin/node" --max-semi-space-size=1 "${r}/my  apps/lib/opensoul.mjs" gateway`,
      monitorExecStart: (r) => `"${r}/my  apps/scripts/auth-monitor.sh" --node "${r}/my  apps/bin/node" --entry "${r}/my  apps/lib/opensoul.mjs"`,
      environment: (r) => `"OPENSOUL_STATE_DIR=${r}/my  apps/state"`,
    },
    {
      title: 'paths with %',
      // %n would become the unit name and %h the home dir if left single.
      execDir: '100%n%h',
      dataDir: '100%n%h',
      gatewayExecStart: (r) => `${r}/100%%n%%h/bin/node --max-semi-space-size=1 ${r}/100%%n%%h/lib/opensoul.mjs gateway`,
      monitorExecStart: (r) => `${r}/100%%n%%h/scripts/auth-monitor.sh --node ${r}/100%%n%%h/bin/node --entry ${r}/100%%n%%h/lib/opensoul.mjs`,
      environment: (r) => `OPENSOUL_STATE_DIR=${r}/100%%n%%h/state`,
    },
    {
      title: 'paths with $',
      // In arguments $HOME/${USER} would be expanded if left single; the executable is not.
      execDir: 'cash$HOME${USER}$$',
      dataDir: 'cash$HOME${USER}$$',
      gatewayExecStart: (r) => `"${r}/cash$HOME\${USER}$$/bin/node" --max-semi-space-size=1 "${r}/cash$$HOME$\${USER}$$$$/lib/opensoul.mjs" gateway`,
      monitorExecStart: (r) =>
        `"${r}/cash$HOME\${USER}$$/scripts/auth-monitor.sh" --node "${r}/cash$$HOME$\${USER}$$$$/bin/node" ` +
        `--entry "${r}/cash$$HOME$\${USER}$$$$/lib/opensoul.mjs"`,
      // Environment= does no $ expansion: doubling would reach the daemon as two dollars.
      environment: (r) => `"OPENSOUL_STATE_DIR=${r}/cash$HOME\${USER}$$/state"`,
    },
    {
      title: 'entry and state dir with quotes and backslashes (not allowed in executables)',
      execDir: 'opt',
      dataDir: `it's "q" \\b`,
      gatewayExecStart: (r) => `${r}/opt/bin/node --max-semi-space-size=1 "${r}/it's \\"q\\" \\\\b/lib/opensoul.mjs" gateway`,
      monitorExecStart: (r) => `${r}/opt/scripts/auth-monitor.sh --node ${r}/opt/bin/node --entry "${r}/it's \\"q\\" \\\\b/lib/opensoul.mjs"`,
      environment: (r) => `"OPENSOUL_STATE_DIR=${r}/it's \\"q\\" \\\\b/state"`,
    },
  ];

  for (const c of cases) {
    describe(`with ${c.title}`, () => {
      it('writes the exact ExecStart= and Environment= lines, which decode back to the paths', () => {
        const inst = makeInstall(root, c.execDir, c.dataDir);
        const gateway = gatewayUnit(inst);
        const monitor = authMonitorService(inst);

        assert.equal(only(directiveValues(gateway, 'ExecStart')), c.gatewayExecStart(root));
        assert.equal(only(directiveValues(monitor, 'ExecStart')), c.monitorExecStart(root));
        assert.equal(only(directiveValues(gateway, 'Environment')), c.environment(root));
        assert.equal(only(directiveValues(monitor, 'Environment')), c.environment(root));

        assert.deepEqual(decodeExecStart(only(directiveValues(gateway, 'ExecStart'))), [inst.nodePath, '--max-semi-space-size=1', inst.entryPath, 'gateway']);
        assert.deepEqual(decodeExecStart(only(directiveValues(monitor, 'ExecStart'))), [inst.scriptPath, '--node', inst.nodePath, '--entry', inst.entryPath]);
        assert.deepEqual(decodeEnvironment(only(directiveValues(gateway, 'Environment'))), [['OPENSOUL_STATE_DIR', inst.stateDir]]);
      });

      it('passes systemd-analyze verify (user and system gateway, monitor service + timer)', function () {
        const inst = makeInstall(root, c.execDir, c.dataDir);
        // Verify finds the executable only when the path systemd decodes is the real one,
        // so this also proves the executable word round-trips.
        const userFiles = writeUnits(root, { [GATEWAY_UNIT]: gatewayUnit(inst) });
        const user = verify(root, userFiles);
        assert.deepEqual(user.ourLines, [], user.stderr);
        assert.equal(user.status, 0, user.stderr);

        fs.rmSync(path.join(root, 'units'), { recursive: true });
        const systemFiles = writeUnits(root, {
          [GATEWAY_UNIT]: gatewayUnit({ ...inst, system: { user: 'opensoul', group: 'opensoul' } }),
        });
        const system = verify(root, systemFiles);
        assert.deepEqual(system.ourLines, [], system.stderr);
        assert.equal(system.status, 0, system.stderr);

        fs.rmSync(path.join(root, 'units'), { recursive: true });
        const monitorFiles = writeUnits(root, {
          [AUTH_MONITOR_SERVICE]: authMonitorService(inst),
          [AUTH_MONITOR_TIMER]: authMonitorTimer(),
        });
        const monitor = verify(root, monitorFiles);
        assert.deepEqual(monitor.ourLines, [], monitor.stderr);
        assert.equal(monitor.status, 0, monitor.stderr);
      });
    });
  }

  describe('the verify harness', () => {
    // Proves the verify test above can fail: each mis-escaping names an executable that does not
    // exist, and verify must say so.
    const wrong: Array<[string, string, (inst: Install) => string]> = [
      ['an unquoted space', 'my apps', (inst) => `${inst.nodePath} gateway`],
      ['an undoubled %', '100%n', (inst) => `${inst.nodePath} gateway`],
      ['a doubled $ in the executable', 'cash$HOME', (inst) => `${inst.nodePath.replaceAll('$', () => '$$')} gateway`],
    ];
    for (const [what, dir, execStart] of wrong) {
      it(`catches ${what}`, function () {
        const inst = makeInstall(root, dir, dir);
        const good = gatewayUnit(inst);
        const bad = good.replace(/^ExecStart=.*$/m, () => `ExecStart=${execStart(inst)}`);
        assert.notEqual(bad, good);
        const result = verify(root, writeUnits(root, { [GATEWAY_UNIT]: bad }));
        assert.notEqual(result.status, 0, `verify accepted ${what}`);
        assert.ok(result.ourLines.length > 0);
      });
    }
  });

  describe('secrets', () => {
    const FAKE: Record<string, string> = {
      ANTHROPIC_API_KEY: 'sk-ant-api03-FAKEunitsSECRETaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      OPENAI_API_KEY: 'sk-proj-FAKEunitsSECRETbbbbbbbbbbbbbbbbbbbbbbbb',
      ANTHROPIC_OAUTH_TOKEN: 'sk-ant-oat01-FAKEunitsSECRETcccccccccccccccccccccccc',
      OPENSOUL_NOTIFY_URL: 'https://ntfy.example/FAKEunitsSECRETtopic',
    };
    const saved: Record<string, string | undefined> = {};

    beforeEach(() => {
      for (const [k, v] of Object.entries(FAKE)) {
        saved[k] = process.env[k];
        process.env[k] = v;
      }
    });

    afterEach(() => {
      for (const k of Object.keys(FAKE)) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    });

    it('no generated unit contains a secret of the environment, or EnvironmentFile=', () => {
      const inst = makeInstall(root, 'opt', 'opt');
      const files = {
        gateway: gatewayUnit(inst),
        gatewaySystem: gatewayUnit({ ...inst, system: { user: 'opensoul' } }),
        monitor: authMonitorService(inst),
        monitorSystem: authMonitorService({ ...inst, system: { user: 'opensoul' } }),
        timer: authMonitorTimer(),
      };
      for (const [name, text] of Object.entries(files)) {
        for (const secret of Object.values(FAKE)) assert.ok(!text.includes(secret), `${name} contains a secret`);
        assert.ok(!text.includes('FAKEunitsSECRET'), `${name} contains part of a secret`);
        assert.doesNotMatch(text, /^EnvironmentFile/m, `${name} has EnvironmentFile=`);
        assert.doesNotMatch(text, /PassEnvironment|ImportEnvironment|SetCredential|LoadCredential/, name);
      }
      for (const text of [files.gateway, files.gatewaySystem, files.monitor]) {
        const env = directiveValues(text, 'Environment');
        assert.equal(env.length, 1);
        assert.deepEqual(
          decodeEnvironment(env[0]!).map(([k]) => k),
          ['OPENSOUL_STATE_DIR'],
        );
      }
    });
  });

  describe('refusals', () => {
    const good = { nodePath: '/usr/bin/node', entryPath: '/opt/os/opensoul.mjs', scriptPath: '/opt/os/auth-monitor.sh', stateDir: '/home/a/.opensoul' };

    for (const field of ['nodePath', 'entryPath', 'stateDir', 'scriptPath'] as const) {
      it(`refuses a relative ${field}`, () => {
        const opts = { ...good, [field]: 'relative/path' };
        const expected = (err: unknown): boolean => {
          assert.ok(err instanceof UnitValueError);
          assert.equal(err.field, field);
          assert.match(err.message, new RegExp(`^${field} must be an absolute path`));
          return true;
        };
        if (field !== 'scriptPath') assert.throws(() => gatewayUnit(opts), expected);
        assert.throws(() => authMonitorService(opts), expected);
      });

      it(`refuses a ${field} with a newline or a NUL`, () => {
        for (const [bad, word] of [
          ['/opt/x\nExecStartPre=/bin/sh -c evil', 'a newline'],
          ['/opt/x\0y', 'a NUL byte'],
          ['/opt/x\ry', 'a carriage return'],
        ] as const) {
          const opts = { ...good, [field]: bad };
          const expected = (err: unknown): boolean => {
            assert.ok(err instanceof UnitValueError);
            assert.equal(err.field, field);
            assert.match(err.message, new RegExp(`^${field} contains ${word}`));
            return true;
          };
          if (field !== 'scriptPath') assert.throws(() => gatewayUnit(opts), expected);
          assert.throws(() => authMonitorService(opts), expected);
        }
      });
    }

    it('refuses a path whose bytes were not UTF-8 (Node shows them as U+FFFD), naming the field: the unit would name another path', () => {
      for (const field of ['nodePath', 'entryPath', 'stateDir', 'scriptPath'] as const) {
        const opts = { ...good, [field]: '/home/h\ufffd/x' };
        const expected = (err: unknown): boolean =>
          err instanceof UnitValueError && err.field === field && new RegExp(`^${field} ".*" has bytes that are not UTF-8`).test(err.message);
        if (field !== 'scriptPath') assert.throws(() => gatewayUnit(opts), expected);
        assert.throws(() => authMonitorService(opts), expected);
      }
    });

    it('refuses paths that are not normalized', () => {
      assert.throws(() => gatewayUnit({ ...good, entryPath: '/opt/../etc/x.mjs' }), /entryPath must be a normalized absolute path/);
      assert.throws(() => gatewayUnit({ ...good, stateDir: '/home/a/.opensoul/' }), /stateDir must be a normalized absolute path/);
    });

    it('refuses an executable systemd would reject (quote or backslash), naming it', () => {
      assert.throws(() => gatewayUnit({ ...good, nodePath: '/opt/o"brien/node' }), /nodePath .*quote or a backslash.*systemd refuses/);
      assert.throws(() => authMonitorService({ ...good, scriptPath: "/opt/o'brien/auth-monitor.sh" }), /scriptPath .*quote or a backslash/);
      assert.throws(() => gatewayUnit({ ...good, nodePath: '/opt/back\\slash/node' }), /nodePath .*quote or a backslash/);
    });

    it('refuses an account name that is not one', () => {
      assert.throws(() => gatewayUnit({ ...good, system: { user: 'a b' } }), /system\.user "a b" is not a valid user/);
      assert.throws(() => gatewayUnit({ ...good, system: { user: '%u' } }), /system\.user/);
      assert.throws(() => gatewayUnit({ ...good, system: { user: 'ok', group: 'x\ny' } }), /system\.group/);
    });
  });

  describe('systemdUnitDir', () => {
    it('is ~/.config/systemd/user for a user unit', () => {
      assert.equal(systemdUnitDir({ home: '/home/a', env: {} }), '/home/a/.config/systemd/user');
    });

    it('honours an absolute $XDG_CONFIG_HOME and ignores a relative or empty one', () => {
      assert.equal(systemdUnitDir({ home: '/home/a', env: { XDG_CONFIG_HOME: '/cfg' } }), '/cfg/systemd/user');
      assert.equal(systemdUnitDir({ home: '/home/a', env: { XDG_CONFIG_HOME: 'cfg' } }), '/home/a/.config/systemd/user');
      assert.equal(systemdUnitDir({ home: '/home/a', env: { XDG_CONFIG_HOME: '' } }), '/home/a/.config/systemd/user');
    });

    it('is /etc/systemd/system for a system unit, whatever the environment', () => {
      assert.equal(systemdUnitDir({ home: '/root', env: { XDG_CONFIG_HOME: '/cfg' }, system: true }), '/etc/systemd/system');
    });

    it('refuses a relative home', () => {
      assert.throws(() => systemdUnitDir({ home: 'home/a', env: {} }), /home must be an absolute path/);
    });
  });
});
