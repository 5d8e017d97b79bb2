/** The human view of `opensoul models status` (§7.1). Pure: a result in, text out (times from `r.now`). */
import { formatDuration, formatWait, UNTIL_REPLACED_MS } from '../../ipc/duration.js';
import type { ModelsStatusResult, OpenClawHealthStatus, ProfileStatusEntry, ProviderStatusEntry } from '../../ipc/protocol.js';
import { providerSpec } from '../../ipc/providers.js';
import { formatTime, tildePath } from './format.js';
import { probeLines } from './probes.js';
import type { Style } from './style.js';
import { alignRows } from './table.js';

function statusWord(status: ProfileStatusEntry['status'] | OpenClawHealthStatus, s: Style): string {
  switch (status) {
    case 'ok':
    case 'static':
      return s.green(status);
    case 'expiring':
    case 'cooldown':
      return s.yellow(status);
    default:
      return s.red(status);
  }
}

function expiryText(p: ProfileStatusEntry): string {
  if (p.expiresAt === null || p.remainingMs === null) return p.type === 'api_key' ? '' : 'no expiry';
  return p.remainingMs > 0 ? `expires in ${formatDuration(p.remainingMs)}` : `expired ${formatDuration(-p.remainingMs)} ago`;
}

/** How long a profile stays out of the rotation: `cooldown 5m 3s`, `disabled 4h`, `disabled until replaced`. */
function waitText(p: ProfileStatusEntry, now: number): string {
  if (p.disabledUntil !== null) return `disabled ${formatWait(p.disabledUntil, now)}`;
  if (p.cooldownUntil !== null) return `cooldown ${formatWait(p.cooldownUntil, now)}`;
  return '';
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
  return `${e.kind} ${e.detail.replace(/\((\/[^)]*)\)/, (_, path: string) => `(${tildePath(path)})`)}`;
}

function envFrom(p: ProviderStatusEntry): string {
  const env = p.env;
  if (!env) return '';
  return env.source === 'dotenv' && env.path
    ? tildePath(env.path)
    : env.source === 'process'
      ? 'process environment'
      : env.source === 'config'
        ? 'opensoul.json env.vars'
        : 'login shell';
}

function profileCells(p: ProfileStatusEntry, now: number, s: Style): string[] {
  const flags = [p.next ? 'next' : null, p.lastGood ? 'lastGood' : null].filter(Boolean);
  // The reason goes last: it is long and free-form, and would push every column after it away.
  return [
    p.id,
    s.dim(p.type),
    p.masked,
    statusWord(p.status, s),
    expiryText(p),
    waitText(p, now),
    flags.length ? s.cyan(`[${flags.join(', ')}]`) : '',
    p.inheritedFrom ? s.dim(`(from agent ${p.inheritedFrom})`) : '',
    p.reason ? s.dim(`(${p.reason})`) : '',
  ];
}

/** The provider list: heads, endpoint/order/env notes and profile rows, each kind aligned across every provider. */
function providerLines(r: ModelsStatusResult, s: Style): string[] {
  if (r.providers.length === 0) return [`  ${s.dim('(no provider has a credential, and no model needs one)')}`];
  const heads = alignRows(
    r.providers.map((p) => [s.bold(p.provider), p.inUse ? s.cyan('in use') : '', effectiveText(p, s), s.dim(countsByType(p.profiles))]),
    '  ',
  );
  const envRows = alignRows(
    r.providers.filter((p) => p.env).map((p) => ['env', p.env?.var ?? '', p.env?.masked ?? '', s.dim(`from ${envFrom(p)}`)]),
    '      ',
  );
  const profileRows = alignRows(
    r.providers.flatMap((p) => p.profiles.map((x) => profileCells(x, r.now, s))),
    '      ',
  );
  const lines: string[] = [];
  let envAt = 0;
  let profileAt = 0;
  r.providers.forEach((p, i) => {
    lines.push(heads[i] ?? '');
    if (p.baseUrl) lines.push(`      endpoint ${p.baseUrl}`);
    if (p.orderSource !== 'round-robin') lines.push(`      ${s.dim(`order from ${p.orderSource === 'agent' ? "the agent's override" : 'config auth.order'}`)}`);
    if (p.env) lines.push(envRows[envAt++] ?? '');
    for (let n = 0; n < p.profiles.length; n++) lines.push(profileRows[profileAt++] ?? '');
  });
  return lines;
}

