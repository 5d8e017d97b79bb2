/** The human view of `opensoul gateway status`. */
import type { GatewayStatusResult } from '../../ipc/protocol.js';
import { formatDuration, formatTime, tildePath } from './format.js';
import type { Style } from './style.js';

export function renderGatewayStatus(r: GatewayStatusResult, s: Style): string {
  const label = (k: string) => s.bold(k.padEnd(11));
  const lines = [
    `${label('Gateway')}${s.green('running')}  pid ${r.pid}, v${r.version}, up ${formatDuration(r.uptimeMs)}`,
    `${label('Socket')}${r.socket}`,
    `${label('State dir')}${tildePath(r.stateDir)}`,
    `${label('Log')}${tildePath(r.logFile)}`,
    `${label('Agents')}${r.agents.map((a) => (a === r.defaultAgent ? `${a} (default)` : a)).join(', ')}`,
    `${label('Reloads')}${r.reloads.count}${r.reloads.lastAt ? `, last ${formatTime(r.reloads.lastAt)} (${r.reloads.lastTrigger ?? '?'})` : ''}`,
    '',
    s.bold('Files'),
  ];
  for (const f of r.files) {
    const state = !f.exists ? s.dim('absent') : f.ok ? s.green('ok') : s.red(`error: ${f.error ?? ''}`);
    lines.push(`  ${tildePath(f.path)}  ${state}`);
    for (const w of f.warnings) lines.push(`    ${s.yellow('warning')} ${w}`);
  }
  return `${lines.join('\n')}\n`;
}
