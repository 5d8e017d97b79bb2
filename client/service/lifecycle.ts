/**
 * `opensoul gateway start|stop|restart` (SPEC §7): through the service manager when the service
 * is installed and its manager reachable, else on our own — `start` detaches the daemon, `stop`
 * asks it over the socket. What counts in the end is the socket: `start` returns when a gateway
 * answers, `stop` when the one that answered is gone.
 */
import { existsSync } from 'node:fs';
import type { ActionEnv, CliContext } from '../cli-context.js';
import { chooseManager, installedScope, serviceContext } from './context.js';
import type { ManagerChoice, ServiceContext } from './context.js';
import { probeDaemon, requestShutdown, waitUntilAnswers, waitUntilGone } from './daemon-probe.js';
import { isProcessAlive, looksLikeGateway, readPidFile } from '../../ipc/process.js';
import { startDetached } from './detached.js';
import { ServiceError } from './errors.js';
import { loadManager } from './manager.js';
import type { ServiceManager } from './manager.js';
import { Reporter } from './reporter.js';
import { CommandLog } from './tools.js';

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 30_000;

interface Resolved {
  ctx: ServiceContext;
  log: CommandLog;
  choice: ManagerChoice;
  /** The manager, when it is reachable and the service is installed; else null (run it ourselves). */
  mgr: ServiceManager | null;
  /** An available manager without the service installed. */
  notInstalled: ServiceManager | null;
}

async function resolve(out: Reporter, cli: CliContext): Promise<Resolved> {
  const ctx = serviceContext(cli);
  const log = new CommandLog((line) => out.command(line));
  const choice = await chooseManager(ctx, log, installedScope(ctx));
  if (choice.kind === 'none') return { ctx, log, choice, mgr: null, notInstalled: null };
  const mgr = await loadManager(ctx, choice.kind, choice.kind === 'systemd' ? choice.scope : 'user');
  return existsSync(mgr.gatewayFile) ? { ctx, log, choice, mgr, notInstalled: null } : { ctx, log, choice, mgr: null, notInstalled: mgr };
}

interface StartResult {
  pid: number;
  alreadyRunning: boolean;
  via: 'systemd' | 'launchd' | 'detached';
}

async function doStart(out: Reporter, r: Resolved): Promise<StartResult> {
  const { ctx, log, choice, mgr } = r;
  const now = await probeDaemon(ctx);
  if (now.answers) return { pid: now.pid, alreadyRunning: true, via: mgr ? mgr.name : 'detached' };
  if (mgr) {
    await mgr.start(log);
    const pid = await waitUntilAnswers(ctx, START_TIMEOUT_MS);
    if (pid === null) {
      throw new ServiceError(
        'DAEMON_TIMEOUT',
        `${mgr.name} was asked to start the ${mgr.title}, but no gateway answers on ${ctx.socket.path} ` +
          `after ${START_TIMEOUT_MS / 1000} s; ${mgr.troubleshooting()}`,
      );
    }
    return { pid, alreadyRunning: false, via: mgr.name };
  }
  if (choice.kind === 'none' && choice.reason === 'no-bus')
    out.note(`${choice.summary}: starting the daemon detached instead (not restarted on a crash or at boot)`);
  if (r.notInstalled) out.note(`the ${r.notInstalled.title} is not installed: starting the daemon detached (\`opensoul gateway install\` makes it a service)`);
  const started = await startDetached(ctx);
  return { pid: started.pid, alreadyRunning: !started.ours, via: 'detached' };
}

/**
 * A detached daemon's parent is init (or a container's pid 1), which may reap it late: here it
 * stayed a zombie ~1.7 s after it had exited. It holds nothing by then, but a script that
 * checks `kill -0 $pid` right after "stopped" must not find it. Bounded: an init that never
 * reaps would otherwise make every stop hang.
 */
const REAP_WAIT_MS = 5000;

async function waitUntilReaped(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') return;
    }
    if (Date.now() >= deadline) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface StopResult {
  /** The pid that was stopped; null when none was running. */
  pid: number | null;
}

async function doStop(r: Resolved): Promise<StopResult> {
  const { ctx, log, mgr } = r;
  const before = await probeDaemon(ctx);
  if (mgr) await mgr.stop(log);
  if (!before.answers) {
    // Nobody answers; a live pid in the pid file is a gateway that is stuck or still starting.
    const pid = readPidFile(ctx.paths.pid);
    // Unknown counts as not a gateway here: the error below would blame the wrong process.
    if (pid !== null && isProcessAlive(pid) && (looksLikeGateway(pid) ?? false) && !mgr) {
      throw new ServiceError(
        'DAEMON_TIMEOUT',
        `the gateway (pid ${pid}, from ${ctx.paths.pid}) does not answer on ${ctx.socket.path} (${before.reason}); stop it with \`kill ${pid}\``,
      );
    }
    return { pid: null };
  }
  // Still there after the manager's stop (or there is no manager): a daemon that was started
  // by hand or by `gateway start`; ask it to stop over the socket.
  if (isProcessAlive(before.pid)) await requestShutdown(ctx, 'opensoul gateway stop');
  if (!(await waitUntilGone(before.pid, STOP_TIMEOUT_MS))) {
    throw new ServiceError(
      'DAEMON_TIMEOUT',
      `the gateway (pid ${before.pid}) is still running ${STOP_TIMEOUT_MS / 1000} s after it was asked to stop; ` +
        `\`kill ${before.pid}\` (or \`kill -9 ${before.pid}\`)`,
    );
  }
  await waitUntilReaped(before.pid, REAP_WAIT_MS);
  return { pid: before.pid };
}

function viaWords(via: StartResult['via']): string {
  return via === 'detached' ? 'detached; stop it with `opensoul gateway stop`' : `by ${via}`;
}

export async function startCommand(env: ActionEnv, cli: CliContext): Promise<number> {
  const out = new Reporter(env);
  const s = await doStart(out, await resolve(out, cli));
  if (s.alreadyRunning) out.line(`already running (pid ${s.pid})`);
  else out.line(`started (pid ${s.pid}) ${viaWords(s.via)}`);
  out.document({ started: !s.alreadyRunning, alreadyRunning: s.alreadyRunning, pid: s.pid, via: s.via });
  return 0;
}

export async function stopCommand(env: ActionEnv, cli: CliContext): Promise<number> {
  const out = new Reporter(env);
  const r = await resolve(out, cli);
  const s = await doStop(r);
  out.line(s.pid === null ? 'not running' : `stopped (pid ${s.pid})`);
  out.document({ stopped: s.pid !== null, pid: s.pid, via: r.mgr ? r.mgr.name : 'socket' });
  return 0;
}

export async function restartCommand(env: ActionEnv, cli: CliContext): Promise<number> {
  const out = new Reporter(env);
  const r = await resolve(out, cli);
  const stopped = await doStop(r);
  if (stopped.pid !== null) out.line(`stopped (pid ${stopped.pid})`);
  const s = await doStart(out, r);
  out.line(s.alreadyRunning ? `already running (pid ${s.pid})` : `started (pid ${s.pid}) ${viaWords(s.via)}`);
  out.document({ stoppedPid: stopped.pid, pid: s.pid, via: s.via });
  return 0;
}
