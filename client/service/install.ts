/**
 * `opensoul gateway install` and `uninstall` (SPEC §7, §10): write the service files, enable
 * and start the service, and check that the daemon it runs answers; or disable, stop and remove
 * them. Every file is checked before anything is written, so a refusal changes nothing.
 */
import { existsSync } from 'node:fs';
import type { CliContext } from '../cli-context.js';
import type { ActionEnv } from '../cli-context.js';
import { SERVICE_MANAGER_ENV, chooseManager, installedScope, serviceContext } from './context.js';
import type { ServiceContext, SystemdScope } from './context.js';
import { probeDaemon, waitUntilAnswers } from './daemon-probe.js';
import { ServiceError } from './errors.js';
import { loadManager } from './manager.js';
import { monitorSettingsLine } from './monitor-script.js';
import type { ServiceManager } from './manager.js';
import { Reporter } from './reporter.js';
import { applyFiles, conflictError, inspectFiles, removeFiles } from './service-files.js';
import type { InspectedFile } from './service-files.js';
import { CommandLog, formatCommand } from './tools.js';

export interface InstallFlags {
  force?: boolean;
  dryRun?: boolean;
  authMonitor?: boolean;
  system?: boolean;
}

/** How long an install waits for the service's daemon to answer. */
const START_TIMEOUT_MS = 10_000;

/**
 * The manager a dry run describes, without running anything: the forced one, else what this
 * platform would use. A dry run must not depend on (or touch) a running service manager.
 */
function dryRunManager(ctx: ServiceContext): 'systemd' | 'launchd' {
  const forced = ctx.env[SERVICE_MANAGER_ENV]?.trim();
  if (forced === 'systemd' || forced === 'launchd') return forced;
  if (forced === 'none')
    throw new ServiceError(
      'NO_SERVICE_MANAGER',
      `${SERVICE_MANAGER_ENV}=none: there is no service manager to install into; run the daemon with \`opensoul gateway start\``,
    );
  if (forced) throw new ServiceError('USAGE', `${SERVICE_MANAGER_ENV} must be systemd, launchd or none, not ${JSON.stringify(forced)}`);
  return ctx.platform === 'darwin' ? 'launchd' : 'systemd';
}

const STATE_WORDS: Record<InspectedFile['state'], string> = {
  new: 'new file',
  unchanged: 'unchanged',
  differs: 'differs from the installed file',
};

export async function installCommand(env: ActionEnv, flags: InstallFlags, cli: CliContext): Promise<number> {
  const out = new Reporter(env);
  const ctx = serviceContext(cli);
  const scope: SystemdScope = flags.system === true ? 'system' : 'user';
  const opts = { authMonitor: flags.authMonitor === true };
  const log = new CommandLog((line) => out.command(line));

  let name: 'systemd' | 'launchd';
  if (flags.dryRun === true) name = dryRunManager(ctx);
  else {
    const choice = await chooseManager(ctx, log, scope);
    if (choice.kind === 'none') throw new ServiceError('NO_SERVICE_MANAGER', `cannot install the service: ${choice.why}`);
    name = choice.kind;
  }
  if (name === 'launchd' && flags.system === true) {
    throw new ServiceError(
      'USAGE',
      '--system installs a systemd system unit; on macOS the gateway is a LaunchAgent of your user (run install without --system)',
    );
  }
  const mgr = await loadManager(ctx, name, scope);
  const files = inspectFiles(await mgr.desiredFiles(opts));
  const warnings: string[] = [];

  // Where the monitor's notify settings go: a file of the person's, so an edit never makes the unit "differ".
  const settingsFile = ctx.paths.authMonitorEnv;
  const settings = opts.authMonitor ? { line: monitorSettingsLine(settingsFile, mgr.name, out.path(settingsFile)), file: settingsFile } : null;
  if (flags.dryRun === true) return dryRun(out, mgr, files, opts, warnings, settings);

  const differing = files.filter((f) => f.state === 'differs');
  if (differing.length > 0 && flags.force !== true) throw conflictError(differing, (p) => out.path(p));

  const before = await probeDaemon(ctx);
  mgr.prepare();
  const written = applyFiles(files);
  for (const w of written) {
    const what = w.action === 'replaced' ? `replaced (backup: ${out.path(w.backup ?? '')})` : w.action;
    out.line(`${what.padEnd(9)} ${out.path(w.path)}`);
  }
  await mgr.enableAndStart(written, opts, log);
  warnings.push(...(await mgr.installWarnings(log)));

  const pid = await waitUntilAnswers(ctx, START_TIMEOUT_MS);
  if (pid === null) {
    for (const w of warnings) out.warn(w);
    throw new ServiceError(
      'DAEMON_TIMEOUT',
      `the ${mgr.title} is installed and enabled, but no gateway answers on ${ctx.socket.path} after ${START_TIMEOUT_MS / 1000} s; ${mgr.troubleshooting()}`,
    );
  }
  if (before.answers && before.pid === pid && (await mgr.mainPid(log)) !== pid) {
    // A daemon started by hand or by `gateway start` holds the state dir, so the service's
    // own daemon cannot start (one gateway per state dir, §5) until that one stops.
    warnings.push(
      `the gateway answering (pid ${pid}) was started outside ${mgr.name}, so the service's daemon cannot start next to it; ` +
        `\`opensoul gateway restart\` stops it and starts the service's`,
    );
  }
  out.line(`installed ${mgr.title}; the gateway is running (pid ${pid})`);
  if (settings !== null) out.line(settings.line);
  for (const w of warnings) out.warn(w);
  out.document({
    manager: mgr.name,
    scope: mgr.scope,
    dryRun: false,
    files: written,
    commands: log.ran,
    warnings,
    daemon: { pid },
    ...(settings !== null ? { authMonitorSettings: settings.file } : {}),
  });
  return 0;
}