export function renderModelsStatus(r: ModelsStatusResult, s: Style): string {
  const lines: string[] = alignRows([
    [s.bold('Agent'), r.agent],
    [s.bold('Auth store'), tildePath(r.authStore)],
    [s.bold('Default model'), r.defaultModel || s.dim('(none)')],
    [s.bold('Fallbacks'), r.fallbacks.length ? r.fallbacks.join(', ') : s.dim('(none)')],
  ]);

  lines.push('', s.bold('Providers'), ...providerLines(r, s));

  // Present only when `--probe` asked: what each credential answered just now.
  if (r.probes) lines.push('', s.bold('Probes'), ...probeLines(r.probes, s));

  // Names only ever cross the socket; the CLI words the remedy for its own command.
  const gap = r.envGap ?? [];
  if (gap.length > 0) {
    lines.push('', s.bold(s.yellow('Keys this shell has and the gateway does not see')));
    for (const name of gap) {
      lines.push(
        `  ${name} is set in this shell but the gateway does not see it: ` +
          `run \`opensoul onboard --non-interactive --from-env\` (stores it in ${tildePath(r.envFile)})`,
      );
    }
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

  // Needed, with a credential on file, but none that may be used for hours (an older daemon sends no list).
  for (const d of r.disabledProvidersInUse ?? []) {
    if (d === r.disabledProvidersInUse?.[0]) lines.push('', s.bold(s.red('No usable auth')));
    const models = [r.defaultModel, ...r.fallbacks].filter((m) => m.startsWith(`${d.provider}/`));
    const when = d.until >= UNTIL_REPLACED_MS ? 'until replaced' : `until ${formatTime(d.until)}`;
    const needed = models.length ? s.dim(` (needed by ${models.join(', ')})`) : '';
    lines.push(`  ${s.red(d.provider)}${needed}: every credential is disabled ${when} (${d.reasons.join(', ')})`);
    lines.push(
      `    Fix what the reason names (billing, a revoked key), or add another credential: \`opensoul models auth paste-api-key --provider ${d.provider}\`.`,
    );
  }

  const expiring = r.providers.flatMap((p) => p.profiles).filter((p) => p.type !== 'api_key');
  if (expiring.length > 0) {
    lines.push('', s.bold('OAuth/token status'));
    // Expiry only, whatever the cooldown: the same words as OpenClaw's auth.oauth.profiles[].status.
    const health = new Map((r.auth?.oauth.profiles ?? []).map((h) => [h.profileId, h.status]));
    const rows = expiring.map((p) => {
      const state = health.get(p.id) ?? (p.status === 'cooldown' || p.status === 'disabled' ? 'ok' : p.status);
      const why = p.reason && (p.status === 'expired' || p.status === 'missing') ? s.dim(`(${p.reason})`) : '';
      return [p.id, s.dim(p.type), statusWord(state, s), expiryText(p), why];
    });
    lines.push(...alignRows(rows, '  '));
  }

  const cooling = r.providers.flatMap((p) => p.profiles).filter((p) => p.cooldownUntil !== null || p.disabledUntil !== null);
  if (cooling.length > 0) {
    lines.push('', s.bold('Cooldowns'));
    const rows = cooling.map((p) => {
      const until = (p.disabledUntil ?? p.cooldownUntil) as number;
      const when = until >= UNTIL_REPLACED_MS ? 'until replaced' : `until ${formatTime(until)} (${formatDuration(until - r.now)} left)`;
      return [p.id, s.yellow(p.disabledUntil !== null ? 'disabled' : 'cooldown'), when, p.reason ?? ''];
    });
    lines.push(...alignRows(rows, '  '));
  }

  if (r.fileErrors.length > 0) {
    lines.push('', s.bold(s.red('File errors')));
    for (const f of r.fileErrors) lines.push(`  ${tildePath(f.path)}: ${f.message}`);
    lines.push(
      `  ${s.dim('The gateway keeps the last good state of these files and refuses writes to them until they parse; fix them (`--check` fails until then).')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
