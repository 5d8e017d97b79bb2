/**
 * The daemon's side of `doctor` (§11, `doctor.run`): file modes and parsing (the shared checks of
 * ipc/file-checks), fields the config ignored, expired and expiring tokens, cooldowns and
 * disabled profiles with their remedy, providers the configured models need without a
 * credential, and the env gap — provider keys the CLI's shell has that the daemon does not see
 * (names only: the CLI never sends a value).
 */
import { own } from '../../ipc/dict.js';
import { checkFilesParse, checkPermissions } from '../../ipc/file-checks.js';
import type { DoctorCheck, DoctorRunParams, ModelsStatusResult, ProfileStatusEntry } from '../../ipc/protocol.js';
import { loginCommand } from '../oauth/refresh-policy.js';
import type { GatewayState } from '../state/gateway-state.js';
import { CREDENTIAL_SCOPE_REMEDY } from '../providers/remedies.js';
import { envGap } from '../status/models-status.js';
import { UNTIL_REPLACED_MS, formatDuration } from '../../ipc/duration.js';

// The one duration format of every view (ipc/duration.ts): `12h`, `3d 4h`, never "12 hours" here and "12h" there.
const inWords = formatDuration;

function renewHint(profileId: string, provider: string, prof?: Pick<ProfileStatusEntry, 'type' | 'managedBy'>): string {
  if (prof?.managedBy) {
    const cmd = prof.managedBy === 'claude-cli' ? 'claude' : 'codex';
    return `refresh it with \`${cmd}\` and retry (the gateway reads ${cmd}'s credentials file and never refreshes it itself)`;
  }
  if (prof?.type === 'oauth') return `sign in again: \`${loginCommand(provider)}\` (or remove it: \`opensoul models auth remove ${profileId}\`)`;
  return provider === 'anthropic'
    ? `renew it: \`claude setup-token\`, then \`opensoul models auth paste-token --provider anthropic --profile-id ${profileId}\` ` +
        `(or remove it: \`opensoul models auth remove ${profileId}\`)`
    : `replace it with \`opensoul models auth paste-token --provider ${provider} --profile-id ${profileId}\`, ` +
        `or remove it: \`opensoul models auth remove ${profileId}\``;
}

const REASON_REMEDY: Record<string, string> = {
  billing: "the provider refused for billing: check the account's credits or plan; it is retried after the wait",
  auth_permanent: 'the key was refused as revoked or invalid: replace it or remove it',
  credential_scope: CREDENTIAL_SCOPE_REMEDY,
  rate_limit: 'rate limited: it is used again after the wait; nothing to do unless it keeps happening',
  overloaded: 'the provider was overloaded: it is used again after the wait',
  auth: 'the provider refused the credential: check it (`opensoul models status --probe` when available) or replace it',
};

