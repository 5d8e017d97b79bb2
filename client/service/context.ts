/**
 * Where a service install puts things, and which service manager runs the daemon (SPEC §10).
 * One place computes the absolute node, entry and script, the state dir and the unit/plist
 * paths, so install, uninstall, start, stop and status can never disagree about them.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processPathContext } from '../../ipc/paths.js';
import { locate } from '../connection.js';
import { findOnPath } from '../which.js';
import type { SocketLocation, StatePaths } from '../../ipc/paths.js';
import { AUTH_MONITOR_SERVICE, AUTH_MONITOR_TIMER, GATEWAY_UNIT, SYSTEM_UNIT_DIR, systemdUnitDir } from '../../units/systemd-units.js';
import type { CliContext } from '../cli-context.js';
import { ServiceError, refusingUnitValues } from './errors.js';
import { firstLines } from './tools.js';
import type { CommandLog } from './tools.js';

/**
 * Overrides `/etc/systemd/system` for `install --system` (tests; image builds that write units
 * into a root they are preparing). Not for everyday use.
 */
export const SYSTEM_UNIT_DIR_ENV = 'OPENSOUL_SYSTEM_UNIT_DIR';
/** `systemd`, `launchd` or `none`: skips detection (containers, tests, a host with both). */
export const SERVICE_MANAGER_ENV = 'OPENSOUL_SERVICE_MANAGER';

export type SystemdScope = 'user' | 'system';

export interface ServiceContext {
  readonly platform: NodeJS.Platform;
  readonly env: NodeJS.ProcessEnv;
  /** The home the service manager reads (`$HOME`, else the OS's): not OPENSOUL_HOME, which only moves the state dir. */
  readonly home: string;
  readonly paths: StatePaths;
  readonly socket: SocketLocation;
  /** What services run: this node, this CLI entry, this install's `scripts/auth-monitor.sh`. */
  readonly nodePath: string;
  readonly entryPath: string;
  readonly scriptPath: string;
  readonly uid: number;
  readonly user: string;
  readonly cli: CliContext;
}

export function serviceContext(cli: CliContext): ServiceContext {
  const pathCtx = processPathContext();
  // The same state dir and socket every other command uses (one function decides them).
  const { paths, socket } = locate();
  const home = process.env.HOME && path.isAbsolute(process.env.HOME) ? process.env.HOME : os.homedir();
  const entryPath = path.resolve(cli.cliEntry);
  return {
    platform: process.platform,
    env: process.env,
    home: path.resolve(home),
    paths,
    socket,
    nodePath: path.resolve(process.execPath),
    entryPath,
    // dist/opensoul.cjs and client/bin.ts both sit one level below the package root.
    scriptPath: path.resolve(path.dirname(entryPath), '..', 'scripts', 'auth-monitor.sh'),
    uid: pathCtx.uid,
    user: pathCtx.username,
    cli,
  };
}

/** The directory of systemd units for a scope. */
export function unitDir(ctx: ServiceContext, scope: SystemdScope): string {
  if (scope === 'system') {
    const override = ctx.env[SYSTEM_UNIT_DIR_ENV];
    return override && path.isAbsolute(override) ? path.resolve(override) : SYSTEM_UNIT_DIR;
  }
  return systemdUnitDir({ home: ctx.home, env: ctx.env });
}

export const unitPaths = (ctx: ServiceContext, scope: SystemdScope) => {
  const dir = refusingUnitValues(() => unitDir(ctx, scope));
  return {
    dir,
    gateway: path.join(dir, GATEWAY_UNIT),
    monitorService: path.join(dir, AUTH_MONITOR_SERVICE),
    monitorTimer: path.join(dir, AUTH_MONITOR_TIMER),
  };
};

/**
 * The scope a command acts on when it was not told: the user unit when it is installed, else a
 * system unit when that is, else the user scope (what `install` would create).
 */
export function installedScope(ctx: ServiceContext): SystemdScope {
  if (existsSync(unitPaths(ctx, 'user').gateway)) return 'user';
  if (existsSync(unitPaths(ctx, 'system').gateway)) return 'system';
  return 'user';
}

export type ManagerChoice =
  | { readonly kind: 'systemd'; readonly scope: SystemdScope }
  | { readonly kind: 'launchd' }
  | {
      readonly kind: 'none';
      /** Why, for people: a sentence that says what to do instead. */
      readonly why: string;
      /** The same in a few words (for a note on `start`). */
      readonly summary: string;
      /** `no-bus`: systemd is there but unreachable for us — the case worth a note on `start`. */
      readonly reason: 'forced' | 'no-bus' | 'no-systemd' | 'platform';
    };

