/** The auth monitor script that systemd and launchd both run directly. */
import { accessSync, constants, statSync } from 'node:fs';
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
