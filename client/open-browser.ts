/**
 * Opening the sign-in page in a browser, where there is one: macOS, or a Linux/BSD desktop
 * session (DISPLAY or WAYLAND_DISPLAY) that is not reached over SSH (the browser would open on
 * the remote machine's screen, not the person's). Never waited on: the CLI prints the URL
 * either way, and a browser that fails to start must not hold the login up.
 */
import { spawn } from 'node:child_process';
import { findOnPath } from './which.js';

/** Whether a browser can be opened for this person here. */
export function canOpenBrowser(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): boolean {
  if (env.SSH_CONNECTION || env.SSH_TTY) return false;
  if (platform === 'darwin') return true;
  if (platform === 'win32') return false;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/** Starts the system's opener on `url`, detached; false when there is none to start. */
export function openBrowser(url: string): boolean {
  const cmd = process.platform === 'darwin' ? 'open' : 'xdg-open';
  if (!findOnPath(cmd)) return false;
  try {
    const child = spawn(cmd, [url], { detached: true, stdio: 'ignore' });
    child.once('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}
