/**
 * The macOS LaunchAgent of SPEC §10, as plist XML. Built with `plist`'s `build()`, which escapes
 * `&`, `<` and `>` in every string, so no path can close a `<string>` early and add keys of its
 * own; string concatenation would leave that to each call site. Pure: reads no environment.
 */
import { DAEMON_NODE_FLAGS } from './daemon-flags.js';
import path from 'node:path';
import { build } from 'plist';
import type { PlistValue } from 'plist';
import { UnitValueError, assertAbsolutePath, assertUtf8Path } from './value-checks.js';

/** The launchd label of the gateway job (also the plist's base name). */
export const GATEWAY_LABEL = 'ai.opensoul.gateway';
/** File name of the gateway LaunchAgent plist. */
export const PLIST_FILE = `${GATEWAY_LABEL}.plist`;

/** Options of {@link gatewayPlist}. Every path must be absolute. */
export interface GatewayPlistOptions {
  /** The node binary to run (e.g. `process.execPath`): launchd's PATH lacks nvm dirs. */
  readonly nodePath: string;
  /** The `opensoul` entry script that node runs with `gateway`. */
  readonly entryPath: string;
  /** The state dir, passed as `OPENSOUL_STATE_DIR`; the job's logs go to its `logs/`. */
  readonly stateDir: string;
  /** The job's label; defaults to {@link GATEWAY_LABEL}. */
  readonly label?: string;
}

/** Where LaunchAgents of the person with this home live: `<home>/Library/LaunchAgents`. */
export function launchAgentsDir(home: string): string {
  assertAbsolutePath('home', home);
  return path.posix.join(home, 'Library', 'LaunchAgents');
}

/** The stdout and stderr files launchd writes for the gateway job, under `<stateDir>/logs/`. */
export function gatewayLogPaths(stateDir: string): { stdout: string; stderr: string } {
  assertAbsolutePath('stateDir', stateDir);
  const logs = path.posix.join(stateDir, 'logs');
  return { stdout: path.posix.join(logs, 'gateway.stdout.log'), stderr: path.posix.join(logs, 'gateway.stderr.log') };
}

/** Every path a plist names: absolute, normalized, no control character, UTF-8. */
function checkPlistPaths(paths: Record<string, string>): void {
  for (const [field, value] of Object.entries(paths)) {
    assertAbsolutePath(field, value);
    assertUtf8Path(field, value);
  }
}

// Reverse-DNS style; the label also becomes a file name and a `launchctl` service target.
const LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The plist text of the gateway LaunchAgent (SPEC §10): runs `<node> <entry> gateway` at load,
 * restarts it when it exits unsuccessfully, logs to `<stateDir>/logs/gateway.std{out,err}.log`,
 * umask 077, and `OPENSOUL_STATE_DIR` as its only environment. launchd does not create missing
 * directories for the log files: the installer must create `<stateDir>/logs` (0700) first.
 * Throws {@link UnitValueError} for a relative path, a control character or an invalid label.
 */
export function gatewayPlist(opts: GatewayPlistOptions): string {
  checkPlistPaths({ nodePath: opts.nodePath, entryPath: opts.entryPath, stateDir: opts.stateDir });
  const logs = gatewayLogPaths(opts.stateDir);
  const label = opts.label ?? GATEWAY_LABEL;
  if (!LABEL.test(label)) {
    throw new UnitValueError('label', `label ${JSON.stringify(label)} must be reverse-DNS style (letters, digits, ".", "_", "-")`);
  }
  const job: Record<string, PlistValue> = {
    Label: label,
    ProgramArguments: [opts.nodePath, ...DAEMON_NODE_FLAGS, opts.entryPath, 'gateway'],
    RunAtLoad: true,
    // launchd has no RestartPreventExitStatus: no KeepAlive form can skip exit 78 alone.
    // {SuccessfulExit: false} restarts after a crash or any non-zero exit (78 included, every
    // ThrottleInterval), but not after exit 0 — so a deliberate stop (`gateway.shutdown`,
    // SIGTERM handled cleanly) stays stopped, where `true` would undo it at once. For 78 the
    // respawn is slow (5 s) and resumes service by itself once the person fixes the state dir;
    // a daemon that wants launchd to give up must exit 0.
    KeepAlive: { SuccessfulExit: false },
    // Seconds between respawns, matching systemd's RestartSec=5.
    ThrottleInterval: 5,
    // Matching systemd's TimeoutStopSec=30: time to finish an atomic write before SIGKILL
    // (launchd's default is 20 s).
    ExitTimeOut: 30,
    StandardOutPath: logs.stdout,
    StandardErrorPath: logs.stderr,
    // 63 = 0o077: every file the daemon creates is private unless it widens it.
    Umask: 0o077,
    // The only environment we give the job (SPEC §4, §12): a path, never a secret; the daemon
    // reads the state dir's .env itself so edits apply live.
    EnvironmentVariables: { OPENSOUL_STATE_DIR: opts.stateDir },
    // Idle most of the time and does little per request; launchd may lower its priority.
    ProcessType: 'Background',
  };
  return build(job);
}

/** The launchd label of the auth monitor job (also the plist's base name). */
export const AUTH_MONITOR_LABEL = 'ai.opensoul.auth-monitor';
/** File name of the auth monitor LaunchAgent plist. */
export const AUTH_MONITOR_PLIST_FILE = `${AUTH_MONITOR_LABEL}.plist`;
/** Seconds between two checks: every 30 minutes, like the systemd timer. */
export const AUTH_MONITOR_INTERVAL_SECONDS = 1800;

/** Options of {@link authMonitorPlist}. Every path must be absolute. */
export interface AuthMonitorPlistOptions {
  readonly nodePath: string;
  readonly entryPath: string;
  /** `scripts/auth-monitor.sh` of this install (launchd runs it directly: it must be executable). */
  readonly scriptPath: string;
  readonly stateDir: string;
}

/**
 * The plist text of the auth monitor LaunchAgent (SPEC §10, the counterpart of the systemd
 * timer): runs `<script> --node <node> --entry <entry>` every {@link AUTH_MONITOR_INTERVAL_SECONDS}
 * seconds — absolute node and entry, since launchd's PATH lacks nvm and npm-global dirs. launchd
 * runs a StartInterval job missed while the Mac slept once at wake, which is what the systemd
 * timer's Persistent=true does. Not at load: at login the gateway is starting too, and a check
 * racing it would report it unreachable. Output goes to `<stateDir>/logs/auth-monitor.std{out,err}.log`.
 */
export function authMonitorPlist(opts: AuthMonitorPlistOptions): string {
  checkPlistPaths({ nodePath: opts.nodePath, entryPath: opts.entryPath, scriptPath: opts.scriptPath, stateDir: opts.stateDir });
  const logs = path.posix.join(opts.stateDir, 'logs');
  const job: Record<string, PlistValue> = {
    Label: AUTH_MONITOR_LABEL,
    ProgramArguments: [opts.scriptPath, '--node', opts.nodePath, '--entry', opts.entryPath],
    StartInterval: AUTH_MONITOR_INTERVAL_SECONDS,
    RunAtLoad: false,
    StandardOutPath: path.posix.join(logs, 'auth-monitor.stdout.log'),
    StandardErrorPath: path.posix.join(logs, 'auth-monitor.stderr.log'),
    Umask: 0o077,
    // A path, never a secret: the script asks the gateway, which holds the credentials.
    EnvironmentVariables: { OPENSOUL_STATE_DIR: opts.stateDir },
    ProcessType: 'Background',
  };
  return build(job);
}
