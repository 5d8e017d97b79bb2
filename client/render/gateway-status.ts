/** The human view of `opensoul gateway status`. */
import type { GatewayStatusResult } from '../../ipc/protocol.js';
import { formatDuration, formatTime, tildePath } from './format.js';
import type { Style } from './style.js';
import { alignRows } from './table.js';

function proxyLine(p: GatewayStatusResult['proxy'], s: Style): string {
  // An older daemon's status has no `proxy` field at all.
  if (!p) return s.dim('not enabled');
  if (!p.url) return s.red('not listening');
  return `${s.green('listening')} on ${p.url}, ${p.requests} requests, ${p.active} in progress`;
}

const mebibytes = (bytes: number): string => `${(bytes / 1_048_576).toFixed(1)} MiB`;

/** Resident memory first: it is what `ps` and the service manager show for the process. */
function memoryLine(m: GatewayStatusResult['memory'] | undefined): string {
  // A daemon older than this CLI may not report it.
  if (!m) return '?';
  return `${mebibytes(m.rss)} resident (JS heap ${mebibytes(m.heapUsed)} used of ${mebibytes(m.heapTotal)})`;
}

export function renderGatewayStatus(r: GatewayStatusResult, s: Style): string {
  const lines = alignRows([
    [s.bold('Gateway'), `${s.green('running')}  pid ${r.pid}, v${r.version}, up ${formatDuration(r.uptimeMs)}`],
    [s.bold('Memory'), memoryLine(r.memory)],
    [s.bold('Socket'), r.socket],
    [s.bold('State dir'), tildePath(r.stateDir)],
    [s.bold('Log'), tildePath(r.logFile)],
    [s.bold('Agents'), r.agents.map((a) => (a === r.defaultAgent ? `${a} (default)` : a)).join(', ')],
    [s.bold('Reloads'), `${r.reloads.count}${r.reloads.lastAt ? `, last ${formatTime(r.reloads.lastAt)} (${r.reloads.lastTrigger ?? '?'})` : ''}`],
    [s.bold('Proxy'), proxyLine(r.proxy, s)],
  ]);
  if (r.proxy?.error) lines.push(`    ${s.yellow('warning')} ${r.proxy.error}`);
  lines.push('', s.bold('Files'));
  const rows: string[][] = [];
  const warnings = new Map<number, string[]>();
  r.files.forEach((f, i) => {
    rows.push([tildePath(f.path), !f.exists ? s.dim('absent') : f.ok ? s.green('ok') : s.red(`error: ${f.error ?? ''}`)]);
    if (f.warnings.length > 0) warnings.set(i, f.warnings);
  });
  alignRows(rows, '  ').forEach((line, i) => {
    lines.push(line);
    for (const w of warnings.get(i) ?? []) lines.push(`    ${s.yellow('warning')} ${w}`);
  });
  return `${lines.join('\n')}\n`;
}
