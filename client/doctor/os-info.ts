/**
 * The distro and kernel for doctor's report, read from files without starting a process:
 * systeminformation's osInfo() ran a shell, `cat`, `hostname` and more on every `doctor`
 * (30–70 ms here, more than the rest of doctor), for one line of context.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** What the report names. */
export interface OsInfo {
  distro: string;
  release: string;
  platform: string;
  kernel: string;
  arch: string;
}

/** `KEY=value` lines (os-release(5)), values unquoted. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out[m[1] as string] = (m[2] as string).replace(/^(["'])(.*)\1$/, '$2');
  }
  return out;
}

/** A `<key>K</key><string>V</string>` value of a plist file's text (macOS SystemVersion.plist). */
function plistString(text: string, key: string): string | undefined {
  return new RegExp(`<key>${key}</key>\\s*<string>([^<]*)</string>`).exec(text)?.[1];
}

const read = (file: string): string | null => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
};

/** This host's OS, from /etc/os-release (Linux) or SystemVersion.plist (macOS). */
export function osInfo(platform: NodeJS.Platform = process.platform): OsInfo {
  let distro = os.type();
  let release = 'unknown';
  if (platform === 'linux') {
    const text = read('/etc/os-release') ?? read('/usr/lib/os-release');
    if (text) {
      const r = parseOsRelease(text);
      distro = r.NAME ?? distro;
      release = r.VERSION ?? r.VERSION_ID ?? r.BUILD_ID ?? release;
    }
  } else if (platform === 'darwin') {
    const text = read('/System/Library/CoreServices/SystemVersion.plist');
    if (text) {
      distro = plistString(text, 'ProductName') ?? 'macOS';
      release = plistString(text, 'ProductVersion') ?? release;
    }
  }
  return { distro, release, platform, kernel: os.release(), arch: os.arch() };
}