/** The explanation when `systemctl --user` cannot reach a user manager (containers, SSH without lingering); `said` is how we know. */
export function noBusExplanation(ctx: ServiceContext, said: string): string {
  return (
    `no user systemd bus is available here (${said || 'no answer'}) — usual in containers ` +
    `and in SSH or su sessions of a user without lingering. \`opensoul gateway start\` runs the daemon detached ` +
    `instead (not restarted on a crash or at boot). On a host that boots with systemd: \`loginctl enable-linger ${ctx.user}\` ` +
    `and log in again (or export XDG_RUNTIME_DIR=/run/user/${ctx.uid}), or as root \`opensoul gateway install --system\` for a system unit`
  );
}

/**
 * Which service manager runs the daemon: `OPENSOUL_SERVICE_MANAGER` when set; else launchd on
 * macOS; on Linux systemd when it answers for the scope (`systemctl --user show-environment`,
 * or for `system` `systemctl is-system-running` reporting running or degraded); else none.
 */
export async function chooseManager(ctx: ServiceContext, log: CommandLog, scope: SystemdScope): Promise<ManagerChoice> {
  const forced = ctx.env[SERVICE_MANAGER_ENV]?.trim();
  if (forced) {
    if (forced === 'systemd') return { kind: 'systemd', scope };
    if (forced === 'launchd') return { kind: 'launchd' };
    if (forced === 'none') {
      return {
        kind: 'none',
        reason: 'forced',
        summary: `${SERVICE_MANAGER_ENV}=none`,
        why: `${SERVICE_MANAGER_ENV}=none: no service manager is used; \`opensoul gateway start\` runs the daemon detached`,
      };
    }
    throw new ServiceError('USAGE', `${SERVICE_MANAGER_ENV} must be systemd, launchd or none, not ${JSON.stringify(forced)}`);
  }
  if (ctx.platform === 'darwin') return { kind: 'launchd' };
  if (ctx.platform !== 'linux') {
    return {
      kind: 'none',
      reason: 'platform',
      summary: `no supported service manager on ${ctx.platform}`,
      why: `no supported service manager on ${ctx.platform}; \`opensoul gateway start\` runs the daemon detached`,
    };
  }
  if (scope === 'system') {
    const r = await log.query(['systemctl', 'is-system-running']);
    const state = r.stdout.trim();
    if (r.code === 0 || state === 'degraded') return { kind: 'systemd', scope };
    return {
      kind: 'none',
      reason: r.missing ? 'no-systemd' : 'no-bus',
      summary: r.missing ? 'systemctl is not installed' : `systemd is not running as this host's init (${state || 'no answer'})`,
      why: r.missing
        ? 'systemctl is not installed, so there is no systemd to install into; `opensoul gateway start` runs the daemon detached'
        : `systemd is not running as this host's init (\`systemctl is-system-running\` says: ${state || firstLines(r.stderr) || 'no answer'}); ` +
          '`opensoul gateway start` runs the daemon detached instead',
    };
  }
  // `systemctl --user` reaches the user manager through $XDG_RUNTIME_DIR (its private socket or the
  // bus there) or $DBUS_SESSION_BUS_ADDRESS; with neither set it cannot connect at all ("Failed to
  // connect to bus: No medium found"). Then it is not asked: containers and SSH sessions without
  // lingering are spared a process (10–40 ms here) on every `doctor`, `install` and `start`.
  if (!ctx.env.XDG_RUNTIME_DIR && !ctx.env.DBUS_SESSION_BUS_ADDRESS && findOnPath('systemctl', ctx.env.PATH ?? '') !== null) {
    const said = 'neither XDG_RUNTIME_DIR nor DBUS_SESSION_BUS_ADDRESS is set';
    return { kind: 'none', reason: 'no-bus', summary: `no user systemd bus (${said})`, why: noBusExplanation(ctx, said) };
  }
  const r = await log.query(['systemctl', '--user', 'show-environment']);
  if (r.code === 0) return { kind: 'systemd', scope };
  if (r.missing) {
    return {
      kind: 'none',
      reason: 'no-systemd',
      summary: 'systemctl is not installed',
      why: 'systemctl is not installed, so there is no systemd to install into; `opensoul gateway start` runs the daemon detached',
    };
  }
  const said = firstLines(r.stderr, 1) || firstLines(r.stdout, 1);
  return {
    kind: 'none',
    reason: 'no-bus',
    summary: `no user systemd bus (\`systemctl --user\`: ${said || 'no answer'})`,
    why: noBusExplanation(ctx, `\`systemctl --user\` says: ${said || 'no answer'}`),
  };
}