function dryRun(
  out: Reporter,
  mgr: ServiceManager,
  files: readonly InspectedFile[],
  opts: { authMonitor: boolean },
  warnings: readonly string[],
  settings: { line: string; file: string } | null,
): number {
  const commands = mgr.plannedCommands(opts).map((c) => formatCommand(c));
  for (const f of files) {
    out.line(`# ${out.path(f.path)} (${STATE_WORDS[f.state]}${f.state === 'differs' ? '; install needs --force to replace it' : ''})`);
    out.line(f.content.trimEnd());
    out.line();
  }
  out.line(`# then: ${commands.join(' && ')}`);
  if (settings !== null) out.line(`# ${settings.line}`);
  out.line('# dry run: nothing was written and nothing was run');
  for (const w of warnings) out.warn(w);
  out.document({
    manager: mgr.name,
    scope: mgr.scope,
    dryRun: true,
    files: files.map((f) => ({ path: f.path, state: f.state, content: f.content })),
    commands,
    warnings,
    ...(settings !== null ? { authMonitorSettings: settings.file } : {}),
  });
  return 0;
}

export async function uninstallCommand(env: ActionEnv, flags: { system?: boolean }, cli: CliContext): Promise<number> {
  const out = new Reporter(env);
  const ctx = serviceContext(cli);
  const scope: SystemdScope = flags.system === true ? 'system' : installedScope(ctx);
  const log = new CommandLog((line) => out.command(line));
  const choice = await chooseManager(ctx, log, scope);
  // Without a reachable manager the files are still ours to remove: name what could not be told.
  const name = choice.kind !== 'none' ? choice.kind : ctx.platform === 'darwin' ? 'launchd' : 'systemd';
  const mgr = await loadManager(ctx, name, scope);
  const present = mgr.ownedFiles.filter((f) => existsSync(f));
  const warnings: string[] = [];
  if (present.length === 0) {
    out.line(`not installed: there is no ${out.path(mgr.gatewayFile)}`);
    out.document({ manager: mgr.name, scope: mgr.scope, removed: [], commands: log.ran, warnings });
    return 0;
  }
  if (choice.kind !== 'none') await mgr.disableAndStop(present, log);
  else warnings.push(`the service files were removed, but ${mgr.name} could not be told to disable and stop the service (${choice.summary})`);
  const removed = removeFiles(present);
  for (const f of removed) out.line(`removed   ${out.path(f)}`);
  if (choice.kind !== 'none') await mgr.afterRemoval(log);
  out.line(`uninstalled ${mgr.title}`);
  for (const w of warnings) out.warn(w);
  out.document({ manager: mgr.name, scope: mgr.scope, removed, commands: log.ran, warnings });
  return 0;
}
