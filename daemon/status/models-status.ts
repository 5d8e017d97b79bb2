/**
 * §7.1's status of one agent, as a pure function of the loaded state and a clock: one entry per
 * provider (effective source, profiles with masked secrets and state, the env key), the
 * providers the default/fallback models need but cannot reach, file errors, and the `--check`
 * level. The CLI only renders this.
 */
import type { EnvKeyStatus, ModelsStatusResult, ProfileStatus, ProfileStatusEntry, ProviderStatusEntry } from '../../ipc/protocol.js';
import { formatWaitChangesAt } from '../../ipc/duration.js';
import { splitModelRef } from '../../ipc/providers.js';
import type { GatewayConfig, ModelSelection } from '../config/config.js';
import { firstEnvKey } from '../env/environment.js';
import type { EffectiveEnv, EnvEntry } from '../env/environment.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { orderCandidates } from '../resolver/order.js';
import { expiresAtOf, isExpired, missingSecretReason, unusableReason } from '../stores/credentials.js';
import type { Credential, ProfileStore, RefProbe, UsageState } from '../stores/credentials.js';
import { oauthNote, refreshedByGateway } from '../oauth/oauth-notes.js';
import { CREDENTIAL_SCOPE_REMEDY } from '../providers/remedies.js';
import { maskRef, maskSecret } from './masking.js';
import { openClawFields } from './openclaw-fields.js';

export interface StatusInput {
  agent: string;
  /** Every agent the gateway knows, for `agents`. */
  agents?: readonly string[];
  authStorePath: string;
  store: ProfileStore;
  usage: UsageState;
  config: GatewayConfig;
  model: ModelSelection;
  env: EffectiveEnv;
  providers: ProviderRegistry;
  fileErrors: { path: string; message: string }[];
  now: number;
  refProbe: RefProbe;
  configPath: string;
  /** The state dir's `.env`. */
  envFile: string;
  /** Provider key names set in the CLI's environment (names only), for `envGap`. */
  clientEnvNames?: readonly string[];
  /** Whether the login-shell import (§4 source 4) is on. */
  shellEnvEnabled?: boolean;
  /** A session's pinned profile (§8.3): the next call of its provider uses it whatever the order says. */
  pin?: string | undefined;
  /** Profile id → owning agent, for profiles read through from another agent (§3). */
  inherited?: Readonly<Record<string, string>>;
}

/** Provider key names the CLI's shell has and the daemon does not see — the "works in my shell, 401 under systemd" gap. */
export function envGap(clientEnvNames: readonly string[], env: EffectiveEnv, providers: ProviderRegistry): string[] {
  const known = providers.allEnvVars();
  return [...new Set(clientEnvNames)].filter((name) => known.has(name) && !env.has(name));
}

/** OpenClaw's profile label: the id, with the account's display name or email when known. */
export function profileLabel(id: string, credential: Credential): string {
  const displayName = (credential as { displayName?: unknown }).displayName;
  const who = typeof displayName === 'string' && displayName.trim() ? displayName.trim() : credential.email?.trim();
  return who ? `${id} (${who})` : id;
}

/** The provider a model ref (or alias) names. */
export function providerOfModel(ref: string, aliases: Readonly<Record<string, string>>): string | null {
  const resolved = ref.includes('/') ? ref : (aliases[ref] ?? ref);
  return splitModelRef(resolved)?.provider ?? null;
}

export function maskedCredential(credential: Credential): string {
  switch (credential.type) {
    case 'api_key':
      return credential.key ? maskSecret(credential.key) : credential.keyRef ? maskRef(credential.keyRef) : '(none)';
    case 'token':
      return credential.token ? maskSecret(credential.token) : credential.tokenRef ? maskRef(credential.tokenRef) : '(none)';
    case 'oauth':
      // A managed profile's live token (read through) is masked like any other; none while its file has none.
      return credential.access ? maskSecret(credential.access) : '(none)';
  }
}

const SOURCE_WORDS: Record<EnvEntry['source'], string> = {
  process: 'process environment',
  dotenv: '.env',
  config: 'opensoul.json env.vars',
  shell: 'login shell',
};

export function envSourceDetail(entry: EnvEntry): string {
  return entry.source === 'dotenv' && entry.path ? entry.path : SOURCE_WORDS[entry.source];
}

