/**
 * OpenClaw's `models status --json` fields, derived from OpenSoul's status (§7.1 "the document
 * also carries OpenClaw's fields"), so that a `jq` line written against OpenClaw's docs —
 * `.auth.oauth.profiles[]|select(.status=="expired")` — works unchanged. The semantics follow
 * OpenClaw's `buildAuthHealthSummary` and `resolveProviderAuthOverview`: health statuses are about
 * expiry only (`ok|expiring|expired|missing|static`), cooldowns and disabled profiles are listed
 * apart in `unusableProfiles`. Pure; secrets appear masked only.
 */
import path from 'node:path';
import { formatWait } from '../../ipc/duration.js';
import type {
  ModelsStatusResult,
  OpenClawAuthStatus,
  OpenClawHealthStatus,
  OpenClawProfileHealth,
  OpenClawProviderAuth,
  ProfileStatusEntry,
  ProviderStatusEntry,
} from '../../ipc/protocol.js';
import type { EffectiveEnv } from '../env/environment.js';
import type { UsageState } from '../stores/credentials.js';

export interface OpenClawInput {
  authStorePath: string;
  configPath: string;
  defaultModel: string;
  aliases: Readonly<Record<string, string>>;
  usage: UsageState;
  env: EffectiveEnv;
  shellEnvEnabled: boolean;
  now: number;
  windowMs: number;
  /** Per provider, the ids a call can use now, in the order it would try them. */
  usableOrder: ReadonlyMap<string, readonly string[]>;
}

type Base = Pick<ModelsStatusResult, 'providers' | 'missingProvidersInUse'>;

/** A profile's health as OpenClaw words it: expiry only, whatever its cooldown. */
export function healthOf(p: ProfileStatusEntry, windowMs: number): OpenClawHealthStatus {
  if (p.status === 'missing' || p.status === 'expired') return p.status;
  if (p.type === 'api_key' || p.remainingMs === null) return 'static';
  return p.remainingMs <= windowMs ? 'expiring' : 'ok';
}

function profileHealth(p: ProfileStatusEntry, windowMs: number): OpenClawProfileHealth {
  return {
    profileId: p.id,
    provider: p.provider,
    type: p.type,
    status: healthOf(p, windowMs),
    ...(p.expiresAt !== null ? { expiresAt: p.expiresAt } : {}),
    ...(p.remainingMs !== null ? { remainingMs: p.remainingMs } : {}),
    source: 'store',
    label: p.label,
  };
}

/** OpenClaw's roll-up: any expirable profile expired or missing → expired; any expiring → expiring; only API keys → static. */
function providerHealth(profiles: OpenClawProfileHealth[]): { status: OpenClawHealthStatus; expiresAt?: number; remainingMs?: number } {
  if (profiles.length === 0) return { status: 'missing' };
  const expirable = profiles.filter((p) => p.type !== 'api_key');
  if (expirable.length === 0) return { status: 'static' };
  const expiries = expirable.flatMap((p) => (p.expiresAt !== undefined ? [p.expiresAt] : []));
  const soonest = expiries.length > 0 ? Math.min(...expiries) : undefined;
  const remaining = soonest !== undefined ? expirable.find((p) => p.expiresAt === soonest)?.remainingMs : undefined;
  const statuses = expirable.map((p) => p.status);
  const status: OpenClawHealthStatus =
    statuses.includes('expired') || statuses.includes('missing') ? 'expired' : statuses.includes('expiring') ? 'expiring' : 'ok';
  return { status, ...(soonest !== undefined ? { expiresAt: soonest } : {}), ...(remaining !== undefined ? { remainingMs: remaining } : {}) };
}

const isOAuthEnv = (name: string) => name.toLowerCase().includes('oauth');

function unusableSuffix(p: ProfileStatusEntry, usage: UsageState, now: number): string {
  if (p.disabledUntil !== null) {
    const reason = usage.usageStats[p.id]?.disabledReason;
    return ` [disabled${reason ? `:${reason}` : ''} ${formatWait(p.disabledUntil, now)}]`;
  }
  if (p.cooldownUntil !== null) return ` [cooldown ${formatWait(p.cooldownUntil, now)}]`;
  return '';
}

function profileLabel(p: ProfileStatusEntry, usage: UsageState, now: number): string {
  const base =
    p.type === 'api_key'
      ? `${p.id}=${p.masked}`
      : p.type === 'token'
        ? `${p.id}=token:${p.masked}`
        : `${p.id}=OAuth${p.label !== p.id ? ` ${p.label.slice(p.id.length).trim()}` : ''}`;
  return base + unusableSuffix(p, usage, now);
}

