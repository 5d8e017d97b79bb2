/**
 * The systemd side of SPEC §10: user units in `~/.config/systemd/user` driven with
 * `systemctl --user`, or (`--system`) a system unit with `User=` driven with plain `systemctl`.
 */
import { AUTH_MONITOR_TIMER, GATEWAY_UNIT, authMonitorService, authMonitorTimer, gatewayUnit } from '../../units/systemd-units.js';
import { unitPaths } from './context.js';
import type { ServiceContext, SystemdScope } from './context.js';
import { checkMonitorScript } from './monitor-script.js';
import type { InstallOptions, ServiceManager } from './manager.js';
import { generated } from './service-files.js';
import type { ServiceFile, WrittenFile } from './service-files.js';
import type { CommandLog } from './tools.js';

export class SystemdManager implements ServiceManager {
  readonly name = 'systemd' as const;
  readonly title: string;
  readonly gatewayFile: string;
  readonly ownedFiles: readonly string[];
  private readonly files: ReturnType<typeof unitPaths>;
  private readonly systemctl: readonly string[];

  constructor(
    private readonly ctx: ServiceContext,
    readonly scope: SystemdScope,
  ) {
    this.files = unitPaths(ctx, scope);
    this.gatewayFile = this.files.gateway;
    this.ownedFiles = [this.files.gateway, this.files.monitorService, this.files.monitorTimer];
    this.systemctl = scope === 'user' ? ['systemctl', '--user'] : ['systemctl'];
    this.title = `systemd ${scope} unit ${GATEWAY_UNIT}`;
  }

  desiredFiles(opts: InstallOptions): Promise<ServiceFile[]> {
    const { ctx } = this;
    const base = {
      nodePath: ctx.nodePath,
      entryPath: ctx.entryPath,
      stateDir: ctx.paths.stateDir,
      ...(this.scope === 'system' ? { system: { user: ctx.user } } : {}),
    };
    const files: ServiceFile[] = [{ path: this.files.gateway, content: generated(() => gatewayUnit(base)) }];
    if (opts.authMonitor) {
      checkMonitorScript(ctx.scriptPath);
      files.push({ path: this.files.monitorService, content: generated(() => authMonitorService({ ...base, scriptPath: ctx.scriptPath })) });
      files.push({ path: this.files.monitorTimer, content: generated(() => authMonitorTimer()) });
    }
    return Promise.resolve(files);
  }

  plannedCommands(opts: InstallOptions): string[][] {
    const cmds = [
      [...this.systemctl, 'daemon-reload'],
      [...this.systemctl, 'enable', '--now', GATEWAY_UNIT],
    ];
    if (opts.authMonitor) cmds.push([...this.systemctl, 'enable', '--now', AUTH_MONITOR_TIMER]);
    return cmds;
  }

  prepare(): void {}

  async enableAndStart(written: readonly WrittenFile[], opts: InstallOptions, log: CommandLog): Promise<void> {
    await log.run([...this.systemctl, 'daemon-reload']);
    const replaced = written.some((w) => w.path === this.files.gateway && w.action === 'replaced');
    if (replaced) {
      // `enable --now` leaves a running daemon on the old unit; restart it on the new one.
      await log.run([...this.systemctl, 'enable', GATEWAY_UNIT]);
      await log.run([...this.systemctl, 'restart', GATEWAY_UNIT]);
    } else {
      await log.run([...this.systemctl, 'enable', '--now', GATEWAY_UNIT]);
    }
    // The timer, not the oneshot service: the service has no [Install] and is started by the timer.
    if (opts.authMonitor) await log.run([...this.systemctl, 'enable', '--now', AUTH_MONITOR_TIMER]);
  }

  async installWarnings(log: CommandLog): Promise<string[]> {
    if (this.scope === 'system') return [];
    const user = this.ctx.user;
    const r = await log.query(['loginctl', 'show-user', user, '--property=Linger']);
    const linger = /^Linger=(\w+)/m.exec(r.stdout)?.[1];
    if (r.code === 0 && linger === 'yes') return [];
    const remedy = `enable it with \`loginctl enable-linger ${user}\` (as root: \`sudo loginctl enable-linger ${user}\`)`;
    if (r.code === 0 && linger === 'no') {
      return [
        `lingering is off for ${user}: the user manager, and the gateway with it, stops when your last session ends and does not start at boot; ${remedy}`,
      ];
    }
    return [
      `could not tell whether lingering is on for ${user} (\`loginctl show-user\` failed); ` +
        `without it the gateway stops at logout and does not start at boot: ${remedy}`,
    ];
  }

  async disableAndStop(present: readonly string[], log: CommandLog): Promise<void> {
    // The timer first, so it cannot start a check against a gateway that is going away.
    if (present.includes(this.files.monitorTimer)) await log.run([...this.systemctl, 'disable', '--now', AUTH_MONITOR_TIMER]);
    if (present.includes(this.files.gateway)) await log.run([...this.systemctl, 'disable', '--now', GATEWAY_UNIT]);
  }

  async afterRemoval(log: CommandLog): Promise<void> {
    await log.run([...this.systemctl, 'daemon-reload']);
  }

  async start(log: CommandLog): Promise<void> {
    await log.run([...this.systemctl, 'start', GATEWAY_UNIT]);
  }

  async stop(log: CommandLog): Promise<void> {
    // Returns once the unit has stopped (up to TimeoutStopSec=30, then systemd kills it).
    await log.run([...this.systemctl, 'stop', GATEWAY_UNIT], { timeoutMs: 90_000 });
  }

  async isActive(log: CommandLog): Promise<boolean> {
    const r = await log.query([...this.systemctl, 'is-active', GATEWAY_UNIT]);
    return r.stdout.trim() === 'active';
  }

  async mainPid(log: CommandLog): Promise<number | null> {
    const r = await log.query([...this.systemctl, 'show', '--property=MainPID', '--value', GATEWAY_UNIT]);
    const pid = Number.parseInt(r.stdout.trim(), 10);
    return r.code === 0 && pid > 0 ? pid : null;
  }

  troubleshooting(): string {
    const journal = this.scope === 'user' ? `journalctl --user -u ${GATEWAY_UNIT} -e` : `journalctl -u ${GATEWAY_UNIT} -e`;
    const status = `${this.systemctl.join(' ')} status ${GATEWAY_UNIT}`;
    return `see \`${status}\`, \`${journal}\` and \`opensoul gateway logs\``;
  }
}
