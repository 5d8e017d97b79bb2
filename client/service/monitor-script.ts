/** The auth monitor script that systemd and launchd both run directly. */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { ServiceError } from './errors.js';

/** The auth monitor script must exist and be executable: the service manager runs it directly. */
export function checkMonitorScript(scriptPath: string): void {
  try {
    if (!statSync(scriptPath).isFile()) throw new Error('not a file');
    accessSync(scriptPath, constants.X_OK);
  } catch {
    throw new ServiceError(
      'SERVICE_VALUE',
      `--auth-monitor: the monitor script ${scriptPath} is missing or not executable; it ships with opensoul beside dist/ (chmod +x it, or reinstall opensoul)`,
    );
  }
}

/**
 * Where the auth monitor's notification settings go, for `gateway install --auth-monitor` to
 * say: `<stateDir>/auth-monitor.env`, a file of the person's. Not the unit or the plist: those
 * are ours, and an install refuses to replace an edited one without --force, which then drops
 * the edit.
 */
export function monitorSettingsLine(settingsFile: string, manager: 'systemd' | 'launchd', shown: string): string {
  if (existsSync(settingsFile)) return `auth monitor: notification settings from ${shown} (yours: an install never changes it)`;
  const fallback = manager === 'launchd' ? 'a macOS notification' : 'notify-send in a desktop session, else the journal';
  return (
    `auth monitor: alerts go to ${fallback}; to send them elsewhere, put OPENSOUL_NOTIFY_URL=https://ntfy.sh/<secret-topic> ` +
    `or OPENSOUL_NOTIFY_CMD=… in ${shown} (chmod 600; an install never changes it)`
  );
}