export function runDoctorChecks(state: GatewayState, statuses: ModelsStatusResult[], params: DoctorRunParams): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  const add = (id: string, status: DoctorCheck['status'], message: string, fix: string | null = null) =>
    checks.push({ id, status, message, fix, fixed: false });

  checks.push(...checkPermissions(state.paths, { fix: params.fix === true }));
  checks.push(...checkFilesParse(state.paths));
  for (const f of state.files()) {
    for (const w of f.warnings) add('config', 'warn', `${f.path}: ${w}`, `edit ${f.path}`);
    // Another CLI's credentials file (read through): never ours to edit, so the fix is that CLI.
    if (f.kind === 'managed-oauth' && f.exists && !f.ok) {
      add(
        'tokens',
        'warn',
        `${f.path} (another CLI's sign-in, read through) does not parse: ${f.error ?? 'unreadable'}; its last good read is used`,
        'sign in again with the CLI that owns it (`claude` or `codex`); the gateway never edits that file',
      );
    }
  }

  let tokens = 0;
  for (const s of statuses) {
    for (const p of s.providers) {
      for (const prof of p.profiles) {
        if (prof.type !== 'api_key') tokens++;
        const where = statuses.length > 1 ? ` (agent ${s.agent})` : '';
        if (prof.status === 'expired' && prof.type !== 'api_key') {
          const ago = prof.remainingMs !== null && prof.remainingMs <= 0 ? ` ${inWords(-prof.remainingMs)} ago` : '';
          const why = prof.reason ? `: ${prof.reason}` : '';
          add('tokens', 'error', `${prof.id}${where} (${prof.type}) expired${ago}${why}`, renewHint(prof.id, p.provider, prof));
        } else if (prof.status === 'missing') {
          add(
            'tokens',
            prof.type === 'api_key' ? 'warn' : 'error',
            `${prof.id}${where} has no usable secret: ${prof.reason ?? 'missing'}`,
            `fix its reference or replace it: \`opensoul models auth remove ${prof.id}\``,
          );
        } else if (prof.remainingMs !== null && prof.remainingMs > 0 && prof.remainingMs <= s.expiringWindowMs) {
          add('tokens', 'warn', `${prof.id}${where} (${prof.type}) expires in ${inWords(prof.remainingMs)}`, renewHint(prof.id, p.provider, prof));
        }
        if (prof.disabledUntil !== null || prof.cooldownUntil !== null) {
          const until = (prof.disabledUntil ?? prof.cooldownUntil) as number;
          const reason = prof.reason?.split(':')[0]?.split(',')[0]?.trim() ?? '';
          const forever = until >= UNTIL_REPLACED_MS;
          const what = prof.disabledUntil !== null ? 'disabled' : 'cooling down';
          const howLong = forever ? ' until it is replaced' : ` for ${inWords(until - s.now)}`;
          add('cooldowns', 'warn', `${prof.id}${where} is ${what}${howLong}${reason ? ` (${reason})` : ''}`, own(REASON_REMEDY, reason) ?? null);
        }
      }
    }
    for (const provider of s.missingProvidersInUse) {
      const spec = state.providers.getOrUnknown(provider);
      const models = [s.defaultModel, ...s.fallbacks].filter((m) => m.startsWith(`${provider}/`));
      add(
        'providers',
        'error',
        `${provider} has no credential${statuses.length > 1 ? ` for agent ${s.agent}` : ''}, but ${models.join(', ') || 'a configured model'} needs it`,
        spec.hint,
      );
    }
    for (const d of s.disabledProvidersInUse ?? []) {
      const models = [s.defaultModel, ...s.fallbacks].filter((m) => m.startsWith(`${d.provider}/`));
      const until = d.until >= UNTIL_REPLACED_MS ? 'until replaced' : `for ${inWords(d.until - s.now)}`;
      add(
        'providers',
        'error',
        `${d.provider} has every credential disabled ${until} (${d.reasons.join(', ')})${statuses.length > 1 ? ` for agent ${s.agent}` : ''}, ` +
          `but ${models.join(', ') || 'a configured model'} needs it: its calls fail until then`,
        `fix what the reason names (billing, a revoked key), or add another credential: \`opensoul models auth paste-api-key --provider ${d.provider}\``,
      );
    }
  }
  if (!checks.some((c) => c.id === 'tokens'))
    add('tokens', 'ok', tokens > 0 ? `no token or OAuth profile is expired or expiring (${tokens} checked)` : 'no token or OAuth profiles');
  if (!checks.some((c) => c.id === 'providers')) add('providers', 'ok', 'every provider the configured models need has a usable credential');

  if (params.clientEnvNames) {
    const gap = envGap(params.clientEnvNames, state.env, state.providers);
    if (gap.length > 0) {
      add(
        'env-gap',
        'warn',
        `set in your shell but not seen by the gateway: ${gap.join(', ')} (the classic "works in my shell, 401 under the service")`,
        'put them in ~/.opensoul/.env, where the gateway reads them live: `opensoul onboard --non-interactive --from-env`',
      );
    } else {
      add('env-gap', 'ok', 'the gateway sees every provider key your shell has');
    }
  }
  return checks;
}