export function computeModelsStatus(input: StatusInput): ModelsStatusResult {
  const { config, now, usage, env } = input;
  const windowMs = config.expiringWindowHours * 3_600_000;
  const modelRefs = [input.model.primary, ...input.model.fallbacks].filter((m): m is string => typeof m === 'string');
  const inUse = new Map<string, string>();
  for (const ref of modelRefs) {
    const p = providerOfModel(ref, config.aliases);
    // The model as its provider knows it: a cooldown scoped to one model is recorded that way.
    if (p && !inUse.has(p)) inUse.set(p, ref.includes('/') ? ref : (config.aliases[ref] ?? ref));
  }

  const providerIds = new Set<string>();
  for (const c of Object.values(input.store.profiles)) providerIds.add(c.provider);
  for (const p of input.providers.all()) if (firstEnvKey(env, p.envVars)) providerIds.add(p.id);
  for (const p of inUse.keys()) providerIds.add(p);

  let check: 0 | 1 | 2 = 0;
  const raise = (level: 1 | 2) => {
    if (level === 1 || check === 0) check = level;
  };
  // A file that does not parse is served from its last good state, but the person must fix it:
  // the next restart would start from nothing (§7.1).
  if (input.fileErrors.length > 0) raise(1);
  const usableOrder = new Map<string, string[]>();

  const providers: ProviderStatusEntry[] = [];
  const disabledProvidersInUse: NonNullable<ModelsStatusResult['disabledProvidersInUse']> = [];
  for (const providerId of [...providerIds].sort()) {
    const provider = input.providers.getOrUnknown(providerId);
    const primaryModel = inUse.get(providerId);
    const unusable = (id: string, c: Credential) => unusableReason(id, c, usage, now, input.refProbe);
    const order = orderCandidates({
      provider: providerId,
      profiles: input.store.profiles,
      agentOrder: input.store.order[providerId],
      configOrder: config.authOrder[providerId],
      usage,
      now,
      model: primaryModel,
      pin: input.pin,
      unusableReason: unusable,
    });
    const envEntry = firstEnvKey(env, provider.envVars);
    const first = order.candidates[0];
    const next = first && first.state === 'available' ? first.id : null;
    // Needed, and nothing to call with for hours: every credential disabled (a cooldown passes
    // within minutes and does not count), no env key behind them. Calls fail now, and a monitor
    // must say so rather than report "ok" because a credential exists.
    if (inUse.has(providerId) && !next && !envEntry && order.candidates.length > 0 && order.candidates.every((c) => c.state === 'disabled')) {
      disabledProvidersInUse.push({
        provider: providerId,
        until: Math.min(...order.candidates.map((c) => c.availableAt ?? now)),
        reasons: [...new Set(order.candidates.map((c) => c.reason ?? 'disabled'))],
      });
      raise(1);
    }
    usableOrder.set(
      providerId,
      order.candidates.filter((c) => c.state === 'available').map((c) => c.id),
    );

    const profiles: ProfileStatusEntry[] = Object.entries(input.store.profiles)
      .filter(([, c]) => c.provider === providerId)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([id, credential]) => {
        const stats = usage.usageStats[id];
        const expiresAt = expiresAtOf(credential);
        const missing = missingSecretReason(credential, input.refProbe);
        const expired = isExpired(id, credential, usage, now);
        // A token the gateway refreshes itself is not "expiring": nobody needs to act on it.
        const expiring = !expired && expiresAt !== null && expiresAt > 0 && expiresAt - now <= windowMs && !refreshedByGateway(credential, stats, config);
        const disabledUntil = stats?.disabledUntil !== undefined && stats.disabledUntil > now ? stats.disabledUntil : null;
        const cooldownUntil = stats?.cooldownUntil !== undefined && stats.cooldownUntil > now ? stats.cooldownUntil : null;
        let status: ProfileStatus;
        let reason: string | null = null;
        if (missing) {
          status = 'missing';
          reason = missing;
        } else if (expired) {
          status = 'expired';
          reason = credential.type === 'oauth' ? oauthNote(credential, stats, config, true) : null;
        } else if (disabledUntil !== null) {
          status = 'disabled';
          reason = stats?.disabledReason === 'credential_scope' ? `credential_scope: ${CREDENTIAL_SCOPE_REMEDY}` : (stats?.disabledReason ?? null);
        } else if (cooldownUntil !== null) {
          status = 'cooldown';
          reason = [stats?.cooldownReason, stats?.cooldownModel ? `model ${stats.cooldownModel}` : null].filter(Boolean).join(', ') || null;
        } else if (expiring) status = 'expiring';
        else status = expiresAtOf(credential) === null ? 'static' : 'ok';
        if ((status === 'ok' || status === 'expiring') && credential.type === 'oauth') reason = oauthNote(credential, stats, config, false);

        if (credential.type !== 'api_key' && (missing || expired)) raise(1);
        else if (credential.type !== 'api_key' && expiring) raise(2);

        return {
          id,
          provider: providerId,
          label: profileLabel(id, credential),
          type: credential.type,
          masked: maskedCredential(credential),
          status,
          expiresAt: expiresAt !== null && expiresAt > 0 ? expiresAt : null,
          remainingMs: expiresAt !== null && expiresAt > 0 ? expiresAt - now : null,
          cooldownUntil,
          disabledUntil,
          reason,
          next: id === next,
          lastGood: usage.lastGood[providerId] === id,
          ...(input.inherited?.[id] ? { inheritedFrom: input.inherited[id] } : {}),
          ...(credential.type === 'oauth' && credential.managedBy ? { managedBy: credential.managedBy } : {}),
        };
      });

    let effective: ProviderStatusEntry['effective'];
    if (next) {
      const c = input.store.profiles[next] as Credential;
      effective = { kind: 'profile', detail: `${next} (${c.type})` };
    } else if (envEntry) {
      effective = { kind: 'env', detail: `${envEntry.name} (${envSourceDetail(envEntry)})` };
    } else if (first) {
      const until = first.availableAt !== null ? ` until ${new Date(first.availableAt).toISOString()}` : '';
      effective = { kind: 'profile', detail: `${first.id} (${first.credential.type}, ${first.state}${until})` };
    } else {
      effective = { kind: 'missing', detail: profiles.length > 0 ? 'no usable profile and no env key' : 'no profile and no env key' };
    }
    const envStatus: EnvKeyStatus | null = envEntry
      ? { var: envEntry.name, source: envEntry.source, path: envEntry.path, masked: maskSecret(envEntry.value) }
      : null;
    providers.push({
      provider: providerId,
      effective,
      profiles,
      env: envStatus,
      inUse: inUse.has(providerId),
      orderSource: order.source === 'agent' || order.source === 'config' ? order.source : 'round-robin',
      baseUrl: provider.baseUrlConfigured ? provider.baseUrlDisplay : null,
    });
  }

  const missingProvidersInUse = providers.filter((p) => p.inUse && p.effective.kind === 'missing').map((p) => p.provider);
  if (missingProvidersInUse.length > 0) raise(1);

  const defaultModel = input.model.primary ?? '';
  return {
    agent: input.agent,
    ...(input.agents ? { agents: [...input.agents] } : {}),
    authStore: input.authStorePath,
    defaultModel,
    fallbacks: input.model.fallbacks,
    providers,
    missingProvidersInUse,
    disabledProvidersInUse,
    fileErrors: input.fileErrors,
    check,
    expiringWindowMs: windowMs,
    now,
    envGap: envGap(input.clientEnvNames ?? [], env, input.providers),
    envFile: input.envFile,
    ...openClawFields(
      { providers, missingProvidersInUse },
      {
        authStorePath: input.authStorePath,
        configPath: input.configPath,
        defaultModel,
        aliases: config.aliases,
        usage,
        env,
        shellEnvEnabled: input.shellEnvEnabled ?? config.shellEnv.enabled,
        now,
        windowMs,
        usableOrder,
      },
    ),
  };
}

/**
 * The first instant after `status.now` at which the clock alone may change `status` in more than
 * its now-relative numbers (`now` and every `remainingMs`, which are an instant minus now): an
 * expiry or the start of its warning window reached, a cooldown or disable over, a shown wait
 * (`[cooldown 4m 59s]`) ticking over. Infinity when nothing is due. Every now-dependent decision
 * of computeModelsStatus and openClawFields is one of these (integer ms clock); the status cache
 * relies on it, and test/daemon/status/status-answers.test.ts checks it against fresh answers.
 */
export function clockChangesAt(status: ModelsStatusResult): number {
  const { now, expiringWindowMs } = status;
  let first = Number.POSITIVE_INFINITY;
  const due = (t: number) => {
    if (t > now && t < first) first = t;
  };
  for (const provider of status.providers) {
    for (const p of provider.profiles) {
      if (p.expiresAt !== null) {
        due(p.expiresAt);
        due(p.expiresAt - expiringWindowMs);
      }
      for (const until of [p.cooldownUntil, p.disabledUntil]) {
        if (until === null) continue;
        due(until);
        due(formatWaitChangesAt(until, now));
      }
    }
  }
  return first;
}
