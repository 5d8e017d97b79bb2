/**
 * The CLI's side of `doctor` (§11): what only this side can see — this node, this CLI's version
 * against the daemon's, the provider key *names* in this shell, the service file against this
 * install, `claude` on PATH, OpenClaw's state — and, when the daemon is down, the file-level
 * checks (shared with the daemon) and a stale socket to clean. Loaded only by `doctor`.
 */
import { existsSync, lstatSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { OpenSoulError } from '../../ipc/errors.js';
import { checkFilesParse, checkPermissions, profilesOnDisk } from '../../ipc/file-checks.js';
import { processPathContext, resolveHome } from '../../ipc/paths.js';
import { isProcessAlive, looksLikeGateway, readPidFile } from '../../ipc/process.js';
import { methods } from '../../ipc/protocol.js';
import type { DoctorCheck, ModelsStatusResult } from '../../ipc/protocol.js';
import { VERSION } from '../../ipc/version.js';
import type { CliContext } from '../cli-context.js';
import { connectToDaemon, locate } from '../connection.js';
import { providerNamesInEnv } from '../env-names.js';
import { findOnPath } from '../which.js';

const check = (id: string, status: DoctorCheck['status'], message: string, fix: string | null = null, fixed = false): DoctorCheck => ({
  id,
  status,
  message,
  fix,
  fixed,
});

/** Node 20.19+ (the engines field), checked at run time: a service may run another node than your shell. */
export function checkNode(version = process.versions.node): DoctorCheck {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const ok = major > 20 || (major === 20 && minor >= 19);
  return ok
    ? check('node', 'ok', `node ${version} at ${process.execPath}`)
    : check(
        'node',
        'error',
        `node ${version} is too old: OpenSoul needs 20.19 or newer`,
        'install Node.js 20.19+ (or 22, 24) and reinstall the service with it: `opensoul gateway install --force`',
      );
}

/** `claude` is needed for `claude setup-token` when Anthropic uses a token, or has no credential at all. */
export function checkClaude(status: ModelsStatusResult | null): DoctorCheck | null {
  const anthropic = status?.providers.find((p) => p.provider === 'anthropic');
  const needs = !anthropic || anthropic.effective.kind === 'missing' || anthropic.profiles.some((p) => p.type === 'token');
  if (!needs) return null;
  const found = findOnPath('claude');
  return found
    ? check('claude', 'ok', `the claude CLI is on PATH (${found}), for \`claude setup-token\``)
    : check(
        'claude',
        'warn',
        'the claude CLI is not on PATH: `claude setup-token` (a Claude subscription token) needs it',
        'install Claude Code here, or run `claude setup-token` on another machine and paste the token: `opensoul models auth paste-token --provider anthropic`',
      );
}

/** OpenClaw's state dir, to suggest an import when OpenSoul has no profiles yet. */
export function checkOpenClaw(status: ModelsStatusResult | null): DoctorCheck | null {
  const dir = path.join(resolveHome(processPathContext()), '.openclaw');
  if (!existsSync(path.join(dir, 'agents')) && !existsSync(path.join(dir, 'state', 'openclaw.sqlite')) && !existsSync(path.join(dir, '.env'))) return null;
  // With the daemon down there is no status: the stores on disk say whether profiles exist.
  const hasProfiles = status ? status.providers.some((p) => p.profiles.length > 0) : profilesOnDisk(locate().paths).length > 0;
  return hasProfiles
    ? check('openclaw', 'ok', `OpenClaw state found at ${dir}; OpenSoul already has profiles (import more with \`opensoul import openclaw --dry-run\`)`)
    : check(
        'openclaw',
        'warn',
        `OpenClaw state found at ${dir}, and OpenSoul has no profiles yet`,
        '`opensoul import openclaw --dry-run` to see what it would copy, then without --dry-run',
      );
}

/** The service file against what this install would write, and lingering (reuses the service commands' code). */
export async function checkService(cli: CliContext): Promise<DoctorCheck[]> {
  const { serviceContext, chooseManager, installedScope } = await import('../service/context.js');
  const { CommandLog } = await import('../service/tools.js');
  const { loadManager } = await import('../service/manager.js');
  const { inspectFiles } = await import('../service/service-files.js');
  const ctx = serviceContext(cli);
  const log = new CommandLog();
  let choice;
  try {
    choice = await chooseManager(ctx, log, installedScope(ctx));
  } catch (err) {
    return [check('service', 'warn', err instanceof Error ? err.message : 'the service manager could not be asked')];
  }
  if (choice.kind === 'none') {
    return [
      check(
        'service',
        'warn',
        `no service manager: ${choice.summary}; the gateway runs only while something starts it`,
        '`opensoul gateway start` runs it detached; at boot, a cron line `@reboot … gateway start`',
      ),
    ];
  }
  const manager = await loadManager(ctx, choice.kind, choice.kind === 'systemd' ? choice.scope : 'user');
  if (!existsSync(manager.gatewayFile)) {
    return [check('service', 'warn', `the gateway is not installed as a ${manager.title}`, '`opensoul gateway install`')];
  }
  const out: DoctorCheck[] = [];
  try {
    const gateway = inspectFiles(await manager.desiredFiles({ authMonitor: false })).find((f) => f.path === manager.gatewayFile);
    if (gateway?.state === 'differs') {
      out.push(
        check(
          'service',
          'warn',
          `${manager.gatewayFile} differs from what this install writes (another node or opensoul path, or edited by hand)`,
          '`opensoul gateway install --dry-run` shows it; `--force` replaces it after a backup',
        ),
      );
    } else {
      out.push(check('service', 'ok', `${manager.title} installed, starting ${ctx.nodePath} ${ctx.entryPath}`));
    }
  } catch (err) {
    out.push(check('service', 'warn', err instanceof Error ? err.message : 'the service file could not be compared'));
  }
  for (const w of await manager.installWarnings(log)) out.push(check('service', 'warn', w));
  return out;
}

export interface DaemonSide {
  checks: DoctorCheck[];
  status: ModelsStatusResult | null;
}

/** How long doctor waits for the daemon's checks and status once it has said hello. */
const DAEMON_CHECK_TIMEOUT_MS = 15_000;

/**
 * What to do about a gateway that cannot be reached: start one that is not running; restart one
 * that runs but does not answer (stuck, or its event loop blocked), naming its pid for `kill`
 * when the pid file names a live process, since a stuck gateway may not hear a polite stop.
 */
function daemonFix(reason: unknown, pidFile: string): string {
  if (reason !== 'unresponsive') return '`opensoul gateway start` (or `opensoul gateway` in the foreground)';
  const pid = readPidFile(pidFile);
  // Named for `kill` only when it is a gateway: a stale pid file may name someone else's process now.
  const live = pid !== null && isProcessAlive(pid) && (looksLikeGateway(pid) ?? false);
  return `\`opensoul gateway restart\`${live ? `; if it does not stop, \`kill ${pid}\` (then \`kill -9 ${pid}\`) and start it again` : ''}`;
}

/** Asks the daemon (its version, its checks, its status); when it is down, runs the file checks here. */
export async function daemonSide(fix: boolean): Promise<DaemonSide> {
  const { paths, socket } = locate();
  try {
    const c = await connectToDaemon({ quiet: true });
    try {
      const checks: DoctorCheck[] = [];
      const v = c.hello.daemonVersion;
      checks.push(
        v === VERSION
          ? check('daemon', 'ok', `the gateway answers on ${socket.path} (pid ${c.hello.pid}, v${v})`)
          : check('daemon', 'warn', `daemon v${v} is running, this CLI is v${VERSION}`, 'restart it: `opensoul gateway restart`'),
      );
      // Both answers take milliseconds: a gateway that has not given them in 15 s is stuck, and
      // doctor, run because something is wrong, says so rather than wait a minute.
      const r = await c.call(methods.doctorRun, { fix, clientEnvNames: providerNamesInEnv() }, { timeoutMs: DAEMON_CHECK_TIMEOUT_MS });
      checks.push(...r.checks);
      const status = await c.call(methods.modelsStatus, {}, { timeoutMs: DAEMON_CHECK_TIMEOUT_MS });
      return { checks, status };
    } finally {
      c.close();
    }
  } catch (err) {
    if (!(err instanceof OpenSoulError) || err.kind !== 'DAEMON_UNREACHABLE') throw err;
    const checks: DoctorCheck[] = [check('daemon', 'error', err.message, daemonFix(err.details.reason, paths.pid))];
    if (err.details.reason === 'stale-socket' && process.platform !== 'win32') {
      let fixed = false;
      if (fix) {
        try {
          if (lstatSync(socket.path).isSocket()) {
            unlinkSync(socket.path);
            fixed = true;
          }
        } catch {
          /* gone already */
        }
      }
      checks.push(
        check(
          'socket',
          fixed ? 'ok' : 'warn',
          `a stale socket was left at ${socket.path} by a daemon that was killed`,
          'starting the gateway removes it; `opensoul doctor --fix` removes it now',
          fixed,
        ),
      );
    }
    checks.push(...checkPermissions(paths, { fix }));
    checks.push(...checkFilesParse(paths));
    checks.push(
      check('env-gap', 'warn', "cannot compare your shell's provider keys with the gateway's while it is down", 'start the gateway and run doctor again'),
    );
    return { checks, status: null };
  }
}
