/** The human view of `opensoul models status` (§7.1). Pure: a result and a clock in, text out. */
import type { ModelsStatusResult, ProfileStatusEntry, ProviderStatusEntry } from '../../ipc/protocol.js';
import { providerSpec } from '../../ipc/providers.js';
import { formatDuration, formatTime, tildePath } from './format.js';
import type { Style } from './style.js';

function statusWord(p: ProfileStatusEntry, s: Style): string {
  switch (p.status) {
    case 'ok':
    case 'static':
      return s.green(p.status);
    case 'expiring':
    case 'cooldown':
      return s.yellow(p.status);
    default:
      return s.red(p.status);
  }
}

function expiryText(p: ProfileStatusEntry): string {
  if (p.expiresAt === null || p.remainingMs === null) return p.type === 'api_key' ? '' : 'no expiry';
  return p.remainingMs > 0 ? `expires in ${formatDuration(p.remainingMs)}` : `expired ${formatDuration(-p.remainingMs)} ago`;
}

function countsByType(profiles: ProfileStatusEntry[]): string {
  if (profiles.length === 0) return 'no profiles';
  const counts = new Map<string, number>();
  for (const p of profiles) counts.set(p.type, (counts.get(p.type) ?? 0) + 1);
  return `${profiles.length} profile${profiles.length === 1 ? '' : 's'} (${[...counts].map(([t, n]) => `${t} ${n}`).join(', ')})`;
}

function effectiveText(p: ProviderStatusEntry, s: Style): string {
  const e = p.effective;
  if (e.kind === 'missing') return s.red(`missing: ${e.detail}`);
  return `${e.kind} ${tildePath(e.detail.replace(/\((\/[^)]*)\)/, (_, path: string) => `(${tildePath(path)})`))}`;
}

function profileLine(p: ProfileStatusEntry, s: Style): string {
  const flags = [p.next ? 'next' : null, p.lastGood ? 'lastGood' : null].filter(Boolean);
  const bits = [
    p.id,
    s.dim(p.type),
    p.masked,
    statusWord(p, s),
    expiryText(p),
    p.cooldownUntil !== null ? `cooldown ${formatDuration(p.cooldownUntil - Date.now())}` : '',
    p.disabledUntil !== null ? `disabled ${formatDuration(p.disabledUntil - Date.now())}` : '',
    p.reason ? s.dim(`(${p.reason})`) : '',
    p.inheritedFrom ? s.dim(`(from agent ${p.inheritedFrom})`) : '',
    flags.length ? s.cyan(`[${flags.join(', ')}]`) : '',
  ];
  return bits.filter((b) => b !== '').join('  ');
}

export function renderModelsStatus(r: ModelsStatusResult, s: Style): string {
  const lines: string[] = [];
  const label = (k: string) => s.bold(k.padEnd(14));
  lines.push(`${label('Agent')}${r.agent}`);
  lines.push(`${label('Auth store')}${tildePath(r.authStore)}`);
  lines.push(`${label('Default model')}${r.defaultModel || s.dim('(none)')}`);
  lines.push(`${label('Fallbacks')}${r.fallbacks.length ? r.fallbacks.join(', ') : s.dim('(none)')}`);

  lines.push('', s.bold('Providers'));
  if (r.providers.length === 0) lines.push(`  ${s.dim('(no provider has a credential, and no model needs one)')}`);
  for (const p of r.providers) {
    const head = [s.bold(p.provider), p.inUse ? s.cyan('in use') : '', effectiveText(p, s), s.dim(countsByType(p.profiles))]
      .filter((x) => x !== '')
      .join('  ');
    lines.push(`  ${head}`);
    if (p.baseUrl) lines.push(`      endpoint ${p.baseUrl}`);
    if (p.orderSource !== 'round-robin') lines.push(`      ${s.dim(`order from ${p.orderSource === 'agent' ? "the agent's override" : 'config auth.order'}`)}`);
    if (p.env) {
      const from = p.env.source === 'dotenv' && p.env.path ? tildePath(p.env.path) : p.env.source === 'process' ? 'process environment' : p.env.source === 'config' ? 'opensoul.json env.vars' : 'login shell';
      lines.push(`      env ${p.env.var}  ${p.env.masked}  ${s.dim(`from ${from}`)}`);
    }
    for (const prof of p.profiles) lines.push(`      ${profileLine(prof, s)}`);
  }

  if (r.missingProvidersInUse.length > 0) {
    lines.push('', s.bold(s.red('Missing auth')));
    const needing = (provider: string) => [r.defaultModel, ...r.fallbacks].filter((m) => m.startsWith(`${provider}/`));
    for (const provider of r.missingProvidersInUse) {
      const models = needing(provider);
      lines.push(`  ${s.red(provider)}${models.length ? s.dim(` (needed by ${models.join(', ')})`) : ''}`);
      const hint = providerSpec(provider)?.hint ?? `Add a credential for ${provider}: \`opensoul models auth paste-api-key --provider ${provider}\`.`;
      lines.push(`    ${hint}`);
    }
  }

  const expiring = r.providers.flatMap((p) => p.profiles).filter((p) => p.type !== 'api_key');
  if (expiring.length > 0) {
    lines.push('', s.bold('OAuth/token status'));
    for (const p of expiring) {
      const state = p.status === 'cooldown' || p.status === 'disabled' ? (p.expiresAt === null ? 'static' : p.remainingMs !== null && p.remainingMs <= r.expiringWindowMs ? 'expiring' : 'ok') : p.status;
      const word = state === 'ok' || state === 'static' ? s.green(state) : state === 'expiring' ? s.yellow(state) : s.red(state);
      lines.push(`  ${p.id}  ${s.dim(p.type)}  ${word}  ${expiryText(p)}${p.reason && (p.status === 'expired' || p.status === 'missing') ? s.dim(`  (${p.reason})`) : ''}`);
    }
  }

  const cooling = r.providers.flatMap((p) => p.profiles).filter((p) => p.cooldownUntil !== null || p.disabledUntil !== null);
  if (cooling.length > 0) {
    lines.push('', s.bold('Cooldowns'));
    for (const p of cooling) {
      const until = (p.disabledUntil ?? p.cooldownUntil) as number;
      lines.push(`  ${p.id}  ${s.yellow(p.disabledUntil !== null ? 'disabled' : 'cooldown')} until ${formatTime(until)} (${formatDuration(until - r.now)} left)${p.reason ? `: ${p.reason}` : ''}`);
    }
  }

  if (r.fileErrors.length > 0) {
    lines.push('', s.bold(s.red('File errors')));
    for (const f of r.fileErrors) lines.push(`  ${tildePath(f.path)}: ${f.message}`);
    lines.push(`  ${s.dim('The gateway keeps the last good state of these files and refuses writes to them until they parse.')}`);
  }
  return `${lines.join('\n')}\n`;
}
