/**
 * The launchd side of SPEC §10: a LaunchAgent in `~/Library/LaunchAgents`, driven with the
 * domain-target verbs of `launchctl` (bootstrap/bootout/kickstart/kill/print on `gui/<uid>`),
 * which replaced the deprecated load/unload.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  AUTH_MONITOR_LABEL,
  AUTH_MONITOR_PLIST_FILE,
  GATEWAY_LABEL,
  PLIST_FILE,
  authMonitorPlist,
  gatewayLogPaths,
  gatewayPlist,
  launchAgentsDir,
} from '../../units/launchd-plist.js';
import { refusingUnitValues } from './errors.js';
import type { ServiceContext } from './context.js';
import type { InstallOptions, ServiceManager } from './manager.js';
import { checkMonitorScript } from './monitor-script.js';
import { generated } from './service-files.js';
import type { ServiceFile, WrittenFile } from './service-files.js';
import type { CommandLog } from './tools.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class LaunchdManager implements ServiceManager {
  readonly name = 'launchd' as const;
  readonly scope = null;
  readonly title = `launchd agent ${GATEWAY_LABEL}`;
  readonly gatewayFile: string;
  readonly ownedFiles: readonly string[];
  private readonly monitorFile: string;
  private readonly domain: string;
  private readonly target: string;
  private readonly monitorTarget: string;

  constructor(private readonly ctx: ServiceContext) {
    const dir = refusingUnitValues(() => launchAgentsDir(ctx.home));
    this.gatewayFile = path.join(dir, PLIST_FILE);
    this.monitorFile = path.join(dir, AUTH_MONITOR_PLIST_FILE);
    this.ownedFiles = [this.gatewayFile, this.monitorFile];
    this.domain = `gui/${ctx.uid}`;
    this.target = `${this.domain}/${GATEWAY_LABEL}`;
    this.monitorTarget = `${this.domain}/${AUTH_MONITOR_LABEL}`;
  }

  desiredFiles(opts: InstallOptions): Promise<ServiceFile[]> {
    const { ctx } = this;
    const base = { nodePath: ctx.nodePath, entryPath: ctx.entryPath, stateDir: ctx.paths.stateDir };
    const files: ServiceFile[] = [{ path: this.gatewayFile, content: generated(() => gatewayPlist(base)) }];
    if (opts.authMonitor) {
      checkMonitorScript(ctx.scriptPath);
      files.push({ path: this.monitorFile, content: generated(() => authMonitorPlist({ ...base, scriptPath: ctx.scriptPath })) });
    }
    return Promise.resolve(files);
  }

  plannedCommands(opts: InstallOptions): string[][] {
    const cmds = [
      ['launchctl', 'bootstrap', this.domain, this.gatewayFile],
      ['launchctl', 'kickstart', '-k', this.target],
    ];
    if (opts.authMonitor) cmds.push(['launchctl', 'bootstrap', this.domain, this.monitorFile]);
    return cmds;
  }

  /**
   * launchd does not create the directories of StandardOutPath/StandardErrorPath: without
   * `<stateDir>/logs` the job fails before node starts, with nothing in any log. 0700 like the
   * daemon makes it; created with the state dir (0700 too) when neither exists yet.
   */
  prepare(): void {
    const dir = this.ctx.paths.logsDir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    if ((st.mode & 0o077) !== 0 && st.uid === this.ctx.uid) chmodSync(dir, 0o700);
  }

  private async loaded(log: CommandLog, target = this.target): Promise<{ loaded: boolean; text: string }> {
    const r = await log.query(['launchctl', 'print', target]);
    return { loaded: r.code === 0, text: r.stdout };
  }

  async enableAndStart(_written: readonly WrittenFile[], opts: InstallOptions, log: CommandLog): Promise<void> {
    // bootstrap refuses a job that is already loaded (error 5, "Input/output error"), and a
    // loaded job keeps its old plist: unload it first so the file just written is the one used.
    const wasLoaded = (await this.loaded(log)).loaded;
    if (wasLoaded) await log.run(['launchctl', 'bootout', this.target], { allowFailure: true });
    await this.bootstrap(log, this.gatewayFile, wasLoaded);
    await log.run(['launchctl', 'kickstart', '-k', this.target]);
    if (opts.authMonitor) {
      // Loaded, not kicked: its first check comes one interval later, with the gateway up.
      const monitorLoaded = (await this.loaded(log, this.monitorTarget)).loaded;
      if (monitorLoaded) await log.run(['launchctl', 'bootout', this.monitorTarget], { allowFailure: true });
      await this.bootstrap(log, this.monitorFile, monitorLoaded);
    }
  }

  /** bootout returns before launchd has let go of the job; a bootstrap right after can still fail. */
  private async bootstrap(log: CommandLog, file: string, retry: boolean): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const last = !retry || attempt >= 4;
      const r = await log.run(['launchctl', 'bootstrap', this.domain, file], { allowFailure: !last });
      if (r.code === 0 || last) return;
      await sleep(500);
    }
  }

  installWarnings(): Promise<string[]> {
    return Promise.resolve([]);
  }

  async disableAndStop(present: readonly string[], log: CommandLog): Promise<void> {
    // The monitor first, so it cannot start a check against a gateway that is going away.
    if (present.includes(this.monitorFile) && (await this.loaded(log, this.monitorTarget)).loaded) await log.run(['launchctl', 'bootout', this.monitorTarget]);
    if ((await this.loaded(log)).loaded) await log.run(['launchctl', 'bootout', this.target]);
  }

  afterRemoval(): Promise<void> {
    return Promise.resolve();
  }

  async start(log: CommandLog): Promise<void> {
    // A job booted out (or never loaded since login) must be bootstrapped; RunAtLoad starts it.
    if ((await this.loaded(log)).loaded) await log.run(['launchctl', 'kickstart', this.target]);
    else await log.run(['launchctl', 'bootstrap', this.domain, this.gatewayFile]);
  }

  async stop(log: CommandLog): Promise<void> {
    // SIGTERM: the daemon stops cleanly and exits 0, and KeepAlive {SuccessfulExit: false}
    // leaves a clean exit stopped. The caller waits for the pid to go.
    if ((await this.loaded(log)).loaded) await log.run(['launchctl', 'kill', 'SIGTERM', this.target], { allowFailure: true });
  }

  async isActive(log: CommandLog): Promise<boolean> {
    const { loaded, text } = await this.loaded(log);
    return loaded && /^\s*state = running\s*$/m.test(text);
  }

  async mainPid(log: CommandLog): Promise<number | null> {
    const { loaded, text } = await this.loaded(log);
    const pid = Number.parseInt(/^\s*pid = (\d+)\s*$/m.exec(text)?.[1] ?? '', 10);
    return loaded && pid > 0 ? pid : null;
  }

  troubleshooting(): string {
    return `see \`launchctl print ${this.target}\`, ${gatewayLogPaths(this.ctx.paths.stateDir).stderr} and \`opensoul gateway logs\``;
  }
}
