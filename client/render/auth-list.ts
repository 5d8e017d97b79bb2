/** The human view of `opensoul models auth list`: one aligned row per profile, masked. */
import { formatWait } from '../../ipc/duration.js';
import type { AuthListResult } from '../../ipc/protocol.js';
import { formatDuration, tildePath } from './format.js';
import type { Style } from './style.js';
import { alignRows } from './table.js';

export function renderAuthList(r: AuthListResult, s: Style, now = Date.now()): string {
  const lines = [`${s.bold('Agent')} ${r.agent}  ${s.dim(tildePath(r.authStore))}`];
  if (r.profiles.length === 0) lines.push(`  ${s.dim('(no profiles)')}`);
  const rows = r.profiles.map((p) => {
    const exp =
      p.remainingMs === null ? '' : p.remainingMs > 0 ? `expires in ${formatDuration(p.remainingMs)}` : `expired ${formatDuration(-p.remainingMs)} ago`;
    const wait =
      p.disabledUntil !== null
        ? `disabled ${formatWait(p.disabledUntil, now)}`
        : p.cooldownUntil !== null
          ? `cooldown ${formatWait(p.cooldownUntil, now)}`
          : '';
    return [
      p.id,
      s.dim(p.type),
      p.masked,
      p.status,
      exp,
      wait,
      p.inheritedFrom ? s.dim(`(from agent ${p.inheritedFrom})`) : '',
      p.next ? s.cyan('[next]') : '',
    ];
  });
  lines.push(...alignRows(rows, '  '));
  for (const [provider, ids] of Object.entries(r.order)) lines.push(`  ${s.dim(`order ${provider}: ${ids.join(', ')}`)}`);
  return `${lines.join('\n')}\n`;
}