function providerAuth(entry: ProviderStatusEntry, input: OpenClawInput): OpenClawProviderAuth | null {
  const profiles = entry.profiles;
  const envEntry = entry.env ? input.env.get(entry.env.var) : undefined;
  // OpenClaw lists only providers that have something; the rest are in missingProvidersInUse.
  if (profiles.length === 0 && !entry.env) return null;
  const envValue = entry.env ? (isOAuthEnv(entry.env.var) ? 'OAuth (env)' : entry.env.masked) : '';
  const effective: OpenClawProviderAuth['effective'] =
    profiles.length > 0
      ? { kind: 'profiles', detail: input.authStorePath }
      : entry.env
        ? { kind: 'env', detail: envValue }
        : { kind: 'missing', detail: 'missing' };
  const count = (t: ProfileStatusEntry['type']) => profiles.filter((p) => p.type === t).length;
  return {
    provider: entry.provider,
    effective,
    profiles: {
      count: profiles.length,
      oauth: count('oauth'),
      token: count('token'),
      apiKey: count('api_key'),
      labels: profiles.map((p) => profileLabel(p, input.usage, input.now)),
    },
    ...(entry.env ? { env: { value: envValue, source: `${envEntry?.source === 'shell' ? 'shell env' : 'env'}: ${entry.env.var}` } } : {}),
  };
}

export function openClawFields(base: Base, input: OpenClawInput): Pick<ModelsStatusResult, 'configPath' | 'agentDir' | 'resolvedDefault' | 'aliases' | 'auth'> {
  const { now, windowMs, usage } = input;
  const providersAuth = base.providers.map((p) => providerAuth(p, input)).filter((p): p is OpenClawProviderAuth => p !== null);
  const healthByProvider = base.providers.map((p) => ({ provider: p.provider, profiles: p.profiles.map((x) => profileHealth(x, windowMs)) }));

  const unusableProfiles: OpenClawAuthStatus['unusableProfiles'] = base.providers
    .flatMap((p) => p.profiles)
    .filter((p) => p.disabledUntil !== null || p.cooldownUntil !== null)
    .map((p) => {
      const stats = usage.usageStats[p.id];
      const disabled = p.disabledUntil !== null;
      const until = Math.max(p.disabledUntil ?? 0, p.cooldownUntil ?? 0);
      const reason = disabled ? stats?.disabledReason : stats?.cooldownReason;
      return {
        profileId: p.id,
        provider: p.provider,
        kind: disabled ? ('disabled' as const) : ('cooldown' as const),
        ...(reason ? { reason } : {}),
        until,
        remainingMs: until - now,
      };
    })
    .sort((a, b) => a.remainingMs - b.remainingMs);

  const providersWithOAuth = providersAuth
    .filter((e) => e.profiles.oauth > 0 || e.profiles.token > 0 || e.env?.value === 'OAuth (env)')
    .map((e) => `${e.provider} (${e.profiles.oauth + e.profiles.token + (e.env?.value === 'OAuth (env)' ? 1 : 0)})`);

  const appliedKeys = [...input.env.values()]
    .filter((e) => e.source === 'shell')
    .map((e) => e.name)
    .sort();
  const resolvedDefault = input.defaultModel.includes('/') ? input.defaultModel : (input.aliases[input.defaultModel] ?? input.defaultModel);

  return {
    configPath: input.configPath,
    agentDir: path.dirname(input.authStorePath),
    resolvedDefault,
    aliases: { ...input.aliases },
    auth: {
      storePath: input.authStorePath,
      shellEnvFallback: { enabled: input.shellEnvEnabled, appliedKeys },
      providersWithOAuth,
      missingProvidersInUse: [...base.missingProvidersInUse],
      providers: providersAuth,
      unusableProfiles,
      oauth: {
        warnAfterMs: windowMs,
        profiles: healthByProvider.flatMap((p) => p.profiles),
        providers: healthByProvider.map(({ provider, profiles }) => {
          const usable = input.usableOrder.get(provider) ?? [];
          const effectiveProfiles = usable.map((id) => profiles.find((h) => h.profileId === id)).filter((h): h is OpenClawProfileHealth => h !== undefined);
          return { provider, ...providerHealth(profiles), profiles, effectiveProfiles };
        }),
      },
    },
  };
}
