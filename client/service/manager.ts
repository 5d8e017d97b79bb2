/**
 * What install, uninstall, start, stop and status need from a service manager, so those commands
 * are written once; `systemd.ts` and `launchd.ts` are the two implementations, each loaded only
 * when chosen (the launchd one pulls in `plist`).
 */
import type { ServiceContext, SystemdScope } from './context.js';
import type { ServiceFile, WrittenFile } from './service-files.js';
import type { CommandLog } from './tools.js';

export interface InstallOptions {
  readonly authMonitor: boolean;
}

export interface ServiceManager {
  readonly name: 'systemd' | 'launchd';
  /** systemd only: the user manager or the system one. */
  readonly scope: SystemdScope | null;
  /** For people: `systemd user unit opensoul-gateway.service`, `launchd agent ai.opensoul.gateway`. */
  readonly title: string;
  /** The gateway's unit file or plist: whether it exists is whether the service is installed. */
  readonly gatewayFile: string;
  /** Every file an install may have written (uninstall removes those present). */
  readonly ownedFiles: readonly string[];
  /** The files install writes now. Throws a ServiceError (SERVICE_VALUE) for a path a service file cannot hold. */
  desiredFiles(opts: InstallOptions): Promise<ServiceFile[]>;
  /** The commands an install runs after writing (what `--dry-run` shows). */
  plannedCommands(opts: InstallOptions): string[][];
  /** Prepares what the manager needs besides the files (launchd: the logs dir for its output). */
  prepare(): void;
  /** After writing: reload, enable, start (restart when the gateway's file was replaced). */
  enableAndStart(written: readonly WrittenFile[], opts: InstallOptions, log: CommandLog): Promise<void>;
  /** Things the person should fix for the service to work as they expect (lingering). */
  installWarnings(log: CommandLog): Promise<string[]>;
  /** Before removing `present` files: disable and stop what they define. */
  disableAndStop(present: readonly string[], log: CommandLog): Promise<void>;
  /** After removing files (systemd: daemon-reload). */
  afterRemoval(log: CommandLog): Promise<void>;
  start(log: CommandLog): Promise<void>;
  /** Stops the service; returns when the manager says it is stopped (launchd: signal sent). */
  stop(log: CommandLog): Promise<void>;
  isActive(log: CommandLog): Promise<boolean>;
  /** The daemon's pid as the manager knows it; null when it runs none. */
  mainPid(log: CommandLog): Promise<number | null>;
  /** Where to look when the service's daemon does not come up. */
  troubleshooting(): string;
}

export async function loadManager(ctx: ServiceContext, name: 'systemd' | 'launchd', scope: SystemdScope): Promise<ServiceManager> {
  if (name === 'launchd') return new (await import('./launchd.js')).LaunchdManager(ctx);
  return new (await import('./systemd.js')).SystemdManager(ctx, scope);
}
