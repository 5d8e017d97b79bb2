/**
 * `opensoul gateway status [--json]` (SPEC §7): the service manager's view (installed, active)
 * beside the daemon's own (`gateway.status`). It prints its document whether or not the daemon
 * answers, and exits 0 when it does, else 3 (with §7's one stderr line naming the socket).
 */
import { existsSync } from 'node:fs';
import { OpenSoulError } from '../../ipc/errors.js';
import { methods } from '../../ipc/protocol.js';
import type { GatewayStatusResult } from '../../ipc/protocol.js';
import { EXIT } from '../../ipc/errors.js';
import type { ActionEnv, CliContext } from '../cli-context.js';
import { callDaemon } from '../connection.js';
import { renderGatewayStatus } from '../render/gateway-status.js';
import { chooseManager, installedScope, serviceContext } from './context.js';
import type { ManagerChoice, ServiceContext } from './context.js';
import { loadManager } from './manager.js';
import { Reporter } from './reporter.js';
import { CommandLog } from './tools.js';

export interface ServiceView {
  manager: 'systemd' | 'launchd';
  /** systemd: `user` or `system`; launchd: null. */
  scope: 'user' | 'system' | null;
  installed: boolean;
  active: boolean;
  /** The unit file or plist. */
  file: string;
}

export type DaemonView =
  | ({ reachable: true } & Pick<
      GatewayStatusResult,
      'pid' | 'version' | 'socket' | 'uptimeMs' | 'memory' | 'stateDir' | 'files' | 'reloads' | 'agents' | 'defaultAgent' | 'logFile' | 'proxy'
    >)
  | { reachable: false; pid: null; version: null; socket: string; uptimeMs: null; stateDir: string; reason: string };

async function serviceView(ctx: ServiceContext, log: CommandLog, choice: ManagerChoice): Promise<ServiceView | null> {
  if (choice.kind === 'none') return null;
  const mgr = await loadManager(ctx, choice.kind, choice.kind === 'systemd' ? choice.scope : 'user');
  const installed = existsSync(mgr.gatewayFile);
  return { manager: mgr.name, scope: mgr.scope, installed, active: installed ? await mgr.isActive(log) : false, file: mgr.gatewayFile };
}

function serviceLines(out: Reporter, choice: ManagerChoice, s: ServiceView | null): string[] {
  const st = out.style;
  const label = (k: string) => st.bold(k.padEnd(11));
  if (s === null) {
    const why = choice.kind === 'none' ? choice.summary : '';
    return [`${label('Service')}none — ${why}; \`opensoul gateway start\` runs the daemon detached`];
  }
  const what = s.manager === 'systemd' ? `systemd ${s.scope ?? 'user'} unit` : 'launchd agent';
  if (!s.installed) return [`${label('Service')}${what} not installed (\`opensoul gateway install\`)`];
  return [`${label('Service')}${what} ${s.active ? st.green('active') : st.yellow('inactive')}`, `${label('Unit file')}${out.path(s.file)}`];
}

export async function statusCommand(env: ActionEnv, cli: CliContext): Promise<number> {
  const out = new Reporter(env);
  const ctx = serviceContext(cli);
  const log = new CommandLog();
  const choice = await chooseManager(ctx, log, installedScope(ctx));
  const service = await serviceView(ctx, log, choice);

  let status: GatewayStatusResult | null = null;
  let unreachable: OpenSoulError | null = null;
  try {
    status = await callDaemon(methods.gatewayStatus, {});
  } catch (err) {
    if (!(err instanceof OpenSoulError) || err.exitCode !== EXIT.UNREACHABLE) throw err;
    unreachable = err;
  }
  const daemon: DaemonView = status
    ? {
        reachable: true,
        pid: status.pid,
        version: status.version,
        socket: status.socket,
        uptimeMs: status.uptimeMs,
        memory: status.memory,
        stateDir: status.stateDir,
        files: status.files,
        reloads: status.reloads,
        agents: status.agents,
        defaultAgent: status.defaultAgent,
        logFile: status.logFile,
        proxy: status.proxy ?? null,
      }
    : {
        reachable: false,
        pid: null,
        version: null,
        socket: ctx.socket.path,
        uptimeMs: null,
        stateDir: ctx.paths.stateDir,
        reason: typeof unreachable?.details.reason === 'string' ? unreachable.details.reason : (unreachable?.kind ?? 'unknown'),
      };

  if (env.json) out.document({ service, daemon });
  else {
    const lines = serviceLines(out, choice, service);
    if (status) process.stdout.write(`${lines.join('\n')}\n${renderGatewayStatus(status, out.style)}`);
    else {
      const label = (k: string) => out.style.bold(k.padEnd(11));
      lines.push(
        `${label('Gateway')}${out.style.red('not running')}`,
        `${label('Socket')}${ctx.socket.path}`,
        `${label('State dir')}${out.path(ctx.paths.stateDir)}`,
      );
      process.stdout.write(`${lines.join('\n')}\n`);
    }
  }
  if (unreachable) {
    // §7: one stderr line naming the socket and how to start the daemon.
    process.stderr.write(`opensoul: ${unreachable.message}\n`);
    return EXIT.UNREACHABLE;
  }
  return 0;
}
