/**
 * Service-file generators (SPEC §2, §10): systemd units and the launchd plist, as pure functions
 * of absolute paths. Imports nothing of ours, so the CLI can load it without the daemon.
 */
export { DAEMON_NODE_FLAGS } from './daemon-flags.js';
export { UnitValueError } from './value-checks.js';
export { escapeExecArgument, escapeExecutable, escapeSpecifiers, formatCommandLine, formatEnvironmentAssignment } from './systemd-escape.js';
export {
  AUTH_MONITOR_SERVICE,
  AUTH_MONITOR_TIMER,
  GATEWAY_UNIT,
  SYSTEM_UNIT_DIR,
  authMonitorService,
  authMonitorTimer,
  gatewayUnit,
  systemdUnitDir,
} from './systemd-units.js';
export type { AuthMonitorServiceOptions, GatewayUnitOptions, SystemUnitAccount, UnitDirOptions } from './systemd-units.js';
export {
  AUTH_MONITOR_INTERVAL_SECONDS,
  AUTH_MONITOR_LABEL,
  AUTH_MONITOR_PLIST_FILE,
  GATEWAY_LABEL,
  PLIST_FILE,
  authMonitorPlist,
  gatewayLogPaths,
  gatewayPlist,
  launchAgentsDir,
} from './launchd-plist.js';
export type { AuthMonitorPlistOptions, GatewayPlistOptions } from './launchd-plist.js';
